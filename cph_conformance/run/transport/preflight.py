"""One documented GET before the run, so that a setup problem stops it with a reason instead of a wall of failures:
an unreachable endpoint, a wrong base URL (the gateway's 404), a project the service does not know (its own 404), a
redirect, a refused credential (401), a project the credential may not read (403). It goes through the sender, so
what it quotes of an answer is bounded and masked."""

from __future__ import annotations

from urllib.parse import urlsplit

from cph_conformance import spec
from cph_conformance.run.transport.exchange import Exchange
from cph_conformance.run.transport.lost import Lost
from cph_conformance.run.transport.patience import NOT_ASKED_AGAIN
from cph_conformance.run.transport.sender import Sender
from cph_conformance.run.transport.target import CannotRun, Target


def _said(ex: Exchange) -> str:
    if ex.body is None:
        return f"a non-JSON body: {ex.shown()!r}"
    if isinstance(ex.body, dict) and ("error_code" in ex.body or "error_msg" in ex.body):
        return f"{str(ex.body.get('error_code'))[:40]} {str(ex.body.get('error_msg'))[:160]}"
    return "a JSON body that is not Huawei's error body"


def check(sender: Sender, target: Target) -> Exchange:
    """The preflight's answer, as one of the run's exchanges, when it shows nothing that stops the run."""
    smallest, _ = spec.limit_bounds()
    ex = sender.get({spec.page_size(): smallest}, phase="preflight")
    if ex.status is None:
        tries = 1 if ex.lost in NOT_ASKED_AGAIN else sender.patience.again + 1
        raise CannotRun(_unreachable(ex, target, sender.deadline.passed, tries))
    why = _stopped(ex, ex.status, target, ex.url.split("?")[0], smallest)
    if why:
        raise CannotRun(why)
    return ex


def _unreachable(ex: Exchange, target: Target, late: bool, tries: int) -> str:
    """Why the preflight got no answer (in its tries), in one line that points where its class of failure
    (lost.Lost) does."""
    base = target.base_url
    each = f" in {tries} tries" if tries > 1 else ""
    if late or ex.lost is Lost.NOT_SENT:
        return f"the preflight got no answer from {base} within the run's deadline (CPH_DEADLINE): {ex.text}"
    if ex.lost is not None and ex.lost.connected:
        then = "Its answer did not come whole: try again later."
        if ex.lost is Lost.SILENT:
            then = "The endpoint is too slow or stuck: try again later."
        elif ex.lost is Lost.CLOSED and base.startswith("http:"):
            then = "If it speaks HTTPS, CPH_BASE_URL must start with https://; else try again later."
        elif ex.lost is Lost.CLOSED:
            then = "Try again later."
        return f"{base} was reached, but the preflight got no whole answer{each}: {ex.text}. {then}"
    check = (
        "CPH_BASE_URL (the host, the port, http or https)"
        if target.endpoint_variable == "CPH_BASE_URL"
        else "CPH_REGION (does CPH serve this region?) or this machine's DNS and proxy (HTTPS_PROXY)"
    )
    return f"cannot reach {base}{each}: {ex.text}. Check {check} and that this machine can reach it."


def _stopped(ex: Exchange, status: int, target: Target, where: str, smallest: int) -> str:
    """Why an answer to the preflight stops the run, saying what to fix; "" when it does not."""
    if 300 <= status < 400:
        host = urlsplit(ex.headers.get("location", "")).netloc or "the same host"
        return (
            f"{where} answered {status}, a redirect to {host[:100]}; it was not followed (no credential goes to "
            "another host). Check CPH_BASE_URL: it must be the CPH endpoint itself."
        )
    if status == 401:
        why = (
            "the access key is unknown, CPH_SK does not match it, or this machine's clock is more than 15 minutes off"
            if "CPH_SK" in target.credential_variable
            else "it is wrong or expired (IAM tokens last 24 hours)"
        )
        return f"{target.base_url} answered 401 ({_said(ex)}): {target.credential_variable} was refused: {why}."
    if status == 403:
        return (
            f"{target.base_url} answered 403 ({_said(ex)}): the credential may not read project "
            f"{target.project_id}: CPH_PROJECT_ID must be the project the credential was issued for."
        )
    if status == 400:
        return (
            f"{where} answered 400 ({_said(ex)}) to a request the spec calls valid (limit={smallest}): the only "
            f"value of the run's own in it is the project: CPH_PROJECT_ID must be the project's ID, as the console's "
            "My Credentials > API Credentials page lists it (32 hexadecimal characters)."
        )
    if status == 404:
        said = ex.body.get("error_code") if isinstance(ex.body, dict) else None
        gateways, _ = spec.error_codes(404) or (frozenset(), ())
        if isinstance(said, str) and said not in gateways:  # likely the service's own 404: for its project
            return (
                f"{where} answered 404 ({_said(ex)}), with an error code that is not the gateway's for an API it "
                f"does not have ({' or '.join(sorted(gateways))}): check CPH_PROJECT_ID (a project of CPH_BASE_URL's "
                "region), then that CPH_BASE_URL is the CPH endpoint."
            )
        return (
            f"{where} answered 404 ({_said(ex)}): no such API there. CPH_BASE_URL is wrong: it must be the "
            f"CPH endpoint of the project's region, e.g. https://cph.<region>.myhuaweicloud.com, without a path."
        )
    if status >= 500:
        return f"{where} answered {status} ({_said(ex)}): the service is failing; try again later."
    return ""
