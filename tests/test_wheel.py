"""The wheel is byte-reproducible, carries its spec, and installs by hash into a fresh environment."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest

from cph_conformance import spec, wheel
from cph_conformance.codegen import GENERATED, IGNORED
from cph_conformance.mock import catalog, server
from cph_conformance.spec import ROOT
from tests import background

CALL = """
import httpx, importlib.resources, json, sys
from cph_client import AuthenticatedClient
from cph_client.api.cloud_phone_images import list_cloud_phone_images
body = json.loads(sys.argv[1])
transport = httpx.MockTransport(lambda request: httpx.Response(200, json=body))
client = AuthenticatedClient(base_url="http://127.0.0.1:9", token="t", httpx_args={"transport": transport})
page = list_cloud_phone_images.sync("0" * 32, client=client)
assert page.to_dict() == body, page
carried = importlib.resources.files("cph_client").joinpath("openapi.yaml").read_text()
sys.stdout.write(f"{len(page.phone_images)} {carried}")
"""


LIST = """
import asyncio, json, os
from cph_client import AuthenticatedClient, paging
from cph_client.auth import AkSkAuth
from cph_client.errors import CphApiError
from cph_client.models import ImageType
env = os.environ
url, project = env["MOCK_URL"], env["MOCK_PROJECT"]
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
print(json.dumps({"listed": listed, "errors": errors}))
"""


_run = functools.partial(subprocess.run, capture_output=True, text=True, timeout=300)


def _requirement(built: Path, sha256: str) -> str:
    return f"huaweicloud-cph-client @ {built.as_uri()} --hash=sha256:{sha256}\n"


@dataclass(frozen=True)
class Downstream:
    pip: subprocess.CompletedProcess[str]  # the install into a fresh venv, by hash
    call: subprocess.CompletedProcess[str] | None  # CALL, in that venv (None: the install failed)
    listing: subprocess.CompletedProcess[str] | None  # LIST, in that venv, against a mock of its own (a thread)


@dataclass(frozen=True)
class Installed:
    wheel: Path
    tampered: subprocess.CompletedProcess[str]  # pip, given the wheel with a wrong hash
    downstream: Downstream | Exception  # what a step raised fails test_installs... alone, not the wheel's tests


def _use_downstream(built: Path, folder: Path) -> Downstream:
    """What a downstream project does: the client's lock plus the wheel's line, --require-hashes, into a fresh
    venv; then CALL and LIST in that venv."""
    requirements = folder / "requirements.txt"
    requirements.write_text(
        (ROOT / "requirements" / "client.lock").read_text() + _requirement(built, wheel.sha256(built))
    )
    env_dir = folder / "venv"
    venv.create(env_dir, with_pip=False)  # this environment's pip installs into it: no ensurepip bootstrap
    python = env_dir / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--disable-pip-version-check"]
    # --no-compile: a throwaway venv's bytecode would only pile up in the cache PYTHONPYCACHEPREFIX names.
    requirements_args = ["--no-compile", "--require-hashes", "-r", str(requirements)]
    installed = _run([*pip, *requirements_args], env=background.ENVIRONMENT)
    if installed.returncode != 0:
        return Downstream(installed, None, None)
    # The installed wheel, not generated/ (which make puts on the path); no bytecode of a throwaway venv cached.
    alone = {**background.ENVIRONMENT, "PYTHONPATH": "", "PYTHONDONTWRITEBYTECODE": "1"}
    background.stop_if_ended()
    call = _run([python, "-c", CALL, json.dumps(spec.example_response())], cwd=folder, env=alone)
    background.stop_if_ended()
    with server.running(env=background.ENVIRONMENT) as mock:
        secrets = {"MOCK_AK": mock.ak, "MOCK_SK": mock.sk, "MOCK_TOKEN": mock.token}
        env = {**alone, **secrets, "MOCK_URL": mock.base_url, "MOCK_PROJECT": mock.project_id}
        listing = _run([python, "-c", LIST], cwd=folder, env=env)
    return Downstream(installed, call, listing)


def _install(folder: Path) -> Installed:
    """The wheel, built here; pip refusing it with a wrong hash; then _use_downstream(). Each step is a process of
    its own (only the mock that LIST reads serves from a thread), so the job runs beside the in-process tests."""
    built = wheel.build(folder / "dist", env=background.ENVIRONMENT)
    wrong = folder / "tampered.txt"
    wrong.write_text(_requirement(built, "0" * 64))
    dry_run = ["--dry-run", "--no-deps", "--require-hashes", "-r", str(wrong)]
    tampered = _run([sys.executable, "-m", "pip", "install", *dry_run], env=background.ENVIRONMENT)
    background.stop_if_ended()
    downstream: Downstream | Exception
    try:
        downstream = _use_downstream(built, folder)
    except background.Ended:
        raise
    except Exception as error:  # kept for the one test that reads it
        downstream = error
    return Installed(built, tampered, downstream)


BACKGROUND = {"installed": _install}


installed = background.fixture(__name__, "installed")


@pytest.fixture(scope="module")
def built(installed: Installed) -> Path:
    return installed.wheel


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


def test_the_wheel_built_here_is_the_pinned_one(built: Path) -> None:
    """The same wheel on every machine: a different one fails here naming both hashes (make pin-wheel updates)."""
    wheel.check(built)
    assert wheel.pinned() == (wheel.sha256(built), built.name)


def test_a_different_wheel_fails_naming_both_hashes(built: Path, tmp_path: Path) -> None:
    pin = tmp_path / "wheel.sha256"
    pin.write_text(f"{'0' * 64}  {built.name}\n")
    with pytest.raises(wheel.WheelMismatch) as caught:
        wheel.check(built, pin)
    assert wheel.sha256(built) in str(caught.value)
    assert "0" * 64 in str(caught.value)
    assert "make pin-wheel" in str(caught.value)


def test_pin_records_what_check_accepts(built: Path, tmp_path: Path) -> None:
    pin = tmp_path / "wheel.sha256"
    wheel.pin(built, pin)
    wheel.check(built, pin)
    assert pin.read_text() == (built.parent / "SHA256SUMS").read_text()


def test_name_version_and_sums(built: Path) -> None:
    version = spec.load()["info"]["version"]
    assert built.name == f"huaweicloud_cph_client-{version}-py3-none-any.whl"
    assert (built.parent / "SHA256SUMS").read_text() == f"{wheel.sha256(built)}  {built.name}\n"


def test_installs_by_hash_into_a_fresh_venv_and_calls(installed: Installed) -> None:
    """Installed as a downstream project installs it (_use_downstream), it lists every image of the mock with AK/SK
    and with a token, sync and async, and reads a wrong credential's error."""
    downstream = installed.downstream
    if isinstance(downstream, Exception):
        raise downstream
    assert downstream.pip.returncode == 0, downstream.pip.stderr
    assert downstream.call and downstream.listing  # run once the install succeeded
    body = spec.example_response()
    assert downstream.call.returncode == 0, downstream.call.stderr
    assert downstream.call.stdout.startswith(f"{len(body['phone_images'])} ")
    assert downstream.call.stdout.split(" ", 1)[1] == spec.SPEC_PATH.read_text()

    assert downstream.listing.returncode == 0, downstream.listing.stderr
    result = json.loads(downstream.listing.stdout)
    every = [image["image_id"] for image in catalog.build(catalog.DEFAULT_SIZE).select("all")]
    assert result["listed"] == dict.fromkeys(["aksk sync", "token sync", "aksk async", "token async"], every)
    assert result["errors"] == [[401, spec.error_example(401)["error_code"]]] * 2


def test_a_tampered_wheel_is_refused_by_hash(installed: Installed) -> None:
    assert installed.tampered.returncode != 0
    assert "THESE PACKAGES DO NOT MATCH THE HASHES" in installed.tampered.stderr
