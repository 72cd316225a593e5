"""Move every pin to the newest release that resolves, rebuild what depends on them, and say what moved.

    python -m cph_conformance.build.update [--summary FILE]   # make update [SUMMARY=FILE]

1. uv resolves requirements/*.in with each `name==version` pin loosened to `name>=version`, every other line as
   written, the client's own ranges (generated/pyproject.toml) beside them, upgrading everything. A pin whose line
   says `# held: <why>` stays where it is.
2. The resolved versions are written into the pins (only the version of each pin line changes), then
   `make lock UPGRADE=1` recompiles both hash-pinned locks.
3. If requirements/dev.lock moved (the generator, ruff, the build backend or anything they import),
   `make generate` and `make pin-wheel`. If the client or its wheel changed, which here can only be because tools
   moved, the PATCH part of the spec's info.version is raised, then the client regenerated and the wheel re-pinned.
4. The summary, in Markdown, is printed (and written to FILE): what moved, old -> new, in which lock; whether the
   client changed and the wheel's hash; held pins with their newest release; lines that still name an old version.

It refuses to start when requirements/, openapi/ or generated/ hold uncommitted changes, so `git checkout --` on
them undoes a run, and nothing it did not write is lost.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

from cph_conformance.build.codegen import GENERATED
from cph_conformance.build.wheel import PINNED
from cph_conformance.spec import ROOT, SPEC_PATH

REQUIREMENTS = ROOT / "requirements"
LOCKS = {"dev": REQUIREMENTS / "dev.lock", "client": REQUIREMENTS / "client.lock"}
# What a run may rewrite: it starts only when git has nothing uncommitted here.
OWNED = ("requirements", "openapi", "generated")
# Tracked files not searched for old versions: the locks and the client are rewritten by the run, BENCHMARKS.md
# records the versions its measurements were made with, and tests name versions as examples (a real one that went
# stale fails its test).
NOT_SEARCHED = ("requirements/", "generated/", "BENCHMARKS.md", "tests/")
# `name==version` or `name[extra]==version` at the start of a requirements line.
_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?P<extras>\[[^\]]*\])?==(?P<version>[^\s;#\\]+)")
_HELD = re.compile(r"#\s*held:\s*(?P<why>.*)$")
_SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")


class UpdateError(Exception):
    """The run cannot go on; the message says why and how to recover."""


def canonical(name: str) -> str:
    """A distribution's name as PEP 503 compares it."""
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_versions(text: str) -> dict[str, str]:
    """{canonical name: version} of a `uv pip compile` lock (or any requirements file of `==` pins)."""
    return {canonical(m["name"]): m["version"] for m in map(_PIN.match, text.splitlines()) if m}


@dataclasses.dataclass(frozen=True)
class Move:
    """A package whose locked version changed; old is None for one added, new None for one dropped."""

    package: str
    old: str | None
    new: str | None
    locks: tuple[str, ...]


def moves(before: Mapping[str, str], after: Mapping[str, str]) -> list[Move]:
    """What moved between two sets of locks' texts, keyed by lock name, by package, with the locks it moved in."""
    found: dict[tuple[str, str | None, str | None], list[str]] = {}
    for lock in sorted(before.keys() | after.keys()):
        old, new = lock_versions(before.get(lock, "")), lock_versions(after.get(lock, ""))
        for package in old.keys() | new.keys():
            if old.get(package) != new.get(package):
                found.setdefault((package, old.get(package), new.get(package)), []).append(lock)
    return [Move(package, old, new, tuple(locks)) for (package, old, new), locks in sorted(found.items())]


@dataclasses.dataclass(frozen=True)
class Held:
    package: str
    version: str
    why: str


def held(text: str) -> list[Held]:
    """The pins of a requirements.in that say `# held: <why>`."""
    found = []
    for line in text.splitlines():
        pin, why = _PIN.match(line), _HELD.search(line)
        if pin and why:
            found.append(Held(canonical(pin["name"]), pin["version"], why["why"].strip()))
    return found


def loosen(text: str) -> str:
    """A requirements.in with each pin that is not held loosened from `==version` to `>=version`: never older."""
    out = []
    for line in text.splitlines(keepends=True):
        pin = _PIN.match(line)
        if pin and not _HELD.search(line):
            line = f"{line[: pin.start('version') - 2]}>={line[pin.start('version') :]}"
        out.append(line)
    return "".join(out)


def repin(text: str, versions: Mapping[str, str]) -> str:
    """A requirements.in whose pins that are not held name versions[package]; nothing else on any line changes."""
    out = []
    for line in text.splitlines(keepends=True):
        pin = _PIN.match(line)
        if pin and not _HELD.search(line) and canonical(pin["name"]) in versions:
            line = f"{line[: pin.start('version')]}{versions[canonical(pin['name'])]}{line[pin.end('version') :]}"
        out.append(line)
    return "".join(out)


