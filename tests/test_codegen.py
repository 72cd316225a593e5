"""generated/ is what the spec generates, drift is caught with a diff, and a bad spec loses nothing."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from cph_conformance import spec
from cph_conformance.build import codegen
from tests import background


def _render(folder: Path) -> Path:
    dest = folder / "generated"
    codegen.render(dest, env=background.ENVIRONMENT)
    return dest


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


@dataclass(frozen=True)
class Rejection:
    error: codegen.GenerationError | None
    before: dict[Path, bytes] = field(repr=False)  # a copy of generated/, file by file
    after: dict[Path, bytes] = field(repr=False)  # the same copy once generate() had the bad spec
    left: list[str]  # what generate() left beside it


def _contents(tree: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in tree.rglob("*") if p.is_file()}


def _generate_from_a_bad_spec(mutate: str) -> Callable[[Path], Rejection]:
    def job(folder: Path) -> Rejection:
        dest = folder / "generated"
        shutil.copytree(codegen.GENERATED, dest, ignore=shutil.ignore_patterns("__pycache__"))
        before = _contents(dest)
        error = None
        try:
            codegen.generate(_bad_spec(folder, mutate), dest, env=background.ENVIRONMENT)
        except codegen.GenerationError as raised:
            error = raised
        return Rejection(error, before, _contents(dest), [p.name for p in folder.iterdir() if p.name != "bad.yaml"])

    return job


# The generator's warning comes from a run of openapi-python-client (about a second), beside the tests. The invalid
# spec stops in this process, at validate_spec(), in some 50 ms: a job too only so that both cases read alike.
BAD_SPECS = {"invalid": '"responses" is a required property', "warning": "Unsupported content_type application/xml"}
BACKGROUND = {
    "regenerated": _render,
    "rejected": {mutate: _generate_from_a_bad_spec(mutate) for mutate in BAD_SPECS},
}
regenerated = background.fixture(__name__, "regenerated")
rejected = background.fixture(__name__, "rejected")


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


@pytest.mark.parametrize(("mutate", "reason"), BAD_SPECS.items())
def test_a_bad_spec_fails_with_the_reason_and_loses_nothing(
    rejected: Mapping[str, Rejection], mutate: str, reason: str
) -> None:
    rejection = rejected[mutate]
    assert rejection.error is not None, "generate() accepted the bad spec"
    assert re.search(reason, str(rejection.error)), rejection.error
    assert rejection.after == rejection.before
    assert rejection.left == ["generated"]  # no .generate-* scratch folder


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
