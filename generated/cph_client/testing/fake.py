"""FakeCph: Huawei Cloud CPH's "Querying the Image of a Cloud Phone" in your process, as an httpx transport (sync and
async), for the tests of code that calls it.

    fake = FakeCph(Catalog.build(public=3, private=2, shared=1))
    client = fake.client()                                  # a cph_client.AuthenticatedClient that talks to it
    ids = [image.image_id for image in paging.images(client, fake.project_id, limit=2)]
    assert ids == fake.catalog.ids() and fake.requests[-1].params["limit"] == "2"
    fake.throttle(times=2)                                  # the next 2 requests get 429 APIGW.0308

It does what the service does, as the spec the wheel carries says: it routes (404, 405), takes the project's token
(X-Auth-Token) or a request signed with its access key (AK/SK, checked as API Gateway checks it), refuses another
project, checks every parameter against the spec (400), lists the catalog's images of the type asked for, in pages at
most `limit` long, each but the last with a `next_marker` that continues it, and answers every error with Huawei's
error body. The answers come from cph_client.testing.engine, which cph-conformance's mock answers from too.

Faults, switched on by a test, answer the next requests in the order they were switched on: throttle() (429 with the
spec's throttling code, with or without Retry-After), blip() (a 502, 503 or 504 of API Gateway), fail() (any error the
spec documents), slow() (an answer that takes its time; past the client's read timeout, httpx.ReadTimeout) and
malformed() (a 200 whose page is cut off halfway). Every request is recorded in `requests`.

Hand-written (client_extras/testing/ in cph-conformance), shipped in the wheel by `make generate`.
"""

from __future__ import annotations

import asyncio
import collections
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

import httpx

from ..auth import AkSkAuth
from ..client import AuthenticatedClient
from .catalog import Catalog
from .contract import Contract
from .engine import Answer, Call, Credentials, Engine, the_token
from .signature import Keys, is_signed, refusal

__all__ = ["FakeCph", "Received", "Recorded"]

TOKEN, AKSK = "token", "aksk"  # the two credential routes, as Recorded.route names them


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Received:
    """A request as the fake reads it, whichever way it came (a transport or ASGI)."""

    method: str
    raw_path: str  # as sent: percent-encoded, without the query
    query: str  # as sent, without the "?"
    headers: Mapping[str, str] = field(repr=False)  # by lower-case name; the first of a repeated header
    body: bytes = b""
    sent: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # every header as sent, repeats kept (names
    # lower-case); () when only `headers` is known


@dataclass(frozen=True)
class Recorded:
    """A request the fake got, and what it answered."""

    method: str
    path: str  # as sent: percent-encoded, without the query
    query: tuple[tuple[str, str], ...]  # every name and value, in order
    status: int  # what the fake answered (for a request that timed out, what it would have)
    route: str | None  # the credential that got it past authentication: "token" or "aksk"; None: none did
    fault: str | None  # the fault that answered or changed it: "throttle", "blip", "fail", "slow" or "malformed"
    headers: Mapping[str, str] = field(repr=False)  # as sent, the credential too: in no repr
    refused: str | None = None  # why no credential got it in (e.g. "signature mismatch"), naming no secret

    @property
    def params(self) -> dict[str, str]:
        """Each query parameter's value as the service reads it: the last one sent."""
        return dict(self.query)


@dataclass(frozen=True)
class _Fault:
    name: str
    status: int | None = None  # answered instead
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    malformed: bool = False


