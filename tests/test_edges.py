"""Edges derived from the types (cph_conformance.run.checks.edges): each family generated from a parameter's schema,
and the spec's verdict on each value both ways (must be refused, must be accepted, only an assumption refuses it, no
verdict), from tables. Pure: nothing is sent."""

from __future__ import annotations

from typing import Any

import pytest

from cph_conformance import spec
from cph_conformance.run.checks import edges

INTEGER_FAMILIES = {
    "decimal",
    "exponent",
    "sign",
    "hexadecimal",
    "octal",
    "leading-zeros",
    "white-space",
    "past-64-bits",
    "non-ascii-digits",
    "bounds",
}
ENUM_FAMILIES = {"case", "white-space", "prefix-suffix", "nul", "percent-encoded", "other-enum"}
PLAN = edges.plan()


def _of(parameter: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for e in PLAN:
        if e.parameter == parameter:
            found.setdefault(e.family, set()).add(e.value)
    return found


def test_each_integer_parameter_gets_every_integer_family() -> None:
    integers = [p["name"] for p in spec.operation()["parameters"] if spec.deref(p["schema"]).get("type") == "integer"]
    assert integers
    for name in integers:
        assert set(_of(name)) == INTEGER_FAMILIES, name


def test_each_enum_parameter_gets_every_enum_family() -> None:
    enums = [p["name"] for p in spec.operation()["parameters"] if "enum" in spec.deref(p["schema"])]
    assert enums
    for name in enums:
        assert set(_of(name)) == ENUM_FAMILIES, name


# (parameter, family, a value it must hold), from the spec's limit (usual size 10, 1 to 500) and image_type
VALUES: list[tuple[str, str, str]] = [
    ("limit", "decimal", "10.0"),
    ("limit", "exponent", "1e1"),
    ("limit", "sign", "+10"),
    ("limit", "sign", "-0"),
    ("limit", "hexadecimal", "0xa"),
    ("limit", "octal", "0o12"),
    ("limit", "octal", "010"),
    ("limit", "leading-zeros", "0010"),
    ("limit", "white-space", " 10"),
    ("limit", "white-space", "10 "),
    ("limit", "white-space", "\t10"),
    ("limit", "past-64-bits", str(2**64)),
    ("limit", "past-64-bits", str(2**64 + 10)),  # wraps around to 10
    ("limit", "past-64-bits", str(-(2**63) - 1)),
    ("limit", "non-ascii-digits", "\u0661\u0660"),
    ("limit", "non-ascii-digits", "\uff11\uff10"),
    ("limit", "bounds", "0"),
    ("limit", "bounds", "501"),
    ("image_type", "case", "PUBLIC"),
    ("image_type", "case", "Share"),
    ("image_type", "white-space", " all"),
    ("image_type", "white-space", "private "),
    ("image_type", "prefix-suffix", "xpublic"),
    ("image_type", "prefix-suffix", "publics"),
    ("image_type", "nul", "public\x00"),
    ("image_type", "percent-encoded", "%70ublic"),
    ("image_type", "other-enum", str(spec.enum("IsPublic")[0])),
    ("image_type", "other-enum", spec.enum("ImageLabel")[0]),
    ("marker", "length-bounds", ""),
    ("project_id", "length-bounds", "é" * 32),
    ("project_id", "length-bounds", "é" * 33),
]


@pytest.mark.parametrize(("parameter", "family", "value"), VALUES)
def test_each_family_holds_its_values(parameter: str, family: str, value: str) -> None:
    assert value in _of(parameter).get(family, set())


@pytest.mark.parametrize(
    ("schema", "byte_lengths"),
    [
        ({"type": "string", "x-max-bytes": 16}, [16, 17, 19]),
        ({"type": "string", "x-max-bytes": 128, "maxLength": 128}, [256, 258, 512, 128, 129, 131]),
        ({"type": "string"}, []),
    ],
)
def test_string_bounds_are_at_and_just_past_each_bound_in_multi_byte_utf8(
    schema: dict[str, Any], byte_lengths: list[int]
) -> None:
    values = [value for _, value, _ in edges._string(schema)]
    assert [len(v.encode()) for v in values] == byte_lengths
    assert all(not v.isascii() for v in values)


# (parameter, value, must_refuse, whether the verdict rests only on an assumption or has none)
VERDICTS: list[tuple[str, str, bool | None, bool]] = [
    ("limit", "10", False, False),
    ("limit", "+10", False, False),  # an integer from its digits
    ("limit", "0010", False, False),
    ("limit", "500", False, False),
    ("limit", "501", True, False),  # the SDK's range
    ("limit", "0", True, False),
    ("limit", "1e1", True, False),
    ("limit", "10.0", True, False),
    ("limit", "0xa", True, False),
    ("limit", " 10", True, False),
    ("limit", str(2**64 + 10), True, False),
    ("limit", "\u0661\u0660", True, True),  # the project's reading: no statement says digits are ASCII
    ("image_type", "public", False, False),
    ("image_type", "PUBLIC", True, False),  # the page's enum
    ("image_type", "public\x00", True, False),
    ("marker", "", True, True),  # minLength 1 is the spec's assumption
    ("marker", "a-marker-the-service-never-issued", None, True),
    ("project_id", "0123456789abcdef0123456789abcdef", False, False),
    ("project_id", "é" * 32, True, True),  # the page says only String: the pattern is assumed
    ("project_id", "x" * 31, True, True),
]


@pytest.mark.parametrize(("parameter", "value", "must_refuse", "assumed"), VERDICTS)
def test_the_spec_decides_what_must_be_refused(
    parameter: str, value: str, must_refuse: bool | None, assumed: bool
) -> None:
    verdict, why = edges.verdict(parameter, value)
    assert verdict is must_refuse
    assert bool(why) == assumed, why


def test_minlength_as_pattern_is_read_as_the_patterns_why() -> None:
    _, why = edges.verdict("project_id", "x" * 31)
    assert why == spec.assumed_keywords(spec.parameter("project_id")["schema"])["pattern"]


def test_every_edge_says_its_family_and_why_and_a_missing_verdict_says_why() -> None:
    assert PLAN
    for e in PLAN:
        assert e.family and e.why and e.parameter in {p["name"] for p in spec.operation()["parameters"]}
        assert (e.must_refuse, e.assumed) == edges.verdict(e.parameter, e.value)
        if e.must_refuse is None:
            assert e.assumed
    assert {e.must_refuse for e in PLAN} >= {True, False}
    assert len({(e.parameter, e.value) for e in PLAN}) == len(PLAN)


def test_the_plan_is_deterministic_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    assert edges.plan() == PLAN and len(PLAN) <= edges.MAX_EDGES
    assert {e.parameter for e in edges.plan(["limit"])} == {"limit"}
    monkeypatch.setattr(edges, "MAX_EDGES", 10)
    with pytest.raises(ValueError, match="MAX_EDGES"):
        edges.plan()
