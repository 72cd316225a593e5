"""The reports of one fixed run are its golden records (tests/golden_records/): a change of their content is a diff
to read, and to keep with `make golden` only when it is deliberate."""

from __future__ import annotations

import difflib

import pytest

from tests import golden


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    return golden.rendered()


@pytest.mark.parametrize("name", golden.FILES)
def test_the_reports_are_their_golden_records(rendered: dict[str, str], name: str) -> None:
    kept = (golden.FOLDER / name).read_text(encoding="utf-8")
    diff = "".join(
        difflib.unified_diff(kept.splitlines(True), rendered[name].splitlines(True), f"kept/{name}", f"now/{name}")
    )
    assert not diff, f"the reports changed: read the diff, and run `make golden` if it is deliberate\n{diff[:4000]}"
