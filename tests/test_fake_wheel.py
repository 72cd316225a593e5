"""End to end, in the background: the fake CPH served to the conformance run, and the wheel's fixture in a user's own
virtual environment.

- `.ci/conformance`, pointed at the fake (its ASGI app, served by uvicorn from a thread of this process on 127.0.0.1)
  with an AK/SK pair, passes, and its summary's checks and requests are those of tests/test_conformance_run.py's run
  against the clean mock (a child process; the same catalog, credential route and settings): only the runner's
  command line, exit status and reports/summary.md are read.
- A fresh virtual environment with the pinned wheel, installed by its hash, and pytest: the README's test files (the
  cph_fake fixture, a throttling fault, the client's paging) pass; the plugin comes from the wheel's entry point (with
  plugins not auto-loaded, the fixture is missing).
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from cph_client.testing import Catalog, FakeCph, asgi_app
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from cph_conformance.build import wheel
from cph_conformance.mock import catalog, server
from cph_conformance.settings import BY_OLD_NAME
from cph_conformance.spec import ROOT
from tests import background
from tests.test_conformance_run import CLEAN, WHOLE_RUN, settings
from tests.test_fake_readme import FILES
from tests.test_wheel import _requirement, _run

# None of the session's own CPH_* variables or run settings reaches a run.
USERS = {k: v for k, v in background.ENVIRONMENT.items() if not k.startswith("CPH_") and k not in BY_OLD_NAME}


@dataclass(frozen=True)
class Run:
    status: int
    output: str
    summary: str


def checks(summary: str) -> dict[str, tuple[str, str]]:
    """A summary's table of checks: what each rests on, and its result."""
    table = summary.split("## Checks\n", 1)[1].split("\n## ", 1)[0]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in table.splitlines() if "|" in line]
    return {check: (rests_on, result) for check, rests_on, _judged, result in rows[2:]}


def requests(summary: str) -> str:
    """A summary's count of requests, by part of the run."""
    found = re.search(r"^(\d+ requests \(.*?\));", summary, flags=re.MULTILINE)
    return found.group(1) if found else ""


def _against_the_fake(folder: Path) -> Run:
    """`.ci/conformance` at the fake, as tests/test_conformance_run.py points the runner at the clean mock: the same
    settings and credential route, so that the two summaries can be compared."""
    fake = FakeCph(Catalog.generated(catalog.DEFAULT_SIZE))
    reports = folder / "reports"
    with server.serving_in_thread(asgi_app(fake)) as base_url:
        given = {"CPH_BASE_URL": base_url, "CPH_PROJECT_ID": fake.project_id, "CPH_AK": fake.ak, "CPH_SK": fake.sk}
        env = {**USERS, **settings({**given, **WHOLE_RUN}, reports)}
        ran = background.completed([str(ROOT / ".ci" / "conformance")], env, timeout=300, stderr=subprocess.STDOUT)
    summary = reports / "summary.md"
    return Run(ran.returncode, ran.stdout, summary.read_text() if summary.exists() else "")


# --- a user's virtual environment -----------------------------------------------------------------------------------


def needed_by(distribution: str) -> set[str]:
    """distribution and every distribution it needs on this Python, by name, as this environment has them."""
    found: set[str] = set()
    todo = [distribution]
    while todo:
        name = canonicalize_name(todo.pop())
        if name in found:
            continue
        found.add(name)
        for line in metadata.requires(name) or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return found


def locked(names: set[str], lock: str) -> str:
    """The entries of a uv-compiled lock (`name==version \\` and its hashes) for names."""
    entries = re.split(r"\n(?=[^\s#])", lock)
    return "".join(e.rstrip("\n") + "\n" for e in entries if canonicalize_name(e.split("==")[0]) in names)


@dataclass(frozen=True)
class User:
    installed: subprocess.CompletedProcess[str]
    tested: subprocess.CompletedProcess[str] | None  # pytest on the README's test files
    without_plugins: subprocess.CompletedProcess[str] | None  # the same, plugins not auto-loaded


def _user(folder: Path) -> User:
    """The README's way: the client's lock, pytest's entries of the dev lock, and the pinned wheel by its hash."""
    built: Path = background.result("tests.test_wheel", "installed").wheel
    pinned, _ = wheel.pinned()[wheel.version(built)]
    client_lock = (ROOT / "requirements" / "client.lock").read_text()
    already = {canonicalize_name(e.split("==")[0]) for e in re.findall(r"^[^\s#]\S*", client_lock, re.MULTILINE)}
    pytest_entries = locked(needed_by("pytest") - already, (ROOT / "requirements" / "dev.lock").read_text())
    requirements = folder / "requirements.txt"
    requirements.write_text(client_lock + pytest_entries + _requirement(built, pinned))
    venv = folder / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], env=background.ENVIRONMENT).check_returncode()
    python = venv / "bin" / "python"
    uv = Path(sys.executable).parent / "uv"
    install = [str(uv), "pip", "install", "--python", str(python), "--require-hashes", "-r", str(requirements)]
    installed = _run(install, env=background.ENVIRONMENT)
    if installed.returncode != 0:
        return User(installed, None, None)
    background.stop_if_ended()
    tests = folder / "tests"
    tests.mkdir()
    for name, code in FILES.items():
        (tests / name).write_text(code)
    # The installed wheel alone: not generated/, which make puts on the path; no bytecode of a throwaway venv cached.
    alone = {**USERS, "PYTHONPATH": "", "PYTHONDONTWRITEBYTECODE": "1"}
    pytest = [str(python), "-m", "pytest", "-p", "no:cacheprovider", "-q", str(tests)]
    tested = _run(pytest, cwd=tests, env=alone)
    background.stop_if_ended()
    without_plugins = _run([*pytest, "--disable-plugin-autoload"], cwd=tests, env=alone)
    return User(installed, tested, without_plugins)


BACKGROUND = {"fake": _against_the_fake, "user": _user}
fake = background.fixture(__name__, "fake")
user = background.fixture(__name__, "user")
TESTS = sum(len(re.findall(r"^def test_", code, flags=re.MULTILINE)) for code in FILES.values())


def test_the_conformance_run_against_the_fake_passes(fake: Run) -> None:
    assert fake.status == 0, fake.output[-3000:]
    assert "**Verdict: passed**" in fake.summary
    results = {result for _rests_on, result in checks(fake.summary).values()}
    assert len(checks(fake.summary)) > 10 and results == {"passed"}, checks(fake.summary)


def test_the_fake_passes_every_check_the_mock_passes(fake: Run) -> None:
    """The same requests (one seed, one catalog, one route), the same checks, each with the same result."""
    mock = background.result("tests.test_conformance_run", "runs")[CLEAN]
    assert mock.status == 0, repr(mock.output)
    assert checks(fake.summary) == checks(mock.summary)
    assert requests(fake.summary) == requests(mock.summary) != ""


def test_a_user_tests_their_code_with_the_fixture_of_the_pinned_wheel(user: User) -> None:
    assert user.installed.returncode == 0, user.installed.stderr[-3000:]
    assert user.tested is not None and user.tested.returncode == 0, user.tested and user.tested.stdout[-3000:]
    assert f"{TESTS} passed" in user.tested.stdout


def test_the_fixture_comes_from_the_wheels_entry_point(user: User) -> None:
    assert user.without_plugins is not None and user.without_plugins.returncode != 0
    assert "fixture 'cph_fake' not found" in user.without_plugins.stdout
