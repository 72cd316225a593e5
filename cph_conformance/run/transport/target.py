"""What the run tests and with which credential, read from the environment and checked before any request.

With none of LIVE_VARIABLES set, the target is a local mock started for the run. Otherwise the environment
names a live endpoint, CPH_REGION (its base URL from the spec's servers) or CPH_BASE_URL (scheme://host[:port]),
the project, CPH_PROJECT_ID, and one credential: CPH_AUTH_TOKEN; or CPH_AK and CPH_SK (CPH_SECURITY_TOKEN too for
temporary credentials), which sign every request; or CPH_IAM_USER, CPH_IAM_PASSWORD and CPH_IAM_DOMAIN, which
get a token from IAM (and the project id, when CPH_PROJECT_ID is not set).
Every problem is a CannotRun that names the variable; no message ever holds a credential's value.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import jsonschema

from cph_conformance import spec
from cph_conformance.run.transport import iam
from cph_conformance.run.transport.credential import Credential, Signed, Token
from cph_conformance.run.transport.secrets import MalformedCredential, Secrets, check_credential

TOKEN = "CPH_AUTH_TOKEN"  # noqa: S105  (the variable's name)
AKSK = ("CPH_AK", "CPH_SK")
SECURITY_TOKEN = "CPH_SECURITY_TOKEN"  # noqa: S105  (the variable's name)
# Any of these set (non-empty: CI sets every secret's variable, blank when the secret is absent) means a live run.
LIVE_VARIABLES = ("CPH_BASE_URL", "CPH_REGION", "CPH_PROJECT_ID", TOKEN, *AKSK, SECURITY_TOKEN, *iam.IAM_VARIABLES)


class CannotRun(Exception):
    """The run could not be made; the message says why and what to do."""


@dataclass(frozen=True)
class Target:
    kind: str  # "live" or "mock"
    base_url: str
    project_id: str
    credential: Credential = field(repr=False)
    credential_variable: str  # the variable to blame when the credential is refused
    secrets: Secrets = field(repr=False)
    warnings: tuple[str, ...] = ()
    endpoint_variable: str = "CPH_BASE_URL"  # the variable that named the endpoint

    @property
    def shown(self) -> str:
        """The endpoint as the reports name it: its URL, and what named it."""
        return f"{self.base_url} ({'a mock started for this run' if self.kind == 'mock' else self.endpoint_variable})"


def check_base_url(url: str, variable: str = "CPH_BASE_URL") -> str:
    """scheme://host[:port], nothing more: the operation's path is the spec's."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CannotRun(
            f"{variable}={url!r} is not a URL: it must be scheme://host[:port], "
            f"e.g. {spec.base_url(spec.default_region())}."
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        raise CannotRun(
            f"{variable}={url!r} has a path, query or user part: give only scheme://host[:port] "
            f"(e.g. {spec.base_url(spec.default_region())}); the run adds {spec.OPERATION_PATH} itself."
        )
    try:
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        raise CannotRun(f"{variable}={url!r} has a port that is not a number.") from None
    return f"{parts.scheme}://{parts.netloc}"


def check_project_id(project_id: str, variable: str = "CPH_PROJECT_ID") -> list[str]:
    """Errors for what Huawei's sources rule out; warnings for what only the spec's assumptions rule out."""
    param = spec.parameter("project_id")
    sourced = spec.resolve(
        next(p for p in spec.sourced()["paths"][spec.OPERATION_PATH]["get"]["parameters"] if p["name"] == "project_id")[
            "schema"
        ],
        spec.sourced(),
    )
    errors = sorted(e.message for e in jsonschema.Draft4Validator(sourced).iter_errors(project_id))
    if errors:
        raise CannotRun(f"{variable} is not a valid project ID: {errors[0]}.")
    full = spec.resolve(param["schema"], spec.load())
    assumed = spec.assumed_keywords(param["schema"])
    broken = sorted({e.validator for e in jsonschema.Draft4Validator(full).iter_errors(project_id)})
    return [
        f"{variable} breaks the spec's {keyword} for project_id ({assumed.get(str(keyword), 'assumption')}); "
        "if CPH refuses it, the preflight says so"
        for keyword in broken
    ]


def _checked(env: Mapping[str, str], *names: str) -> None:
    for name in names:
        if env.get(name):
            try:
                check_credential(name, env[name])
            except MalformedCredential as exc:
                raise CannotRun(str(exc)) from None


def _base_url(env: Mapping[str, str]) -> str:
    if env.get("CPH_BASE_URL"):
        return check_base_url(env["CPH_BASE_URL"])
    if env.get("CPH_REGION"):
        try:
            return spec.base_url(env["CPH_REGION"].strip())
        except spec.UnknownRegion as exc:
            raise CannotRun(f"CPH_REGION: {exc}") from None
    raise CannotRun(f"set CPH_REGION (one of {', '.join(spec.regions())}) or CPH_BASE_URL to name the endpoint.")


