"""Checks of one answer at a time, run on every answer the run receives, whichever phase sent it (the preflight,
schemathesis' cases, every page of the walk, the probes).

The schema is judged in its sourced view (spec.sourced(): the spec less every x-assumed keyword): what breaks it is
a failure citing the statements of the innermost schema node that has some; what breaks only the whole spec is a
warning naming the assumption. The other checks read what the page and the SDK say beyond the schema: each value
comes from the spec. Answers that judge nothing (no answer, throttled) are never given to these checks.

The pinned client is an oracle too (client_reads): every answer is read by the models the wheel was generated from, as
the client reads it (its JSON parser, then the status' model). An answer it cannot read that also breaks the sourced
view is drift, citing the node; one Huawei's sources allow is this project's own fault (the client, or the spec's
assumption it was generated from): an error, so that a passed run guarantees the client reads every answer it judged.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, cast

import fastjsonschema
import jsonschema
import orjson

from cph_conformance import spec
from cph_conformance.run.checks.registry import ANSWER, Drift, check
from cph_conformance.run.transport.bounds import NOT_JSON, TOO_LARGE, largest_page
from cph_conformance.run.transport.exchange import Exchange, utf8_bytes

EVERY_ANSWER, PAGES = "every answer", "every page (a 200 with phone_images)"
DRAFT4 = "http://json-schema.org/draft-04/schema#"


def is_page(ex: Exchange) -> bool:
    return ex.images is not None


def _ids(images: list[dict[str, Any]], n: int = 5) -> str:
    return ", ".join(str(i.get("image_id")) for i in images[:n]) + (" ..." if len(images) > n else "")


def _where(path: Any) -> str:
    """A JSON path of a jsonschema error; the item's index kept (the message's), not in the key (see _key)."""
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def _key(validator: str, path: Any) -> str:
    return f"{validator}@" + "$" + "".join("[]" if isinstance(p, int) else f".{p}" for p in path)


ERRORS_READ = 100  # a page of 1,000 broken images breaks its schema 1,000 times the same way: enough to name each way


def _each_way(errors: Iterator[Any]) -> list[Any]:  # jsonschema types its errors Incomplete
    """The first error of each kind (validator and place, list indexes aside) among an answer's first ERRORS_READ:
    an endpoint's huge broken pages are judged in bounded time, one drift per way the answer breaks its schema."""
    first: dict[str, Any] = {}
    for error in itertools.islice(errors, ERRORS_READ):
        first.setdefault(_key(error.validator, error.absolute_path), error)
    return list(first.values())


# --- the answer's status, media type and schema ----------------------------------------------------------------


