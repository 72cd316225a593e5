"""Build generated/ into a byte-reproducible wheel: dist/<name>-<version>-py3-none-any.whl and dist/SHA256SUMS.

uv_build already writes fixed timestamps and sorted entries; what it copies from the file system is each
file's mode, so the sources are copied to a scratch folder with modes set to 644/755 before building.
The backend is the exact uv_build of the lock, run without build isolation: nothing is downloaded.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

import uv_build

from cph_conformance.codegen import GENERATED, IGNORED
from cph_conformance.spec import ROOT

DIST = ROOT / "dist"


def _normalised_copy(src: Path, dest: Path) -> None:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(*IGNORED, "dist"))
    for path in [dest, *dest.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(out: Path = DIST) -> Path:
    """Build the wheel into out, write out/SHA256SUMS and return the wheel's path."""
    out.mkdir(parents=True, exist_ok=True)
    # uv_build finds its binary on PATH, as a PEP 517 frontend would have it.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    with tempfile.TemporaryDirectory(prefix="cph-wheel-") as scratch:
        project = Path(scratch) / "project"
        _normalised_copy(GENERATED, project)
        built = Path(scratch) / "built"
        built.mkdir()
        cwd = Path.cwd()
        os.chdir(project)
        try:
            name = uv_build.build_wheel(str(built))
        finally:
            os.chdir(cwd)
        wheel = out / name
        shutil.copyfile(built / name, wheel)
    (out / "SHA256SUMS").write_text(f"{sha256(wheel)}  {wheel.name}\n", encoding="utf-8")
    return wheel


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=DIST, help="folder for the wheel and SHA256SUMS (default: dist/)")
    args = parser.parse_args(argv)
    wheel = build(args.out)
    print(f"{sha256(wheel)}  {wheel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
