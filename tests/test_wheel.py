"""The wheel is byte-reproducible, carries its spec, and installs by hash into a fresh environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import venv
from pathlib import Path

import pytest

from cph_conformance import spec, wheel
from cph_conformance.spec import ROOT


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return wheel.build(tmp_path_factory.mktemp("first"))


def test_two_builds_in_different_folders_and_times_give_one_sha256(built: Path, tmp_path: Path) -> None:
    time.sleep(1.1)  # zip timestamps have a 2 s resolution; cross at least one tick
    old = os.umask(0o002)  # and a different umask, as another machine may have
    try:
        again = wheel.build(tmp_path / "elsewhere" / "second")
    finally:
        os.umask(old)
    assert again.name == built.name
    assert wheel.sha256(again) == wheel.sha256(built)


def test_name_version_and_sums(built: Path) -> None:
    version = spec.load()["info"]["version"]
    assert built.name == f"huaweicloud_cph_client-{version}-py3-none-any.whl"
    assert (built.parent / "SHA256SUMS").read_text() == f"{wheel.sha256(built)}  {built.name}\n"


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


def test_installs_by_hash_into_a_fresh_venv_and_calls(built: Path, tmp_path: Path) -> None:
    """What a downstream project does: the client's lock plus the wheel's line, --require-hashes."""
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        (ROOT / "requirements" / "client.lock").read_text()
        + f"huaweicloud-cph-client @ {built.as_uri()} --hash=sha256:{wheel.sha256(built)}\n"
    )
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)  # this environment's pip installs into it: no ensurepip bootstrap
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            python,
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--require-hashes",
            "-r",
            requirements,
        ],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr
    body = spec.example_response()
    call = subprocess.run([python, "-c", CALL, json.dumps(body)], capture_output=True, text=True, cwd=tmp_path)
    assert call.returncode == 0, call.stderr
    assert call.stdout.startswith(f"{len(body['phone_images'])} ")
    assert call.stdout.split(" ", 1)[1] == spec.SPEC_PATH.read_text()


def test_a_tampered_wheel_is_refused_by_hash(built: Path, tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"huaweicloud-cph-client @ {built.as_uri()} --hash=sha256:{'0' * 64}\n")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "--require-hashes", "-r", requirements],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "THESE PACKAGES DO NOT MATCH THE HASHES" in result.stderr
