"""One documented GET before the run, so that a setup problem stops it with a reason instead of a wall of failures:
an unreachable endpoint, a wrong base URL (404), a redirect, a refused credential (401), a project the
credential may not read (403). It goes through the gateway, so what it quotes of an answer is already masked."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from cph_conformance import spec
from cph_conformance.run.collect.exchange import ERROR_HEADER, Exchange
from cph_conformance.run.transport.credential import VALID
from cph_conformance.run.transport.gateway import PLACEHOLDER
from cph_conformance.run.transport.target import CannotRun, Target


def _said(response: httpx.Response) -> str:
    try:
        body: Any = response.json()
    except ValueError:
        return f"a non-JSON body: {' '.join(response.text.split())[:120]!r}"
    if isinstance(body, dict) and ("error_code" in body or "error_msg" in body):
        return f"{body.get('error_code')} {body.get('error_msg')}"
    return "a JSON body that is not Huawei's error body"


def check(gateway_url: str, target: Target, timeout: float) -> Exchange:
    """The preflight's answer, as one of the run's exchanges, when it shows nothing that stops the run."""
    path = spec.OPERATION_PATH.format(project_id=target.project_id)
    smallest, _ = spec.limit_bounds()
    try:
        response = httpx.get(
            gateway_url + path,
            params={"limit": smallest},
            headers={spec.auth_header(): PLACEHOLDER},
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,  # the gateway is on loopback: never through a proxy
        )
    except httpx.HTTPError as exc:  # the gateway itself did not answer: a bug of ours, not of the endpoint
        raise CannotRun(f"the run's loopback gateway did not answer: {type(exc).__name__}") from None
    where = f"{target.base_url}{path}"
    status = response.status_code
    if ERROR_HEADER in response.headers:
        raise CannotRun(
            f"cannot reach {target.base_url}: {response.headers[ERROR_HEADER]}. Check "
            + (
                "CPH_BASE_URL (the host, the port, http or https)"
                if target.endpoint_variable == "CPH_BASE_URL"
                else "CPH_REGION (does CPH serve this region?) or this machine's DNS and proxy (HTTPS_PROXY)"
            )
            + " and that this machine can reach it."
        )
    if 300 <= status < 400:
        location = response.headers.get("Location", "")
        host = urlsplit(location).netloc or "the same host"
        raise CannotRun(
            f"{where} answered {status}, a redirect to {host}; it was not followed (no credential goes to "
            "another host). Check CPH_BASE_URL: it must be the CPH endpoint itself."
        )
    if status == 401:
        why = (
            "the access key is unknown, CPH_SK does not match it, or this machine's clock is more than 15 minutes off"
            if "CPH_SK" in target.credential_variable
            else "it is wrong or expired (IAM tokens last 24 hours)"
        )
        raise CannotRun(
            f"{target.base_url} answered 401 ({_said(response)}): {target.credential_variable} was refused: {why}."
        )
    if status == 403:
        raise CannotRun(
            f"{target.base_url} answered 403 ({_said(response)}): the credential may not read project "
            f"{target.project_id}: CPH_PROJECT_ID must be the project the credential was issued for."
        )
    if status == 400:
        raise CannotRun(
            f"{where} answered 400 ({_said(response)}) to a request the spec calls valid (limit={smallest}): the only "
            f"value of the run's own in it is the project: CPH_PROJECT_ID must be the project's ID, as the console's "
            "My Credentials > API Credentials page lists it (32 hexadecimal characters)."
        )
    if status == 404:
        raise CannotRun(
            f"{where} answered 404 ({_said(response)}): no such API there. CPH_BASE_URL is wrong: it must be the "
            f"CPH endpoint of the project's region, e.g. https://cph.<region>.myhuaweicloud.com, without a path."
        )
    if status >= 500:
        raise CannotRun(f"{where} answered {status} ({_said(response)}): the service is failing; try again later.")
    return Exchange.of_response(response, target.base_url, VALID, phase="preflight")
