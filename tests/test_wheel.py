"""The wheel is byte-reproducible, pinned by hash for its version, says what it is, and installs by hash into a fresh
environment of every supported Python this machine has, where the client's checks and its README's examples run."""

from __future__ import annotations

import functools
import glob
import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from email.message import Message
from email.parser import Parser
from pathlib import Path

import pytest

from cph_conformance import spec
from cph_conformance.build import codegen, wheel
from cph_conformance.build.codegen import GENERATED, IGNORED, PYTHONS
from cph_conformance.mock import catalog, server
from cph_conformance.spec import ROOT
from tests import background
from tests.test_readme import README, examples, unexpected

# What the installed client does, in its own venv: the generated endpoint on the spec's example answer, paging with
# AK/SK and with a token (sync and async) and a wrong credential's error against a mock, the README's examples, and
# what the package says it is. One JSON line on stdout.
CLIENT = """
import asyncio, contextlib, importlib.metadata, importlib.resources, io, json, os, sys
import httpx
import cph_client
from cph_client import AuthenticatedClient, paging
from cph_client.api.cloud_phone_images import list_cloud_phone_images
from cph_client.auth import AkSkAuth
from cph_client.errors import CphApiError
from cph_client.models import ImageType
env = os.environ
url, project = env["MOCK_URL"], env["MOCK_PROJECT"]
body = json.loads(env["EXAMPLE"])
transport = httpx.MockTransport(lambda request: httpx.Response(200, json=body))
canned = AuthenticatedClient(base_url="http://127.0.0.1:9", token="t", httpx_args={"transport": transport})
page = list_cloud_phone_images.sync("0" * 32, client=canned)
def clients():
    return {
        "aksk": AuthenticatedClient(base_url=url, auth=AkSkAuth(env["MOCK_AK"], env["MOCK_SK"], project)),
        "token": AuthenticatedClient(base_url=url, token=env["MOCK_TOKEN"]),
    }
async def alist(client):
    async with client:
        return [i.image_id async for i in paging.aimages(client, project, ImageType.ALL, limit=7)]
listed = {}
for name, client in clients().items():
    with client:
        listed[name + " sync"] = [i.image_id for i in paging.images(client, project, ImageType.ALL, limit=7)]
for name, client in clients().items():
    listed[name + " async"] = asyncio.run(alist(client))
errors = []
for wrong in (AkSkAuth(env["MOCK_AK"], "wrong-secret", project), None):
    client = AuthenticatedClient(base_url=url, auth=wrong) if wrong else AuthenticatedClient(base_url=url, token="x")
    try:
        paging.get_page(client, project)
    except CphApiError as error:
        errors.append([error.status, error.error_code])
readme = io.StringIO()
os.environ.update(CPH_BASE_URL=url, CPH_PROJECT_ID=project, CPH_AUTH_TOKEN=env["MOCK_TOKEN"])
os.environ.update(CPH_AK=env["MOCK_AK"], CPH_SK=env["MOCK_SK"])
with contextlib.redirect_stdout(readme):  # as written: the examples read the environment, nothing else
    exec(compile(env["README_EXAMPLES"], "README.md", "exec"), {})
print(json.dumps({
    "python": "%d.%d" % sys.version_info[:2],
    "page": page.to_dict(),
    "carried": importlib.resources.files("cph_client").joinpath("openapi.yaml").read_text(),
    "listed": listed,
    "errors": errors,
    "readme": readme.getvalue().splitlines(),
    "versions": [cph_client.__version__, importlib.metadata.version("huaweicloud-cph-client")],
}))
"""

# The Python just below the supported ones: pip must refuse the wheel there, naming the range.
MAJOR, FLOOR = map(int, PYTHONS[0].split("."))
BELOW = f"{MAJOR}.{FLOOR - 1}"
THIS = f"{sys.version_info.major}.{sys.version_info.minor}"
# Which Pythons get the wheel. Unset: this session's alone (make test; each install is a pip run of 5 to 10 s).
# "found": every supported one and BELOW that this machine has (make test-wheel). Versions, space-separated (CI's
# job for each Python): those, and one this machine lacks fails its test instead of skipping it.
CHOSEN = os.environ.get("CPH_WHEEL_PYTHONS", "").split()
if not CHOSEN:
    TRIED, REQUIRED = [THIS], False
