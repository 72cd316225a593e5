"""A project-scoped IAM token from a password: POST https://iam.<region>.myhuaweicloud.com/v3/auth/tokens.

Huawei's IAM issues a token (24 hours) in the X-Subject-Token header of a 201, for a password identity
(user, password, the account's domain name) scoped to one project, named by id or by name. The conformance
run calls `fetch_token` (or `from_environment`) itself, so the token goes straight into the run and is never
printed; `python -m cph_conformance.run.transport.iam` checks the same variables and says which project IAM scoped the
token to, without printing it.

Environment: CPH_IAM_USER, CPH_IAM_PASSWORD, CPH_IAM_DOMAIN; CPH_REGION (IAM's endpoint is the region's); the
project by CPH_PROJECT_ID, or by CPH_IAM_PROJECT_NAME, by default the region's name (Huawei names a region's
default project after the region). CPH_IAM_URL replaces IAM's URL: it is for tests and loopback stand-ins.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from cph_conformance import spec
from cph_conformance.run.transport import bounds
from cph_conformance.run.transport.bounds import Bounds
from cph_conformance.run.transport.secrets import Secrets

IAM_VARIABLES = ("CPH_IAM_USER", "CPH_IAM_PASSWORD", "CPH_IAM_DOMAIN")
TOKENS_PATH = "/v3/auth/tokens"
TIMEOUT = 10.0
MAX_BODY = 4 << 20  # bytes of IAM's answer read at most: a token's body, its catalog included, is far smaller


class IamError(Exception):
    """No token: the message says why and which variables to check; it never holds the password or a token."""


@dataclass(frozen=True)
class IamToken:
    """A token and the project IAM scoped it to. The token stays out of the repr."""

    token: str = field(repr=False)
    project_id: str
    project_name: str | None = None
    expires_at: str | None = None


def request_body(
    user: str, password: str, domain: str, project_id: str | None = None, project_name: str | None = None
) -> dict[str, Any]:
    """IAM's password-identity, project-scoped auth body; the project by id when given, else by name."""
    if not (project_id or project_name):
        raise IamError("a project-scoped token needs CPH_PROJECT_ID or CPH_IAM_PROJECT_NAME")
    project = {"id": project_id} if project_id else {"name": project_name}
    return {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {"user": {"name": user, "password": password, "domain": {"name": domain}}},
            },
            "scope": {"project": project},
        }
    }