def without_nulls(value: Any) -> Any:
    """value less every object member that is null: Huawei's SDK reads a null field as an absent one (every field of
    its models defaults to None), so the sourced view judges a null as the field's absence."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


@check(
    "no answer is a 5xx: a valid request gets its page, an invalid one a 4xx",
    ("page.status_200", "docs.status_codes"),
    EVERY_ANSWER,
    ANSWER,
)
def not_a_server_error(ex: Exchange) -> Iterator[Drift]:
    assert ex.status is not None
    if ex.status >= 500:
        yield Drift(str(ex.status), f"{ex.status} for {ex.method} {ex.url}: {ex.shown(160)!r}", (ex,))


@check(
    "only the statuses the spec documents",
    ("page.status_200", "docs.status_codes", "docs.apig_error_codes"),
    EVERY_ANSWER,
    ANSWER,
    throttled_too=True,
)
def status_code_conformance(ex: Exchange) -> Iterator[Drift]:
    assert ex.status is not None
    documented = sorted(spec.documented_statuses())
    if ex.status not in documented:
        yield Drift(str(ex.status), f"{ex.status} is not a status the spec documents ({documented})", (ex,))


def media_type(headers: Any) -> str:
    return str(headers.get("content-type", "")).split(";")[0].strip().lower()


@check(
    "answers come as the spec documents them: JSON (application/json, whatever its charset)",
    ("page.example_response", "docs.abnormal_response"),
    EVERY_ANSWER,
    ANSWER,
    throttled_too=True,
)
def content_type_conformance(ex: Exchange) -> Iterator[Drift]:
    assert ex.status is not None
    response = spec.response_node(ex.status)
    documented = sorted((response or {}).get("content", {}))
    got = media_type(ex.headers)
    if documented and got not in documented:
        yield Drift(got, f"{ex.status} came as {got or 'no Content-Type'!r}; the spec documents {documented}", (ex,))


@functools.cache
def _holds(status: int, sourced: bool = False) -> Callable[[Any], bool] | None:
    """Whether a body holds to the whole spec's schema for a status (or its sourced view's), compiled once
    (fastjsonschema): most answers do, and then hold to the sourced view too, which only drops constraints; the
    validators below say why one does not."""
    if spec.response_schema(status) is None:
        return None
    document = spec.sourced() if sourced else spec.load()
    response = document["paths"][spec.OPERATION_PATH]["get"]["responses"][str(status)]
    full = spec.resolve(response, document)["content"]["application/json"]
    validate = fastjsonschema.compile({"$schema": DRAFT4, **full["schema"]})

    def holds(body: Any) -> bool:
        try:
            validate(body)
        except fastjsonschema.JsonSchemaException:
            return False
        return True

    return holds


@functools.cache
def _validators(status: int) -> tuple[jsonschema.Draft4Validator, jsonschema.Draft4Validator] | None:
    """The validators of a status' JSON schema: its sourced view and the whole spec's; None if it documents none."""
    if spec.response_schema(status) is None:
        return None
    sourced = spec.resolve(
        spec.sourced()["paths"][spec.OPERATION_PATH]["get"]["responses"][str(status)], spec.sourced()
    )
    full = spec.resolve(spec.operation()["responses"][str(status)], spec.load())
    sourced_schema, full_schema = (r["content"]["application/json"]["schema"] for r in (sourced, full))
    return jsonschema.Draft4Validator(sourced_schema), jsonschema.Draft4Validator(full_schema)


def _cited_along(schema: dict[str, Any], path: list[Any]) -> tuple[str, ...]:
    """The statements of the innermost node that cites some, along a jsonschema error's schema path."""
    node: Any = schema
    found = spec.cites(schema)
    for part in path:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        ):
            node = node[part]
        else:
            break
        if isinstance(node, dict) and node.get("x-source"):
            found = spec.cites(node)
    return found


def _answers_cite() -> tuple[str, ...]:
    """Every statement a judged answer's schema may cite: each response's own, and its schema's nodes' (a blip's are
    never judged)."""
    found: dict[str, None] = {}
    for status in sorted(spec.documented_statuses() - spec.statuses_when("transient")):
        found.update(
            dict.fromkeys((*spec.cites(spec.response_node(status)), *spec.cited_in(spec.response_schema(status))))
        )
    return tuple(found)


@check(
    "every answer's body is what the spec documents for its status",
    ("page.response_parameters", "docs.abnormal_response"),
    EVERY_ANSWER,
    ANSWER,
    throttled_too=True,
    also_cites=_answers_cite(),
)
def response_schema_conformance(ex: Exchange) -> Iterator[Drift]:
    assert ex.status is not None
    validators = _validators(ex.status)
    if validators is None:
        return
    sourced, full = validators
    response_cites = spec.cites(spec.response_node(ex.status))
    holds = _holds(ex.status)
    if ex.body is not None and holds is not None and holds(ex.body):
        return
    if ex.body is None:
        if ex.unreadable.startswith(TOO_LARGE):
            return  # within_the_largest_page's
        why = ex.unreadable or NOT_JSON
        said = f"{ex.status}: the body is not what the spec documents ({why}): {ex.shown()!r}"
        yield Drift(why.split(":")[0], said, (ex,), citations=response_cites or None)
        return
    errors = _each_way(sourced.iter_errors(without_nulls(ex.body)))
    for error in errors:
        cites = _cited_along(cast(dict[str, Any], sourced.schema), list(error.absolute_schema_path)) or response_cites
        yield Drift(
            _key(error.validator, error.absolute_path),
            f"{error.validator} at {_where(error.absolute_path)}: {error.message[:200]}",
            (ex,),
            citations=cites or None,
        )
    if errors:
        return
    for error in _each_way(full.iter_errors(ex.body)):
        why = (error.schema.get("x-assumed") or {}).get(error.validator, "a constraint no Huawei source states")
        if error.instance is None:
            why = "a null where the spec says what the field holds: Huawei's SDK reads a null field as an absent one"
        yield Drift(
            _key(error.validator, error.absolute_path),
            f"{error.validator} at {_where(error.absolute_path)}: {error.message[:200]}",
            (ex,),
            assumed=why,
        )


