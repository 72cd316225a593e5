"""The README and the docs site (docs/*.md, built by MkDocs): every ```sh and ```python block runs, and what it
calls exists and takes what it is given; the generated parts come from the code; the site builds strict; the README
is short and says on its first screen that it covers one operation.

A ```sh block runs in bash in a folder of its own, where make, gh, git, curl, pip, python3.11, .ci/conformance and
.venv/bin/python are stand-ins that record how they were called (a block that ran the real make conformance would
take a minute, one that ran gh would need GitHub). Each call is then checked: the make target exists; the settings
in the environment and the options are ones the run takes, with no warning; the module exists; the secret or
variable is a setting of the live job. A ```python block runs as written, against the mock. A block marked
`<!-- not run: why -->` on the line before it is skipped with that reason. ```text blocks are sample output."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from cph_conformance import docs_pages, settings, spec
from cph_conformance.mock import faults
from cph_conformance.run import runner
from cph_conformance.spec import ROOT
from tests import background

README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
BLOCK = re.compile(r"(?:^<!-- not run: (?P<skip>[^>]+) -->\n)?^```(?P<lang>\w*)\n(?P<code>.*?)^```$", re.M | re.S)
LANGUAGES = {"sh", "python", "text"}
README_LINES = 150


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    lang: str
    code: str
    skip: str | None

    def __str__(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    return [
        Block(page, text.count("\n", 0, found.start("lang")) + 1, found["lang"], found["code"], found["skip"])
        for found in BLOCK.finditer(text)
    ]


EVERY = [block for page in PAGES for block in blocks(page)]
RUN = [block for block in EVERY if block.lang != "text"]

# The stand-in for every command a block may call (in bash: it starts in a millisecond, where Python takes 20): it
# records its name, folder, arguments and environment, and does the little a later line of a block relies on.
STAND_IN = r"""#!/bin/bash
n=$(( $(cat "$RECORD/count" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$RECORD/count"
printf '%s\0' "$0" "$PWD" "$@" > "$RECORD/$n.args"
for v in $(compgen -e); do printf '%s=%s\0' "$v" "${!v}"; done > "$RECORD/$n.env"
case "$(basename "$0") $*" in
  "make wheel"*) mkdir -p dist; printf '%064d  huaweicloud_cph_client-0-py3-none-any.whl\n' 0 > dist/SHA256SUMS ;;
  "make render-report"*) mkdir -p reports; : > reports/summary.png ;;
  *" -m venv "*) mkdir -p "$3/bin"; ln -sf "$0" "$3/bin/python"; ln -sf "$0" "$3/bin/pip" ;;