def named_endpoint(env: Mapping[str, str]) -> str | None:
    """The endpoint CPH_BASE_URL or CPH_REGION names (CPH_BASE_URL first), as scheme://host[:port]; None when
    neither is set."""
    if not (env.get("CPH_BASE_URL", "").strip() or env.get("CPH_REGION", "").strip()):
        return None
    return _base_url(env)


def _credential_kind(env: Mapping[str, str]) -> str:
    kinds = {
        "token": [TOKEN] if env.get(TOKEN) else [],
        "aksk": [n for n in (*AKSK, SECURITY_TOKEN) if env.get(n)],
        "iam": [n for n in iam.IAM_VARIABLES if env.get(n)],
    }
    given = {k: v for k, v in kinds.items() if v}
    if len(given) > 1:
        names = ", ".join(n for v in given.values() for n in v)
        raise CannotRun(
            f"{names}: set one credential only: {TOKEN}, or {' and '.join(AKSK)}, or the CPH_IAM_* password."
        )
    if not given:
        raise CannotRun(
            f"no credential: set {TOKEN} (an IAM token), or {' and '.join(AKSK)} (an access key; "
            f"{SECURITY_TOKEN} too for temporary ones), or {', '.join(iam.IAM_VARIABLES)} (an IAM password)."
        )
    (kind,) = given
    return kind


def live(env: Mapping[str, str]) -> Target:
    """The live endpoint the environment names, with its credential; CannotRun names what is wrong."""
    _checked(env, TOKEN, *AKSK, SECURITY_TOKEN, *iam.IAM_VARIABLES)  # first: no value may reach a later message
    base_url = _base_url(env)
    kind = _credential_kind(env)
    secrets = Secrets(env.get(n, "") for n in (TOKEN, *AKSK, SECURITY_TOKEN, "CPH_IAM_PASSWORD"))
    project_id = env.get("CPH_PROJECT_ID", "").strip()
    credential: Credential
    if kind == "iam":
        try:
            issued = iam.from_environment(env)
        except (iam.IamError, spec.UnknownRegion) as exc:
            raise CannotRun(secrets.mask(str(exc))) from None
        assert issued is not None
        secrets.add(issued.token)
        project_id = project_id or issued.project_id
        credential, variable = Token(spec.auth_header(), issued.token), "CPH_IAM_PASSWORD's token"
    elif kind == "aksk":
        missing = [n for n in AKSK if not env.get(n)]
        if missing:
            raise CannotRun(f"{', '.join(missing)} not set: an access key needs both {' and '.join(AKSK)}.")
        signed = Signed(env["CPH_AK"], env["CPH_SK"], project_id or None, env.get(SECURITY_TOKEN) or None)
        credential, variable = signed, "CPH_AK/CPH_SK"
    else:
        credential, variable = Token(spec.auth_header(), env[TOKEN]), TOKEN
    if not project_id:
        raise CannotRun("CPH_PROJECT_ID not set: a live run needs the project the credential may read.")
    warnings = check_project_id(project_id)
    named_by = "CPH_BASE_URL" if env.get("CPH_BASE_URL") else "CPH_REGION"
    return Target("live", base_url, project_id, credential, variable, secrets, tuple(warnings), named_by)


@contextlib.contextmanager
def from_environment(env: Mapping[str, str] | None = None) -> Iterator[Target]:
    """The target the environment names, or a mock started for the run and always stopped."""
    env = os.environ if env is None else env
    if any(env.get(name) for name in LIVE_VARIABLES):
        yield live(env)
        return
    from cph_conformance import settings
    from cph_conformance.mock import faults, server

    fault = env.get("CPH_MOCK_FAULT", "").strip()
    if fault and fault not in faults.FAULTS:
        raise CannotRun(f"CPH_MOCK_FAULT={fault!r} is not a fault of the mock: python -m cph_conformance.mock --help")
    try:  # the mock's settings, as the report records them (env as settings.checked() returns it)
        images = int(settings.BY_NAME["CPH_MOCK_IMAGES"].check(settings.value(env, "CPH_MOCK_IMAGES")))
    except settings.BadSetting as exc:
        raise CannotRun(str(exc)) from None
    with server.running(images=images, fault=fault or None) as mock:
        yield mock_target(mock)


def mock_target(mock: Any) -> Target:
    """A running mock (cph_conformance.mock.server.RunningMock) as a target."""
    return Target(
        "mock",
        mock.base_url,
        mock.project_id,
        Token(spec.auth_header(), mock.token),
        TOKEN,
        Secrets([mock.token]),
    )