def bump_patch(text: str) -> tuple[str, str, str]:
    """(text with the PATCH part of info.version raised by one, old version, new version). Only that line changes:
    its quotes, comment and the rest of the file stay as they are."""
    lines = text.splitlines(keepends=True)
    in_info, child_indent = False, None
    for i, line in enumerate(lines):
        bare = line.split("#", 1)[0].rstrip()
        if not bare:
            continue
        if not line[0].isspace():  # a top-level key ends the block before it
            in_info, child_indent = bare == "info:", None
            continue
        if not in_info:
            continue
        indent = len(line) - len(line.lstrip(" "))
        child_indent = indent if child_indent is None else child_indent
        found = re.match(r"(?P<head> +version:\s*(?P<q>['\"]?))(?P<version>[^'\"\s#]+)(?P=q)", line)
        if indent == child_indent and found:
            old = found["version"]
            if not _SEMVER.fullmatch(old):
                raise UpdateError(f"info.version is {old!r}, not MAJOR.MINOR.PATCH: raise it by hand")
            major, minor, patch = old.split(".")
            new = f"{major}.{minor}.{int(patch) + 1}"
            lines[i] = f"{found['head']}{new}{line[found.end('version') :]}"
            result = "".join(lines)
            if yaml.safe_load(result)["info"]["version"] != new:  # the edit must mean what it says
                raise UpdateError(f"could not raise info.version {old} on its own line: raise it by hand")
            return result, old, new
    raise UpdateError("the spec has no `version:` line directly under a top-level `info:`: raise it by hand")


def stale_mentions(moved: Iterable[Move], files: Mapping[str, str]) -> list[str]:
    """`path:line: text` of each line of files ({path: text}) that names a moved package with its old version."""
    patterns = []
    for m in moved:
        if m.old and m.new:
            name = re.escape(m.package).replace(r"\-", "[-_.]")  # uv-build, uv_build, ...
            patterns.append(re.compile(rf"(?i)(?<![\w.-]){name}(?:==| )v?{re.escape(m.old)}(?!\w|\.\w)"))
    found = []
    for path, text in sorted(files.items()):
        for number, line in enumerate(text.splitlines(), 1):
            if any(p.search(line) for p in patterns):
                found.append(f"{path}:{number}: {line.strip()}")
    return found


@dataclasses.dataclass(frozen=True)
class Client:
    """What became of the generated client: the generated/ files that changed, the info.version raised (old, new,
    what changed first) if it was, and the pinned wheel's line of openapi/wheel.sha256 before and after."""

    changed_files: tuple[str, ...]
    version: tuple[str, str, str] | None
    wheel_before: str
    wheel_after: str


def summary(moved: list[Move], client: Client | None, held_back: list[tuple[Held, str]], stale: list[str]) -> str:
    """The Markdown summary; client is None when nothing was regenerated; held_back pairs a held pin with the
    newest release there is."""
    out = ["## make update", ""]
    if not moved:
        out += ["Nothing moved: every locked package is at the newest release its pins allow.", ""]
    else:
        out += [f"{len(moved)} package(s) moved:", "", "| package | old | new | lock |", "|---|---|---|---|"]
        out += [f"| {m.package} | {m.old or '(new)'} | {m.new or '(dropped)'} | {', '.join(m.locks)} |" for m in moved]
        out.append("")
    if client is not None:
        out += ["### The generated client", ""]
        if client.changed_files:
            listed = ", ".join(f"`{f}`" for f in client.changed_files[:10])
            more = f" and {len(client.changed_files) - 10} more" if len(client.changed_files) > 10 else ""
            out.append(f"- generated/ changed ({len(client.changed_files)} files): {listed}{more}.")
        else:
            out.append("- generated/ did not change: the moved tools generate the same client.")
        if client.version:
            old, new, why = client.version
            release = f"a PATCH release, since {why} only because tools moved"
            out.append(f"- info.version {old} -> {new} in openapi/cph.yaml: {release}.")
        digest = _digest(client.wheel_after)
        if client.wheel_after != client.wheel_before:
            out.append(f"- the wheel's new SHA-256: `{digest}` (was `{_digest(client.wheel_before)}`).")
        else:
            out.append(f"- the wheel's SHA-256 did not change: `{digest}`.")
        out.append("")
    if held_back:
        out += ["### Held pins (`# held:` in requirements/*.in; make update leaves them)", ""]
        out += ["| package | pinned | newest | why held |", "|---|---|---|---|"]
        out += [f"| {h.package} | {h.version} | {newest} | {h.why} |" for h, newest in held_back]
        out.append("")
    if stale:
        out += ["### Lines that still name an old version (check by hand)", ""]
        out += [f"- {line}" for line in stale]
        out.append("")
    return "\n".join(out)


def _digest(pinned_line: str) -> str:
    found = re.search(r"\b[0-9a-f]{64}\b", pinned_line)
    return found[0] if found else pinned_line.strip()


# Everything below runs tools and touches the working tree: `make update` exercises it, the tests do not.