elif CHOSEN == ["found"]:
    TRIED, REQUIRED = [BELOW, *PYTHONS], False
else:
    TRIED, REQUIRED = CHOSEN, True

_run = functools.partial(subprocess.run, capture_output=True, text=True, timeout=300)


def _requirement(built: Path, sha256: str) -> str:
    return f"huaweicloud-cph-client @ {built.as_uri()} --hash=sha256:{sha256}\n"


def candidates(version: str) -> list[str]:
    """Where this machine may have python<version>: this session's own interpreter for its version, python<version>
    on PATH (where CI's setup-python puts it), pyenv's (its shims on PATH run only the versions pyenv selected)."""
    if version == THIS:
        return [sys.executable]
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    found = [shutil.which(f"python{version}"), *sorted(glob.glob(f"{root}/versions/{version}.*/bin/python{version}"))]
    return [path for path in found if path]


def _interpreter(version: str) -> str | None:
    """The first candidate that runs and is that version."""
    for path in candidates(version):
        probe = _run([path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], env=background.ENVIRONMENT)
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return path
    return None


@dataclass(frozen=True)
class Downstream:
    python: str | None  # the interpreter (None: this machine has none of that version)
    pip: subprocess.CompletedProcess[str] | None  # the install into a fresh venv, by hash
    client: subprocess.CompletedProcess[str] | None  # CLIENT, in that venv, against a mock of its own (a thread)


@dataclass(frozen=True)
class Installed:
    wheel: Path
    tampered: subprocess.CompletedProcess[str]  # pip, given the wheel with a wrong hash
    changed: Path  # a wheel built from generated/ with its carried spec annotated: other bytes, the same version
    bumped: Path  # the same, with its version bumped as `make generate` would after a bump of info.version


def _build_changed(folder: Path, version: str | None = None) -> Path:
    """A wheel of generated/ whose carried spec has one more annotation (what the lead's x- annotations do), and,
    given version, that version in its metadata."""
    source = folder / "source"
    shutil.copytree(GENERATED, source, ignore=shutil.ignore_patterns(*IGNORED))
    carried = source / codegen.PACKAGE / "openapi.yaml"
    carried.write_text(carried.read_text() + "x-annotation: another\n")
    if version:
        pyproject = source / "pyproject.toml"
        current = spec.load()["info"]["version"]
        pyproject.write_text(pyproject.read_text().replace(f'version = "{current}"', f'version = "{version}"'))
    return wheel.build(folder / "dist", source=source, env=background.ENVIRONMENT)


def _install(folder: Path) -> Installed:
    """The wheel, built here; pip refusing it with a wrong hash; the changed and bumped wheels. Each step is a process
    of its own, so the job runs beside the in-process tests."""
    built = wheel.build(folder / "dist", env=background.ENVIRONMENT)
    wrong = folder / "tampered.txt"
    wrong.write_text(_requirement(built, "0" * 64))
    dry_run = ["--dry-run", "--no-deps", "--require-hashes", "-r", str(wrong)]
    tampered = _run([sys.executable, "-m", "pip", "install", *dry_run], env=background.ENVIRONMENT)
    background.stop_if_ended()
    changed = _build_changed(folder / "changed")
    background.stop_if_ended()
    major, minor, patch = wheel.version(built)
    bumped = _build_changed(folder / "bumped", f"{major}.{minor}.{patch + 1}")
    return Installed(built, tampered, changed, bumped)


