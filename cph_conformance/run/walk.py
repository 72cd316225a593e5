"""The walk: checks that need more than one request, run once per conformance run, read-only and bounded.

- pagination, per image type: walking with a small limit ends, repeats no next_marker and no image, a page
  shorter than limit is the last one, and the pages hold exactly the images that paging with the largest limit
  holds;
- all_is_the_union: `all` lists exactly the union of the other types, in the order of ImageType's x-selects;
- image_type_partition: no image is listed under two types (per page, page_checks hold for every walk answer);
- request_ids: no two answers share a request_id (and each answer's header matches its body);
- authorization: another well-formed project id is refused (401 or 403, Huawei's error body), never 200; a
  missing or wrong token gets exactly what the spec documents (401) with Huawei's JSON error body.

Every request goes through `fetch`, so the checks run the same against a live endpoint (through the gateway)
and against pages held in memory in the tests.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import jsonschema

from cph_conformance import spec
from cph_conformance.run import checks
from cph_conformance.run.gateway import ERROR_HEADER, PLACEHOLDER
from cph_conformance.run.report import TOKEN_VARIABLE
from cph_conformance.run.verdict import ERROR, FAILURE, Finding, page_drift

VALID, MISSING, WRONG = "valid", "missing", "wrong"
CHECKS = ("pagination", "all_is_the_union", "image_type_partition", "request_ids", "authorization")
WRONG_TOKEN = "cph-conformance-wrong-token"  # noqa: S105  (a token no service accepts)
MAX_REQUESTS = 150
SMALL_PAGES = 8  # the small-limit walk aims at about this many pages per type
THROTTLED_RETRIES = 3


@dataclass(frozen=True)
class Answer:
    url: str  # as the endpoint under test sees it
    auth: str  # VALID, MISSING or WRONG
    status: int
    headers: Mapping[str, str]  # lower-cased names
    body: Any  # the JSON value, or None
    text: str = ""

    @classmethod
    def of(cls, response: httpx.Response, endpoint_url: str, auth: str) -> Answer:
        """An httpx response as an answer of the endpoint at endpoint_url (scheme://host[:port])."""
        try:
            body = response.json()
        except ValueError:
            body = None
        return cls(
            endpoint_url + response.request.url.raw_path.decode("ascii"),
            auth,
            response.status_code,
            {k.lower(): v for k, v in response.headers.items()},
            body,
            response.text,
        )

    @property
    def curl(self) -> str:
        auth = {
            VALID: f' -H "{spec.auth_header()}: {TOKEN_VARIABLE}"',
            WRONG: f" -H '{spec.auth_header()}: {WRONG_TOKEN}'",
        }
        return f"curl -X GET{auth.get(self.auth, '')} '{self.url}'"

    @property
    def images(self) -> list[dict[str, Any]] | None:
        return checks.images_of(self.status, self.body)

    @property
    def next_marker(self) -> str | None:
        info = self.body.get("page_info") if isinstance(self.body, dict) else None
        marker = info.get("next_marker") if isinstance(info, dict) else None
        return marker if isinstance(marker, str) and marker else None


Fetch = Callable[[dict[str, Any], str | None, str], Answer]  # (query, project_id or None for the run's, auth)


class BudgetExhausted(Exception):
    pass


class NoAnswer(Exception):
    """The gateway got no answer from the endpoint (refused, timed out): the walk cannot judge, so it stops."""

    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.headers.get(ERROR_HEADER.lower(), "no answer"))
        self.answer = answer


def auth_headers(auth: str, credential: str) -> dict[str, str]:
    """The credential header of a request made with auth (VALID: credential; WRONG: WRONG_TOKEN; MISSING: none)."""
    return {VALID: {spec.auth_header(): credential}, WRONG: {spec.auth_header(): WRONG_TOKEN}}.get(auth, {})


