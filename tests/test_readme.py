"""The README's client examples run, in order, against the mock, and pass mypy --strict: a user who pastes them
gets what the README says."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

from mypy import api as mypy_api

from cph_conformance.mock import catalog
from cph_conformance.mock.server import RunningMock
from cph_conformance.spec import ROOT

README = ROOT / "README.md"
# What the examples take as given, as a reader's own code would supply it.
GIVEN = ("endpoint", "ak", "sk", "project_id", "iam_token")


def client_examples(text: str) -> list[str]:
    """The ```python blocks of the README's "Using the client" section, subsections included."""
    section = text.split("\n## Using the client\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^```python\n(.*?)^```$", section, flags=re.DOTALL | re.MULTILINE)


def test_the_section_has_the_examples() -> None:
    blocks = client_examples(README.read_text())
    assert len(blocks) >= 4
    joined = "\n".join(blocks)
    for name in ("AkSkAuth", "paging.images", "paging.aimages", "CphApiError", "timeout="):
        assert name in joined
    assert client_examples("# x\n## Using the client\n```python\na = 1\n```\n## Next\n```python\nb\n```\n") == [
        "a = 1\n"
    ]


def test_the_examples_run_against_the_mock(mock: RunningMock) -> None:
    given = {
        "endpoint": mock.base_url,
        "ak": mock.ak,
        "sk": mock.sk,
        "project_id": mock.project_id,
        "iam_token": mock.token,
    }
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile("\n".join(client_examples(README.read_text())), "README.md", "exec"), dict(given))  # noqa: S102
    lines = out.getvalue().splitlines()
    every = [image["image_id"] for image in catalog.build(catalog.DEFAULT_SIZE).select("all")]
    shared = [image["image_id"] for image in catalog.build(catalog.DEFAULT_SIZE).select("share")]
    assert [line.split()[0] for line in lines[: len(every)]] == every
    assert [line.split()[0] for line in lines[len(every) : len(every) + len(shared)]] == shared
    assert re.fullmatch(r"401 APIGW\.0301 [0-9a-f]{32}", lines[-1])
    assert len(lines) == len(every) + len(shared) + 1


def test_the_examples_pass_mypy_strict(tmp_path: Path) -> None:
    source = tmp_path / "readme_examples.py"
    source.write_text("".join(f"{name}: str\n" for name in GIVEN) + "\n".join(client_examples(README.read_text())))
    config = tmp_path / "mypy.ini"
    config.write_text(f"[mypy]\nstrict = True\npython_version = 3.11\nmypy_path = {ROOT / 'generated'}\n")
    # A cache of its own beside `make lint`'s (make clean removes both): httpx, attrs and the client are read
    # once, not on every run.
    cache = ROOT / ".mypy_cache" / "readme-examples"
    stdout, stderr, status = mypy_api.run(["--config-file", str(config), "--cache-dir", str(cache), str(source)])
    assert status == 0, stdout + stderr
