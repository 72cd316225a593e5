"""Probes at the edges of what is accepted: requests the spec says must be refused, each close to one that is
accepted, and what each must get back (the statuses of the spec's responses whose x-when names the situation, with
Huawei's error body). Each family is a check that judges its probes' answers (Probed), and plans them:

- authentication: no credential, a made-up one, and near misses of the run's own (one character changed, cut short,
  extended, in another case; for an access key, of its secret key): refused as a wrong credential; the run's own
  where the page does not put it (credential.Misplaced: the token in another header, scheme, the query string or a
  cookie, refused as no credential; in two X-Auth-Token headers; a signature made for another query or dated out
  of API Gateway's window), each an assumption where no statement refuses it;
- authorization: another project's id, bare and with each documented query parameter (every value of an enum, the
  smallest and largest page size, a marker the run's own listing was given): refused as another project;
- exact_values: the near-valid values of each query parameter that its type rules out (edges.py: another case or
  white space around an enum value, a decimal point, an exponent or another base for an integer, values past its
  bounds): refused as an invalid parameter.

Bounded: about eighty requests, listed in the summary; each goes through the run's sender like every other request.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from cph_conformance import spec
from cph_conformance.run.checks.answer import media_type
from cph_conformance.run.checks.edges import plan as edges_of
from cph_conformance.run.checks.evidence import Probe, Probed
from cph_conformance.run.checks.registry import PROBE, Check, Drift, register
from cph_conformance.run.transport.credential import (
    EMPTY,
    MISPLACED_TOKEN,
    MISSING,
    NEAR_MISSES,
    WRONG,
    Misplaced,
)
from cph_conformance.run.transport.exchange import Exchange

WRONG_CREDENTIAL, OTHER_PROJECT, INVALID_PARAMETER = "wrong-credential", "other-project", "invalid-parameter"


def other_project_id(project_id: str) -> str:
    """A well-formed project id that is not the run's: each hex digit turned by 8 (32 hex digits stay 32)."""
    digits = "0123456789abcdef"
    if len(project_id) == 32 and all(c in digits for c in project_id):
        return "".join(digits[(digits.index(c) + 8) % 16] for c in project_id)
    return "0" * 32 if project_id != "0" * 32 else "f" * 32


def _enum_parameters() -> Iterator[tuple[str, list[str]]]:
    for param in spec.operation()["parameters"]:
        schema = spec.deref(param["schema"])
        if param["in"] == "query" and schema.get("type") == "string" and "enum" in schema:
            yield param["name"], [str(v) for v in schema["enum"]]


def refused(probed: Probed) -> Iterator[Drift]:
    """The answer is one the spec documents for the probe's situation, with Huawei's error body. A wrong status is a
    cause of each probe's own (what it tried and what came); a body that is not Huawei's error body (HTML, not JSON,
    one the run could not read) is one cause whichever probe met it: it is the answer's, not the probe's, and
    response_schema_conformance finds it in every answer too."""
    probe, ex = probed.probe, probed.answer
    assert ex.status is not None
    if ex.status not in probe.expected:
        outcome = "accepted" if 200 <= ex.status < 300 else str(ex.status)
        said = f"{probe.why}: expected {' or '.join(map(str, probe.expected))}, got {ex.status} {ex.shown()!r}"
        yield Drift(f"{probe.kind}:{outcome}", said, (ex,), assumed=probe.assumed)
        return
    wrong = _not_an_error_body(ex)
    if wrong:
        said = f"{probe.why}: {ex.status}, as expected, but not Huawei's JSON error body ({wrong}): {ex.shown()!r}"
        yield Drift(f"error-body:{wrong.split(':')[0]}", said, (ex,))


def _not_an_error_body(ex: Exchange) -> str:
    """What the answer's body is instead of Huawei's JSON error body, in a few words; "" when it is one (or the spec
    documents no body for its status). What is wrong inside it is response_schema_conformance's to say."""
    if ex.status is None or spec.response_schema(ex.status) is None:
        return ""
    got = media_type(ex.headers)
    if got != "application/json":
        return got or "no Content-Type"
    if ex.unreadable:
        return ex.unreadable
    return "" if isinstance(ex.body, dict) else "not a JSON object"


def _answered(probed: Probed) -> bool:
    return probed.answer.judged


def _family(name: str, rule: str, cites: tuple[str, ...], judges: str) -> Check:
    return register(Check(name, rule, cites, judges, PROBE, refused, applies=_answered))