def http_fetch(
    gateway_url: str, endpoint_url: str, project_id: str, per_second: float, max_requests: int = MAX_REQUESTS
) -> Fetch:
    """A fetch through the gateway, rate-limited, at most max_requests; it never follows a redirect."""
    client = httpx.Client(base_url=gateway_url, timeout=30.0, follow_redirects=False, trust_env=False)
    state = {"sent": 0, "last": 0.0}
    interval = 1.0 / per_second if per_second > 0 else 0.0

    def fetch(query: dict[str, Any], project: str | None = None, auth: str = VALID) -> Answer:
        if state["sent"] >= max_requests:
            raise BudgetExhausted(f"the walk's budget of {max_requests} requests is spent")
        wait = state["last"] + interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        state["sent"] += 1
        state["last"] = time.monotonic()
        headers = auth_headers(auth, PLACEHOLDER)
        path = spec.OPERATION_PATH.format(project_id=project or project_id)
        response = client.get(path, params=query, headers=headers)
        for _ in range(THROTTLED_RETRIES):  # throttling (a documented 429) is not drift: wait and ask again
            if response.status_code != 429 or state["sent"] >= max_requests:
                break
            after = response.headers.get("Retry-After", "1")
            time.sleep(min(float(after), 10.0) if after.isdigit() else 1.0)
            state["sent"] += 1
            response = client.get(path, params=query, headers=headers)
        return Answer.of(response, endpoint_url, auth)

    return fetch