# --- what a page holds, beyond its schema ------------------------------------------------------------------------


def _selection(ex: Exchange) -> tuple[str, dict[str, Any]] | None:
    value = ex.param(spec.selector())
    rule = spec.image_type_selects().get(value) if value is not None else None
    return (value, rule) if value is not None and rule is not None else None


def carried_fields() -> dict[str, str]:
    """Fields that mark an image type of their own, with the type: {receive_status: share}."""
    return {str(r["carries"]): t for t, r in spec.image_type_selects().items() if "carries" in r}


@check(
    "every image of a page is of the type the request selects (ImageType's x-selects)",
    ("page.image_type", "page.is_public", "sdk.receive_status"),
    PAGES,
    ANSWER,
    applies=is_page,
)
def image_type_filter(ex: Exchange) -> Iterator[Drift]:
    images, selection = ex.images, _selection(ex)
    if not images or selection is None:
        return
    value, rule = selection
    cites = spec.cites(rule)
    for field, wanted in rule.items():
        if field in ("carries", "union", "ordered") or field.startswith("x-"):
            continue
        wrong = [i for i in images if i.get(field) is not None and i[field] != wanted]  # absent: nothing to judge
        if wrong:
            yield Drift(
                field,
                f"{spec.selector()}={value}: expected every {field} to be {wanted!r}; "
                f"{len(wrong)} image(s) are not: {_ids(wrong)}",
                (ex,),
                value,
                cites,
            )
    for field, owner in carried_fields().items():
        if owner == value:
            missing = [i for i in images if i.get(field) is None]
            if missing:
                yield Drift(
                    f"carries:{field}",
                    f"{spec.selector()}={value}: expected every image to carry {field}; {len(missing)} do not: "
                    f"{_ids(missing)}",
                    (ex,),
                    value,
                    assumed=spec.assumed_keywords(rule).get("carries", "no statement says so"),
                )
        elif "union" not in rule:
            extra = [i for i in images if i.get(field) is not None]
            if extra:
                yield Drift(
                    f"not:{field}",
                    f"{spec.selector()}={value}: {field} belongs to {owner} images only; {len(extra)} image(s) "
                    f"carry it: {_ids(extra)}",
                    (ex,),
                    value,
                    spec.cites(spec.image_type_selects()[owner]),
                )


def effective_page_size(ex: Exchange) -> int | None:
    """The page size the request asks for, or the spec's default when it names none; None when it asks for none the
    spec allows (a request negative_data_rejection judges), or in digits other than ASCII's (Python's int() reads
    any script's; no source says a service does)."""
    raw = ex.param(spec.page_size())
    if raw is None:
        return int(spec.parameter_default(spec.page_size()))
    smallest, largest = spec.limit_bounds()
    return int(raw) if re.fullmatch(r"[0-9]+", raw) and smallest <= int(raw) <= largest else None


@check("never more images than limit, or its default (500) when absent", ("sdk.limit",), PAGES, ANSWER, applies=is_page)
def page_within_limit(ex: Exchange) -> Iterator[Drift]:
    images, limit = ex.images, effective_page_size(ex)
    if images is not None and limit is not None and len(images) > limit:
        yield Drift(
            "over", f"{spec.page_size()}={limit}: expected at most {limit} images; the page holds {len(images)}", (ex,)
        )


@check(
    "image_id is an image's unique identifier: no page lists one twice",
    ("page.image_id",),
    PAGES,
    ANSWER,
    applies=is_page,
)
def unique_image_ids(ex: Exchange) -> Iterator[Drift]:
    images = ex.images
    if not images:
        return
    counts = Counter(ex.image_ids)
    repeated = sorted(image_id for image_id, n in counts.items() if n > 1)
    if repeated:
        yield Drift("repeated", f"expected each image_id once in a page; repeated: {', '.join(repeated[:5])}", (ex,))


