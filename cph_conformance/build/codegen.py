"""Regenerate generated/ from the spec, or check that it matches the spec.

    python -m cph_conformance.build.codegen generate   # make generate
    python -m cph_conformance.build.codegen check      # make check-generated

The client is always rendered into a scratch folder first: a spec the generator rejects leaves
generated/ as it was, and the generator's own reason is printed. The generator's templates, ours in templates/
included, get facts() besides the generator's own variables: the spec's SHA-256, Huawei's page, the supported
Pythons and the client's license, which the wheel's README, metadata and package attributes state. The hand-written
modules of client_extras/ (AK/SK signing, paging, the fake CPH of cph_client.testing) are then copied into the
package, with a JSON copy of the spec for the fake to read, and its LICENSE into the project, so they ship in the
wheel and `check` verifies them like every generated file.
"""

from __future__ import annotations

import argparse
import difflib
import filecmp
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from cph_conformance.spec import ROOT, SPEC_PATH

GENERATED = ROOT / "generated"
CONFIG = ROOT / "generator-config.yaml"
TEMPLATES = ROOT / "templates"
# Hand-written modules of the package, copied in after generation: never edited in generated/ either.
EXTRAS = ROOT / "client_extras"
PACKAGE = "cph_client"
# Left behind by tools that ran inside generated/; never part of the output.
IGNORED = {"__pycache__", ".ruff_cache", ".mypy_cache", ".pytest_cache"}
# The Pythons the client supports: its Requires-Python floor and classifiers, its README, and the CI job that installs
# the pinned wheel on each (tests/test_client_package.py holds the workflow to this list). Widening it is a minor
# version of the client, narrowing it a major one.
PYTHONS = ("3.11", "3.12", "3.13", "3.14")
# The client's license, an SPDX expression; client_extras/LICENSE is its text, which the wheel ships. Its classifier
# too, which the expression makes redundant, for pip before 25.1 (Python 3.11's and 3.12's own): their `pip show`
# reads no License-Expression, and lists classifiers.
LICENSE = "Apache-2.0"
LICENSE_CLASSIFIER = "License :: OSI Approved :: Apache Software License"

# The generator's own command line, with facts() added to its templates' globals: argv[1] is them, as JSON.
_GENERATOR = """
import json, sys
import openapi_python_client
from openapi_python_client.cli import app
facts = json.loads(sys.argv.pop(1))
init = openapi_python_client.Project.__init__
def with_facts(self, *args, **kwargs):
    init(self, *args, **kwargs)
    self.env.globals.update(facts)
openapi_python_client.Project.__init__ = with_facts
app()
"""


class GenerationError(Exception):
    """The spec or the toolchain stopped generation; the message says why and what to do."""


