"""One request and its answer, whichever part of the run sent it, and the one curl line that sends it again.

An Exchange is built from an httpx response (the preflight, the walk, the probes), from a request schemathesis
recorded in its events (the CLI's NDJSON), or from schemathesis' engine in this process (the tests). Its URL is the
one the endpoint under test saw: requests that went through the run's loopback gateway are shown against the
endpoint, and the credential is never in it: the curl line sends "$CPH_AUTH_TOKEN" in its place.
"""

from __future__ import annotations

import base64
import functools
import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx

from cph_conformance import spec
from cph_conformance.run.transport.credential import EMPTY, MISSING, NEAR_MISSES, VALID, WRONG, WRONG_TOKEN

TOKEN_VARIABLE = "$CPH_AUTH_TOKEN"  # noqa: S105  (a shell variable's name)
# Set by the run's gateway on an answer it could not get (refused, timed out): the header's value says why.
ERROR_HEADER = "X-Cph-Conformance-Error"
# Set by the run's gateway on every answer: the seconds the endpoint took to answer its last try, measured upstream of
# the gateway, so that neither the run's pace nor the waits for throttling count as the endpoint's time.
ELAPSED_HEADER = "X-Cph-Conformance-Elapsed"


@dataclass(frozen=True)
class Exchange:
    method: str
    url: str  # scheme://host[:port]/path?query, percent-encoded, as the endpoint under test sees it
    auth: str  # how the request was authenticated: credential.VALID, MISSING, WRONG or a near miss's name
    status: int | None  # None: no answer at all
    headers: Mapping[str, str] = field(default_factory=dict)  # the answer's, names lower-cased
    body: Any = None  # the answer's JSON value, or None
    text: str = ""
    phase: str = ""  # what sent it: preflight, examples, coverage, fuzzing, walk, probe
    elapsed: float | None = None  # seconds the endpoint took to answer (ELAPSED_HEADER; else the client's measure)

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.url).query, keep_blank_values=True)

    def param(self, name: str) -> str | None:
        """A query parameter's first value, as the service read it (percent-decoded), or None."""
        values = self.query.get(name)
        return values[0] if values else None

    @property
    def raw_path(self) -> bytes:
        """The request's path and query as they were sent (percent-encoding kept): to send it again elsewhere."""
        parts = urlsplit(self.url)
        return (parts.path + (f"?{parts.query}" if parts.query else "")).encode("ascii")

    @property
    def project_id(self) -> str | None:
        parts = urlsplit(self.url).path.split("/")
        return unquote(parts[2]) if len(parts) > 2 else None

    @property
    def error(self) -> str | None:
        """Why there is no answer (the gateway's marked 502, or nothing recorded); None for an answer."""
        if self.status is None:
            return self.text or "no answer was recorded"
        return self.headers.get(ERROR_HEADER.lower())

    @property
    def answered(self) -> bool:
        return self.error is None

    @property
    def throttled(self) -> bool:
        """An answer that only says "ask again later" (the spec's throttled statuses): it judges nothing."""
        return self.status in spec.statuses_when("throttled")

    @property
    def transient(self) -> bool:
        """An answer of a blip: the spec's transient statuses (502, 503, 504 from the API gateway), or none at all
        (a lost connection, a timeout). Asked again, it may well be answered."""
        return not self.answered or self.status in spec.statuses_when("transient")

    @functools.cached_property
    def judged(self) -> bool:
        """An answer the checks can judge: answered, and neither throttled nor a blip."""
        return self.answered and not self.throttled and not self.transient

    @functools.cached_property
    def images(self) -> list[dict[str, Any]] | None:
        """The page's images, when the answer is a 200 JSON object: none when it has no phone_images (Huawei's SDK
        made the field optional because the live service leaves it out of some answers); None when it is no page."""
        if self.status != 200 or not isinstance(self.body, dict) or not self.judged:
            return None
        images = self.body.get("phone_images")
        if images is None:
            return []
        return [i for i in images if isinstance(i, dict)] if isinstance(images, list) else None

    @property
    def continuation(self) -> str | None:
        """The value that continues the listing after this page (page_info.next_marker), when there is one."""
        _, path = spec.continuation()
        value: Any = self.body
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return value if isinstance(value, str) and value else None

    @property
    def curl(self) -> str:
        return curl(self.method, self.url, self.auth)

    # --- built from what sent it ----------------------------------------------------------------------------------

    @classmethod
    def of_response(cls, response: httpx.Response, endpoint_url: str, auth: str, phase: str) -> Exchange:
        """An httpx response, from a request to the gateway or an in-process app, as an answer of endpoint_url."""
        try:
            body = response.json()
        except ValueError:
            body = None
        headers = {k.lower(): v for k, v in response.headers.items()}
        return cls(
            response.request.method,
            endpoint_url.rstrip("/") + response.request.url.raw_path.decode("ascii"),
            auth,
            response.status_code,
            headers,
            body,
            response.text,
            phase,
            _elapsed(headers, response.elapsed.total_seconds()),
        )

    @classmethod
    def of_recorded(
        cls, interaction: Mapping[str, Any], auth: str, phase: str, base: tuple[str, str] | None = None
    ) -> Exchange:
        """A request and answer as schemathesis' NDJSON events record them; base=(gateway URL, endpoint URL)."""
        request = interaction.get("request") or {}
        response = interaction.get("response") or {}
        raw = (response.get("content") or {}).get("$base64")
        text = base64.b64decode(raw).decode("utf-8", "replace") if raw else ""
        headers = {k.lower(): v[0] for k, v in (response.get("headers") or {}).items() if v}
        return cls(
            request.get("method", "GET"),
            _against(request.get("uri", ""), base),
            auth,
            response.get("status_code") if response else None,
            headers,
            _json(text),
            text,
            phase,
            _elapsed(headers, response.get("elapsed")) if response else None,
        )

    @classmethod
    def of_engine(cls, interaction: Any, auth: str, phase: str) -> Exchange:
        """A request and answer as schemathesis' engine records them in this process."""
        response = interaction.response
        text = response.content.decode("utf-8", "replace") if response is not None and response.content else ""
        headers = {k.lower(): v[0] for k, v in (response.headers if response is not None else {}).items() if v}
        return cls(
            interaction.request.method,
            interaction.request.uri,
            auth,
            response.status_code if response is not None else None,
            headers,
            _json(text),
            text,
            phase,
            _elapsed(headers, response.elapsed) if response is not None else None,
        )


