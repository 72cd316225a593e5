"""The wheel's README shows a user's own tests with the `cph_fake` fixture (its ```python blocks named test_*.py): they
pass under pytest with the wheel's plugin, pass mypy --strict, and a broken one fails. tests/test_fake_wheel.py runs
the same files in a fresh virtual environment where only the wheel (and pytest) is installed."""

from __future__ import annotations

import re
from pathlib import Path

import cph_client.errors
import cph_client.paging
import cph_client.testing.pytest_plugin
import pytest

from tests.test_readme import README, mypy_strict

# Imported here, before any pytester run: pytester forgets the modules a run imports, and a module imported again
# is a second one (its CphApiError another class) beside the first, which its package still holds.
IMPORTED_FIRST = (cph_client.errors, cph_client.paging, cph_client.testing.pytest_plugin)

PLUGIN = "cph_client.testing.pytest_plugin"
# pytester's run is in this process, with no plugin but the one named: none auto-loaded, no cache written.
ARGS = ("--disable-plugin-autoload", "-p", PLUGIN, "-p", "no:cacheprovider", "-q")


def named_test_files(text: str) -> dict[str, str]:
    """The README's ```python blocks named as test files, by file name."""
    return dict(re.findall(r"^```python (test_\w+\.py)\n(.*?)^```$", text, flags=re.DOTALL | re.MULTILINE))


FILES = named_test_files(README.read_text())
TESTS = sum(len(re.findall(r"^def test_", code, flags=re.MULTILINE)) for code in FILES.values())


def run(pytester: pytest.Pytester, files: dict[str, str]) -> pytest.RunResult:
    for name, code in files.items():
        pytester.path.joinpath(name).write_text(code)
    return pytester.runpytest_inprocess(*ARGS)


def test_the_readme_shows_the_fixture_its_faults_and_paging() -> None:
    assert len(FILES) >= 2 and TESTS >= 4, FILES.keys()
    code = "\n".join(FILES.values())
    for shown in ("cph_fake", ".throttle(", "paging.images", "pytest.mark.cph_fake", "aksk=True", ".requests"):
        assert shown in code, shown
    assert named_test_files("```python test_a.py\nx = 1\n```\n```python\ny = 2\n```\n") == {"test_a.py": "x = 1\n"}


def test_the_readme_tests_pass_with_the_plugin(pytester: pytest.Pytester) -> None:
    run(pytester, FILES).assert_outcomes(passed=TESTS)


# Breaks a user could make, each failing the test it is in.
BREAKS = {
    "one throttled answer too many": ("cph_fake.throttle(times=2", "cph_fake.throttle(times=3"),
    "another page size": ("ImageType.SHARE, limit=2", "ImageType.SHARE, limit=1"),
    "the token where AK/SK was meant": ("client(aksk=True)", "client()"),
}


@pytest.mark.parametrize("name", BREAKS)
def test_a_broken_readme_test_fails(pytester: pytest.Pytester, name: str) -> None:
    old, new = BREAKS[name]
    files = {file: code.replace(old, new) for file, code in FILES.items()}
    assert files != FILES
    run(pytester, files).assert_outcomes(passed=TESTS - 1, failed=1)


def test_the_readme_tests_pass_mypy_strict_and_a_mistyped_one_fails(tmp_path: Path) -> None:
    programs = {Path(name).stem: code for name, code in FILES.items()}
    (mistyped,) = (code for code in programs.values() if "attempts: int = 3" in code)
    broken = mistyped.replace("attempts: int = 3", 'attempts: int = "3"')
    errors = mypy_strict({**programs, "broken": broken}, tmp_path)
    assert all(errors[name] == "" for name in programs), errors
    assert 'Incompatible default for parameter "attempts"' in errors["broken"], errors


def test_the_markers_arguments_are_fakecphs(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_marker="""
import pytest

@pytest.mark.cph_fake(project_id="0" * 32)
def test_given(cph_fake):
    assert cph_fake.project_id == "0" * 32

def test_fresh_for_each_test(cph_fake):
    assert cph_fake.project_id != "0" * 32 and cph_fake.requests == []

@pytest.mark.cph_fake("positional")
def test_refused(cph_fake):
    pass
"""
    )
    result = pytester.runpytest_inprocess(*ARGS, "--strict-markers")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*keyword arguments only*"])
