"""The checks schemathesis runs, because only it knows how it generated a case (valid or not, with or without the
credential), graded against Huawei's sources: what it flags is drift only when the request or answer also breaks
the spec's sourced view (spec.sourced(): the spec less every x-assumed keyword); what breaks only an assumption is
a warning that names it. Each check's function takes one case: what schemathesis said of it, and its answer.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

import jsonschema

from cph_conformance import spec
from cph_conformance.run.checks.evidence import Case
from cph_conformance.run.checks.registry import CASE, Drift, check
from cph_conformance.run.transport.exchange import Exchange

CASES = "schemathesis' cases"


@functools.cache
def _parameters() -> dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """name -> (the parameter, its schema in the whole spec, its schema in the sourced view), all resolved."""
    full = {p["name"]: p for p in spec.operation()["parameters"]}
    sourced = {p["name"]: p for p in spec.sourced()["paths"][spec.OPERATION_PATH]["get"]["parameters"]}
    return {
        name: (p, spec.resolve(p["schema"], spec.load()), spec.resolve(sourced[name]["schema"], spec.sourced()))
        for name, p in full.items()
    }


def _wire_errors(values: list[str], schema: dict[str, Any]) -> list[tuple[str, str]]:
    """(keyword, why) a parameter as sent (each of its string values) breaks schema; [] when it holds. Reads it as a
    server does: an integer from its digits. A repeated parameter is judged by each value."""
    errors: list[tuple[str, str]] = []
    validator = _validator(id(schema), schema)
    for raw in values:
        value: Any = raw
        if schema.get("type") == "integer":
            # Any script's digits (\d), on purpose: a Java service reads Arabic-Indic digits as a number, so a
            # request in them need not be refused (edges.py's verdict makes refusing them an assumption). The size a
            # page was asked for is read from ASCII digits only (answer.effective_page_size): a service that ignores
            # other digits pages by the default.
            if not re.fullmatch(r"[+-]?\d+", raw):
                errors.append(("type", f"{raw!r} is not an integer"))
                continue
            value = int(raw)
        errors += [(str(e.validator), str(e.message)) for e in validator.iter_errors(value)]
    return errors


_VALIDATORS: dict[int, tuple[dict[str, Any], jsonschema.Draft4Validator]] = {}


def _validator(key: int, schema: dict[str, Any]) -> jsonschema.Draft4Validator:
    """One validator per schema of _parameters() (kept with its schema, so that the id is never another's)."""
    if key not in _VALIDATORS:
        _VALIDATORS[key] = (schema, jsonschema.Draft4Validator(schema))
    return _VALIDATORS[key][1]


def request_breaks(ex: Exchange) -> tuple[list[tuple[str, str, tuple[str, ...]]], list[tuple[str, str, str]]]:
    """([(key, what, cites)] the request breaks in Huawei's sources, [(key, what, why)] it breaks only in the spec's
    assumptions)."""
    sourced_errors: list[tuple[str, str, tuple[str, ...]]] = []
    assumed_errors: list[tuple[str, str, str]] = []
    query = ex.query
    for name, (param, full, sourced) in _parameters().items():
        if param["in"] == "path":
            values = [ex.project_id] if ex.project_id is not None else []
        else:
            values = query.get(name, [])
        if not values:
            if param.get("required"):
                sourced_errors.append((f"{name}:missing", f"{name} is missing", spec.cites(param)))
            continue
        broken = _wire_errors(values, sourced)
        if broken and not param.get("required") and all(v == "" for v in values):
            # `image_type=` may mean "no image_type" to a service: no Huawei source says which.
            assumed_errors.append((f"{name}:empty", f"{name}: empty", "no Huawei source says whether empty is absent"))
            continue
        if broken:
            sourced_errors += [(f"{name}:{k}", f"{name}: {k}: {why}", spec.cites(param)) for k, why in broken]
            continue
        if len(values) > 1 and sourced.get("type") != "array":
            assumed_errors.append(
                (f"{name}:repeated", f"{name}: sent more than once", "no Huawei source says which value counts")
            )
        assumed = spec.assumed_keywords(param["schema"])
        assumed_errors += [
            (f"{name}:{k}", f"{name}: {k}: {why}", assumed.get(k, "not in any Huawei source"))
            for k, why in _wire_errors(values, full)
        ]
    return sourced_errors, assumed_errors


def _first_line(case: Case) -> str:
    return (case.failure or "").strip().splitlines()[0][:200] if (case.failure or "").strip() else ""


def _flagged(case: Case) -> bool:
    return case.answer.judged


def _query_cites() -> tuple[str, ...]:
    """The statements of the query parameters, which a refused request cites (the path's project id is a string the
    sourced view holds every request to: none breaks it)."""
    return tuple(dict.fromkeys(c for p in spec.operation()["parameters"] if p["in"] == "query" for c in spec.cites(p)))


@check(
    "invalid requests are refused with a 4xx",
    ("docs.status_codes",),
    CASES,
    CASE,
    applies=_flagged,
    also_cites=_query_cites(),
)
def negative_data_rejection(case: Case) -> Iterator[Drift]:
    if not case.stands:
        return
    ex = case.answer
    sourced_errors, assumed_errors = request_breaks(ex)
    said = f"{ex.status} for a request that breaks: "
    if sourced_errors:
        cause, _, cites = sourced_errors[0]
        yield Drift(
            cause, said + "; ".join(w for _, w, _ in sourced_errors), (ex,), citations=("docs.status_codes", *cites)
        )
        return
    cause = ",".join(k for k, _, _ in assumed_errors) or "nothing"
    why = "; ".join(f"{w} ({why})" for _, w, why in assumed_errors) or "nothing in Huawei's sources"
    yield Drift(cause, said + why, (ex,), assumed="the request breaks only assumptions of the spec")


@check("valid requests are accepted", ("page.function", "page.status_200"), CASES, CASE, applies=_flagged)
def positive_data_acceptance(case: Case) -> Iterator[Drift]:
    if not case.stands:
        return
    ex = case.answer
    issued = [
        p["name"] for p in spec.operation()["parameters"] if p.get("x-issued-by-service") and p["name"] in ex.query
    ]
    if ex.status is not None and 400 <= ex.status < 500 and issued:
        names = ", ".join(issued)
        yield Drift(
            f"{ex.status}:{names}",
            f"{ex.status} for a request whose {names} the service never issued; only a {names} from an earlier answer "
            "is certain to be accepted",
            (ex,),
            assumed=f"a made-up {names} is valid by the spec's schema, but only the service issues them",
        )
        return
    yield Drift(str(ex.status), f"{ex.status} for a valid request: {_first_line(case)}", (ex,))


@check(
    "the X-Auth-Token header is mandatory: no answer without the run's credential",
    ("page.x_auth_token",),
    CASES,
    CASE,
    applies=_flagged,
)
def ignored_auth(case: Case) -> Iterator[Drift]:
    if case.stands:
        yield Drift(
            "ignored", f"{case.answer.status} without the run's credential: {_first_line(case)}", (case.answer,)
        )


@check("a request without a mandatory header is refused", ("page.x_auth_token",), CASES, CASE, applies=_flagged)
def missing_required_header(case: Case) -> Iterator[Drift]:
    if case.stands:
        yield Drift("accepted", f"{case.answer.status} without a mandatory header: {_first_line(case)}", (case.answer,))
