"""What the run tests and with which credential, read from the environment and checked before any request.

With none of the CPH_* variables set, the target is a local mock started for the run. Otherwise the
environment names a live endpoint: CPH_BASE_URL (scheme://host[:port]), CPH_PROJECT_ID and a credential.
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
from cph_conformance.run.gateway import Credential, token_credential
from cph_conformance.run.secrets import MalformedCredential, Secrets, check_credential

ENDPOINT = ("CPH_BASE_URL", "CPH_PROJECT_ID")
TOKEN = "CPH_AUTH_TOKEN"  # noqa: S105  (the variable's name)
LIVE_VARIABLES = (*ENDPOINT, TOKEN)


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


def check_base_url(url: str, variable: str = "CPH_BASE_URL") -> str:
    """scheme://host[:port], nothing more: the operation's path is the spec's."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CannotRun(f"{variable}={url!r} is not a URL: it must be scheme://host[:port], e.g. {spec.base_url(spec.default_region())}.")
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


def _credential(env: Mapping[str, str]) -> tuple[Credential, str, Secrets]:
    token = env.get(TOKEN)
    if not token:
        raise CannotRun(f"no credential: set {TOKEN} (an IAM token).")
    try:
        check_credential(TOKEN, token)
    except MalformedCredential as exc:
        raise CannotRun(str(exc)) from None
    return token_credential(spec.auth_header(), token), TOKEN, Secrets([token])


def live_requested(env: Mapping[str, str]) -> bool:
    return any(env.get(name) for name in LIVE_VARIABLES)


def live(env: Mapping[str, str]) -> Target:
    missing = [name for name in LIVE_VARIABLES if not env.get(name)]
    if missing:
        raise CannotRun(
            f"{', '.join(missing)} not set: a live run needs all of {', '.join(LIVE_VARIABLES)} "
            "(unset them all to test the local mock)."
        )
    credential, variable, secrets = _credential(env)  # first: a bad credential must not reach any message
    base_url = check_base_url(env["CPH_BASE_URL"])
    project_id = env["CPH_PROJECT_ID"].strip()
    warnings = check_project_id(project_id)
    return Target("live", base_url, project_id, credential, variable, secrets, tuple(warnings))


@contextlib.contextmanager
def from_environment(env: Mapping[str, str] | None = None) -> Iterator[Target]:
    """The target the environment names, or a mock started for the run and always stopped."""
    env = os.environ if env is None else env
    if live_requested(env):
        yield live(env)
        return
    from cph_conformance.mock import server

    with server.running() as mock:
        yield mock_target(mock)


def mock_target(mock: Any) -> Target:
    """A running mock (cph_conformance.mock.server.RunningMock) as a target."""
    return Target(
        "mock",
        mock.base_url,
        mock.project_id,
        token_credential(spec.auth_header(), mock.token),
        TOKEN,
        Secrets([mock.token]),
    )
