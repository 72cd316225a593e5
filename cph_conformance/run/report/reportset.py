"""Reports are never lost: each run writes its report set into a folder of its own and makes it visible whole at the
end, with one atomic operation; an earlier set is never deleted or half-overwritten, and a crash leaves it as it was.

The folder the user names (CPH_REPORTS_DIR, `reports` by default) is a symbolic link to the last set published,
`<name>.d/<start time>-<pid>/` beside it, so that `reports/summary.md` is where users and CI look for it:

    reports -> reports.d/20261204T101500Z-4242
    reports.d/20261204T101500Z-4242/   summary.md, summary.html, junit.xml, ... (the last run, visible)
    reports.d/20261204T093012Z-3977/   an earlier run, kept
    reports.d/20261204T100001Z-4100/   a run that ended before its set was complete: INCOMPLETE says why

Publishing renames a new link over the old one (rename(2) is atomic): a reader of `reports/` sees the earlier set or
the new one, never a mix, never nothing. A first run that finds a real folder there holding only the tool's own files
moves it into `<name>.d/` as an earlier set (a rename, nothing deleted); a folder holding anything else, or a link
this tool did not make, is refused (ReportsError, one line naming it; the caller exits 2).

Runs on the same reports folder run side by side, each in its own set; only the moments that change what two runs
share take a lock (fcntl.flock on `<name>.d/.lock`): moving an old folder in, and the swap of the link, each a few
milliseconds. The last run to publish is the one `reports/` shows; every set stays in `<name>.d/`. A run that cannot
get the lock within LOCK_WAIT seconds (another run stopped while holding it) gets a ReportsError naming that run's
pid. The history (CPH_HISTORY) is read, changed and written under a lock of its own (update_history), so that two
runs each keep their entry, and written atomically (atomic.py), so that a full disk or a kill leaves it as it was.

    with ReportSet.open(reports_dir, artifacts=runner.ARTIFACTS) as rs:
        rs.path                      # the set's folder: write everything here (schemathesis too)
        rs.write_text("summary.md", text)
        rs.publish()                 # the set becomes what reports/ shows
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import fcntl
import os
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from cph_conformance.run.report import atomic

INCOMPLETE = "INCOMPLETE"  # in a set the run did not publish: why
LOCK = ".lock"
LOCK_WAIT = 30.0  # seconds a run waits for another to finish a swap or a history update
REQUIRED = ("summary.md", "summary.html", "junit.xml")  # a set is not published without them
ALSO_OWN = ("summary.png", INCOMPLETE)  # files of the tool's beyond a run's artifacts (make render-report's)


class ReportsError(Exception):
    """The reports cannot be kept as they must be: the message, one line, says why and what to do."""


def sets_folder(reports: Path) -> Path:
    """Where the report sets of `reports` live: `<reports>.d` beside it."""
    return reports.parent / f"{reports.name}.d"


def _absolute(reports: Path) -> Path:
    return Path(os.path.abspath(reports))  # not resolve(): the link itself is what is named


def _as_is(text: str) -> str:
    return text


def _reason(exc: BaseException) -> str:
    return f"{exc.strerror or exc}" if isinstance(exc, OSError) else f"{type(exc).__name__}: {exc}"


@contextlib.contextmanager
def locked(path: Path, what: str, wait: float = LOCK_WAIT) -> Iterator[None]:
    """Hold an exclusive lock on the file at path (made if need be), waiting at most `wait` seconds; ReportsError
    naming the process that holds it when it stays held. The holder's pid is written in the file. A killed holder's
    lock is released by the system."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "unknown"
                    raise ReportsError(
                        f"another run (pid {holder}) has held {path} for {wait:.0f} s while it {what}; "
                        "try again when it has ended."
                    ) from None
                time.sleep(0.05)
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def update_history(
    path: Path,
    change: Callable[[list[dict[str, Any]]], Sequence[dict[str, Any]]],
    wait: float = LOCK_WAIT,
) -> list[dict[str, Any]]:
    """The history at path read, changed and written back under a lock (`.<name>.lock` beside it), so that runs
    that end together each keep their entry; written atomically: a full disk raises ReportsError and leaves the
    file as it was. change(runs) gets the runs as they are now and returns them as they must be. stored.Unusable
    when the file is not a history."""
    from cph_conformance.run.report import history  # here: a set alone needs none of what history imports

    lock = path.parent / f".{path.name}.lock"
    try:
        with locked(lock, "updated the history", wait):
            runs = list(change(history.load(path)))
            history.save(path, runs)
    except OSError as exc:
        raise ReportsError(
            f"CPH_HISTORY={str(path)!r} could not be written: {_reason(exc)}; it was left as it was."
        ) from None
    return runs


