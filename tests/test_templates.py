"""Each template override is pinned to the generator's text it copies (templates/upstream.sha256): a generator
whose template changed fails here, naming the file, instead of the override silently dropping upstream fixes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import openapi_python_client
import pytest
from openapi_python_client.parser import responses

from cph_conformance.build import codegen

UPSTREAM = Path(openapi_python_client.__file__).parent / "templates"
PINS = codegen.TEMPLATES / "upstream.sha256"
# Files of templates/ that copy nothing: macros of our own, and the wheel's README, written anew in place of the
# generator's.
OWN = {"enum_from_value.py.jinja", "README.md.jinja"}


def _pins(text: str) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            digest, name = line.split()
            pins[name] = digest
    return pins


def _changed(pins: dict[str, str], upstream: Path) -> list[str]:
    """The pinned files whose text in upstream is not the pinned text."""
    return [
        name
        for name, digest in sorted(pins.items())
        if not (upstream / name).is_file() or hashlib.sha256((upstream / name).read_bytes()).hexdigest() != digest
    ]


def test_every_override_is_pinned() -> None:
    overrides = {str(p.relative_to(codegen.TEMPLATES)) for p in codegen.TEMPLATES.rglob("*.jinja")}
    assert overrides - OWN <= set(_pins(PINS.read_text()))
    assert all((UPSTREAM / name).is_file() for name in overrides - OWN)


def test_the_installed_generator_has_the_pinned_templates() -> None:
    changed = _changed(_pins(PINS.read_text()), UPSTREAM)
    assert changed == [], f"the generator's template changed under an override: {changed}; re-apply and re-pin"


def test_a_changed_upstream_template_is_caught(tmp_path: Path) -> None:
    pins = _pins(PINS.read_text())
    for name in pins:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes((UPSTREAM / name).read_bytes())
    assert _changed(pins, tmp_path) == []
    target = tmp_path / "model.py.jinja"
    target.write_text(target.read_text() + "\n")
    (tmp_path / "errors.py.jinja").unlink()
    assert _changed(pins, tmp_path) == ["errors.py.jinja", "model.py.jinja"]


@pytest.mark.parametrize("module", sorted((codegen.GENERATED / "cph_client" / "api").rglob("*.py")), ids=str)
def test_responses_are_parsed_with_orjson(module: Path) -> None:
    """templates/endpoint_module.py.jinja swaps the generator's `response.json()` for orjson: if the generator
    renamed what it emits, the swap would silently do nothing."""
    assert responses.JSON_SOURCE["attribute"] == "response.json()"
    text = module.read_text()
    assert "response.json()" not in text
    if "def _parse_response" in text:
        assert "orjson.loads(response.content)" in text
