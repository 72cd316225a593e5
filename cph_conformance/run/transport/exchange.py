"""One request of the run and its answer, whichever part of the run sent it, and the one curl line that sends it again.

An Outgoing is a request as the run means it: its path and query as they go on the wire, and how it is
authenticated (credential.VALID, MISSING, ... : the sender puts the credential on it, never the caller). An Exchange
is what came back, as the sender read it (within the run's bounds, every secret masked): its URL is the one the
endpoint under test saw, and the credential is never in it: the curl line sends "$CPH_AUTH_TOKEN" in its place.
"""

from __future__ import annotations

import functools
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from cph_conformance import spec
from cph_conformance.run.transport.credential import EMPTY, MISPLACED, NEAR_MISSES, VALID, WRONG, WRONG_TOKEN
from cph_conformance.run.transport.lost import Lost

TOKEN_VARIABLE = "$CPH_AUTH_TOKEN"  # noqa: S105  (a shell variable's name)
# The phase of a request that is a tool's own business, not the run's: schemathesis' probes of what a server supports
# (a NULL byte in a header). A server that drops their connection has said what was asked: no blip, no evidence.
TOOL = "tool"


@dataclass(frozen=True)
class Outgoing:
    """A request of the run, before the sender puts the credential on it."""

    method: str
    raw_path: bytes  # path and query, percent-encoded, as they go on the wire
    auth: str = VALID  # how it is authenticated: credential.VALID, MISSING, EMPTY, WRONG, a near miss's or a
    # misplacement's name
    phase: str = ""  # what sent it: preflight, examples, coverage, fuzzing, walk, probe, replay
    headers: tuple[tuple[str, str], ...] = ()  # other headers (schemathesis' own cases carry some)
    body: bytes = b""
    case_id: str = ""  # schemathesis' case, for its requests


def utf8_bytes(text: str) -> int:
    """Bytes a string from an answer takes in UTF-8, as the page counts its limits. A lone surrogate, which a JSON
    escape can make and UTF-8 cannot carry, counts as the 3 bytes of its code point (client_reads judges it)."""
    return len(text.encode("utf-8", "surrogatepass"))


def identity(image: dict[str, Any]) -> str | None:
    """An image's identity: its image_id, when that is a string (the spec allows an empty one: two images that
    both have "" are one image listed twice). An image without one relates to no other (which page, listing or type
    holds it); what is wrong with it is its answer's schema's to say."""
    found = image.get("image_id")
    return found if isinstance(found, str) else None


@dataclass(frozen=True)
class Exchange:
    method: str
    url: str  # scheme://host[:port]/path?query, percent-encoded, as the endpoint under test sees it
    auth: str  # how the request was authenticated: credential.VALID, MISSING, WRONG or a near miss's name
    status: int | None  # None: no answer at all (text says why, lost its class)
    headers: Mapping[str, str] = field(default_factory=dict)  # the answer's, names lower-cased
    body: Any = None  # the answer's JSON value, or None
    text: str = ""  # the start of the body as text (bounds.TEXT_KEPT characters); without an answer, why
    phase: str = ""  # what sent it: preflight, examples, coverage, fuzzing, walk, probe, replay
    elapsed: float | None = None  # seconds the endpoint took to answer (its last try)
    unreadable: str = ""  # why the body is no value to judge: too large, undecodable, not JSON, too deep ("": it is)
    echoed: int = 0  # secrets masked out of this answer
    request: Outgoing | None = field(default=None, repr=False, compare=False)  # as it was sent: to send it again
    lost: Lost | None = None  # without an answer, why, by class (text says it in words); None for an answer

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.url).query, keep_blank_values=True)

    def param(self, name: str) -> str | None:
        """A query parameter's first value, as the service read it (percent-decoded), or None."""
        values = self.query.get(name)
        return values[0] if values else None

    @property
    def raw_path(self) -> bytes:
        """The request's path and query as they were sent (percent-encoding kept)."""
        parts = urlsplit(self.url)
        return (parts.path + (f"?{parts.query}" if parts.query else "")).encode("latin-1", "replace")

    @property
    def project_id(self) -> str | None:
        parts = urlsplit(self.url).path.split("/")
        return unquote(parts[2]) if len(parts) > 2 else None

    @property
    def case_id(self) -> str:
        return self.request.case_id if self.request is not None else ""

    @property
    def error(self) -> str | None:
        """Why there is no answer; None for an answer."""
        return (self.text or "no answer was recorded") if self.status is None else None

    @property
    def answered(self) -> bool:
        return self.status is not None

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
    def unlisted(self) -> bool:
        """A 200 JSON object with no phone_images (or null): a page that lists nothing, not even an empty list."""
        return self.images == [] and self.body.get("phone_images") is None  # images: [] only of a dict

    @functools.cached_property  # every relation between listings reads them, page after page
    def image_ids(self) -> list[str]:
        """The identities of the page's images, in order: those without one left out (image_id)."""
        return [found for found in map(identity, self.images or ()) if found is not None]

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

    # --- as the evidence of a check of one answer (cph_conformance.run.checks.registry.ANSWER) ----------------

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return (self,)

    @property
    def size(self) -> int:
        return 1

    def narrow(self, drift: Any) -> Exchange:
        return self

    def again(self, sender: Any) -> Exchange | None:
        """This request sent again through sender (its again()); None for a throttled answer: throttling comes
        when it will, and the gateway waits it out."""
        return None if self.throttled else sender.again(self)

    def shown(self, width: int = 120) -> str:
        """The body's start on one line, for a message."""
        return " ".join(self.text.split())[:width]


def curl(method: str, url: str, auth: str) -> str:
    """The command that sends the request again from a shell where CPH_AUTH_TOKEN holds the token (the credential
    where the probe put it, for a misplaced one)."""
    header = spec.auth_header()
    value = {VALID: TOKEN_VARIABLE, WRONG: WRONG_TOKEN, EMPTY: ""}.get(auth)
    if auth in NEAR_MISSES:
        value = NEAR_MISSES[auth].shell(TOKEN_VARIABLE)
    parts = ["curl", "-X", method]
    if auth in MISPLACED:
        parts += MISPLACED[auth].curl(header, TOKEN_VARIABLE)
    elif auth == EMPTY:  # curl drops a header written "Name: " with nothing after it; "Name;" sends it empty
        parts += ["-H", shlex.quote(f"{header};")]
    elif value is not None:
        # Double quotes, so that the shell expands the variable; nothing else in it needs quoting.
        parts += ["-H", f'"{header}: {value}"' if "$" in value else shlex.quote(f"{header}: {value}")]
    parts.append(shlex.quote(url))
    return " ".join(parts)
