"""The client's page, its wheel's README (generated/README.md, from templates/README.md.jinja): its examples run as
written, in order, with nothing defined beforehand (the environment variables they read set from the mock), and pass
mypy --strict, so a user who pastes them gets what it says; a broken example fails. tests/test_wheel.py runs the same
examples in the installed wheel, on every supported Python this machine has."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest
from mypy import api as mypy_api

from cph_conformance import spec
from cph_conformance.build import codegen
from cph_conformance.mock import catalog
from cph_conformance.mock.server import RunningMock
from cph_conformance.spec import ROOT

README = codegen.GENERATED / "README.md"


def examples(text: str) -> str:
    """The ```python blocks of a Markdown text, in order, as one program."""
    return "\n".join(re.findall(r"^```python\n(.*?)^```$", text, flags=re.DOTALL | re.MULTILINE))


def variables(mock: RunningMock) -> dict[str, str]:
    """The environment variables the examples read, as `make mock` prints them."""
    return {
        "CPH_BASE_URL": mock.base_url,
        "CPH_PROJECT_ID": mock.project_id,
        "CPH_AK": mock.ak,
        "CPH_SK": mock.sk,
        "CPH_AUTH_TOKEN": mock.token,
    }


def run(program: str, mock: RunningMock | None) -> list[str]:
    """What the program prints, run in this process as written (its own globals, nothing defined beforehand), with
    the mock's variables in the environment (none without a mock)."""
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(out):
        for name in variables(mock).keys() if mock else ("CPH_BASE_URL",):
            patch.delenv(name, raising=False)
        for name, value in variables(mock).items() if mock else ():
            patch.setenv(name, value)
        exec(compile(program, "README.md", "exec"), {})  # noqa: S102
    return out.getvalue().splitlines()


def unexpected(lines: list[str]) -> list[str]:
    """How the README's printed lines differ from what it says they are (empty: none): every image of the mock's
    catalog, then the shared ones, then the expired token's error, then the client's version and spec."""
    every = [image["image_id"] for image in catalog.build(catalog.DEFAULT_SIZE).select("all")]
    shared = [image["image_id"] for image in catalog.build(catalog.DEFAULT_SIZE).select("share")]
    listed = [line.split()[0] for line in lines[: len(every) + len(shared)]]
    problems = [] if listed == every + shared else [f"listed {listed}, expected {every + shared}"]
    error, provenance = [*lines, "", ""][len(every) + len(shared) :][:2]
    if not re.fullmatch(r"401 APIGW\.0301 [0-9a-f]{32}", error):
        problems.append(f"the error line is {error!r}")
    carried = spec.SPEC_PATH.read_bytes()
    info = spec.load()["info"]
    if provenance.split() != [
        info["version"],
        codegen.facts()["spec_sha256"],
        info["x-page"]["updated"],
        str(len(carried)),
    ]:
        problems.append(f"the version line is {provenance!r}")
    if len(lines) != len(every) + len(shared) + 2:
        problems.append(f"{len(lines)} lines printed")
    return problems


def mypy_strict(programs: dict[str, str], folder: Path) -> dict[str, str]:
    """mypy --strict's errors for each program, as written, in one run; '' for a clean one."""
    for name, program in programs.items():
        (folder / f"{name}.py").write_text(program)
    config = folder / "mypy.ini"
    config.write_text(f"[mypy]\nstrict = True\npython_version = 3.11\nmypy_path = {ROOT / 'generated'}\n")
    # A cache of its own beside `make lint`'s (make clean removes both): httpx, attrs and the client are read
    # once, not on every run.
    cache = ROOT / ".mypy_cache" / "readme-examples"
    files = [str(folder / f"{name}.py") for name in programs]
    stdout, _, _ = mypy_api.run(["--config-file", str(config), "--cache-dir", str(cache), *files])
    # By file name: for a program it has seen, mypy repeats its cached errors with the folder of that first run.
    lines = stdout.splitlines(keepends=True)
    return {name: "".join(line for line in lines if Path(line.split(":")[0]).name == f"{name}.py") for name in programs}


# Breaks a user could make, that only running shows: what is replaced, by what, and what the failure says.
BREAKS = {
    "a name the client lacks": ("ImageType.SHARE", "ImageType.SHARED", "AttributeError"),
    "a line other than the README says": ("error.status, error.error_code", "error.error_code", "the error line"),
}


def test_the_readme_shows_what_a_user_needs() -> None:
    program = examples(README.read_text())
    for name in (
        "AkSkAuth",
        "token=iam_token",
        "paging.images",
        "paging.aimages",
        "CphApiError",
        "timeout=",
        "__spec_sha256__",
    ):
        assert name in program
    assert examples("# x\n```python\na = 1\n```\n```sh\nb\n```\n```python\nc = 2\n```\n") == "a = 1\n\nc = 2\n"


def test_the_examples_run_against_the_mock(mock: RunningMock) -> None:
    assert unexpected(run(examples(README.read_text()), mock)) == []


def test_the_examples_say_which_variable_is_missing_rather_than_fail_on_a_name() -> None:
    """Self-contained: without the environment they read, the first line that needs it names the variable (they once
    began with the reader's own `endpoint`, a NameError when pasted)."""
    with pytest.raises(KeyError, match="CPH_BASE_URL"):
        run(examples(README.read_text()), None)


def test_the_examples_pass_mypy_strict_and_a_mistyped_one_fails(tmp_path: Path) -> None:
    program = examples(README.read_text())
    broken = program.replace("limit=100", 'limit="100"')
    errors = mypy_strict({"readme": program, "broken": broken}, tmp_path)
    assert errors["readme"] == "", errors
    assert 'Argument "limit" to "aimages" has incompatible type "str"' in errors["broken"], errors


@pytest.mark.parametrize("name", BREAKS)
def test_a_broken_example_fails(mock: RunningMock, name: str) -> None:
    old, new, shows = BREAKS[name]
    program = examples(README.read_text())
    assert old in program
    try:
        problems = unexpected(run(program.replace(old, new), mock))
    except Exception as error:  # what the user's paste would raise
        problems = [repr(error)]
    assert any(shows in problem for problem in problems), problems