def _elapsed(headers: dict[str, str], measured: Any) -> float | None:
    """The endpoint's time to answer: the gateway's measure, taken out of the headers (it is the run's, not the
    endpoint's), else what the client measured (an app in this process), else None."""
    for value in (headers.pop(ELAPSED_HEADER.lower(), None), measured):
        if value is None:
            continue
        try:
            return float(value)
        except (TypeError, ValueError):
            continue
    return None


def _json(text: str) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def _against(uri: str, base: tuple[str, str] | None) -> str:
    if base is not None and uri.startswith(base[0]):
        return base[1] + uri[len(base[0]) :]
    return uri


def auth_of_recorded(headers: Mapping[str, list[str]] | None, is_probe: bool) -> str:
    """How a recorded request was authenticated: no credential header, or schemathesis' probe with a made-up one
    (ignored_auth's probes are cases with a parent), else the run's own."""
    sent = {k.lower() for k in headers or {}}
    if spec.auth_header().lower() not in sent:
        return MISSING
    return WRONG if is_probe else VALID


def curl(method: str, url: str, auth: str) -> str:
    """The command that sends the request again from a shell where CPH_AUTH_TOKEN holds the token."""
    header = spec.auth_header()
    value = {VALID: TOKEN_VARIABLE, WRONG: WRONG_TOKEN, EMPTY: ""}.get(auth)
    if auth in NEAR_MISSES:
        value = NEAR_MISSES[auth].shell(TOKEN_VARIABLE)
    parts = ["curl", "-X", method]
    if auth == EMPTY:  # curl drops a header written "Name: " with nothing after it; "Name;" sends it empty
        parts += ["-H", shlex.quote(f"{header};")]
    elif value is not None:
        # Double quotes, so that the shell expands the variable; nothing else in it needs quoting.
        parts += ["-H", f'"{header}: {value}"' if "$" in value else shlex.quote(f"{header}: {value}")]
    parts.append(shlex.quote(url))
    return " ".join(parts)
