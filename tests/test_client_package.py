"""What a user of the client package relies on beyond its code: one version everywhere, a CHANGELOG section for every
pinned version, the spec and page it names, and CI installing it on every Python it claims."""

from __future__ import annotations

import hashlib
import re

import cph_client
import pytest
import yaml

from cph_conformance import spec
from cph_conformance.build import codegen, wheel
from cph_conformance.spec import ROOT
from tests.test_wheel import BELOW

WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"


def changelog_problems(pinned: list[str], text: str) -> list[str]:
    """How CHANGELOG.md's `## <version>` sections differ from the pinned versions, newest first (empty: none)."""
    sections = re.findall(r"^## (\S+)$", text, flags=re.MULTILINE)
    newest_first = pinned[::-1]
    problems = [f"no section for {version}" for version in newest_first if version not in sections]
    problems += [f"a section for {version}, which is not pinned" for version in sections if version not in pinned]
    if not problems and sections != newest_first:
        problems.append(f"sections {sections}, not newest first")
    return problems


def _pinned() -> list[str]:
    return [".".join(map(str, version)) for version in wheel.pinned()]


def test_one_version_everywhere() -> None:
    """info.version is the wheel's version: in its metadata, its README, the package, and the newest pin."""
    version = spec.load()["info"]["version"]
    pyproject = (codegen.GENERATED / "pyproject.toml").read_text()
    assert f'\nversion = "{version}"\n' in pyproject
    assert (codegen.GENERATED / "README.md").read_text().startswith(f"# huaweicloud-cph-client {version}\n")
    assert cph_client.__version__ == version
    assert _pinned()[-1] == version


def test_every_pinned_version_has_its_changelog_section() -> None:
    assert changelog_problems(_pinned(), wheel.CHANGELOG.read_text()) == []


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("## 1.1.0\n- b\n## 1.0.0\n- a\n", []),
        ("## 1.0.0\n- a\n", ["no section for 1.1.0"]),
        ("## 1.2.0\n## 1.1.0\n## 1.0.0\n", ["a section for 1.2.0, which is not pinned"]),
        ("## 1.0.0\n## 1.1.0\n", ["sections ['1.0.0', '1.1.0'], not newest first"]),
    ],
)
def test_a_changelog_out_of_step_is_caught(text: str, problems: list[str]) -> None:
    assert changelog_problems(["1.0.0", "1.1.0"], text) == problems


def test_the_package_names_its_spec_and_page() -> None:
    carried = (codegen.GENERATED / codegen.PACKAGE / "openapi.yaml").read_bytes()
    assert cph_client.__spec_sha256__ == hashlib.sha256(carried).hexdigest()
    assert carried == spec.SPEC_PATH.read_bytes()
    page = spec.load()["info"]["x-page"]
    assert (cph_client.__page_url__, cph_client.__page_updated__) == (page["url"], page["updated"])
    # The date is the one the page, kept verbatim, says it was updated on.
    first_line = (ROOT / "openapi" / "source" / "querying-the-image-of-a-cloud-phone.txt").read_text().splitlines()[0]
    assert first_line.startswith(f"Updated on {page['updated']} ")


def test_ci_installs_the_wheel_on_every_python_it_claims() -> None:
    """The workflow's client job: one run per supported Python, and the one below, each setting up that Python
    (setup-python, pinned as the test job pins it) and running make test-wheel for it alone."""
    jobs = yaml.safe_load(WORKFLOW.read_text())["jobs"]
    client = jobs["client"]
    assert client["strategy"]["matrix"]["python"] == [BELOW, *codegen.PYTHONS]
    setup = next(step for step in client["steps"] if step.get("uses", "").startswith("actions/setup-python@"))
    pinned_setup = next(step["uses"] for step in jobs["test"]["steps"] if "setup-python" in step.get("uses", ""))
    assert setup["uses"] == pinned_setup
    assert "${{ matrix.python }}" in setup["with"]["python-version"].splitlines()
    run = next(step for step in client["steps"] if "run" in step)
    assert run["run"] == "make test-wheel"
    assert run["env"] == {"CPH_WHEEL_PYTHONS": "${{ matrix.python }}"}


def test_the_client_lock_resolves_below_the_floor() -> None:
    """So that pip, there, reaches the wheel's Requires-Python instead of a dependency with no hash."""
    compiled = f"--python-version {BELOW} -o requirements/client.lock"
    assert compiled in (ROOT / "requirements" / "client.lock").read_text()
    assert compiled in (ROOT / "Makefile").read_text()
