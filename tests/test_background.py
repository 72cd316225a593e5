"""The suite's own machinery (tests/background.py): which `waits` tests start with the session, and which a mark
leaves to pytest in their turn."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import background


class Marked:
    """What _may_not_run reads of a test: its marks."""

    def __init__(self, *marks: pytest.MarkDecorator) -> None:
        self.marks = [decorator.mark for decorator in marks]

    def iter_markers(self, name: str | None = None) -> Iterator[pytest.Mark]:
        return iter([mark for mark in self.marks if name is None or mark.name == name])


@pytest.mark.parametrize(
    ("marks", "left_to_its_turn"),
    [
        ((), False),
        ((pytest.mark.skipif(False, reason="not here"),), False),
        ((pytest.mark.skipif(condition=False, reason="not here"),), False),
        ((pytest.mark.skipif(False, reason="a"), pytest.mark.skipif(False, reason="b")), False),
        ((pytest.mark.skipif(True, reason="not here"),), True),
        ((pytest.mark.skipif("sys.platform == 'x'", reason="a condition pytest evaluates"),), True),
        ((pytest.mark.skipif(reason="no condition: always"),), True),
        ((pytest.mark.skip(reason="always"),), True),
        ((pytest.mark.xfail,), True),
    ],
)
def test_a_mark_that_may_skip_a_waits_test_leaves_it_to_its_turn(
    marks: tuple[pytest.MarkDecorator, ...], left_to_its_turn: bool
) -> None:
    assert background._may_not_run(Marked(*marks)) is left_to_its_turn  # type: ignore[arg-type]
