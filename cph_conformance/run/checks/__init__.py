"""The rules a conformance run judges by: one registry of checks that the run, the verdict, the reports, the README's
table, the mock's faults and the tests all read. What a check is: registry.py; each module here defines some."""

from __future__ import annotations

from collections.abc import Mapping

from cph_conformance.run.checks import across, answer, cases, errors, listings, probes, run
from cph_conformance.run.checks.registry import ASSUMPTION, REGISTRY, Check

MODULES = (answer, errors, across, listings, probes, cases, run)  # each registers its checks as it is imported


def related(registry: Mapping[str, Check]) -> None:
    """ValueError when a check is explained by one the registry does not have, or, through others, by itself: the
    relation the reports follow to a likely root must end."""
    for check in registry.values():
        unknown = [name for name in check.explained_by if name not in registry]
        if unknown:
            raise ValueError(f"check {check.name} is explained by checks that do not exist: {', '.join(unknown)}")
    for check in registry.values():
        path, ahead = {check.name}, list(check.explained_by)
        while ahead:
            name = ahead.pop()
            if name == check.name:
                raise ValueError(f"check {check.name} is explained, through others, by itself")
            if name not in path:
                path.add(name)
                ahead += registry[name].explained_by


related(REGISTRY)


def every() -> dict[str, Check]:
    """Every check, by name."""
    return REGISTRY


def of(by: str, strict: bool = False) -> list[Check]:
    """The checks of one kind of evidence (STRICT adds the strict-only ones)."""
    return [c for c in REGISTRY.values() if c.by == by and (strict or not c.strict_only)]


def table() -> str:
    """The rules as a Markdown table, for the README and the summary: one row per check, its statements quoted."""
    rows = ["| check | rule | judges | source | statement |", "|---|---|---|---|---|"]
    for c in sorted(REGISTRY.values(), key=lambda c: (c.kind == ASSUMPTION, c.name)):
        if c.fn is None:
            continue  # the run's own checks rest on nothing Huawei says
        quoted = "<br>".join(f"{s.where}: “{s.quote}”" + (f" ({s.says})" if s.says else "") for s in c.statements)
        strict = " (CPH_STRICT)" if c.strict_only else ""
        said = (quoted or f"assumption: {c.assumed}").replace("|", "\\|")
        rows.append(f"| `{c.name}`{strict} | {c.rule} | {c.judges} | {c.kind} | {said} |")
    return "\n".join(rows) + "\n"