def _downstream(version: str) -> background.Work:
    def job(folder: Path) -> Downstream:
        """What a downstream project does on that Python: the client's lock plus the wheel's line, --require-hashes,
        into a fresh venv; then CLIENT in that venv."""
        python = _interpreter(version)
        if python is None:
            return Downstream(None, None, None)
        built: Path = background.result(__name__, "installed").wheel
        requirements = folder / "requirements.txt"
        requirements.write_text(
            (ROOT / "requirements" / "client.lock").read_text() + _requirement(built, wheel.sha256(built))
        )
        env_dir = folder / "venv"
        made = _run([python, "-m", "venv", "--without-pip", str(env_dir)], env=background.ENVIRONMENT)
        made.check_returncode()
        target = env_dir / "bin" / "python"
        if CHOSEN:  # make test-wheel and CI's job for each Python: pip, as the README says
            # This environment's pip installs into it (no ensurepip bootstrap), running on that Python. --no-compile:
            # a throwaway venv's bytecode would only pile up in the cache PYTHONPYCACHEPREFIX names.
            install = [sys.executable, "-m", "pip", "--python", str(target), "install", "--disable-pip-version-check"]
            install.append("--no-compile")
        else:  # make test: the dev lock's uv, which checks the same hashes in 0.4 s where pip takes 5 s of CPU
            install = [str(Path(sys.executable).parent / "uv"), "pip", "install", "--python", str(target)]
        installed = _run([*install, "--require-hashes", "-r", str(requirements)], env=background.ENVIRONMENT)
        if installed.returncode != 0:
            return Downstream(python, installed, None)
        background.stop_if_ended()
        # The installed wheel, not generated/ (which make puts on the path); no bytecode of a throwaway venv cached.
        alone = {**background.ENVIRONMENT, "PYTHONPATH": "", "PYTHONDONTWRITEBYTECODE": "1"}
        # A mock process of its own: what it serves is no work of this process, whose tests run meanwhile.
        with server.running(env=background.ENVIRONMENT) as mock:
            secrets = {"MOCK_AK": mock.ak, "MOCK_SK": mock.sk, "MOCK_TOKEN": mock.token}
            example = json.dumps(spec.example_response())
            given = {"MOCK_URL": mock.base_url, "MOCK_PROJECT": mock.project_id, "EXAMPLE": example}
            env = {**alone, **secrets, **given, "README_EXAMPLES": examples(README.read_text())}
            client = _run([str(target), "-c", CLIENT], cwd=folder, env=env)
        return Downstream(python, installed, client)

    return job


BACKGROUND = {
    "installed": _install,
    "downstream": {version: _downstream(version) for version in TRIED if candidates(version)},
}
installed = background.fixture(__name__, "installed")
downstream = background.fixture(__name__, "downstream")


@pytest.fixture(scope="module")
def built(installed: Installed) -> Path:
    return installed.wheel


def _on(downstream: dict[str, Downstream], version: str) -> Downstream:
    """That Python's result; skipped where this machine lacks it, unless CPH_WHEEL_PYTHONS requires it."""
    result = downstream[version] if version in downstream else Downstream(None, None, None)
    if result.python is None:
        if REQUIRED:
            pytest.fail(f"CPH_WHEEL_PYTHONS requires Python {version}; this machine has none ({candidates(version)})")
        pytest.skip(f"no Python {version} on this machine (CI's job for each Python tests it)")
    return result


@pytest.mark.parametrize("version", [version for version in TRIED if version != BELOW])
def test_installs_by_hash_and_works_on(downstream: dict[str, Downstream], version: str) -> None:
    """Installed as a downstream project installs it (_downstream), on each supported Python: the endpoint reads the
    spec's example, it lists every image of the mock with AK/SK and a token, sync and async, reads a wrong
    credential's error, and the README's examples print what it says."""
    result = _on(downstream, version)
    assert result.pip and result.pip.returncode == 0, result.pip and result.pip.stderr
    assert result.client and result.client.returncode == 0, result.client and result.client.stderr
    out = json.loads(result.client.stdout)
    assert out["python"] == version
    assert out["page"] == spec.example_response()
    assert out["carried"] == spec.SPEC_PATH.read_text()
    every = [image["image_id"] for image in catalog.build(catalog.DEFAULT_SIZE).select("all")]
    assert out["listed"] == dict.fromkeys(["aksk sync", "token sync", "aksk async", "token async"], every)
    assert out["errors"] == [[401, spec.error_example(401)["error_code"]]] * 2
    assert unexpected(out["readme"]) == []
    assert out["versions"] == [spec.load()["info"]["version"]] * 2


