"""What a run was, so that its reports alone replay it: the endpoint, the commit and whether the tree was clean, the
spec's and the wheel's SHA-256, the versions that decide what is sent, every setting (a secret only as set or not),
when it started and how long it took, and the one command that sends the same requests again."""

from __future__ import annotations

import hashlib
import importlib.metadata
import platform
import shlex
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field

from cph_conformance import settings, spec
from cph_conformance.build import wheel
from cph_conformance.spec import ROOT, SPEC_PATH


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


@dataclass(frozen=True)
class Commit:
    """The commit a run ran from, read when it starts (a commit made meanwhile is not the run's)."""

    head: str | None  # 12 hex digits; None outside a git checkout
    clean: bool

    @classmethod
    def now(cls) -> Commit:
        head = _git("rev-parse", "--short=12", "HEAD")
        return cls(head, head is not None and not _git("status", "--porcelain", "--untracked-files=no"))

    def __str__(self) -> str:
        if self.head is None:
            return "unknown (not a git checkout)"
        return f"{self.head} ({'clean' if self.clean else 'with uncommitted changes'})"


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def replay(env: Mapping[str, str], live: bool, at: Commit | None = None) -> str:
    """The command that replays a run from the same commit, in a fresh git worktree of its own (the user's checkout,
    its branch and its reports stay as they are): every setting of the run that is not a secret, as an option, and
    the settings of a mock it started, which have no option, before it; the credential comes from the environment,
    as it did. The settings of the reports (CPH_REPORTS_DIR, CPH_HISTORY...) are unset for it: it writes its reports
    in the worktree's reports/ and joins no history."""
    head = (at or Commit.now()).head
    mock = [f"{name}={value}" for name, value in _mock_settings(env, live)]
    options = []
    for s in settings.SETTINGS:
        if s.flag is None or s.group not in (settings.ENDPOINT, settings.RUN):
            continue
        if s.group == settings.ENDPOINT and not live:
            continue  # the run starts its own mock
        value = settings.value(env, s.name, live)
        if value:
            options += [s.flag, value]
    unset = [word for s in settings.SETTINGS if s.group == settings.REPORTS for word in ("-u", s.name)]
    command = shlex.join(["env", *unset, *mock, ".ci/conformance", *options])
    if head is None:  # no commit to check out: here, with its reports in a new folder
        return f'{command} --reports-dir "$(mktemp -d)"'
    return f'dir="$(mktemp -d)" && git worktree add --detach "$dir" {head} && (cd "$dir" && {command})'


def _mock_settings(env: Mapping[str, str], live: bool) -> list[tuple[str, str]]:
    """The settings that shaped the mock a run started (its catalog, its fault); none for a live run."""
    if live:
        return []
    return [(s.name, env[s.name]) for s in settings.SETTINGS if s.name in MOCK_SHAPERS and env.get(s.name)]


MOCK_SHAPERS = ("CPH_MOCK_IMAGES", "CPH_MOCK_FAULT")


@dataclass(frozen=True)
class Mock:
    """The mock a run started, as a reproduction starts it again: its catalog's size and its fault."""

    images: int
    fault: str | None = None


def mock_of(env: Mapping[str, str], live: bool) -> Mock | None:
    """The mock a run against no endpoint started (CPH_MOCK_IMAGES, CPH_MOCK_FAULT); None for a live run."""
    if live:
        return None
    return Mock(int(settings.value(env, "CPH_MOCK_IMAGES")), env.get("CPH_MOCK_FAULT") or None)


@dataclass
class About:
    """The facts of a run, in the order the reports show them."""

    facts: list[tuple[str, str]] = field(default_factory=list)
    replay: str = ""
    mock: Mock | None = None  # the mock the run started; None: a live endpoint
    by_token: bool = True  # the credential was CPH_AUTH_TOKEN (or the mock's token): curl can send it again


def of(
    env: Mapping[str, str],
    endpoint: str,
    live: bool,
    started: str,
    seconds: float,
    requests: int,
    at: Commit | None = None,
) -> About:
    """The facts of a run that started from commit `at` (read now, if not given)."""
    at = at or Commit.now()
    version = spec.load()["info"]["version"]
    pins = wheel.pinned()
    pin = pins.get(wheel.version(f"x-{version}-py3-none-any.whl"))
    shown = []
    for s in settings.SETTINGS:
        if s.group not in (settings.ENDPOINT, settings.CREDENTIAL, settings.RUN, settings.REPORTS):
            continue
        if s.kind.secret:
            if env.get(s.name):
                shown.append(f"{s.name} (set)")
        elif env.get(s.name) or s.group == settings.RUN:
            shown.append(f"{s.name}={settings.value(env, s.name, live)}")
    shown += [f"{name}={value}" for name, value in _mock_settings(env, live)]
    facts = [
        ("endpoint", endpoint),
        ("commit", str(at)),
        ("spec SHA-256", hashlib.sha256(SPEC_PATH.read_bytes()).hexdigest() + f" ({SPEC_PATH.relative_to(ROOT)})"),
        ("wheel SHA-256", f"{pin[0]} ({pin[1]}, pinned)" if pin else f"none pinned for version {version}"),
        (
            "versions",
            f"Python {platform.python_version()}, schemathesis {_version('schemathesis')}, "
            f"huaweicloudsdkcph {_version('huaweicloudsdkcph')}, spec {spec.load()['info']['version']}",
        ),
        ("settings", ", ".join(shown)),
        ("started", started),
        ("duration", f"{seconds:.1f} s"),
        ("requests sent", str(requests)),
    ]
    by_token = not live or bool(env.get("CPH_AUTH_TOKEN", "").strip())
    return About(facts, replay(env, live, at), mock_of(env, live), by_token)