@check("every image_label is one of the page's five", ("page.image_label",), PAGES, ANSWER, applies=is_page)
def known_image_label(ex: Exchange) -> Iterator[Drift]:
    images = ex.images
    if not images:
        return
    known = set(spec.enum("ImageLabel"))
    for label in sorted({str(i["image_label"]) for i in images if i.get("image_label") is not None} - known):
        yield Drift(
            label[:64],
            f"image_label {label[:64]!r} is not in the page's list ({', '.join(sorted(known))}). If Huawei added a "
            "server flavour, add it to ImageLabel in openapi/cph.yaml",
            (ex,),
        )


@check(
    "image_name, os_type, os_name and image_id hold at most the page's limits, counted in UTF-8 bytes",
    ("page.image_name", "page.os_type", "page.os_name", "page.image_id"),
    PAGES,
    ANSWER,
    applies=is_page,
)
def length_in_bytes(ex: Exchange) -> Iterator[Drift]:
    images = ex.images
    if not images:
        return
    properties = spec.schema("PhoneImage")["properties"]
    for name, limit in spec.max_bytes().items():
        over = [i for i in images if isinstance(i.get(name), str) and utf8_bytes(i[name]) > limit]
        if over:
            value = over[0][name]
            yield Drift(
                name,
                f"{name} may hold at most {limit} bytes; image {over[0].get('image_id')} has {utf8_bytes(value)} "
                f"bytes ({len(value)} characters)",
                (ex,),
                citations=spec.cites(properties[name]),
            )


@check(
    "the X-Request-Id header, when present, is the body's request_id",
    (),
    EVERY_ANSWER,
    ANSWER,
    assumed="Huawei's pages call both the request ID, but none says that an API Gateway's header and the service's "
    "body carry the same one",
)
def request_id_header(ex: Exchange) -> Iterator[Drift]:
    header = ex.headers.get(spec.request_id_header().lower())
    said = ex.body.get("request_id") if isinstance(ex.body, dict) else None
    if header is not None and isinstance(said, str) and header != said:
        yield Drift(
            "differs",
            f"expected the {spec.request_id_header()} header to equal the body's request_id; header {header[:64]!r}, "
            f"body {said[:64]!r}",
            (ex,),
        )


def undeclared_fields(value: Any, schema: dict[str, Any], path: str = "$") -> set[str]:
    """JSON paths of object keys the schema does not declare, walking properties, items and anyOf/oneOf/allOf."""
    schema = spec.deref(schema)
    branches = [spec.deref(b) for key in ("anyOf", "oneOf", "allOf") for b in schema.get(key, [])]
    if branches:
        return set.intersection(*(undeclared_fields(value, b, path) for b in branches))
    found: set[str] = set()
    if isinstance(value, dict) and "properties" in schema:
        props = schema["properties"]
        for key, item in value.items():
            if key in props:
                found |= undeclared_fields(item, props[key], f"{path}.{key}")
            else:
                found.add(f"{path}.{key}")
    elif isinstance(value, list) and "items" in schema:
        for item in value:
            found |= undeclared_fields(item, schema["items"], f"{path}[]")
    return found


@check(
    "every field of an answer is one the spec lists",
    ("page.response_parameters", "docs.abnormal_response"),
    EVERY_ANSWER,
    ANSWER,
    strict_only=True,
)
def no_undocumented_fields(ex: Exchange) -> Iterator[Drift]:
    assert ex.status is not None
    schema = spec.response_schema(ex.status)
    if schema is None or ex.body is None:
        return
    extra = undeclared_fields(ex.body, schema)
    if extra:
        listed = ", ".join(sorted(extra)[:10])
        yield Drift(",".join(sorted(extra)[:10]), f"fields the spec does not list: {listed}", (ex,))


@check(
    "no answer is larger than the largest page the spec allows (limit's maximum, each image at its byte limits)",
    ("sdk.limit", "page.image_name", "page.os_type", "page.os_name", "page.image_id"),
    EVERY_ANSWER,
    ANSWER,
    throttled_too=True,
)
def within_the_largest_page(ex: Exchange) -> Iterator[Drift]:
    if ex.unreadable.startswith(TOO_LARGE):
        yield Drift(
            TOO_LARGE,
            f"{ex.status} with a body of {ex.unreadable.partition(': ')[2]} (the largest page the spec allows is "
            f"{largest_page():,} bytes, every byte of every string escaped)",
            (ex,),
        )


