"""What a run's reports show: its verdict, what changed since the baseline (when it was compared with one), and what
the run was (provenance). Compared with a baseline, a run that would pass exits 1 when fail_on_change is set and
the endpoint's answers changed shape; drift is exit 1 anyway, and a run that could not be made or judged too little
stays exit 2: it saw too little to vouch for what changed (what vanished may only be what it did not see)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cph_conformance.run.report.changes import Changes
from cph_conformance.run.report.provenance import About
from cph_conformance.run.verdict.verdict import DRIFT, PASSED, Blips, Verdict


@dataclass(frozen=True)
class Result:
    verdict: Verdict
    changes: Changes | None = None
    fail_on_change: bool = False  # changes of shape exit 1 (CPH_FAIL_ON_CHANGE)
    about: About | None = None
    observed: dict[str, Any] | None = None  # what the run observed (observed.json), when it ran
    masked: str = ""  # what the run's secrets masked, and how many times (Secrets.summary()); "": nothing

    @property
    def changed_shape(self) -> bool:
        """The answers changed shape since the baseline, and that fails the run (CPH_FAIL_ON_CHANGE)."""
        return self.fail_on_change and self.changes is not None and bool(self.changes.of_shape)

    @property
    def exit_status(self) -> int:
        status = self.verdict.exit_status
        return DRIFT if status == PASSED and self.changed_shape else status

    @property
    def label(self) -> str:
        if self.verdict.exit_status == PASSED and self.changed_shape:
            return "changed since the baseline"
        return self.verdict.label

    # What the HTML template reads of the run, beside the above.
    @property
    def target(self) -> str:
        return self.verdict.target

    @property
    def notes(self) -> tuple[str, ...]:
        return self.verdict.notes

    @property
    def blips(self) -> Blips:
        return self.verdict.blips

    @property
    def listings(self) -> list[str]:
        return self.verdict.listings

    @property
    def probes(self) -> list[str]:
        return self.verdict.probes