def tools_first(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """env (else this process' environment) with this environment's scripts first on PATH: a child process runs the
    locked tools, whatever else PATH holds."""
    given = dict(os.environ if env is None else env)
    return {**given, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{given.get('PATH', '')}"}


def _check_ruff(env: Mapping[str, str]) -> None:
    """The ruff that env's PATH finds is this environment's, at the pinned version.

    The generator's post-hooks run whichever `ruff` PATH finds, and ruff's version changes the output.
    """
    bindir = Path(sys.executable).parent
    found = shutil.which("ruff", path=env.get("PATH"))
    if found is None or Path(found).parent != bindir:
        raise GenerationError(f"the pinned ruff is not installed in {bindir}: run `make setup`")
    out = subprocess.run([found, "--version"], capture_output=True, text=True, check=True, env=env).stdout.split()
    if out[-1] != metadata.version("ruff"):
        raise GenerationError(f"{found} reports {out[-1]}, the lock pins {metadata.version('ruff')}: run `make setup`")


def validate_spec(spec: Path = SPEC_PATH) -> None:
    try:
        # Imported here: the conformance run reads this module's paths (through build.wheel) and has no use
        # for the validator, a quarter of a second of imports.
        from openapi_spec_validator import validate
        from openapi_spec_validator.readers import read_from_filename

        spec_dict, base_uri = read_from_filename(str(spec))
        validate(spec_dict, base_uri=base_uri)
    except Exception as exc:  # the validator raises several unrelated types; all mean "bad spec"
        # Its messages can quote the whole document: keep the reason and where it is.
        reason = (getattr(exc, "message", None) or str(exc)).splitlines()[0]
        where = getattr(exc, "json_path", "")
        raise GenerationError(f"{spec} is not a valid OpenAPI document: {reason[:500]} {where}".rstrip()) from exc


def facts(spec: Path = SPEC_PATH) -> dict[str, Any]:
    """What the templates state beyond the generator's variables (package_version is the spec's info.version)."""
    # libyaml's parser when PyYAML has it, as spec.load() reads the spec (ten times faster than PyYAML's own).
    loaded = yaml.load(spec.read_bytes(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506  (safe)
    page = (loaded["info"] or {}).get("x-page") or {}
    if not {"url", "updated"} <= page.keys():
        raise GenerationError(f"{spec} has no info.x-page with url and updated: the client's metadata names the page")
    return {
        "spec_sha256": hashlib.sha256(spec.read_bytes()).hexdigest(),
        "page_url": str(page["url"]),
        "page_updated": str(page["updated"]),
        "pythons": list(PYTHONS),
        "license": LICENSE,
        "license_classifier": LICENSE_CLASSIFIER,
    }


def render(dest: Path, spec: Path = SPEC_PATH, env: Mapping[str, str] | None = None) -> None:
    """Generate the client project into dest, which must not exist; the generator runs in env (else this
    process' environment)."""
    validate_spec(spec)
    cmd = [
        sys.executable,
        "-c",
        _GENERATOR,
        json.dumps(facts(spec)),
        "generate",
        "--path",
        str(spec),
        "--config",
        str(CONFIG),
        "--meta",
        "uv",
        "--fail-on-warning",
        "--custom-template-path",
        str(TEMPLATES),
        "--output-path",
        str(dest),
    ]
    child_env = tools_first(env)
    _check_ruff(child_env)
    result = subprocess.run(cmd, capture_output=True, text=True, env=child_env, cwd=dest.parent)
    if result.returncode != 0 or not (dest / PACKAGE).is_dir():
        raise GenerationError(
            f"openapi-python-client rejected {spec.relative_to(ROOT) if spec.is_relative_to(ROOT) else spec}:\n"
            f"{result.stdout}{result.stderr}".rstrip()
        )
    # The wheel carries the contract it was generated from, and its license.
    shutil.copyfile(spec, dest / PACKAGE / "openapi.yaml")
    write_json_copy(spec, dest / PACKAGE / "openapi.json")
    shutil.copyfile(EXTRAS / "LICENSE", dest / "LICENSE")
    copy_extras(dest / PACKAGE)
    # --overwrite only clears models/ and api/, and ruff leaves a cache: neither belongs in the output.
    shutil.rmtree(dest / ".ruff_cache", ignore_errors=True)


def write_json_copy(spec: Path, dest: Path) -> None:
    """The spec as JSON, for the package's own code to read (cph_client.testing): the wheel has no YAML parser."""
    loaded = yaml.load(spec.read_bytes(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506  (safe)
    dest.write_text(json.dumps(loaded, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def copy_extras(package: Path, extras: Path = EXTRAS) -> None:
    """Copy the hand-written modules and subpackages into the generated package; one that would replace a generated
    file stops."""
    sources = [
        *sorted(extras.glob("*.py")),
        *sorted(p for p in extras.iterdir() if p.is_dir() and p.name not in IGNORED),
    ]
    for source in sources:
        target = package / source.name
        if target.exists():
            raise GenerationError(f"{extras.name}/{source.name} would replace the generated {PACKAGE}/{source.name}")
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns(*IGNORED))
        else:
            shutil.copyfile(source, target)


def generate(spec: Path = SPEC_PATH, dest: Path = GENERATED, env: Mapping[str, str] | None = None) -> None:
    """Replace dest with a fresh rendering (the generator runs in env, else this process' environment); dest is
    untouched when the spec is rejected."""
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".generate-") as scratch:
        fresh = Path(scratch) / "generated"
        render(fresh, spec, env)
        shutil.rmtree(dest, ignore_errors=True)
        fresh.rename(dest)


def _files(tree: Path) -> set[Path]:
    return {
        p.relative_to(tree)
        for p in tree.rglob("*")
        if p.is_file() and not IGNORED.intersection(p.relative_to(tree).parts)
    }


def diff_trees(expected: Path, actual: Path) -> list[str]:
    """A unified diff, file by file, of what actual (generated/) must change to equal expected."""
    lines: list[str] = []
    want, have = _files(expected), _files(actual)
    for rel in sorted(want | have):
        a, b = actual / rel, expected / rel
        if rel in want and rel in have and filecmp.cmp(a, b, shallow=False):
            continue
        old = a.read_text(encoding="utf-8").splitlines(keepends=True) if rel in have else []
        new = b.read_text(encoding="utf-8").splitlines(keepends=True) if rel in want else []
        lines.extend(difflib.unified_diff(old, new, f"generated/{rel}", f"regenerated/{rel}"))
        if rel not in have:
            lines.append(f"+++ missing from generated/: {rel}\n")
        if rel not in want:
            lines.append(f"--- not produced by the generator: generated/{rel}\n")
    return lines


def check() -> bool:
    with tempfile.TemporaryDirectory(prefix="cph-check-generated-") as scratch:
        fresh = Path(scratch) / "generated"
        render(fresh)
        lines = diff_trees(fresh, GENERATED)
    if lines:
        sys.stdout.writelines(lines)
        print(
            "\ngenerated/ does not match openapi/ and the generator config: run `make generate` and commit the result."
        )
        return False
    print(f"generated/ matches the spec ({len(_files(GENERATED))} files).")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["generate", "check"])
    args = parser.parse_args(argv)
    try:
        if args.command == "generate":
            generate()
            print(f"generated/ regenerated from {SPEC_PATH.relative_to(ROOT)}.")
            return 0
        return 0 if check() else 1
    except GenerationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