@pytest.mark.skipif(BELOW not in TRIED, reason=f"make test-wheel tries Python {BELOW}")
def test_an_older_python_is_refused_naming_the_range(downstream: dict[str, Downstream]) -> None:
    """On the Python below the floor, pip gets past the lock (it resolves there) to the wheel's Requires-Python."""
    result = _on(downstream, BELOW)
    assert result.pip and result.pip.returncode != 0
    assert f"requires a different Python: {BELOW}." in result.pip.stderr
    assert f"not in '>={PYTHONS[0]}'" in result.pip.stderr
    assert "hash" not in result.pip.stderr.lower()


def _sources_dated(dest: Path, when: float) -> Path:
    """A copy of generated/ whose every file and folder has the modification time when."""
    shutil.copytree(GENERATED, dest, ignore=shutil.ignore_patterns(*IGNORED))
    for path in [dest, *dest.rglob("*")]:
        os.utime(path, (when, when))
    return dest


def test_the_build_ignores_mtimes_folders_and_umask(built: Path, tmp_path: Path) -> None:
    """Sources dated decades apart (zip times have a 2 s resolution), built elsewhere, under another umask."""
    old_sources = _sources_dated(tmp_path / "old", 315_532_800)  # 1980-01-01, the zip format's first day
    new_sources = _sources_dated(tmp_path / "new", 4_102_444_800)  # 2100-01-01
    first = wheel.build(tmp_path / "out-old", source=old_sources)
    old = os.umask(0o002)  # a different umask, as another machine may have
    try:
        second = wheel.build(tmp_path / "elsewhere" / "out-new", source=new_sources)
    finally:
        os.umask(old)
    assert first.name == second.name == built.name
    assert wheel.sha256(first) == wheel.sha256(second) == wheel.sha256(built)


def test_the_build_leaves_this_process_alone(tmp_path: Path) -> None:
    cwd, path = Path.cwd(), os.environ.get("PATH")
    wheel.build(tmp_path)
    assert (Path.cwd(), os.environ.get("PATH")) == (cwd, path)


def test_the_wheel_built_here_is_the_one_pinned_for_its_version(built: Path) -> None:
    """The same wheel on every machine, and for every version one wheel."""
    wheel.check(built)
    assert wheel.pinned()[wheel.version(built)] == (wheel.sha256(built), built.name)
    assert max(wheel.pinned()) == wheel.version(built)  # the newest version is the one the spec names


def _ledger(tmp_path: Path, built: Path) -> Path:
    """A copy of openapi/wheel.sha256 that pins the wheel built here."""
    ledger = tmp_path / "wheel.sha256"
    shutil.copyfile(wheel.PINNED, ledger)
    assert wheel.pin(built, ledger) is False  # pinned already: nothing written
    return ledger


def test_changed_bytes_without_a_bump_fail_saying_what_to_bump(installed: Installed, tmp_path: Path) -> None:
    ledger = _ledger(tmp_path, installed.wheel)
    before = ledger.read_text()
    assert installed.changed.name == installed.wheel.name
    with pytest.raises(wheel.WheelMismatch) as caught:
        wheel.check(installed.changed, ledger)
    message = str(caught.value)
    major, minor, patch = wheel.version(installed.wheel)
    for says in (
        "bytes changed but its version did not",
        wheel.sha256(installed.changed),
        wheel.sha256(installed.wheel),
        f"{major}.{minor}.{patch + 1}  if the client's API is unchanged",
        f"{major}.{minor + 1}.0  if it only gained",
        f"{major + 1}.0.0  if anything was removed",
        "bump info.version in openapi/cph.yaml",
        "make generate",
        "make pin-wheel",
        "CHANGELOG.md",
    ):
        assert says in message
    with pytest.raises(wheel.WheelMismatch, match="bytes changed"):
        wheel.pin(installed.changed, ledger)  # pinning cannot paper over it
    assert ledger.read_text() == before