authentication = _family(
    "authentication",
    "a request without the run's exact credential is refused with 401 and Huawei's error body",
    ("page.x_auth_token", "docs.apig_error_codes", "docs.apig_0301"),
    "probes: no credential, a wrong one, near misses of the run's, the run's where the page does not put it",
)
authorization = _family(
    "authorization",
    "another project's images are refused (401 or 403, Huawei's error body), whatever the query",
    ("page.function", "docs.cps_0001", "docs.apig_error_codes"),
    "probes: another project's id, bare and with each parameter",
)
exact_values = _family(
    "exact_values",
    "a value near a valid one that the spec's types rule out is refused with 400: an enum value in another case, "
    "with white space or more around it; an integer with a decimal point, an exponent, another base, past its bounds",
    ("page.image_type", "sdk.limit", "docs.status_codes"),
    "probes: near-valid values of each query parameter, derived from its type",
)


def plan(project_id: str, marker: str | None, misplaced: Mapping[str, Misplaced] = MISPLACED_TOKEN) -> list[Probe]:
    """Every probe of a run against project_id; marker: one the run's own listing was given, if any; misplaced: where
    the run's kind of credential can go that the page does not put it (the credential's misplaced)."""
    return [*_authentication(marker, misplaced), *_authorization(project_id, marker), *_near_valid()]


def _smallest() -> dict[str, Any]:
    return {spec.page_size(): spec.limit_bounds()[0]}


def _authentication(marker: str | None, misplaced: Mapping[str, Misplaced]) -> list[Probe]:
    """No credential, an empty one, a made-up one, near misses of the run's own, the run's own where the page does not
    put it (without X-Auth-Token: refused as no credential); and none on a later page."""
    smallest = _smallest()
    probes = [
        Probe(authentication, MISSING, "missing-credential", "no credential", smallest, auth=MISSING),
        Probe(authentication, EMPTY, WRONG_CREDENTIAL, "an empty credential", smallest, auth=EMPTY),
        Probe(authentication, WRONG, WRONG_CREDENTIAL, "a credential no service issued", smallest, auth=WRONG),
        *(
            Probe(authentication, name, WRONG_CREDENTIAL, f"the run's credential with {miss.why}", smallest, auth=name)
            for name, miss in NEAR_MISSES.items()
        ),
        *(
            Probe(
                authentication,
                name,
                "missing-credential" if place.as_missing else WRONG_CREDENTIAL,
                place.why,
                smallest,
                auth=name,
                assumed=place.assumed,
            )
            for name, place in misplaced.items()
        ),
    ]
    continues, _ = spec.continuation()
    if marker is not None:
        why = f"no credential, with a {continues} the run's own listing was given"
        later = {**smallest, continues: marker}
        probes.append(Probe(authentication, f"{MISSING}:{continues}", "missing-credential", why, later, auth=MISSING))
    return probes


def _authorization(project_id: str, marker: str | None) -> list[Probe]:
    """Another project's id, bare and with each documented query parameter."""
    continues, _ = spec.continuation()
    queries: list[tuple[str, dict[str, Any]]] = [("bare", {})]
    for name, values in _enum_parameters():
        queries += [(f"{name}={v}", {name: v}) for v in values]
    queries += [(f"{spec.page_size()}={n}", {spec.page_size(): n}) for n in spec.limit_bounds()]
    if marker is not None:
        queries.append((f"a {continues} the run's own listing was given", {continues: marker}))
    other = other_project_id(project_id)
    return [
        Probe(authorization, ",".join(q) or "bare", OTHER_PROJECT, f"another project, {what}", q, project=other)
        for what, q in queries
    ]


def _near_valid() -> list[Probe]:
    """Each near-valid value of a query parameter that the spec's types rule out (cph_conformance.run.checks.edges):
    refused as an invalid parameter. A value only an assumption rules out is a warning when it is accepted."""
    query = {p["name"] for p in spec.operation()["parameters"] if p["in"] == "query"}
    return [
        Probe(
            exact_values,
            f"{edge.parameter}:{edge.family}",
            INVALID_PARAMETER,
            f"{edge.parameter}={edge.value!r}: {edge.why}",
            {**({} if edge.parameter == spec.page_size() else _smallest()), edge.parameter: edge.value},
            assumed=edge.assumed,
        )
        for edge in edges_of(sorted(query))
        if edge.must_refuse
    ]
