"""The one engine behind the fake CPH (cph_client.testing.FakeCph) and cph-conformance's mock: for a request that got
past routing, authentication and parameter checks, the answer: another project refused, the catalog's images of the
type asked for, cut into pages at the marker, and Huawei's error bodies with a fresh request_id.

The mock's named faults change its behaviour through Hooks (every one optional); the fake's faults are its own
(FakeCph.throttle and the others).

Hand-written (client_extras/testing/ in cph-conformance), shipped in the wheel by `make generate`.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from ..models import ErrorBody, ListCloudPhoneImagesResponse, PageInfo
from .catalog import Catalog, Image
from .contract import Contract

__all__ = ["Answer", "Call", "Credentials", "Engine", "Hooks", "the_token"]

Body = dict[str, Any]


def _only_key(wire: dict[str, Any]) -> str:
    (key,) = wire
    return key


# Wire names of a page's fields, from the generated models (a model with one field set): a field the spec renames
# is a type error here, not an answer that drifts from the client.
REQUEST_ID = _only_key(ListCloudPhoneImagesResponse(request_id="").to_dict())
IMAGES = _only_key(ListCloudPhoneImagesResponse(phone_images=[]).to_dict())
PAGE_INFO = _only_key(ListCloudPhoneImagesResponse(page_info=PageInfo()).to_dict())
NEXT_MARKER = _only_key(PageInfo(next_marker="").to_dict())


@dataclass(frozen=True)
class Call:
    """One request for a listing, as the engine sees it (its parameters checked already)."""

    project_id: str
    image_type: str | None
    marker: str | None
    limit: int  # the page size asked for, or the default when none was
    token: str = field(default="", repr=False)  # the X-Auth-Token received ("" without one)
    limit_given: bool = True  # False: the request named no page size


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


Pager = Callable[[Sequence[Image], Call], tuple[Sequence[Image], str | None]]


class Hooks(Protocol):
    """Where a variant changes the engine's behaviour (cph-conformance's mock faults); None leaves it alone."""

    @property
    def any_project(self) -> Callable[[Call], bool] | None: ...  # another project answered with this one's images
    @property
    def fail_with(self) -> Callable[[Call], int | None] | None: ...  # a status to answer instead of a page
    @property
    def select(self) -> Callable[[str | None], str | None] | None: ...  # the image_type whose images are listed
    @property
    def pager(self) -> Pager | None: ...  # how a selection is cut into pages
    @property
    def page(self) -> Callable[[Body, Call], Body] | None: ...  # changes a 200 body
    @property
    def answer(self) -> Callable[[Body, Call], Answer | None] | None: ...  # replaces the 200 answer as a whole
    @property
    def error(self) -> Callable[[int, Body, str], Answer | None] | None: ...  # replaces an error answer


def new_request_id() -> str:
    return secrets.token_hex(16)


def _page(request_id: str, images: list[Image], next_marker: str | None) -> Body:
    return {REQUEST_ID: request_id, IMAGES: images, PAGE_INFO: {NEXT_MARKER: next_marker} if next_marker else {}}


def _page_of_encoded(request_id: str, images: Sequence[bytes], next_marker: str | None) -> bytes:
    """orjson.dumps(_page(...)) of images encoded already: the same bytes, without encoding each image again (most of
    a large page's cost). The request id is hex: the first "[]" of the empty page is its list of images."""
    head, _, tail = orjson.dumps(_page(request_id, [], next_marker)).partition(b"[]")
    return b"".join([head, b"[", b",".join(images), b"]", tail])


def the_token(sent: Sequence[str]) -> str | None:
    """The token a request carries: the value of its one X-Auth-Token header. None when it carries none, or the header
    more than once: the credential goes once, where the page puts it (which of two a service would read, no page
    says). A token anywhere else (another header, the query string, a cookie) is no token."""
    return sent[0] if len(sent) == 1 else None


@dataclass(frozen=True)
class Credentials:
    """What the fake CPH accepts: one project, its token, and an access key pair whose signed requests pass as the
    token does. In no repr but the project's and the access key's."""

    project_id: str
    token: str = field(repr=False)
    ak: str = ""
    sk: str = field(default="", repr=False)

    @classmethod
    def new(cls) -> Credentials:
        """A fresh project id, token, access key (20 upper-case letters and digits, as Huawei's) and secret key."""
        return cls(
            secrets.token_hex(16), secrets.token_urlsafe(32), secrets.token_hex(10).upper(), secrets.token_urlsafe(30)
        )

    def accepts_token(self, received: str) -> bool:
        return hmac.compare_digest(received.encode("utf-8", "surrogateescape"), self.token.encode())


class Engine:
    """Answers for one project's catalog, from the spec's facts; hooks change it (the mock's faults)."""

    def __init__(
        self, catalog: Catalog, project_id: str, contract: Contract | None = None, hooks: Hooks | None = None
    ) -> None:
        self.catalog = catalog
        self.project_id = project_id
        self.contract = contract or catalog.contract
        self.hooks = hooks
        # The spec allows two answers for another project: the one that is not a wrong credential's too (403).
        (self.other_project,) = set(self.contract.statuses_when("other-project")) - set(
            self.contract.statuses_when("wrong-credential")
        )
        self.known_types = set(self.contract.parameters[self.contract.selector]["schema"]["enum"])

    def listing(self, call: Call) -> Answer:
        """A page of the images call asks for, or the error that stands instead."""
        hooks = self.hooks
        if call.project_id != self.project_id and not (hooks and hooks.any_project and hooks.any_project(call)):
            return self.error(self.other_project, token=call.token)
        failure = hooks.fail_with(call) if hooks and hooks.fail_with else None
        if failure is not None:
            return self.error(failure, token=call.token)
        # Only a variant that loosens image_type lets an unknown type through: it lists everything (as None does).
        selection_type = hooks.select(call.image_type) if hooks and hooks.select else call.image_type
        if selection_type not in self.known_types:
            selection_type = None
        if not (hooks and (hooks.pager or hooks.page or hooks.answer)):
            start, end, next_marker = self.catalog.span(selection_type, call.marker, call.limit)
            rid = new_request_id()
            body = _page_of_encoded(rid, self.catalog.encoded(selection_type)[start:end], next_marker)
            return Answer(200, body, self.contract.media_type, {self.contract.request_id_header: rid})
        if hooks.pager:
            page, next_marker = hooks.pager(self.catalog.select(selection_type), call)
        else:
            page, next_marker = self.catalog.page(selection_type, call.marker, call.limit)
        rid = new_request_id()
        answer = _page(rid, list(page), next_marker)
        if hooks.page:
            answer = hooks.page(answer, call)
        if hooks.answer:
            replaced = hooks.answer(answer, call)
            if replaced is not None:
                return replaced
        return Answer(200, orjson.dumps(answer), self.contract.media_type, {self.contract.request_id_header: rid})

    def error(
        self, status: int, detail: str | None = None, headers: dict[str, str] | None = None, token: str = ""
    ) -> Answer:
        """Huawei's error body for a status, the spec's example for it with a fresh request_id (a status the spec
        has no body for is answered as the service's failure). detail, for a 400, says which parameter."""
        status = self.contract.error_status(status)
        example = ErrorBody.from_dict(self.contract.error_example(status))
        example.request_id = rid = new_request_id()
        if detail and status in self.contract.statuses_when("invalid-parameter"):
            example.error_msg = f"{example.error_msg} {detail.splitlines()[0]}"  # one line, as Huawei's messages
        body = example.to_dict()
        if self.hooks and self.hooks.error:
            answer = self.hooks.error(status, body, token)
            if answer is not None:
                return answer
        return Answer(
            status,
            orjson.dumps(body),
            self.contract.media_type,
            {**(headers or {}), self.contract.request_id_header: rid},
        )