class ReportSet:
    """One run's report set: made by open(), written into path, made visible by publish()."""

    def __init__(self, reports: Path, path: Path, required: Collection[str], mask: Callable[[str], str]) -> None:
        self.reports = reports  # as the user named it, for messages
        self.path = path  # this run's set
        self.required = tuple(required)
        self.mask = mask
        self.published = False

    @classmethod
    def open(
        cls,
        reports: Path,
        artifacts: Collection[str],
        required: Collection[str] = REQUIRED,
        mask: Callable[[str], str] = _as_is,
        now: datetime.datetime | None = None,
        wait: float = LOCK_WAIT,
    ) -> ReportSet:
        """A new set for a run that starts now, in `<reports>.d/`; an old real folder at `reports` holding only
        the tool's own files (artifacts, and ALSO_OWN) moved in first, as an earlier set. ReportsError, one line,
        when reports is something else (a folder with other files, a file, another link) or cannot be written."""
        absolute = _absolute(reports)
        folder = sets_folder(absolute)
        own = {*artifacts, *ALSO_OWN}
        _refuse_foreign(reports, absolute, folder, own)  # before anything is made beside it
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with locked(folder / LOCK, "moved an earlier folder in", wait):
                _refuse_foreign(reports, absolute, folder, own)  # as it is now that no other run changes it
                _adopt(absolute, folder)
            path = _new_folder(folder, now or datetime.datetime.now(datetime.UTC))
            atomic.write_text(
                path / INCOMPLETE,
                f"This report set is incomplete: the run (pid {os.getpid()}) that writes it has not finished.\n",
            )
        except OSError as exc:
            raise ReportsError(
                f"CPH_REPORTS_DIR={str(reports)!r} cannot hold the reports: {_reason(exc)}. "
                "Set it to a folder this user may write in."
            ) from None
        return cls(reports, path, required, mask)

    def __enter__(self) -> ReportSet:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self.published:
            return
        why = "it ended before publishing its reports" if exc is None else f"it ended with {_reason(exc)}"
        with contextlib.suppress(OSError):  # a full disk: the marker written at open() says enough
            atomic.write_text(
                self.path / INCOMPLETE,
                f"This report set is incomplete: the run (pid {os.getpid()}) {self.mask(why)}.\n",
            )

    def write_bytes(self, name: str, data: bytes) -> Path:
        """A file of the set, written whole or not at all; ReportsError (one line) when it cannot be."""
        target = self.path / name
        try:
            atomic.write_bytes(target, data, flushed=False)  # publish() flushes every file of the set, and the set
        except OSError as exc:
            raise ReportsError(
                f"the reports could not be written in {self.path}: {_reason(exc)}; "
                f"{self.reports} still shows the earlier reports."
            ) from None
        return target

    def write_text(self, name: str, text: str) -> Path:
        return self.write_bytes(name, atomic.utf8(text))

    def publish(self, wait: float = LOCK_WAIT) -> None:
        """Make this set what `reports` shows, in one atomic rename; ReportsError when a required file is missing
        or the swap cannot be made (the set stays complete in `<reports>.d/`, and reports as it was)."""
        missing = [name for name in self.required if not (self.path / name).is_file()]
        if missing:
            raise ReportsError(f"the report set in {self.path} lacks {', '.join(missing)}: it was not published.")
        absolute = _absolute(self.reports)
        folder = self.path.parent
        try:
            for name in os.listdir(self.path):
                if not name.startswith("."):
                    with open(self.path / name, "rb") as f:  # what another process wrote (schemathesis'), flushed
                        os.fsync(f.fileno())
            (self.path / INCOMPLETE).unlink(missing_ok=True)
            atomic.sync_folder(self.path)
            with locked(folder / LOCK, "published its reports", wait):
                if absolute.exists() and not absolute.is_symlink():
                    raise ReportsError(
                        f"CPH_REPORTS_DIR={str(self.reports)!r} became a folder during the run; this run's reports "
                        f"are in {self.path}."
                    )
                link = absolute.parent / f".{absolute.name}.{os.getpid()}.link"
                link.unlink(missing_ok=True)
                os.symlink(os.path.relpath(self.path, absolute.parent), link)
                os.replace(link, absolute)
                atomic.sync_folder(absolute.parent)
        except OSError as exc:
            raise ReportsError(
                f"the reports in {self.path} could not be published as {self.reports}: {_reason(exc)}."
            ) from None
        self.published = True


def sets(reports: Path) -> list[Path]:
    """Every report set of reports, oldest first (by the time its name starts with)."""
    folder = sets_folder(_absolute(reports))
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def _new_folder(folder: Path, now: datetime.datetime) -> Path:
    stamp = f"{now.astimezone(datetime.UTC):%Y%m%dT%H%M%SZ}-{os.getpid()}"
    for n in range(1, 1000):
        path = folder / (stamp if n == 1 else f"{stamp}-{n}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise OSError(errno.EEXIST, f"no new folder name in {folder}")


def _refuse_foreign(reports: Path, absolute: Path, folder: Path, own: set[str]) -> None:
    """ReportsError unless `absolute` is nothing, a link into folder, or a real folder of the tool's own files."""
    if absolute.is_symlink():
        target = Path(os.path.abspath(absolute.parent / os.readlink(absolute)))
        if target.parent != folder:
            raise ReportsError(
                f"CPH_REPORTS_DIR={str(reports)!r} is a symbolic link to {target}, not one this tool made: "
                "name another folder, or remove the link."
            )
        return
    if not absolute.exists():
        return
    if not absolute.is_dir():
        raise ReportsError(f"CPH_REPORTS_DIR={str(reports)!r} is a file, not a folder: name another folder.")
    foreign = sorted(name for name in os.listdir(absolute) if name not in own)
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise ReportsError(
            f"CPH_REPORTS_DIR={str(reports)!r} holds files this tool did not write ({shown}): it keeps each run's "
            "reports in a folder of their own beside it, and this one is not empty; name another folder."
        )


def _adopt(absolute: Path, folder: Path) -> None:
    """A real folder at `absolute` (of the tool's own files: _refuse_foreign) moved into folder as an earlier set,
    named by its time, and still shown at `absolute` through a link."""
    if absolute.is_symlink() or not absolute.exists():
        return
    stamp = f"{datetime.datetime.fromtimestamp(absolute.stat().st_mtime, datetime.UTC):%Y%m%dT%H%M%SZ}-earlier"
    earlier = folder / stamp
    for n in range(2, 1000):
        if not earlier.exists():
            break
        earlier = folder / f"{stamp}-{n}"
    os.rename(absolute, earlier)
    os.symlink(os.path.relpath(earlier, absolute.parent), absolute)
    atomic.sync_folder(absolute.parent)