def test_after_a_bump_the_changed_wheel_is_pinned_and_passes(installed: Installed, tmp_path: Path) -> None:
    ledger = _ledger(tmp_path, installed.wheel)
    before = ledger.read_text()
    major, minor, patch = wheel.version(installed.wheel)
    assert wheel.version(installed.bumped) == (major, minor, patch + 1)
    with pytest.raises(wheel.WheelMismatch, match=r"not pinned yet.*make pin-wheel"):
        wheel.check(installed.bumped, ledger)
    assert wheel.pin(installed.bumped, ledger) is True
    wheel.check(installed.bumped, ledger)
    wheel.check(installed.wheel, ledger)  # every earlier version still holds
    assert ledger.read_text() == f"{before}{wheel.sha256(installed.bumped)}  {installed.bumped.name}\n"


def test_a_version_older_than_the_newest_is_refused(built: Path, tmp_path: Path) -> None:
    ledger = _ledger(tmp_path, built)
    older = tmp_path / "huaweicloud_cph_client-0.0.1-py3-none-any.whl"
    shutil.copyfile(built, older)
    for step in (wheel.check, wheel.pin):
        with pytest.raises(wheel.WheelMismatch, match="versions only go up"):
            step(older, ledger)


@pytest.mark.parametrize("name", ["x-1.2-py3-none-any.whl", "x-1.2.0rc1-py3-none-any.whl", "x-v1.2.0-py3-none-any.whl"])
def test_a_version_must_be_major_minor_patch(name: str) -> None:
    with pytest.raises(wheel.WheelMismatch, match=r"MAJOR\.MINOR\.PATCH"):
        wheel.version(name)


def test_name_version_and_sums(built: Path) -> None:
    version = spec.load()["info"]["version"]
    assert built.name == f"huaweicloud_cph_client-{version}-py3-none-any.whl"
    assert (built.parent / "SHA256SUMS").read_text() == f"{wheel.sha256(built)}  {built.name}\n"


def _metadata(built: Path) -> Message:
    with zipfile.ZipFile(built) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return Parser().parsestr(archive.read(name).decode())


def test_the_metadata_is_what_an_index_shows(built: Path) -> None:
    """What pip show and a package index read: the README, the license and its text, classifiers, URLs, keywords."""
    meta = _metadata(built)
    facts = codegen.facts()
    assert meta["Version"] == spec.load()["info"]["version"]
    assert facts["page_updated"] in meta["Summary"]
    assert meta.get_payload() == README.read_text()
    assert meta["License-Expression"] == codegen.LICENSE
    assert meta["Requires-Python"] == f">={PYTHONS[0]}"
    classifiers = meta.get_all("Classifier") or []
    python_classifiers = [
        c.rsplit(" :: ", 1)[1] for c in classifiers if c.startswith("Programming Language :: Python :: 3.")
    ]
    assert python_classifiers == list(PYTHONS)
    assert {"Typing :: Typed", "Operating System :: OS Independent", codegen.LICENSE_CLASSIFIER} <= set(classifiers)
    assert meta.get_all("Project-URL") == [f"API documentation, {facts['page_url']}"]
    assert "cph" in meta["Keywords"].split(",")
    with zipfile.ZipFile(built) as archive:
        license_text = archive.read(built.name.split("-py3")[0] + ".dist-info/licenses/LICENSE")
    assert license_text == (codegen.EXTRAS / "LICENSE").read_bytes()


def test_a_tampered_wheel_is_refused_by_hash(installed: Installed) -> None:
    assert installed.tampered.returncode != 0
    assert "THESE PACKAGES DO NOT MATCH THE HASHES" in installed.tampered.stderr