def _what_iam_said(response: httpx.Response) -> str:
    """IAM's error code and message: Huawei's error_code/error_msg, or the Keystone-style error object."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].strip() or "no body"
    if not isinstance(body, dict):
        return str(body)[:200]
    if "error_code" in body or "error_msg" in body:
        return f"{body.get('error_code')} {body.get('error_msg')}"
    error = body.get("error")
    if isinstance(error, dict):
        return f"{error.get('code')} {error.get('title', '')}: {error.get('message')}".replace(" :", ":")
    return str(body)[:200]


def _advice(status: int) -> str:
    if status == 401:
        return (
            "IAM refused the password: check CPH_IAM_USER (the IAM user name), CPH_IAM_PASSWORD and CPH_IAM_DOMAIN "
            "(the account name the user belongs to)."
        )
    if status in (400, 404):
        return (
            "check the project (CPH_PROJECT_ID, or CPH_IAM_PROJECT_NAME, by default the region's name) and "
            "CPH_IAM_DOMAIN."
        )
    if status == 403:
        return "the user may not get a token for this project: check its permissions and the project."
    if 300 <= status < 400:
        return "IAM redirected the request, which is not followed: check CPH_REGION (or CPH_IAM_URL)."
    return "try again later; if it persists, check CPH_REGION and the variables above."


def fetch_token(
    *,
    user: str,
    password: str,
    domain: str,
    region: str,
    project_id: str | None = None,
    project_name: str | None = None,
    iam_url: str | None = None,
    timeout: float = TIMEOUT,
) -> IamToken:
    """A token scoped to the project (by id, else by name, else the region's default project), from region's IAM.

    Raises spec.UnknownRegion (a ValueError) for a region the spec does not list, IamError for anything else.
    iam_url replaces IAM's URL (tests and loopback stand-ins)."""
    spec.check_region(region)
    base = (iam_url or spec.iam_url(region)).rstrip("/")
    url = base + TOKENS_PATH
    name = None if project_id else (project_name or region)
    body = request_body(user, password, domain, project_id, name)
    secrets = Secrets([password])
    try:  # bounded as every answer of the run is: IAM's URL may be any endpoint (CPH_IAM_URL)
        with bounds.client(follow_redirects=False) as client:
            request = client.build_request("POST", url, json=body)
            response = bounds.read(client, request, Bounds(MAX_BODY, timeout), timeout)
    except httpx.HTTPError as exc:
        reason = secrets.mask(f"{type(exc).__name__}: {exc}")
        raise IamError(f"cannot reach IAM at {url}: {reason}. Check CPH_REGION (or CPH_IAM_URL).") from None
    token = response.headers.get("X-Subject-Token", "")
    secrets.add(token)
    unread = bounds.refused(response)
    if unread:
        raise IamError(f"IAM at {url} answered {response.status_code} with {unread[:120]}.")
    if response.status_code != 201:
        said = secrets.mask(_what_iam_said(response))
        raise IamError(f"IAM at {url} answered {response.status_code} ({said}): {_advice(response.status_code)}")
    if not token:
        raise IamError(f"IAM at {url} answered 201 without an X-Subject-Token header: no token to use.")
    try:
        issued = response.json()["token"]
        project = issued["project"]
        scoped_id = str(project["id"])
    except (ValueError, KeyError, TypeError):
        raise IamError(f"IAM at {url} answered 201 without token.project.id in its body: no project to test.") from None
    if project_id and scoped_id != project_id:
        raise IamError(f"IAM scoped the token to project {scoped_id}, not CPH_PROJECT_ID={project_id}.")
    return IamToken(token, scoped_id, project.get("name"), issued.get("expires_at"))


def from_environment(environ: Mapping[str, str] | None = None) -> IamToken | None:
    """The token the environment's IAM password names, or None when none of CPH_IAM_* is set.

    Raises IamError naming the missing variables when only some are set, spec.UnknownRegion for a bad CPH_REGION."""
    env = os.environ if environ is None else environ
    given = {name: env[name] for name in IAM_VARIABLES if env.get(name)}
    if not given:
        return None
    missing = [name for name in IAM_VARIABLES if name not in given]
    if not env.get("CPH_REGION"):
        missing.append("CPH_REGION")
    if missing:
        raise IamError(
            f"{', '.join(missing)} not set: an IAM token needs {', '.join(IAM_VARIABLES)} and CPH_REGION "
            f"(one of {', '.join(spec.regions())})."
        )
    return fetch_token(
        user=given["CPH_IAM_USER"],
        password=given["CPH_IAM_PASSWORD"],
        domain=given["CPH_IAM_DOMAIN"],
        region=env["CPH_REGION"],
        project_id=env.get("CPH_PROJECT_ID") or None,
        project_name=env.get("CPH_IAM_PROJECT_NAME") or None,
        iam_url=env.get("CPH_IAM_URL") or None,
    )


def main() -> int:
    """Check the IAM variables: get a token and say which project it is scoped to (the token is not printed)."""
    try:
        issued = from_environment()
    except (IamError, spec.UnknownRegion) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if issued is None:
        print(f"error: set {', '.join(IAM_VARIABLES)} and CPH_REGION to get an IAM token.", file=sys.stderr)
        return 2
    print(f"IAM issued a token for project {issued.project_id} ({issued.project_name}), expires {issued.expires_at}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
