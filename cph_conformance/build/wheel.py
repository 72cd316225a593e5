"""Build generated/ into a byte-reproducible wheel: dist/<name>-<version>-py3-none-any.whl and dist/SHA256SUMS,
and hold it to the SHA-256 pinned for its version beside the spec, in openapi/wheel.sha256.

    python -m cph_conformance.build.wheel         # make wheel: build, print the hash; fail (1) unless pinned
    python -m cph_conformance.build.wheel --pin   # make pin-wheel: build and pin a new version

openapi/wheel.sha256 has a line for every version (its SHA-256 and wheel name, as sha256sum writes them), oldest
first. A version keeps its bytes: a wheel whose bytes changed while its version (the spec's info.version) did not
fails, saying which part of the version to bump, and pin() adds a line only for a version newer than every other.

uv_build already writes fixed timestamps and sorted entries; what it copies from the file system is each
file's mode, so the sources are copied to a scratch folder with modes set to 644/755 before building.
The backend is the exact uv_build of the lock, run without build isolation, as a PEP 517 frontend runs it: in a
child process whose working directory is the project and whose PATH finds the locked uv-build binary. Nothing is
downloaded, and this process' working directory and environment are left alone.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from cph_conformance.build.codegen import GENERATED, IGNORED, tools_first
from cph_conformance.spec import ROOT, SPEC_PATH

DIST = ROOT / "dist"
# Every version's SHA-256 (see above); changes only with a new version of the client.
PINNED = SPEC_PATH.parent / "wheel.sha256"
CHANGELOG = ROOT / "CHANGELOG.md"
# The PEP 517 hook, called in the child process: its last stdout line is the wheel's file name.
_HOOK = "import sys, uv_build; print(uv_build.build_wheel(sys.argv[1]))"


class WheelMismatch(Exception):
    """The wheel built here is not the one whose hash is committed; the message names both hashes."""


def _normalised_copy(src: Path, dest: Path) -> None:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(*IGNORED, "dist"))
    for path in [dest, *dest.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _backend(project: Path, out: Path, env: Mapping[str, str]) -> str:
    """Run uv_build's build_wheel hook in project, in env; return the wheel's file name."""
    result = subprocess.run(
        [sys.executable, "-c", _HOOK, str(out)], cwd=project, env=env, capture_output=True, text=True
    )
    lines = result.stdout.split()
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"uv_build failed ({result.returncode}) in {project}:\n{result.stdout}{result.stderr}")
    return lines[-1]


def build(out: Path = DIST, source: Path = GENERATED, env: Mapping[str, str] | None = None) -> Path:
    """Build the wheel of the project in source into out, write out/SHA256SUMS and return the wheel's path. The
    backend runs in env (else this process' environment)."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cph-wheel-") as scratch:
        project = Path(scratch) / "project"
        _normalised_copy(source, project)
        built = Path(scratch) / "built"
        built.mkdir()
        name = _backend(project, built, tools_first(env))
        wheel = out / name
        shutil.copyfile(built / name, wheel)
    (out / "SHA256SUMS").write_text(f"{sha256(wheel)}  {wheel.name}\n", encoding="utf-8")
    return wheel


def version(wheel: Path | str) -> tuple[int, int, int]:
    """The (major, minor, patch) of a wheel's file name: <name>-<version>-<tags>.whl."""
    text = Path(wheel).name.split("-")[1]
    parts = text.split(".")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        raise WheelMismatch(
            f"the client's version must be MAJOR.MINOR.PATCH (info.version in {SPEC_PATH.name}): {text}"
        )
    major, minor, patch = map(int, parts)
    return major, minor, patch


def _text(numbers: tuple[int, ...]) -> str:
    return ".".join(map(str, numbers))


def pinned(path: Path = PINNED) -> dict[tuple[int, int, int], tuple[str, str]]:
    """Every pinned version: (sha256, wheel file name), oldest first."""
    lines = [line.split() for line in path.read_text(encoding="utf-8").splitlines()]
    return {version(name): (digest, name) for digest, name in (line for line in lines if line and line[0][0] != "#")}


def _bump(have: tuple[int, int, int]) -> str:
    """The steps to a new version, with the next version of each kind."""
    major, minor, patch = have
    return f"""\
If the spec, a template, client_extras/ or a pinned tool changed on purpose, the client needs a new version:
  1. bump info.version in {SPEC_PATH.relative_to(ROOT)} ({_text(have)} now) to
       {_text((major, minor, patch + 1))}  if the client's API is unchanged (docs, metadata, annotations, a fix),
       {_text((major, minor + 1, 0))}  if it only gained something (a field, an optional parameter, a Python),
       {_text((major + 1, 0, 0))}  if anything was removed, renamed or narrowed;
  2. make generate
  3. make pin-wheel
  4. add a section for the new version to {CHANGELOG.name};
  5. commit them together.
(A version that never left your branch may be pinned again: delete its line first.)"""


def check(wheel: Path, path: Path = PINNED) -> None:
    """Raise WheelMismatch, saying what to do, unless wheel is the one path pins for its version."""
    have, digest = version(wheel), sha256(wheel)
    versions = pinned(path)
    rel = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    if versions.get(have) == (digest, wheel.name):
        return
    if have in versions:
        raise WheelMismatch(
            f"the wheel's bytes changed but its version did not:\n  built {digest}  {wheel.name}\n"
            f"  {rel} pins {versions[have][0]} for {_text(have)}\n{_bump(have)}\n"
            "Otherwise this machine builds a different wheel than the pinned one (a tool outside the lock?)."
        )
    newest = max(versions, default=None)
    if newest is not None and have < newest:
        raise WheelMismatch(
            f"version {_text(have)} is older than {_text(newest)}, the newest in {rel}: versions only go up"
        )
    raise WheelMismatch(
        f"version {_text(have)} is not pinned yet (built {digest}  {wheel.name}): run `make pin-wheel`, add a "
        f"section for {_text(have)} to {CHANGELOG.name}, and commit {rel} with the spec and generated/."
    )


def pin(wheel: Path, path: Path = PINNED) -> bool:
    """Add wheel's line to path (True), or find it there already (False). A version pinned to other bytes, or older
    than the newest, raises WheelMismatch: a pinned version never changes."""
    versions = pinned(path) if path.exists() else {}
    have = version(wheel)
    if have in versions or have < max(versions, default=have):
        check(wheel, path)  # passes only if it is pinned already, else says what to do
        return False
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(f"{text}{sha256(wheel)}  {wheel.name}\n", encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DIST, help="folder for the wheel and SHA256SUMS (default: dist/)")
    parser.add_argument("--pin", action="store_true", help=f"record the built wheel's hash in {PINNED.name}")
    args = parser.parse_args(argv)
    wheel = build(args.out)
    print(f"{sha256(wheel)}  {wheel}")
    try:
        if args.pin:
            if pin(wheel):
                print(f"pinned {wheel.name} in {PINNED.relative_to(ROOT)}: commit it with the spec and generated/.")
            else:
                print(f"{wheel.name} was pinned already.")
            return 0
        check(wheel)
    except WheelMismatch as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"matches {PINNED.relative_to(ROOT)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