@dataclass
class Walk:
    fetch: Fetch
    project_id: str
    findings: list[Finding] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    listings: dict[str, list[Answer]] = field(default_factory=dict)  # image_type -> its pages at the largest limit

    def get(self, query: dict[str, Any], project: str | None = None, auth: str = VALID) -> Answer:
        answer = self.fetch(query, project, auth)
        if ERROR_HEADER.lower() in answer.headers:
            raise NoAnswer(answer)
        self.answers.append(answer)
        return answer

    def fail(self, check: str, rule: str, source: str, message: str, answers: Iterable[Answer]) -> None:
        curls = tuple(dict.fromkeys(a.curl for a in answers))[:4]
        self.findings.append(Finding(check, FAILURE, rule, source, message, curls))

    # --- pagination -------------------------------------------------------------------------------------------

    def pages(self, image_type: str, limit: int, max_pages: int) -> tuple[list[Answer], list[dict[str, Any]]] | None:
        """Every page of a type at limit, first to last; None (with a finding) when paging breaks."""
        rule = "paging with marker ends, and each image comes once"
        source = spec.source_of(spec.parameter("marker"))
        answers: list[Answer] = []
        images: list[dict[str, Any]] = []
        seen_markers: dict[str, int] = {}
        seen_ids: dict[str, int] = {}
        marker: str | None = None
        for n in range(1, max_pages + 1):
            query: dict[str, Any] = {"image_type": image_type, "limit": limit}
            if marker is not None:
                query["marker"] = marker
            answer = self.get(query)
            answers.append(answer)
            page = answer.images
            if page is None:
                self.fail(
                    "pagination",
                    "a valid page request is answered with a page",
                    source,
                    f"image_type={image_type} limit={limit}, page {n}: expected 200 with phone_images; "
                    f"got {answer.status} {answer.text[:160]!r}",
                    answers[-2:],
                )
                return None
            repeated = [i for i in page if str(i.get("image_id")) in seen_ids]
            if repeated:
                first = seen_ids[str(repeated[0].get("image_id"))]
                self.fail(
                    "pagination",
                    rule,
                    source,
                    f"image_type={image_type} limit={limit}: page {n} repeats {len(repeated)} image(s) of page "
                    f"{first}: {', '.join(str(i.get('image_id')) for i in repeated[:3])}",
                    [answers[first - 1], answer],
                )
                return None
            for image in page:
                seen_ids[str(image.get("image_id"))] = n
            images += page
            marker = answer.next_marker
            if marker is None:
                return answers, images
            if len(page) < limit:
                self.fail(
                    "pagination",
                    "a page shorter than limit is the last one",
                    source,
                    f"image_type={image_type} limit={limit}: page {n} holds {len(page)} image(s), fewer than "
                    f"limit, yet carries next_marker {marker!r}",
                    [answer],
                )
                return None
            if marker in seen_markers:
                self.fail(
                    "pagination",
                    rule,
                    source,
                    f"image_type={image_type} limit={limit}: page {n} gives next_marker {marker!r}, which page "
                    f"{seen_markers[marker]} gave already: paging would never end",
                    [answers[seen_markers[marker] - 1], answer],
                )
                return None
            seen_markers[marker] = n
        self.fail(
            "pagination",
            rule,
            source,
            f"image_type={image_type} limit={limit}: paging did not end after {max_pages} pages, more than "
            f"the images listed with the largest limit need (is marker ignored?)",
            answers[:2] + answers[-1:],
        )
        return None

    def paginate(self, image_type: str) -> list[dict[str, Any]] | None:
        """The images of a type by the largest limit, checked against a walk with a small limit."""
        smallest, largest = spec.limit_bounds()
        reference = self.pages(image_type, largest, max_pages=20)
        if reference is None:
            return None
        answers, images = reference
        self.listings[image_type] = answers
        small = max(smallest, min(largest, math.ceil(len(images) / SMALL_PAGES)))
        if small >= largest or not images:
            return images
        walked = self.pages(image_type, small, max_pages=math.ceil(len(images) / small) + 2)
        if walked is None:
            return images
        small_answers, small_images = walked
        want = [str(i.get("image_id")) for i in images]
        got = [str(i.get("image_id")) for i in small_images]
        if set(want) != set(got):
            missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
            self.fail(
                "pagination",
                "the pages hold the same images at any limit",
                spec.source_of(spec.parameter("limit")),
                f"image_type={image_type}: pages of {small} hold {len(got)} image(s), pages of {largest} hold "
                f"{len(want)}; missing at limit={small}: {', '.join(missing[:5]) or 'none'}; "
                f"extra: {', '.join(extra[:5]) or 'none'}",
                answers[:1] + small_answers,
            )
        return images

    def default_limit(self, image_type: str, images: list[dict[str, Any]]) -> None:
        """Without limit, a page holds the spec's default number of images, or all of them when fewer."""
        default = int(spec.parameter_default("limit"))
        answer = self.get({"image_type": image_type})
        page = answer.images
        if page is not None and len(page) != min(default, len(images)):
            self.fail(
                "pagination",
                f"without limit, a page holds {default} images (the default)",
                spec.source_of(spec.parameter("limit")),
                f"image_type={image_type} without limit: expected {min(default, len(images))} image(s) "
                f"({len(images)} in all); the page holds {len(page)}",
                [answer],
            )

    # --- across types ----------------------------------------------------------------------------------------

    def types(self, listed: dict[str, list[dict[str, Any]]]) -> None:
        selects = spec.image_type_selects()
        source = spec.source_of(spec.parameter("limit"))  # the SDK gives the order of pages for all
        owner: dict[str, str] = {}
        for image_type, images in listed.items():
            if "union" in selects.get(image_type, {}):
                continue
            for image in images:
                other = owner.setdefault(str(image.get("image_id")), image_type)
                if other != image_type:
                    self.fail(
                        "image_type_partition",
                        "each image is of one type",
                        spec.DEFAULT_SOURCE,
                        f"image {image.get('image_id')} is listed as {other} and as {image_type}",
                        self._first_pages(other, image_type),
                    )
                    break
        for image_type, rule in selects.items():
            parts = rule.get("union")
            if not parts or image_type not in listed or not all(p in listed for p in parts):
                continue
            expected = [str(i.get("image_id")) for p in parts for i in listed[p]]
            got = [str(i.get("image_id")) for i in listed[image_type]]
            if set(expected) != set(got):
                missing, extra = sorted(set(expected) - set(got)), sorted(set(got) - set(expected))
                self.fail(
                    "all_is_the_union",
                    f"{image_type} lists exactly {' + '.join(parts)}",
                    spec.DEFAULT_SOURCE,
                    f"image_type={image_type}: expected the {len(set(expected))} images of "
                    f"{', '.join(parts)}; got {len(set(got))}; missing: {', '.join(missing[:5]) or 'none'}; "
                    f"extra: {', '.join(extra[:5]) or 'none'}",
                    self._first_pages(image_type, *parts),
                )
                continue
            kind = {str(i.get("image_id")): p for p in parts for i in listed[p]}
            order = [parts.index(kind[i]) for i in got]
            if order != sorted(order):
                at = next(n for n in range(1, len(order)) if order[n] < order[n - 1])
                self.fail(
                    "all_is_the_union",
                    f"pages of {image_type} come in the order {', '.join(parts)}",
                    source,
                    f"image_type={image_type}: image {got[at]} ({kind[got[at]]}) comes after "
                    f"{got[at - 1]} ({kind[got[at - 1]]})",
                    self._first_pages(image_type),
                )

    def _first_pages(self, *image_types: str) -> list[Answer]:
        return [self.listings[t][0] for t in image_types if self.listings.get(t)]

    # --- per answer and request ids --------------------------------------------------------------------------

    def every_answer(self) -> None:
        """The per-answer checks on every answer of the walk, and request ids unique across them."""
        for answer in self.answers:
            params = httpx.URL(answer.url).params
            query = {k: params.get(k) for k in params}
            for check in checks.PAGE_CHECKS:
                try:
                    check(query, answer.status, answer.headers, answer.body)
                except checks.Drift as drift:
                    self.findings.append(page_drift(check.__name__, str(drift), (answer.curl,)))
        owners: dict[str, Answer] = {}
        for answer in self.answers:
            rid = answer.body.get("request_id") if isinstance(answer.body, dict) else None
            if not isinstance(rid, str):
                continue
            if rid in owners:
                self.fail(
                    "request_ids",
                    "request_id is unique",
                    spec.DEFAULT_SOURCE,
                    f"two answers carry request_id {rid!r}",
                    [owners[rid], answer],
                )
                return
            owners[rid] = answer

    # --- authorization ---------------------------------------------------------------------------------------

    def authorization(self) -> None:
        error_schema = spec.resolve(spec.response_schema(401) or {}, spec.sourced())
        other = other_project_id(self.project_id)
        answer = self.get({"limit": spec.limit_bounds()[0]}, project=other)
        if answer.status not in (401, 403) or not _is_error_body(answer, error_schema):
            self.fail(
                "authorization",
                "another project's images are refused (401 or 403, Huawei's error body)",
                spec.source_of(spec.operation()["responses"]["403"]),
                f"the run's credential on project {other}: expected 401 or 403 with Huawei's JSON error body; "
                f"got {answer.status} {answer.headers.get('content-type', '')} {answer.text[:120]!r}"
                + (" — an authorization bypass" if answer.status == 200 else ""),
                [answer],
            )
        for auth in (MISSING, WRONG):
            answer = self.get({"limit": spec.limit_bounds()[0]}, auth=auth)
            if answer.status != 401 or not _is_error_body(answer, error_schema):
                self.fail(
                    "authorization",
                    f"a {auth} token gets 401 with Huawei's JSON error body",
                    spec.source_of(spec.operation()["responses"]["401"]),
                    f"{auth} {spec.auth_header()}: expected 401, application/json, Huawei's error body; got "
                    f"{answer.status} {answer.headers.get('content-type', '')} {answer.text[:120]!r}",
                    [answer],
                )


