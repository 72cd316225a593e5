"""generated/ is what the spec generates, drift is caught with a diff, and a bad spec loses nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from cph_conformance import codegen, spec
from tests import background


def _render(folder: Path) -> Path:
    dest = folder / "generated"
    codegen.render(dest, env=background.ENVIRONMENT)
    return dest


BACKGROUND = {"regenerated": _render}
regenerated = background.fixture(__name__, "regenerated")


def test_generated_matches_the_spec(regenerated: Path) -> None:
    """The committed generated/ is what the spec generates now."""
    assert codegen.diff_trees(regenerated, codegen.GENERATED) == []


def test_rendering_does_not_depend_on_where_it_runs(regenerated: Path) -> None:
    """generated/ was rendered in the repository (in a .generate-* folder that make generate moves), this rendering
    in a temporary folder elsewhere: the diff above finds them the same, and neither names the folder it was made
    in. What the wheel and check-generated rely on."""
    made_in = [str(regenerated.parent).encode(), b".generate-"]
    for tree in (regenerated, codegen.GENERATED):
        for path in (p for p in tree.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            text = path.read_bytes()
            assert not any(folder in text for folder in made_in), path


def test_a_hand_edit_is_reported_file_by_file(regenerated: Path, tmp_path: Path) -> None:
    edited = tmp_path / "generated"
    shutil.copytree(regenerated, edited)
    target = edited / "cph_client" / "models" / "phone_image.py"
    target.write_text(target.read_text().replace('src_dict["image_id"]', 'src_dict.get("image_id")'))
    (edited / "cph_client" / "stray.py").write_text("x = 1\n")
    diff = "".join(codegen.diff_trees(regenerated, edited))
    assert "generated/cph_client/models/phone_image.py" in diff
    assert '+            src_dict["image_id"],' in diff
    assert "not produced by the generator: generated/cph_client/stray.py" in diff


def _bad_spec(tmp_path: Path, mutate: str) -> Path:
    doc = yaml.safe_load(spec.SPEC_PATH.read_text())
    op = doc["paths"][spec.OPERATION_PATH]["get"]
    if mutate == "invalid":
        del op["responses"]  # not valid OpenAPI
    else:  # valid OpenAPI the generator cannot honour: it warns, and --fail-on-warning stops it
        op["responses"]["200"]["content"] = {"application/xml": {"schema": {"type": "object"}}}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [("invalid", '"responses" is a required property'), ("warning", "Unsupported content_type application/xml")],
)
def test_a_bad_spec_fails_with_the_reason_and_loses_nothing(tmp_path: Path, mutate: str, reason: str) -> None:
    dest = tmp_path / "generated"
    shutil.copytree(codegen.GENERATED, dest, ignore=shutil.ignore_patterns("__pycache__"))
    before = {p: p.read_bytes() for p in dest.rglob("*") if p.is_file()}
    with pytest.raises(codegen.GenerationError, match=reason):
        codegen.generate(_bad_spec(tmp_path, mutate), dest)
    assert {p: p.read_bytes() for p in dest.rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".generate-")] == []


def test_the_rendering_carries_its_spec(regenerated: Path) -> None:
    """render() puts the spec it read into the package (generated/'s copy is covered by the diff above)."""
    assert (regenerated / codegen.PACKAGE / "openapi.yaml").read_bytes() == spec.SPEC_PATH.read_bytes()


def test_hand_written_modules_are_copied_and_may_not_replace_generated_ones(tmp_path: Path) -> None:
    package = tmp_path / "package"
    package.mkdir()
    (package / "client.py").write_text("# generated\n")
    extras = tmp_path / "extras"
    extras.mkdir()
    (extras / "helpers.py").write_text("x = 1\n")
    codegen.copy_extras(package, extras)
    assert (package / "helpers.py").read_text() == "x = 1\n"
    (extras / "client.py").write_text("# hand-written\n")
    with pytest.raises(codegen.GenerationError, match=r"would replace the generated cph_client/client\.py"):
        codegen.copy_extras(package, extras)
    assert (package / "client.py").read_text() == "# generated\n"
    for name in ("auth.py", "paging.py"):
        assert (codegen.GENERATED / "cph_client" / name).read_bytes() == (codegen.EXTRAS / name).read_bytes()
