"""The docs site's generated parts, filled in at each build (a MkDocs hook: mkdocs.yml names this file).

A page's line `<!-- generated: NAME -->` is replaced by GENERATED[NAME](): the settings reference from the table of
settings, the rules from the registry of checks, the statement coverage from the registry, the mock's faults and
the spec, the client's page from its wheel's README. So the site says what the code does, and no page holds a copy
that could go stale. A name that is not in GENERATED fails the build.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from cph_conformance import settings
from cph_conformance.build import codegen

MARKER = re.compile(r"^<!-- generated: ([a-z0-9-]+) -->$", re.MULTILINE)
FENCE = re.compile(r"^(```|~~~)")


def rules() -> str:
    from cph_conformance.run import checks

    return checks.table()


def statement_coverage() -> str:
    from cph_conformance.run.checks import coverage

    return coverage.table()


def client_readme() -> str:
    """The wheel's README (generated/README.md), its headings one level down: it sits under the page's own title."""
    lines, fenced = [], False
    for line in (codegen.GENERATED / "README.md").read_text(encoding="utf-8").splitlines():
        fenced ^= bool(FENCE.match(line))
        lines.append("#" + line if line.startswith("#") and not fenced else line)
    return "\n".join(lines) + "\n"


# Another table joins here with its name and its function.
GENERATED: dict[str, Callable[[], str]] = {
    "settings": settings.markdown,
    "rules": rules,
    "statement-coverage": statement_coverage,
    "client-readme": client_readme,
}


def fill(markdown: str) -> str:
    """The page with each marker replaced by what it names; ValueError naming a marker that names nothing."""

    def generated(found: re.Match[str]) -> str:
        name = found.group(1)
        if name not in GENERATED:
            raise ValueError(f"<!-- generated: {name} --> names nothing: one of {', '.join(GENERATED)}")
        return GENERATED[name]().rstrip("\n")

    return MARKER.sub(generated, markdown)


def on_page_markdown(markdown: str, **_: Any) -> str:  # MkDocs calls it with each page's Markdown
    return fill(markdown)