class FakeCph(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """A fake CPH endpoint for one project: hand it to httpx or to cph_client as their transport (see client())."""

    def __init__(
        self,
        catalog: Catalog | None = None,
        *,
        project_id: str | None = None,
        token: str | None = None,
        ak: str | None = None,
        sk: str | None = None,
        region: str | None = None,
        base_url: str | None = None,
        contract: Contract | None = None,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        """catalog: the images the project sees (Catalog.generated() when None). The project id, token and access
        key pair are fresh unless given. base_url: where the fake answers (CPH's endpoint in region, else in the
        spec's default region); a request for another host fails as a host that does not answer does.
        contract: the spec to answer by (the one this wheel carries when None). now: the clock AK/SK dates are
        checked against."""
        self.contract = contract or (catalog.contract if catalog is not None else Contract.packaged())
        self.catalog = catalog if catalog is not None else Catalog.generated(contract=self.contract)
        fresh = Credentials.new()
        self.credentials = Credentials(
            project_id or fresh.project_id, token or fresh.token, ak or fresh.ak, sk or fresh.sk
        )
        self.base_url = (base_url or self.contract.base_url(region)).rstrip("/")
        self.now = now
        self.engine = Engine(self.catalog, self.credentials.project_id, self.contract)
        self.requests: list[Recorded] = []
        self._faults: collections.deque[_Fault] = collections.deque()
        self._lock = threading.Lock()  # a client's requests may come from several threads
        self._origin = httpx.URL(self.base_url)
        self._template = self.contract.path.split("/")
        self._methods = [self.contract.method, *(["HEAD"] if self.contract.method == "GET" else [])]
        (self._project_parameter,) = self.contract.path_parameters()

    def __repr__(self) -> str:
        return f"FakeCph(base_url={self.base_url!r}, project_id={self.project_id!r}, catalog={self.catalog!r})"

    # --- who may call it --------------------------------------------------------------------------------------------

    @property
    def project_id(self) -> str:
        return self.credentials.project_id

    @property
    def token(self) -> str:
        return self.credentials.token

    @property
    def ak(self) -> str:
        return self.credentials.ak

    @property
    def sk(self) -> str:
        return self.credentials.sk

    @property
    def images_url(self) -> str:
        """The listing's URL for the fake's project."""
        return self.base_url + self.contract.path.replace("{" + self._project_parameter + "}", self.project_id)

    def client(self, *, aksk: bool = False, **kwargs: Any) -> AuthenticatedClient:
        """A client of the fake: its base URL, its token (with aksk, AkSkAuth with its access key pair instead), and
        the fake as its transport, sync and async. kwargs go to AuthenticatedClient (timeout=, headers=, ...)."""
        httpx_args = {**kwargs.pop("httpx_args", {}), "transport": self}
        if aksk:
            auth = AkSkAuth(self.ak, self.sk, project_id=self.project_id, now=self.now)
            return AuthenticatedClient(base_url=self.base_url, auth=auth, httpx_args=httpx_args, **kwargs)
        return AuthenticatedClient(base_url=self.base_url, token=self.token, httpx_args=httpx_args, **kwargs)

    # --- faults -----------------------------------------------------------------------------------------------------

    def _queue(self, times: int, fault: _Fault) -> None:
        if times < 1:
            raise ValueError(f"times must be 1 or more, not {times}")
        with self._lock:
            self._faults.extend([fault] * times)

    def throttle(self, times: int = 1, *, retry_after: int | None = None) -> None:
        """The next `times` requests get the spec's throttled answer (429 APIGW.0308), with a Retry-After of
        retry_after seconds when given (Huawei documents none)."""
        (status,) = self.contract.statuses_when("throttled")
        if retry_after is not None and retry_after < 0:
            raise ValueError(f"retry_after must be 0 or more seconds, not {retry_after}")
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self._queue(times, _Fault("throttle", status, headers))

    def blip(self, times: int = 1, *, status: int | None = None) -> None:
        """The next `times` requests get API Gateway's answer for a service it cannot reach: status, one of the
        spec's transient statuses (its first when None)."""
        transient = self.contract.statuses_when("transient")
        if status is not None and status not in transient:
            raise ValueError(f"a blip's status is one of {transient}, not {status}")
        self._queue(times, _Fault("blip", status or transient[0]))

    def fail(self, status: int, times: int = 1) -> None:
        """The next `times` requests get Huawei's error body for status, an error status the spec documents."""
        errors = sorted(s for s in self.contract.documented_statuses if s >= 400)
        if status not in errors:
            raise ValueError(f"status must be an error status the spec documents ({errors}), not {status}")
        self._queue(times, _Fault("fail", status))

    def slow(self, seconds: float, times: int = 1) -> None:
        """The next `times` requests are answered after `seconds`; past the client's read timeout, the client gets
        httpx.ReadTimeout after that timeout instead."""
        if seconds < 0:
            raise ValueError(f"seconds must be 0 or more, not {seconds}")
        self._queue(times, _Fault("slow", delay=seconds))

    def malformed(self, times: int = 1) -> None:
        """The next `times` requests that get a page get it cut off halfway: a 200 that is not JSON."""
        self._queue(times, _Fault("malformed", malformed=True))

    def clear_faults(self) -> None:
        """Faults switched on and not yet met are dropped."""
        with self._lock:
            self._faults.clear()

    # --- the answer -------------------------------------------------------------------------------------------------

    def answer(self, received: Received) -> tuple[Answer, float]:
        """The answer to a request, and how many seconds it takes to come; recorded in `requests`."""
        with self._lock:
            fault = self._faults.popleft() if self._faults else None
        route: str | None = None
        refused: str | None = None
        query = tuple(parse_qsl(received.query, keep_blank_values=True))
        if fault is not None and fault.status is not None:
            answer = self.engine.error(fault.status, headers=fault.headers)
        else:
            answer, route, refused = self._through(received, dict(query))
            if fault is not None and fault.malformed and answer.status == 200:
                answer = Answer(200, answer.body[: len(answer.body) // 2], answer.content_type, answer.headers)
        recorded = Recorded(
            received.method,
            received.raw_path,
            query,
            answer.status,
            route,
            fault.name if fault else None,
            received.headers,
            refused,
        )
        with self._lock:
            self.requests.append(recorded)
        return answer, fault.delay if fault else 0.0

    def _through(self, received: Received, sent: dict[str, str]) -> tuple[Answer, str | None, str | None]:
        """Routing, authentication and the parameters' checks, as the service makes them, then the engine's answer;
        the credential route that got the request in, and why none did. sent: the query's parameters, the last value
        of each (as the service reads a repeated one)."""
        path_values = self._route(received.raw_path)
        if path_values is None:
            return self.engine.error(404), None, None
        if received.method not in self._methods:
            return self.engine.error(405, headers={"Allow": ", ".join(self._methods)}), None, None
        route, why = self._authenticate(received)
        if route is None:
            return self.engine.error(401), None, why
        values: dict[str, Any] = {}
        for name, parameter in self.contract.parameters.items():
            raw = path_values.get(name) if parameter["in"] == "path" else sent.get(name)
            if raw is None:
                if parameter.get("required"):
                    return self.engine.error(400, f"Missing {parameter['in']} parameter '{name}'"), route, None
                values[name] = parameter["schema"].get("default")
                continue
            values[name], problem = self.contract.check(name, raw)
            if problem is not None:
                return self.engine.error(400, problem), route, None
        call = Call(
            project_id=values[self._project_parameter],
            image_type=values[self.contract.selector],
            marker=values[self.contract.continuation] or None,
            limit=values[self.contract.page_size],
            limit_given=self.contract.page_size in sent,
        )
        answer = self.engine.listing(call)
        if received.method == "HEAD":
            answer = Answer(answer.status, b"", answer.content_type, answer.headers)
        return answer, route, None

    def _route(self, raw_path: str) -> dict[str, str] | None:
        """The path parameters' values, or None when the path is not the operation's. Matched decoded, as the
        service matches it; a parameter is one segment, not empty."""
        segments = unquote(raw_path).split("/")
        if len(segments) != len(self._template):
            return None
        values = {}
        for segment, part in zip(segments, self._template, strict=True):
            if part.startswith("{") and part.endswith("}"):
                if not segment:
                    return None
                values[part[1:-1]] = segment
            elif segment != part:
                return None
        return values

    def _authenticate(self, received: Received) -> tuple[str | None, str]:
        """The route that got the request in ("token" or "aksk"), or None and why not (which names no secret)."""
        headers = received.headers
        if is_signed(headers.get("authorization", "")):
            keys = Keys(self.ak, self.sk)
            why = refusal(received.method, received.raw_path, received.query, headers, received.body, keys, self.now())
            return (AKSK, "") if why is None else (None, why)
        name = self.contract.auth_header.lower()
        sent = [v for k, v in received.sent if k == name] if received.sent else [headers[name]] * (name in headers)
        token = the_token(sent)
        if not token:
            return None, f"{self.contract.auth_header} sent {len(sent)} times" if sent[
                1:
            ] else f"no {self.contract.auth_header}"
        return (TOKEN, "") if self.credentials.accepts_token(token) else (None, f"a wrong {self.contract.auth_header}")

    # --- as an httpx transport --------------------------------------------------------------------------------------

    def _received(self, request: httpx.Request, body: bytes) -> Received:
        url = request.url
        if (url.scheme, url.host, url.port) != (self._origin.scheme, self._origin.host, self._origin.port):
            raise httpx.ConnectError(
                f"the fake CPH answers at {self.base_url}, not at {url.scheme}://{url.netloc.decode()}: give "
                "FakeCph(base_url=...) the endpoint your code calls",
                request=request,
            )
        sent = tuple((name.lower(), value) for name, value in request.headers.multi_items())
        headers: dict[str, str] = {}
        for name, value in sent:
            headers.setdefault(name, value)
        raw_path = url.raw_path.decode("ascii").partition("?")[0]
        return Received(request.method, raw_path, url.query.decode("ascii"), headers, body, sent)

    @staticmethod
    def _read_timeout(request: httpx.Request) -> float | None:
        timeout: Mapping[str, float | None] = request.extensions.get("timeout", {})
        return timeout.get("read")

    def _response(self, request: httpx.Request, answer: Answer) -> httpx.Response:
        headers = {**answer.headers, "Content-Type": answer.content_type}
        return httpx.Response(answer.status, headers=headers, content=answer.body, request=request)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer, delay = self.answer(self._received(request, request.read()))
        limit = self._read_timeout(request)
        if limit is not None and delay > limit:
            time.sleep(limit)
            raise httpx.ReadTimeout(f"the fake CPH was slow ({delay} s) past the read timeout", request=request)
        if delay:
            time.sleep(delay)
        return self._response(request, answer)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        answer, delay = self.answer(self._received(request, await request.aread()))
        limit = self._read_timeout(request)
        if limit is not None and delay > limit:
            await asyncio.sleep(limit)
            raise httpx.ReadTimeout(f"the fake CPH was slow ({delay} s) past the read timeout", request=request)
        if delay:
            await asyncio.sleep(delay)
        return self._response(request, answer)