esac
"""
COMMANDS = ("make", "gh", "git", "curl", "pip", "python3", "python3.11")
TYPED = "a-value-typed-at-the-prompt\n" * 20  # what read -rs gets


def sandbox(folder: Path) -> Path:
    """A folder where a block runs: the stand-ins on PATH, and in place of .ci/conformance and .venv/bin/python."""
    work = folder / "clone"
    for path in [*(f"bin/{c}" for c in COMMANDS), ".ci/conformance", ".venv/bin/python"]:
        (work / path).parent.mkdir(parents=True, exist_ok=True)
        (work / path).write_text(STAND_IN)
        (work / path).chmod(0o755)
    (work / "docs" / "images").mkdir(parents=True)
    return work


BUSY_TRIES = 5  # runs of a block that met "Text file busy"


def run_sh(code: str, folder: Path) -> list[dict[str, Any]]:
    """The calls a block made, run in a sandbox; AssertionError with its output when it fails. A stand-in just written
    may be held open for writing by a child another thread forked meanwhile, until that child execs: running it then
    fails with ETXTBSY ("Text file busy"), and the block is run again, from the start."""
    work, record = sandbox(folder), folder / "record"
    env = {"PATH": f"{work / 'bin'}:/usr/bin:/bin", "HOME": str(folder), "RECORD": str(record), "LANG": "C.UTF-8"}
    for _ in range(BUSY_TRIES):
        shutil.rmtree(record, ignore_errors=True)
        record.mkdir()
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-c", code],
            cwd=work,
            env=env,
            input=TYPED,
            capture_output=True,
            text=True,
        )
        if "Text file busy" not in done.stderr:
            break
        time.sleep(0.1)
    assert done.returncode == 0, done.stdout + done.stderr
    calls = []
    for n in range(1, int((record / "count").read_text()) + 1 if (record / "count").exists() else 1):
        name, cwd, *args = (record / f"{n}.args").read_bytes().decode().split("\0")[:-1]
        pairs = (item.split("=", 1) for item in (record / f"{n}.env").read_bytes().decode().split("\0")[:-1])
        seen = {k: v for k, v in pairs if k not in (*env, "PWD", "OLDPWD", "SHLVL", "_")}
        calls.append({"name": name, "cwd": cwd, "args": args, "env": seen})
    return calls


def targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][a-z-]*):.*## ", makefile, flags=re.M))


def _the_run_takes(args: list[str], env: dict[str, str]) -> list[str]:
    """What is wrong with the settings and options a run is given (empty: nothing)."""
    try:
        given = settings.from_command_line(args, env, "run", "", runner.GROUPS)
    except settings.BadSetting as exc:
        return [str(exc)]
    fault = given.get("CPH_MOCK_FAULT")
    return settings.warnings(env) + ([f"no fault {fault}"] if fault and fault not in faults.FAULTS else [])


def problems(call: dict[str, Any]) -> list[str]:
    """What is wrong with one call a block made (empty: nothing)."""
    name, args, env = Path(call["name"]).name, call["args"], call["env"]
    if name == "make":
        words = [a for a in args if not a.startswith("-") and "=" not in a]
        given = dict(a.split("=", 1) for a in args if "=" in a)
        found = [f"make {w}: no such target" for w in words if w not in targets()]
        if given.get("FAULT") and given["FAULT"] not in faults.FAULTS:
            found.append(f"FAULT={given['FAULT']}: no such fault")
        return found + (_the_run_takes([], env) if {"conformance", "mock"} & set(words) else [])
    if name == "conformance":
        return _the_run_takes(args, env)
    if name == "python" and args[:1] == ["-m"]:
        return [] if importlib.util.find_spec(args[1]) else [f"python -m {args[1]}: no such module"]
    if name == "gh" and args[:2] in (["secret", "set"], ["variable", "set"]):
        s = settings.BY_NAME.get(args[2])
        found = [] if s and s.group in (settings.CREDENTIAL, settings.LIVE) else [f"{args[2]} is no setting of the job"]
        return found + ([] if "--body" not in args else _json_problems(args[args.index("--body") + 1]))
    if name == "gh" and args[:2] == ["workflow", "run"]:
        workflow = yaml.safe_load((ROOT / ".github" / "workflows" / f"{args[2]}.yml").read_text())
        inputs = workflow[True]["workflow_dispatch"]["inputs"]  # YAML 1.1 reads the key `on` as True
        given = dict(args[i + 1].split("=", 1) for i, a in enumerate(args) if a == "-f")
        return [f"no input {k}" for k in given if k not in inputs] + _json_problems(given.get("regions", "[]"))
    return []


def _json_problems(text: str) -> list[str]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return [f"not JSON: {text} ({exc})"]
    regions = value if isinstance(value, list) else list(value) if isinstance(value, dict) else []
    return [f"{r} is not a region of the spec" for r in regions if r not in spec.regions()]


@pytest.mark.parametrize("block", RUN, ids=str)
def test_every_block_runs(block: Block, shell_blocks: dict[str, Ran], request: pytest.FixtureRequest) -> None:
    if block.skip:
        pytest.skip(block.skip)
    if block.lang == "python":
        from tests.test_readme import run

        run(block.code, request.getfixturevalue("mock"))
        return
    calls = shell_blocks[block.code].calls()
    assert calls, "the block calls none of the commands it is meant to show"
    assert [p for call in calls for p in problems(call)] == []


# Calls a block could get wrong, each caught: (the block, what the check says)
WRONG = [
    ("make conformence", "make conformence: no such target"),
    ("CPH_STRCT=1 make conformance", "CPH_STRCT is not a setting of the run, and is ignored; did you mean CPH_STRICT?"),
    ("CPH_REGION=mars-1 make conformance", "CPH_REGION='mars-1' is not a region"),
    ("make mock FAULT=pages-skipp", "FAULT=pages-skipp: no such fault"),
    (".ci/conformance --sed 7", "unrecognized arguments: --sed 7"),
    ("CPH_MOCK_FAULT=nope .ci/conformance", "no fault nope"),
    (".venv/bin/python -m cph_conformance.nothing", "python -m cph_conformance.nothing: no such module"),
    ("gh secret set CPH_TOKEN", "CPH_TOKEN is no setting of the job"),
    ("gh variable set CPH_REGIONS --body '[\"mars-1\"]'", "mars-1 is not a region of the spec"),
    ("gh workflow run ci -f region='[]'", "no input region"),
]


@pytest.mark.parametrize(("code", "says"), WRONG)
def test_a_wrong_call_in_a_block_is_caught(code: str, says: str, shell_blocks: dict[str, Ran]) -> None:
    found = [p for call in shell_blocks[code].calls() for p in problems(call)]
    assert any(p.startswith(says) for p in found), found


def test_a_block_that_fails_fails_its_test(tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="nope: command not found"):
        run_sh("nope --version", tmp_path)


def test_every_block_is_one_that_runs_or_sample_output() -> None:
    assert {block.lang for block in EVERY} <= LANGUAGES, [str(b) for b in EVERY if b.lang not in LANGUAGES]
    assert any(block.skip for block in EVERY) and all(block.lang == "sh" for block in EVERY if block.skip)


def test_the_readme_is_short_and_says_it_covers_one_operation_on_its_first_screen() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_LINES, f"README.md has {len(lines)} lines; move the rest into docs/"
    first_screen = " ".join(lines[:8])
    assert "**one operation**" in first_screen and spec.OPERATION_PATH.split("{project_id}")[1] in first_screen
    for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", "\n".join(lines)):
        assert (ROOT / image).read_bytes().startswith(b"\x89PNG"), image


def test_the_generated_parts_come_from_the_code() -> None:
    from cph_conformance.run import checks

    built = {page.name: docs_pages.fill(page.read_text(encoding="utf-8")) for page in DOCS.glob("*.md")}
    assert settings.markdown().strip() in built["settings.md"]
    assert checks.table().strip() in built["rules.md"]
    assert (ROOT / "generated" / "README.md").read_text().splitlines()[2] in built["client.md"]
    assert "<!-- generated:" not in "".join(built.values())
    with pytest.raises(ValueError, match="<!-- generated: nothing --> names nothing"):
        docs_pages.fill("<!-- generated: nothing -->\n")


def test_the_settings_page_names_every_old_name_and_when_it_goes() -> None:
    page = (DOCS / "settings.md").read_text(encoding="utf-8")
    until = ".".join(map(str, settings.OLD_NAMES_UNTIL))
    assert f"until version {until}" in page and all(f"`{old}`" in page for old in settings.BY_OLD_NAME)


def test_every_page_is_in_the_sites_navigation() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    listed = {page for entry in config["nav"] for page in entry.values()}
    assert listed == {page.name for page in DOCS.glob("*.md")}


def _build_site(folder: Path) -> subprocess.CompletedProcess[str]:
    """make docs' build (about a second), into a folder of the job's own: strict, so a broken link fails it."""
    env = {
        **background.ENVIRONMENT,
        "NO_MKDOCS_2_WARNING": "1",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'generated'}",
    }
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(folder / "site")]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@dataclass(frozen=True)
class Ran:
    """What run_sh made of a block: its calls, or the AssertionError it raised (raised again where it is read)."""

    made: list[dict[str, Any]] | AssertionError

    def calls(self) -> list[dict[str, Any]]:
        if isinstance(self.made, AssertionError):
            raise self.made
        return self.made


def _run_shell_blocks(folder: Path) -> dict[str, Ran]:
    """Every shell block of the pages, and each of WRONG, run by run_sh: a bash each, which waits on its stand-ins."""
    codes = {block.code for block in RUN if block.lang == "sh" and not block.skip} | {code for code, _ in WRONG}
    ran = {}
    for n, code in enumerate(sorted(codes)):
        background.stop_if_ended()
        (folder / str(n)).mkdir()
        try:
            ran[code] = Ran(run_sh(code, folder / str(n)))
        except AssertionError as failed:
            ran[code] = Ran(failed)
    return ran


BACKGROUND = {"site": _build_site, "shell_blocks": _run_shell_blocks}
site = background.fixture(__name__, "site")
shell_blocks = background.fixture(__name__, "shell_blocks")


def test_the_site_builds_strict(site: subprocess.CompletedProcess[str]) -> None:
    assert site.returncode == 0, site.stderr
    assert "WARNING" not in site.stderr, site.stderr


def test_the_readme_and_the_site_link_to_pages_that_exist() -> None:
    """MkDocs checks the site's links; the README's own links are GitHub's, checked here."""
    text = README.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
        if not target.startswith("http"):
            assert (ROOT / target).exists(), target
