"""AK/SK authentication: every request signed with SDK-HMAC-SHA256, as Huawei's SDK (huaweicloudsdkcore 3.1.219)
signs it.

    from cph_client import AuthenticatedClient
    from cph_client.auth import AkSkAuth

    client = AuthenticatedClient(base_url=endpoint, auth=AkSkAuth(ak, sk, project_id=project_id))

Hand-written (client_extras/auth.py in cph-conformance), shipped in the wheel by `make generate`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Generator, Mapping, Sequence
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote

import httpx

__all__ = ["AkSkAuth"]

ALGORITHM = "SDK-HMAC-SHA256"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
EMPTY_HASH = hashlib.sha256(b"").hexdigest()
# Headers the HTTP stack adds or may rewrite on the way: Huawei's SDK signs only the headers it sets itself
# (Host, X-Sdk-Date, X-Project-Id, X-Security-Token, Content-Type, User-Agent and any the caller adds), and its
# HTTP library adds these after signing. A name with "_" is never signed either, as in the SDK.
UNSIGNED = frozenset(
    {
        "authorization",
        "accept",
        "accept-encoding",
        "connection",
        "content-length",
        "keep-alive",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _encode(text: str) -> str:
    """Percent-encoding as the SDK's signer does it: everything but letters, digits and -._~ (a space is %20)."""
    return quote(text, safe="~")


class AkSkAuth(httpx.Auth):
    """Signs every request with an access key (AK) and secret key (SK), as Huawei's SDK does.

    project_id, when given, is sent as X-Project-Id; security_token (temporary credentials) as
    X-Security-Token. Both are signed. `now` gives the signing time (a timezone-aware datetime; UTC by default).
    The secret key and the security token appear in no repr, log line or error message.
    """

    __slots__ = ("_now", "_security_token", "_sk", "ak", "project_id")
    requires_request_body = True  # the body's hash is signed

    def __init__(
        self,
        ak: str,
        sk: str,
        project_id: str | None = None,
        security_token: str | None = None,
        *,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        if not ak or not sk:
            raise ValueError("AkSkAuth needs both an access key (ak) and a secret key (sk)")
        self.ak = ak
        self._sk = sk
        self.project_id = project_id
        self._security_token = security_token
        self._now = now

    def __repr__(self) -> str:
        temporary = ", security_token=<hidden>" if self._security_token else ""
        return f"AkSkAuth(ak={self.ak!r}, sk=<hidden>, project_id={self.project_id!r}{temporary})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.sign(request)
        yield request

    def sign(self, request: httpx.Request) -> None:
        """Sign request in place: set X-Sdk-Date (and X-Project-Id, X-Security-Token), put the query in its
        canonical form, and set Authorization. A request signed before is signed afresh."""
        headers = request.headers
        headers.pop("Authorization", None)
        headers["X-Sdk-Date"] = self._now().astimezone(UTC).strftime(DATE_FORMAT)
        if self.project_id:
            headers["X-Project-Id"] = self.project_id
        if self._security_token:
            headers["X-Security-Token"] = self._security_token
        content_type = headers.get("Content-Type")
        if content_type and not content_type.startswith(("application/json", "application/bson")):
            headers["X-Sdk-Content-Sha256"] = "UNSIGNED-PAYLOAD"

        # The query is sent exactly as it is signed: sorted, each key and value encoded as the SDK encodes it.
        query = canonical_query(request.url.query.decode("ascii"))
        request.url = request.url.copy_with(query=query.encode("ascii") or None)

        signed = sorted({name for name in headers if "_" not in name and name not in UNSIGNED})
        text = string_to_sign(request.method, request.url.path, query, headers, signed, request.read())
        headers["Authorization"] = (
            f"{ALGORITHM} Access={self.ak}, SignedHeaders={';'.join(signed)}, Signature={signature(self._sk, text)}"
        )


def string_to_sign(
    method: str, path: str, query: str, headers: Mapping[str, str], signed: Sequence[str], body: bytes
) -> str:
    """What SDK-HMAC-SHA256 signs: the canonical request (method, path, canonical query, the signed headers by their
    lower-case names, the body's hash) hashed, after the algorithm and X-Sdk-Date. path is decoded; headers are read
    by lower-case name. cph_client.testing checks signatures with it, as Huawei's API Gateway does."""
    canonical_headers = "".join(f"{name}:{headers[name].strip()}\n" for name in signed)
    payload_hash = EMPTY_HASH if not body else headers.get("x-sdk-content-sha256") or hashlib.sha256(body).hexdigest()
    canonical_request = "\n".join(
        [method.upper(), canonical_uri(path), query, canonical_headers, ";".join(signed), payload_hash]
    )
    return "\n".join([ALGORITHM, headers["x-sdk-date"], hashlib.sha256(canonical_request.encode()).hexdigest()])


def signature(sk: str, text: str) -> str:
    """The signature of a string to sign, with the secret key."""
    return hmac.new(sk.encode(), text.encode(), hashlib.sha256).hexdigest()


def canonical_uri(path: str) -> str:
    """The decoded path, each segment encoded, ending in / (the SDK appends one when it is missing)."""
    uri = "/".join(_encode(segment) for segment in path.split("/"))
    return uri if uri.endswith("/") else uri + "/"


def canonical_query(query: str) -> str:
    """key=value pairs sorted by key then value (before encoding, as the SDK sorts), each encoded, joined by &."""
    pairs = sorted(parse_qsl(query, keep_blank_values=True))
    return "&".join(f"{_encode(key)}={_encode(value)}" for key, value in pairs)
