"""What schemathesis sent and what its checks said, read from its NDJSON events (the one reader of that file): every
case's request and answer as an Exchange, and each check's outcome on it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cph_conformance.run.collect.exchange import Exchange, auth_of_recorded


@dataclass
class Recorded:
    exchanges: list[Exchange] = field(default_factory=list)
    outcomes: list[tuple[str, str | None, Exchange]] = field(default_factory=list)  # (check, failure or None, answer)
    errors: list[str] = field(default_factory=list)  # schemathesis' own errors
    cases: int = 0


def read_events(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def read(path: Path, base: tuple[str, str] | None = None) -> Recorded:
    """schemathesis' events; base=(gateway URL, endpoint URL) shows requests against the endpoint under test."""
    recorded = Recorded()
    for event in read_events(path):
        finished = event.get("ScenarioFinished")
        if finished and "recorder" in finished:
            _scenario(recorded, finished["recorder"], str(finished.get("phase") or ""), base)
        for kind in ("NonFatalError", "FatalError"):
            if kind in event:
                info = event[kind].get("info") or event[kind]
                recorded.errors.append(str(info.get("message") or info.get("title") or info)[:500])
    return recorded


def _scenario(recorded: Recorded, recorder: dict[str, Any], phase: str, base: tuple[str, str] | None) -> None:
    cases = recorder.get("cases", {})
    recorded.cases += len(cases)
    exchanges: dict[str, Exchange] = {}
    for case_id, interaction in recorder.get("interactions", {}).items():
        case = cases.get(case_id) or {}
        headers = (interaction.get("request") or {}).get("headers")
        ex = Exchange.of_recorded(interaction, auth_of_recorded(headers, "parent_id" in case), phase, base)
        exchanges[case_id] = ex
        recorded.exchanges.append(ex)
    for case_id, checks in recorder.get("checks", {}).items():
        judged = exchanges.get(case_id)
        if judged is None:
            continue
        for check in checks:
            failure = (check.get("failure_info") or {}).get("failure") if check.get("status") == "failure" else None
            message = (failure.get("message") or failure.get("title") or "") if failure is not None else None
            # A probe (ignored_auth's request without the credential) is its own case, the failure's last step.
            steps = (check.get("failure_info") or {}).get("steps") or []
            probe = exchanges.get(steps[-1].get("case_id")) if steps else None
            recorded.outcomes.append((check["name"], message, probe or judged))
