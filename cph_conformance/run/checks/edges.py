"""Edges derived from the types: for each parameter of the operation, the near-valid values that parsers commonly get
wrong, generated from its schema in the spec (no list kept by hand per parameter), each with the verdict the spec
gives it.

Families, by the parameter's schema:
- integer: a decimal point, an exponent, a sign, hexadecimal and octal forms, leading zeros, white space around it,
  values past 64 bits, digits that are not ASCII, and the bounds (minimum and maximum, and one past each);
- enum: another case, white space around it, a prefix or a suffix, a NUL, a percent-encoded form (sent encoded once
  more), and a value of each other enum of the spec;
- string with length bounds (maxLength, x-max-bytes, minLength): values at and just past each bound in multi-byte
  UTF-8, and one short of minLength.
A value is the parameter's value as the service reads it (decoded): the sender percent-encodes it.

The verdict (must_refuse): the spec's sourced view (spec.sourced(): the spec less every x-assumed keyword), reading
the value as a server reads a query string (cph_conformance.run.checks.cases._wire_errors: an integer from its
digits), decides. Refused there: it must get a 4xx (True). Accepted there but refused by the whole spec: True too,
and `assumed` says why (a warning, never a failure). Accepted by both: it must get a 2xx (False). None: the spec
gives no verdict, and `assumed` says why (a value only the service issues, such as a marker, may be refused).

Pure: no request is sent. Deterministic (no randomness) and bounded: plan() holds at most MAX_EDGES values.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cph_conformance import spec
from cph_conformance.run.checks.cases import _parameters, _wire_errors

MAX_EDGES = 128  # values in a plan: plan() refuses to make more (a test holds the spec's plan within it)
PAST_64_BITS = (2**63, 2**64, -(2**63) - 1)  # past int64 (and uint64) either way
# Digits other than ASCII's, by the code point of their zero: Unicode's Nd digits come in runs of ten.
NON_ASCII_ZEROS = (("Arabic-Indic", 0x0660), ("Extended Arabic-Indic", 0x06F0), ("full-width", 0xFF10))


@dataclass(frozen=True)
class Edge:
    parameter: str
    value: str  # as the service reads it (percent-decoded); the sender encodes it
    family: str
    why: str  # what a parser gets wrong with it, in a few words
    must_refuse: bool | None  # True: a 4xx; False: a 2xx; None: the spec gives no verdict
    assumed: str = ""  # why the verdict rests only on an assumption (a warning), or why there is none (None)


def _digits(zero: int) -> dict[int, int]:
    return str.maketrans("0123456789", "".join(chr(zero + d) for d in range(10)))


def _integer(schema: dict[str, Any], base: int) -> Iterator[tuple[str, str, str]]:
    """(family, value, why) of an integer parameter, around a valid value."""
    n = str(base)
    mantissa = n.rstrip("0")
    exponent = f"{mantissa}e{len(n) - len(mantissa)}" if len(mantissa) == 1 else f"{n}e0"
    yield from (
        ("decimal", f"{n}.0", "a decimal point: an integer parser may read the whole part"),
        ("decimal", f"{n}.", "a trailing decimal point"),
        ("exponent", exponent, "an exponent: a float parser reads it as the same number"),
        ("exponent", exponent.upper(), "an exponent with a capital E"),
        ("sign", f"+{n}", "a plus sign: most integer parsers take it"),
        ("sign", f"-{n}", "a minus sign"),
        ("sign", "-0", "negative zero"),
        ("hexadecimal", f"0x{base:x}", "hexadecimal: a parser that guesses the base reads it"),
        ("hexadecimal", f"0X{base:X}", "hexadecimal, in capitals"),
        ("octal", f"0o{base:o}", "octal with its prefix"),
        ("octal", f"0{n}", "a leading zero: a C-style parser reads it as octal"),
        ("leading-zeros", f"00{n}", "leading zeros"),
        ("leading-zeros", n.rjust(24, "0"), "leading zeros past 20 digits, the length of a 64-bit integer"),
        ("white-space", f" {n}", "a space before it: some parsers trim"),
        ("white-space", f"{n} ", "a space after it"),
        ("white-space", f"\t{n}", "a tab before it"),
        ("white-space", f"{n}\n", "a line feed after it"),
        *(
            ("past-64-bits", str(big), "past 64 bits: a parser that wraps around may read a valid value")
            for big in (*PAST_64_BITS, 2**64 + base)
        ),
        *(("non-ascii-digits", n.translate(_digits(zero)), f"{script} digits") for script, zero in NON_ASCII_ZEROS),
    )
    for bound, step, name in (("minimum", -1, "below"), ("maximum", 1, "above")):
        if bound in schema:
            yield "bounds", str(schema[bound]), f"the {bound} itself"
            yield "bounds", str(schema[bound] + step), f"one {name} the {bound}"


def _other_enum_values(own: list[Any]) -> list[str]:
    """The first value of each other enum of the spec (parameters first, then component schemas), as strings."""
    found: dict[str, None] = {}
    schemas = [spec.resolve(p["schema"], spec.load()) for p in spec.operation()["parameters"]]
    schemas += list(spec.load()["components"]["schemas"].values())
    for schema in schemas:
        values = [str(v) for v in schema.get("enum", ())]
        if values and values != [str(v) for v in own]:
            other = next((v for v in values if v not in map(str, own)), None)
            if other is not None:
                found[other] = None
    return list(found)


def _enum(values: list[Any]) -> Iterator[tuple[str, str, str]]:
    """(family, value, why) of an enum parameter: case and white space for each value, the rest around the first."""
    for v in map(str, values):
        yield "case", v.upper(), "another case: a parser may fold case"
        yield "case", v.title(), "capitalized"
        yield "white-space", f" {v}", "a space before it: a parser may trim"
        yield "white-space", f"{v} ", "a space after it"
        yield "white-space", f"{v}\t", "a tab after it"
    first = str(values[0])
    yield "prefix-suffix", f"x{first}", "a prefix: a parser may match on a suffix"
    yield "prefix-suffix", f"{first}s", "a suffix: a parser may match on a prefix"
    yield "prefix-suffix", f"{first},{values[-1]}", "two values in one: a parser may split on commas"
    yield "nul", f"{first}\x00", "a NUL after it: a C string ends there"
    yield "percent-encoded", f"%{ord(first[0]):02X}{first[1:]}", "percent-encoded once more: decoded twice, it is valid"
    for other in _other_enum_values(values):
        yield "other-enum", other, "a value of another enum of the spec"


def _string(schema: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(family, value, why) of a string parameter with length bounds, in multi-byte UTF-8."""
    if int(schema.get("minLength", 0)) > 0:
        yield "length-bounds", "x" * (int(schema["minLength"]) - 1), "one character short of minLength"
    if "maxLength" in schema:
        m = int(schema["maxLength"])
        yield "length-bounds", "é" * m, f"{m} characters (maxLength) of 2 bytes each: a byte count sees {2 * m}"
        yield "length-bounds", "é" * (m + 1), "one character past maxLength, in 2-byte characters"
        yield "length-bounds", "😀" * m, f"{m} characters of 4 bytes (2 UTF-16 units) each"
    if "x-max-bytes" in schema:
        b = int(schema["x-max-bytes"])
        at = "云" * (b // 3) + "a" * (b % 3)
        yield "byte-bounds", at, f"exactly {b} bytes (x-max-bytes) in 3-byte characters"
        yield "byte-bounds", at + "a", f"one byte past {b}"
        yield "byte-bounds", "a" * (b - 1) + "😀", f"{b} characters, {b + 3} bytes: a 4-byte character across the bound"


def _valid_integer(param: dict[str, Any], schema: dict[str, Any]) -> int:
    """A valid value to build an integer's edges around: the first usual value, else the default, else minimum."""
    usual = param.get("x-usual") or []
    return int(usual[0] if usual else schema.get("default", schema.get("minimum", 1)))


def families(name: str) -> list[tuple[str, str, str]]:
    """(family, value, why) of a parameter, from its schema in the whole spec (whose keywords say what a value is
    near: the sourced view may lack the bounds that make one), deduplicated, in a fixed order."""
    param, full, _ = _parameters()[name]
    found: dict[str, tuple[str, str, str]] = {}
    if full.get("type") == "integer":
        generated = list(_integer(full, _valid_integer(param, full)))
    elif "enum" in full:
        generated = list(_enum(list(full["enum"])))
    elif full.get("type") == "string":
        generated = list(_string(full))
    else:
        generated = []
    for family, value, why in generated:
        found.setdefault(value, (family, value, why))
    return list(found.values())


def _why_assumed(schema: dict[str, Any], keyword: str) -> str:
    """The why of an x-assumed keyword, following "as <other keyword>"."""
    assumed = spec.assumed_keywords(schema)
    why = assumed.get(keyword, "a constraint no Huawei source states")
    other = why.removeprefix("as ").strip()
    return assumed.get(other, why) if why.startswith("as ") else why


def verdict(name: str, value: str) -> tuple[bool | None, str]:
    """(must_refuse, assumed) the spec gives a parameter's value, read as a server reads a query string: True when
    its sourced view refuses it (assumed "") or only the whole spec does (assumed says why: a warning); False when
    both accept it; None when the spec gives no verdict (assumed says why)."""
    param, full, sourced = _parameters()[name]
    if _wire_errors([value], sourced):
        return True, ""
    if full.get("type") == "integer" and not value.isascii():
        # _wire_errors reads an integer with Python's \d and int(), which take any Unicode digit; Go's strconv does
        # not. Refusing such digits is the project's reading, not a statement's.
        return True, "no Huawei source says whether an integer may be written in digits other than ASCII's"
    broken = _wire_errors([value], full)
    if broken:
        return True, "; ".join(dict.fromkeys(_why_assumed(param["schema"], k) for k, _ in broken))
    if param.get("x-issued-by-service"):
        return None, f"only the service issues valid values of {name}: it may refuse one it never issued"
    return False, ""


def plan(names: list[str] | None = None) -> list[Edge]:
    """Every edge of the operation's parameters (or of those named), each with its verdict, in the spec's order."""
    edges = [
        Edge(name, value, family, why, *verdict(name, value))
        for name in (names if names is not None else list(_parameters()))
        for family, value, why in families(name)
    ]
    if len(edges) > MAX_EDGES:
        raise ValueError(f"{len(edges)} edges, more than MAX_EDGES ({MAX_EDGES}): raise it in {__name__}")
    return edges
