"""Build generated/ into a byte-reproducible wheel: dist/<name>-<version>-py3-none-any.whl and dist/SHA256SUMS,
and hold it to the SHA-256 committed beside the spec, openapi/wheel.sha256.

    python -m cph_conformance.wheel         # make wheel: build, print the hash, fail (1) if it is not the pinned one
    python -m cph_conformance.wheel --pin   # make pin-wheel: build and record its hash (commit it with the spec)

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

from cph_conformance.codegen import GENERATED, IGNORED, tools_first
from cph_conformance.spec import ROOT, SPEC_PATH

DIST = ROOT / "dist"
# The wheel's expected SHA-256, in sha256sum's format; changes only with the spec, generated/ or a pinned tool.
PINNED = SPEC_PATH.parent / "wheel.sha256"
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


def pinned(path: Path = PINNED) -> tuple[str, str]:
    """The committed (sha256, wheel file name)."""
    digest, name = path.read_text(encoding="utf-8").split()
    return digest, name


def pin(wheel: Path, path: Path = PINNED) -> None:
    path.write_text(f"{sha256(wheel)}  {wheel.name}\n", encoding="utf-8")


def check(wheel: Path, path: Path = PINNED) -> None:
    """Raise WheelMismatch, naming both hashes, unless wheel is the one path pins."""
    want_digest, want_name = pinned(path)
    have_digest = sha256(wheel)
    if (have_digest, wheel.name) != (want_digest, want_name):
        rel = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        raise WheelMismatch(
            f"the wheel built here is not the pinned one: built {have_digest}  {wheel.name}, "
            f"{rel} pins {want_digest}  {want_name}. If the spec, generated/ or a pinned tool changed on purpose, "
            "run `make pin-wheel` and commit openapi/wheel.sha256 with them; otherwise this machine builds a "
            "different wheel (a tool outside the lock?)."
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DIST, help="folder for the wheel and SHA256SUMS (default: dist/)")
    parser.add_argument("--pin", action="store_true", help=f"record the built wheel's hash in {PINNED.name}")
    args = parser.parse_args(argv)
    wheel = build(args.out)
    print(f"{sha256(wheel)}  {wheel}")
    if args.pin:
        pin(wheel)
        print(f"pinned in {PINNED.relative_to(ROOT)}: commit it with the spec and generated/.")
        return 0
    try:
        check(wheel)
    except WheelMismatch as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"matches {PINNED.relative_to(ROOT)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