def _run(*cmd: str, capture: bool = False, stdin: str | None = None) -> str:
    try:
        result = subprocess.run(cmd, cwd=ROOT, check=True, text=True, capture_output=capture, input=stdin)
    except subprocess.CalledProcessError as exc:
        detail = f":\n{exc.stdout}{exc.stderr}" if capture else ""
        raise UpdateError(
            f"`{' '.join(cmd)}` failed ({exc.returncode}){detail}\n`git checkout -- {' '.join(OWNED)}` undoes this run."
        ) from exc
    return result.stdout if capture else ""


def _make(*args: str, quiet: bool = False) -> None:
    """Run a make target; quiet keeps its output (uv prints each lock whole) unless it fails."""
    _run("make", "--no-print-directory", "-s", *args, capture=quiet)


def _uv() -> str:
    return str(Path(sys.executable).parent / "uv")


def _newest(inputs: dict[str, str]) -> dict[str, str]:
    """The versions uv resolves, upgrading everything, for loosened copies of the requirements.in files (inputs:
    {file name: text}) together with the client's ranges."""
    with tempfile.TemporaryDirectory(prefix="cph-update-") as scratch:
        for name, text in inputs.items():
            (Path(scratch) / name).write_text(loosen(text), encoding="utf-8")
        resolved = _run(
            _uv(), "pip", "compile", str(Path(scratch) / "dev.in"), str(GENERATED / "pyproject.toml"),
            "--universal", "--python-version", "3.11", "--upgrade", "--no-header", "--no-annotate", "--quiet",
            capture=True,
        )  # fmt: skip
    return lock_versions(resolved)


def _newest_releases(packages: list[str]) -> dict[str, str]:
    if not packages:
        return {}
    out = _run(
        _uv(), "pip", "compile", "-", "--no-deps", "--upgrade", "--python-version", "3.11", "--no-header", "--quiet",
        capture=True, stdin="\n".join(packages),
    )  # fmt: skip
    return lock_versions(out)


def _tracked_texts() -> dict[str, str]:
    texts = {}
    for path in _run("git", "ls-files", capture=True).splitlines():
        if path.startswith(NOT_SEARCHED) or not (ROOT / path).is_file():
            continue
        try:
            texts[path] = (ROOT / path).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # not text
    return texts


def _changed_since_commit(*paths: str) -> tuple[str, ...]:
    """The files under paths that differ from the last commit: the run starts on a clean tree, so what it changed."""
    out = _run("git", "status", "--porcelain", "--untracked-files=all", "--", *paths, capture=True)
    return tuple(sorted(line[3:] for line in out.splitlines()))


def _regenerate() -> None:
    _make("generate")
    _make("pin-wheel")


def run() -> str:
    """Update everything, as the module's docstring says; return the summary."""
    dirty = _run("git", "status", "--porcelain", "--", *OWNED, capture=True)
    if dirty:
        raise UpdateError(f"uncommitted changes in {', '.join(OWNED)}; commit or stash them first:\n{dirty}")
    inputs = {p.name: p.read_text(encoding="utf-8") for p in sorted(REQUIREMENTS.glob("*.in"))}
    before = {name: path.read_text(encoding="utf-8") for name, path in LOCKS.items()}
    newest = _newest(inputs)
    for name, text in inputs.items():
        (REQUIREMENTS / name).write_text(repin(text, newest), encoding="utf-8")
    _make("lock", "UPGRADE=1", quiet=True)
    after = {name: path.read_text(encoding="utf-8") for name, path in LOCKS.items()}
    client = None
    if before["dev"] != after["dev"]:
        wheel_before = PINNED.read_text(encoding="utf-8")
        _regenerate()
        version = None
        first = _changed_since_commit("generated", str(PINNED.relative_to(ROOT)))
        if first:
            text, old, new = bump_patch(SPEC_PATH.read_text(encoding="utf-8"))
            SPEC_PATH.write_text(text, encoding="utf-8")
            why = (
                "generated/ changed" if any(p.startswith("generated/") for p in first) else "the wheel's bytes changed"
            )
            version = (old, new, why)
            _regenerate()
        _make("lock", quiet=True)  # the client's lock follows generated/pyproject.toml, which the generator writes
        after = {name: path.read_text(encoding="utf-8") for name, path in LOCKS.items()}
        changed = tuple(path.removeprefix("generated/") for path in _changed_since_commit("generated"))
        client = Client(changed, version, wheel_before, PINNED.read_text(encoding="utf-8"))
    moved = moves(before, after)
    holds = [h for text in inputs.values() for h in held(text)]
    releases = _newest_releases([h.package for h in holds])
    held_back = [(h, releases.get(h.package, "?")) for h in holds]
    return summary(moved, client, held_back, stale_mentions(moved, _tracked_texts()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--summary", type=Path, help="also write the summary (Markdown) to this file")
    args = parser.parse_args(argv)
    try:
        text = run()
    except UpdateError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(text)
    if args.summary:
        args.summary.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