def _is_error_body(answer: Answer, schema: dict[str, Any]) -> bool:
    if not answer.headers.get("content-type", "").startswith("application/json") or answer.body is None:
        return False
    return jsonschema.Draft4Validator(schema).is_valid(answer.body)


def other_project_id(project_id: str) -> str:
    """A well-formed project id that is not the run's: each hex digit turned by 8 (32 hex digits stay 32)."""
    digits = "0123456789abcdef"
    if len(project_id) == 32 and all(c in digits for c in project_id):
        return "".join(digits[(digits.index(c) + 8) % 16] for c in project_id)
    return "0" * 32 if project_id != "0" * 32 else "f" * 32


def run(fetch: Fetch, project_id: str) -> Walk:
    """Every walk check once; a spent budget or an unreachable endpoint ends the walk with an error."""
    walk = Walk(fetch, project_id)
    try:
        listed: dict[str, list[dict[str, Any]]] = {}
        for image_type in spec.enum("ImageType"):
            images = walk.paginate(image_type)
            if images is not None:
                listed[image_type] = images
        if "all" in listed:
            walk.default_limit("all", listed["all"])
        walk.types(listed)
        walk.authorization()
    except BudgetExhausted as exc:
        walk.findings.append(Finding("walk", ERROR, "the walk completes", "the run itself", str(exc)))
    except NoAnswer as exc:  # the endpoint went away: what is left cannot be judged, and nothing is drift
        walk.findings.append(
            Finding("walk", ERROR, "every request gets an answer", "the run itself", str(exc), (exc.answer.curl,))
        )
    except httpx.HTTPError as exc:
        walk.findings.append(Finding("walk", ERROR, "the walk completes", "the run itself", type(exc).__name__))
    walk.every_answer()
    return walk
