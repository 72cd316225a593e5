"""The replay command in a run's reports gives the run the same settings again: every setting that shapes what it
sends, and never a secret; it runs in a fresh worktree at the run's commit, leaving the user's checkout, its
reports and its history as they are. The mock a run starts for itself is the one its settings and reports say."""

import contextlib
import os
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cph_conformance import settings
from cph_conformance.mock import server
from cph_conformance.run import runner
from cph_conformance.run.report import provenance
from cph_conformance.run.transport import target

TOKEN = "a-token-that-must-not-be-in-the-command"  # noqa: S105 - made up
SHAPING = [s.name for s in settings.SETTINGS if s.group == settings.RUN] + list(provenance.MOCK_SHAPERS)


def replayed(command: str, credential: dict[str, str]) -> dict[str, str]:
    """The settings the replay command gives a run: its variables, then its options, as the shell and the runner
    would read them."""
    words = shlex.split(command.split('(cd "$dir" && ', 1)[-1].removesuffix(")"))
    assert words.pop(0) == "env"
    while words[0] == "-u":
        words[:2] = []
    variables = {}
    while "=" in words[0]:
        name, value = words.pop(0).split("=", 1)
        variables[name] = value
    assert words[0] == ".ci/conformance"
    return settings.from_command_line(words[1:], {**credential, **variables}, "replay", "", runner.GROUPS)


@pytest.mark.parametrize(
    ("env", "live"),
    [
        ({}, False),
        ({"CPH_MOCK_FAULT": "pages-skip", "CPH_MOCK_IMAGES": "7", "CPH_SEED": "3", "CPH_PHASES": "fuzzing"}, False),
        ({"SEED": "3", "MAX_EXAMPLES": "4"}, False),  # old names: replayed under the new ones' options
        ({"CPH_BASE_URL": "https://cph.example.test", "CPH_PROJECT_ID": "p1", "CPH_AUTH_TOKEN": TOKEN}, True),
        ({"CPH_REGION": "cn-east-3", "CPH_PROJECT_ID": "p1", "CPH_AUTH_TOKEN": TOKEN, "STRICT": "1"}, True),
    ],
)
def test_the_replay_command_gives_the_same_settings(env: dict[str, str], live: bool) -> None:
    original = settings.checked(env)
    command = provenance.replay(original, live)
    credential = {name: value for name, value in env.items() if name in ("CPH_AUTH_TOKEN",)}
    again = replayed(command, credential)
    assert TOKEN not in command
    assert [settings.value(again, name, live) for name in SHAPING] == [
        settings.value(original, name, live) for name in SHAPING
    ]
    endpoint = ("CPH_BASE_URL", "CPH_REGION", "CPH_PROJECT_ID")
    assert [again.get(n) for n in endpoint] == [original.get(n) if live else None for n in endpoint]


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A user's checkout on a branch, whose .ci/conformance records where it ran, at which commit, with what."""
    folder = tmp_path / "checkout"
    (folder / ".ci").mkdir(parents=True)
    script = folder / ".ci" / "conformance"
    script.write_text(
        '#!/bin/sh\ncd "$(dirname "$0")/.."\n'
        '{ pwd; git rev-parse HEAD; env | grep "^CPH_" | sort; echo "$@"; } > "$RECORD"\nmkdir -p reports\n'
    )
    script.chmod(0o755)
    (folder / "reports").mkdir()
    (folder / "reports" / "summary.md").write_text("the user's last report\n")
    git(folder, "init", "-q", "-b", "work")
    git(folder, "add", ".ci")
    git(folder, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "the run's commit")
    return folder


def test_the_replay_runs_in_a_fresh_worktree_and_leaves_the_checkout_as_it_was(checkout: Path, tmp_path: Path) -> None:
    head = git(checkout, "rev-parse", "HEAD")
    (checkout / "later.txt").write_text("the user's work since the run\n")
    command = provenance.replay(settings.checked({"CPH_SEED": "3"}), False, provenance.Commit(head[:12], True))
    record = tmp_path / "record"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CPH_", "GIT_"))},
        "RECORD": str(record),
        "CPH_REPORTS_DIR": str(checkout / "reports"),
        "CPH_HISTORY": str(tmp_path / "history.json"),
        "TMPDIR": str(tmp_path),
    }
    subprocess.run(["bash", "-c", command], cwd=checkout, env=env, check=True, capture_output=True, text=True)
    ran_in, at, *rest = record.read_text().splitlines()
    assert Path(ran_in) != checkout and Path(ran_in).parent == tmp_path and at == head
    assert rest == [
        "--seed 3 --max-examples 100 --rate-limit 1000/s --deadline 600 --shrink-requests 500 --max-body 0 --strict 0 "
        "--walk 1 --replay 1 --fail-on-flaky 0 --phases examples,coverage,fuzzing"
    ]  # and no CPH_* variable: the reports' settings were unset
    assert (Path(ran_in) / "reports").is_dir()
    assert git(checkout, "branch", "--show-current") == "work"  # not a detached HEAD
    assert git(checkout, "status", "--porcelain").splitlines() == ["?? later.txt", "?? reports/"]
    assert (checkout / "reports" / "summary.md").read_text() == "the user's last report\n"
    assert not (tmp_path / "history.json").exists()


@contextlib.contextmanager
def _started(started: dict[str, Any], **given: Any) -> Iterator[server.RunningMock]:
    started.update(given)
    yield server.RunningMock(base_url="http://127.0.0.1:9", project_id="p", token="t")  # noqa: S106 - made up


@pytest.mark.parametrize(
    ("env", "images", "fault", "recorded"),
    [
        ({}, 60, None, []),
        (
            {"CPH_MOCK_IMAGES": "7", "CPH_MOCK_FAULT": "pages-skip"},
            7,
            "pages-skip",
            ["CPH_MOCK_IMAGES=7", "CPH_MOCK_FAULT=pages-skip"],
        ),
    ],
)
def test_the_mock_a_run_starts_is_the_one_its_settings_and_reports_say(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], images: int, fault: str | None, recorded: list[str]
) -> None:
    started: dict[str, Any] = {}
    monkeypatch.setattr(server, "running", lambda **given: _started(started, **given))
    checked = settings.checked(env)
    with target.from_environment(checked):
        pass
    assert (started["images"], started.get("fault")) == (images, fault)
    about = provenance.of(checked, "mock", False, "now", 1.0, 0, provenance.Commit(None, False))
    shown = dict(about.facts)["settings"]
    assert [word for word in shown.split(", ") if word.startswith("CPH_MOCK")] == recorded
    assert all(word in about.replay for word in recorded)


def test_a_mock_with_too_few_images_is_a_run_that_cannot_start() -> None:
    with (
        pytest.raises(target.CannotRun, match=r"^CPH_MOCK_IMAGES='2' is less than 3"),
        target.from_environment({"CPH_MOCK_IMAGES": "2"}),
    ):
        pass
