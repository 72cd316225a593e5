"""`make update`'s pure parts, in process: what moved between two locks and its summary, the pins it loosens and
rewrites (held ones stay), the PATCH bump of info.version, and the workflow that runs it weekly. The run itself
(uv against the package index, make lock, generate, pin-wheel) is not run here."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from cph_conformance import spec
from cph_conformance.build import update
from cph_conformance.build.codegen import TEMPLATES
from cph_conformance.build.update import Client, Held, Move, UpdateError

FIXTURES = Path(__file__).parent / "fixtures" / "update"
BEFORE = (FIXTURES / "before.lock").read_text()
AFTER = (FIXTURES / "after.lock").read_text()
WORKFLOW = spec.ROOT / ".github" / "workflows" / "update.yml"


def test_the_moves_between_two_locks() -> None:
    # Pytest in one and pytest in the other is one package that did not move; markers and hashes are no versions.
    assert update.moves({"dev": BEFORE}, {"dev": AFTER}) == [
        Move("defusedxml", "0.7.1", None, ("dev",)),
        Move("jsonschema", "4.24.1", "4.26.0", ("dev",)),
        Move("pathable", None, "0.6.0", ("dev",)),
        Move("uvicorn", "0.54.0", "0.55.0", ("dev",)),
    ]
    text = update.summary(update.moves({"dev": BEFORE}, {"dev": AFTER}), None, [], [])
    assert "4 package(s) moved" in text
    assert "| uvicorn | 0.54.0 | 0.55.0 | dev |" in text
    assert "| defusedxml | 0.7.1 | (dropped) | dev |" in text
    assert "| pathable | (new) | 0.6.0 | dev |" in text
    assert "Nothing moved" not in text


def test_nothing_moved_says_so() -> None:
    assert update.moves({"dev": BEFORE, "client": AFTER}, {"dev": BEFORE, "client": AFTER}) == []
    text = update.summary([], None, [], [])
    assert "Nothing moved" in text
    assert "|" not in text


def test_a_package_that_moved_in_both_locks_is_one_row() -> None:
    assert update.moves({"client": BEFORE, "dev": BEFORE}, {"client": AFTER, "dev": BEFORE})[-1] == Move(
        "uvicorn", "0.54.0", "0.55.0", ("client",)
    )
    both = update.moves({"client": BEFORE, "dev": BEFORE}, {"client": AFTER, "dev": AFTER})
    assert Move("uvicorn", "0.54.0", "0.55.0", ("client", "dev")) in both
    assert len(both) == 4


IN_FILE = """# Tools.
-r bench.in
ruff==0.17.6
connexion[uvicorn]==3.3.0  # the mock
pytest==9.1.1  # held: 9.2.0 breaks it
fastjsonschema>=2
"""


def test_loosen_keeps_held_pins_and_everything_else() -> None:
    assert update.loosen(IN_FILE) == IN_FILE.replace("ruff==", "ruff>=").replace("uvicorn]==", "uvicorn]>=")


def test_repin_moves_only_pins_that_are_not_held() -> None:
    newest = {"ruff": "0.18.0", "connexion": "3.4.0", "pytest": "9.2.0", "fastjsonschema": "3.0.0"}
    assert update.repin(IN_FILE, newest) == IN_FILE.replace("0.17.6", "0.18.0").replace("3.3.0", "3.4.0")
    assert update.repin(IN_FILE, {}) == IN_FILE


def test_the_held_pins_of_the_requirements() -> None:
    found = {h.package: h for p in update.REQUIREMENTS.glob("*.in") for h in update.held(p.read_text())}
    assert set(found) == {"pytest", "uv-build", "huaweicloudsdkcph"}
    assert "from_fixture" in found["pytest"].why
    assert update.held(IN_FILE) == [Held("pytest", "9.1.1", "9.2.0 breaks it")]
    # The build backend is held because the template pins it too: the two must name the same release.
    template = (TEMPLATES / "pyproject_uv.toml.jinja").read_text()
    assert re.findall(r"uv_build==([^\"']+)", template) == [found["uv-build"].version]


INFO = "openapi: 3.0.3\ninfo:\n  title: t\n{line}\npaths: {{}}\n"


@pytest.mark.parametrize(
    ("text", "old", "new"),
    [
        (INFO.format(line="  version: 1.0.0"), "1.0.0", "1.0.1"),
        (INFO.format(line='  version: "2.3.9"  # semver'), "2.3.9", "2.3.10"),
        (INFO.format(line="  version: '0.1.0'"), "0.1.0", "0.1.1"),
        # Only info's own version: not one nested under it, nor one elsewhere.
        ("info:\n  contact:\n    version: 9.9.9\n  version: 1.4.2\nx:\n  version: 7.7.7\n", "1.4.2", "1.4.3"),
    ],
)
def test_bump_patch_edits_only_info_version(text: str, old: str, new: str) -> None:
    bumped, was, now = update.bump_patch(text)
    assert (was, now) == (old, new)
    changed = [(a, b) for a, b in zip(text.splitlines(), bumped.splitlines(), strict=True) if a != b]
    assert len(changed) == 1
    assert changed[0][1] == changed[0][0].replace(old, new)


def test_bump_patch_on_the_spec() -> None:
    text = spec.SPEC_PATH.read_text()
    bumped, old, new = update.bump_patch(text)
    assert old == spec.load()["info"]["version"]
    assert yaml.safe_load(bumped)["info"]["version"] == new
    assert [line for line in bumped.splitlines() if line not in text.splitlines()] == [f"  version: {new}"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (INFO.format(line="  version: 1.0"), "not MAJOR.MINOR.PATCH"),
        (INFO.format(line="  version: 1.0.0-rc.1"), "not MAJOR.MINOR.PATCH"),
        ("openapi: 3.0.3\ninfo: {title: t, version: 1.0.0}\n", "no `version:` line"),
        ("openapi: 3.0.3\ninfo:\n  title: t\n  contact:\n    version: 1.0.0\n", "no `version:` line"),
    ],
)
def test_bump_patch_refuses_what_it_cannot_edit(text: str, reason: str) -> None:
    with pytest.raises(UpdateError, match=reason):
        update.bump_patch(text)


PINNED = "{}  huaweicloud_cph_client-1.0.0-py3-none-any.whl\n"


def test_the_summary_of_a_regenerated_client() -> None:
    changed = Client(
        ("cph_client/openapi.yaml", "pyproject.toml"),
        ("1.0.0", "1.0.1", "the wheel's bytes changed"),
        PINNED.format("a" * 64),
        PINNED.format("b" * 64),
    )
    text = update.summary([], changed, [], [])
    assert "generated/ changed (2 files): `cph_client/openapi.yaml`, `pyproject.toml`." in text
    assert "info.version 1.0.0 -> 1.0.1 in openapi/cph.yaml: a PATCH release, since the wheel's bytes changed" in text
    assert f"the wheel's new SHA-256: `{'b' * 64}` (was `{'a' * 64}`)" in text
    same = update.summary([], Client((), None, PINNED.format("a" * 64), PINNED.format("a" * 64)), [], [])
    assert "generated/ did not change" in same
    assert f"did not change: `{'a' * 64}`" in same
    assert "info.version" not in same


def test_the_summary_lists_held_pins_and_stale_lines() -> None:
    text = update.summary([], None, [(Held("pytest", "9.1.1", "9.2.0 breaks it"), "9.2.0")], ["README.md:3: x"])
    assert "| pytest | 9.1.1 | 9.2.0 | 9.2.0 breaks it |" in text
    assert "- README.md:3: x" in text


def test_stale_mentions_name_old_versions_only() -> None:
    moved = [Move("uvicorn", "0.54.0", "0.55.0", ("dev",)), Move("uv-build", "0.12.24", "0.13.6", ("dev",))]
    files = {
        "README.md": "uvicorn 0.54.0 and uv_build 0.12.24.\nuvicorn 0.55.0\nuvicorn 0.54.01, myuvicorn 0.54.0\n",
        "x.in": "uv-build==0.12.24\n",
    }
    assert update.stale_mentions(moved, files) == [
        "README.md:1: uvicorn 0.54.0 and uv_build 0.12.24.",
        "x.in:1: uv-build==0.12.24",
    ]
    assert update.stale_mentions([Move("uvicorn", None, "0.55.0", ("dev",))], files) == []


def workflow_problems(doc: dict[Any, Any], text: str) -> list[str]:
    """What the update workflow must not be, read from its parsed doc and its text (comments hold the pins'
    releases)."""
    problems = []
    triggers = doc.get("on", doc.get(True)) or {}  # PyYAML reads the bare key `on` as True
    if "schedule" not in triggers or "workflow_dispatch" not in triggers:
        problems.append("runs weekly and on demand")
    if {"pull_request_target", "workflow_run"} & set(triggers):
        problems.append("a trigger that runs with write access on others' code")
    if doc.get("permissions") != {}:
        problems.append("the workflow grants nothing")
    jobs = doc.get("jobs", {})
    for name, job in jobs.items():
        wanted = {"contents": "write", "pull-requests": "write"} if name == "update" else {"contents": "read"}
        if job.get("permissions") != wanted:
            problems.append(f"job {name} asks for {wanted}")
    for job in jobs.values():
        for step in job.get("steps", []):
            if (
                step.get("uses", "").startswith("actions/checkout@")
                and step["with"]["persist-credentials"] is not False
            ):
                problems.append("checkout leaves no token in .git/config (zizmor's default persona allows it)")
    runs = [step.get("run", "").strip() for job in jobs.values() for step in job.get("steps", [])]
    found = [
        next((i for i, run in enumerate(runs) if run.startswith("make update ")), -1),
        runs.index("make test") if "make test" in runs else -1,
        next((i for i, run in enumerate(runs) if "gh pr create" in run), -1),
    ]
    if -1 in found or found != sorted(found):
        problems.append("make update, then make test, then the pull request")
    for line in text.splitlines():
        if "uses:" in line and not re.search(r"uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line):
            problems.append(f"pinned by SHA with its release: {line.strip()}")
    return problems


def _mutated(change: str) -> tuple[dict[Any, Any], str]:
    text = WORKFLOW.read_text()
    doc = copy.deepcopy(yaml.safe_load(text))
    job = doc["jobs"]["update"]
    if change == "no schedule":
        del doc[True]["schedule"]
    elif change == "pull_request_target":
        doc[True]["pull_request_target"] = None
    elif change == "permissions on the workflow":
        doc["permissions"] = {"contents": "read"}
    elif change == "more on the job":
        job["permissions"]["actions"] = "write"
    elif change == "no make test":
        job["steps"] = [step for step in job["steps"] if step.get("run") != "make test"]
    elif change == "credentials kept":
        job["steps"][0]["with"]["persist-credentials"] = True
    elif change == "a tag, not a SHA":
        text = re.sub(r"actions/checkout@\w+", "actions/checkout@v7", text)
    return doc, text


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ("none", None),
        ("no schedule", "runs weekly and on demand"),
        ("pull_request_target", "a trigger that runs with write access on others' code"),
        ("permissions on the workflow", "the workflow grants nothing"),
        ("more on the job", "job update asks for"),
        ("no make test", "make update, then make test, then the pull request"),
        ("credentials kept", "checkout leaves no token"),
        ("a tag, not a SHA", "pinned by SHA with its release"),
    ],
)
def test_the_update_workflow(change: str, problem: str | None) -> None:
    problems = workflow_problems(*_mutated(change))
    if problem is None:
        assert problems == []
    else:
        assert len(problems) == 1
        assert problems[0].startswith(problem)