@check(
    "a service never sends back the credential it was sent",
    (),
    EVERY_ANSWER,
    ANSWER,
    assumed="no Huawei source says a service never echoes a credential",
    throttled_too=True,
)
def credential_echo(ex: Exchange) -> Iterator[Drift]:
    if ex.echoed:
        yield Drift("echoed", "the answer carried the run's credential; it is masked in every report", (ex,))


# --- the pinned client, as an oracle ------------------------------------------------------------------------------


@functools.cache
def _model(status: int) -> Any:
    """The pinned client's model of a status' body (ListCloudPhoneImagesResponse for 200, ErrorBody for the errors);
    None when the spec documents no JSON body for it."""
    import cph_client.models  # the client the wheel ships, generated from this spec

    name = spec.response_schema_name(status)
    return getattr(cph_client.models, name) if name is not None else None


_NAN = "NaN or Infinity, which JSON has no number for"
_SURROGATE = "a lone surrogate (an unpaired \\ud800-\\udfff escape), which UTF-8, JSON's encoding, cannot carry"
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # a str from JSON holds a pair as one character, never as two


def _not_json(value: Any, strings: bool = False) -> str:
    """What a decoded value holds that JSON (RFC 8259) has no text for, though Python's reader takes it: NaN or an
    infinity; with strings, a lone surrogate in a string or a name too; "" when nothing. Without recursion: a value
    may be deep."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, float) and (node != node or node in (float("inf"), float("-inf"))):
            return _NAN
        if isinstance(node, str):
            if strings and _LONE_SURROGATE.search(node):
                return _SURROGATE
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return ""


def _unreadable(ex: Exchange) -> tuple[str, bool]:
    """Why the pinned client cannot read an answer's body, as it reads it (orjson, then the model), and whether it is
    because the body is no JSON text; ("", False) when it can."""
    not_json = _not_json(ex.body)
    if not not_json:
        try:
            orjson.dumps(ex.body)  # what orjson cannot write, it cannot read either: integers past 64 bits
        except orjson.JSONEncodeError as exc:
            not_json = _not_json(ex.body, strings=True)  # and lone surrogates, which only a failure looks for
            if not not_json:
                return f"the client's JSON parser (orjson) cannot read it: {str(exc)[:120]}", False
    if not_json:
        return f"{not_json}: the client's JSON parser refuses the body", True
    try:
        _model(cast(int, ex.status)).from_dict(ex.body)
    except Exception as exc:  # whatever the generated code raises on what it cannot read
        return f"{_model(cast(int, ex.status)).__name__}.from_dict raises {type(exc).__name__}: {str(exc)[:120]}", False
    return "", False


@check(
    "the pinned client (the wheel's models) reads every answer the run judges, as it reads it",
    ("page.response_parameters", "docs.abnormal_response"),
    "every answer with a JSON body the spec documents",
    ANSWER,
    applies=lambda ex: ex.body is not None and _model(cast(int, ex.status)) is not None,
    throttled_too=True,
    also_cites=_answers_cite(),
)
def client_reads(ex: Exchange) -> Iterator[Drift]:
    why, not_json = _unreadable(ex)
    if not why:
        return
    assert ex.status is not None
    said = f"{ex.status}: the pinned client cannot read this answer: {why}"
    cause = why.split(":")[0][:60]
    response_cites = spec.cites(spec.response_node(ex.status))
    if not_json:  # not JSON at all: what the spec documents is JSON
        yield Drift("not-json", said, (ex,), citations=response_cites or None)
        return
    # Breaks Huawei's sources too (a compiled check first: most pages hold): drift, citing the node the client was
    # generated from.
    validators, holds = _validators(ex.status), _holds(ex.status, sourced=True)
    body = without_nulls(ex.body)
    error = next(validators[0].iter_errors(body), None) if validators and holds and not holds(body) else None
    if error is not None:
        schema = cast(dict[str, Any], validators[0].schema) if validators else {}
        cites = _cited_along(schema, list(error.absolute_schema_path)) or response_cites
        yield Drift(cause, said, (ex,), citations=cites or None)
        return
    yield Drift(
        cause,
        said,
        (ex,),
        ours="Huawei's sources allow this answer, and the project's own client cannot read it: the spec's "
        "assumption the client was generated from (x-assumed), or the client, is wrong; please report it",
    )
