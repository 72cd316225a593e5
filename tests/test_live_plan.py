"""The scheduled live job: its plan (regions from the repository variable, or a visible notice when no secret is set),
the secrets it hands the run, and its memory of each region's last run in the Actions cache; and the test job's two runs
against the mock, compared, with the chart rendered."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import cast

import pytest
import yaml

from cph_conformance import spec
from cph_conformance.run import live_plan


def _secrets(*names: str) -> dict[str, str]:
    """What the workflow passes: whether each secret is set, never its value."""
    return {f"{name}_SET": "true" if name in names else "false" for name in live_plan.SECRETS}


def test_no_credential_skips_with_a_notice() -> None:
    result = live_plan.plan({**_secrets(), "CPH_REGIONS": json.dumps([spec.default_region()])})
    assert result.regions == []
    assert result.notice is not None and "skipped" in result.notice


@pytest.mark.parametrize("names", list(live_plan.ROUTES.values()))
def test_each_complete_credential_plans_the_default_region(names: tuple[str, ...]) -> None:
    assert live_plan.plan(_secrets(*names)) == live_plan.Plan([spec.default_region()])


@pytest.mark.parametrize("names", [("CPH_AK",), ("CPH_SECURITY_TOKEN",), ("CPH_IAM_USER", "CPH_IAM_PASSWORD")])
def test_a_partial_credential_is_an_error_naming_what_is_set(names: tuple[str, ...]) -> None:
    with pytest.raises(live_plan.PlanError, match=names[0]):
        live_plan.plan(_secrets(*names))


def test_regions_from_the_variable_in_its_order_once_each() -> None:
    last, first = spec.regions()[-1], spec.regions()[0]
    env = {**_secrets("CPH_AUTH_TOKEN"), "CPH_REGIONS": json.dumps([last, first, last])}
    assert live_plan.plan(env).regions == [last, first]


def test_each_region_gets_its_project_id_from_the_map() -> None:
    first, second = spec.regions()[:2]
    project_id = "0123456789abcdef" * 2
    env = {
        **_secrets("CPH_AUTH_TOKEN"),
        "CPH_REGIONS": json.dumps([first, second]),
        "CPH_PROJECT_IDS": json.dumps({second: project_id, spec.regions()[-1]: "f" * 32}),
    }
    assert live_plan.plan(env).include() == [
        {"region": first, "project_id": ""},
        {"region": second, "project_id": project_id},
    ]


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("CPH_REGIONS", '["eu-west-0"]', "unknown region 'eu-west-0'"),
        ("CPH_REGIONS", spec.default_region(), "must be a JSON list"),
        ("CPH_REGIONS", "[]", "empty list"),
        ("CPH_PROJECT_IDS", '{"eu-west-0": "' + "0" * 32 + '"}', "unknown region 'eu-west-0'"),
        ("CPH_PROJECT_IDS", json.dumps({spec.default_region(): "not-an-id"}), "32 lowercase hex"),
        ("CPH_PROJECT_IDS", json.dumps([spec.default_region()]), "must be a JSON dict"),
    ],
)
def test_wrong_variables_are_errors_that_say_why(name: str, value: str, says: str) -> None:
    with pytest.raises(live_plan.PlanError, match=says):
        live_plan.plan({**_secrets("CPH_AUTH_TOKEN"), name: value})


def test_main_writes_the_regions_for_the_matrix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "github_output"
    env = {
        **_secrets("CPH_AK", "CPH_SK"),
        "GITHUB_OUTPUT": str(output),
        "CPH_REGIONS": json.dumps([spec.default_region()]),
    }
    assert live_plan.main(env) == 0
    region = spec.default_region()
    include = [{"region": region, "project_id": ""}]
    assert output.read_text() == f"regions={json.dumps([region])}\ninclude={json.dumps(include)}\n"
    assert "::notice" not in capsys.readouterr().out


def test_main_skips_visibly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "github_output"
    assert live_plan.main({**_secrets(), "GITHUB_OUTPUT": str(output)}) == 0
    assert output.read_text() == "regions=[]\ninclude=[]\n"
    assert capsys.readouterr().out.startswith("::notice title=Live conformance skipped::")


def test_main_fails_visibly_on_a_wrong_variable(capsys: pytest.CaptureFixture[str]) -> None:
    assert live_plan.main({**_secrets("CPH_AUTH_TOKEN"), "CPH_REGIONS": '["nowhere"]'}) == 2
    assert capsys.readouterr().out.startswith("::error title=Live conformance not planned::CPH_REGIONS: unknown")


def _workflow_steps(job: str) -> list[dict[str, object]]:
    workflow = yaml.safe_load((spec.ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8"))
    steps: list[dict[str, object]] = workflow["jobs"][job]["steps"]
    return steps


def test_the_workflow_tells_the_plan_about_every_secret_and_hands_them_all_to_the_run() -> None:
    [plan_step] = [s for s in _workflow_steps("live-plan") if s.get("id") == "plan"]
    plan_env = plan_step["env"]
    assert isinstance(plan_env, dict)
    assert {name for name in plan_env if name.endswith("_SET")} == {f"{name}_SET" for name in live_plan.SECRETS}
    assert all(value == f"${{{{ secrets.{name[:-4]} != '' }}}}" for name, value in plan_env.items() if "_SET" in name)
    [run_step] = [s for s in _workflow_steps("live") if ".ci/conformance" in str(s.get("run"))]
    run_env = run_step["env"]
    assert isinstance(run_env, dict)
    assert {name: run_env[name] for name in live_plan.SECRETS} == {
        name: f"${{{{ secrets.{name} }}}}" for name in live_plan.SECRETS
    }
    assert run_env["CPH_REGION"] == "${{ matrix.region }}"


def _index(steps: list[dict[str, object]], found: Callable[[dict[str, object]], bool]) -> int:
    (n,) = [n for n, step in enumerate(steps) if found(step)]
    return n


def test_the_live_job_compares_each_region_with_its_last_run_through_the_actions_cache() -> None:
    steps = _workflow_steps("live")
    restore = _index(steps, lambda s: str(s.get("uses", "")).startswith("actions/cache/restore@"))
    run = _index(steps, lambda s: ".ci/conformance" in str(s.get("run")))
    keep = _index(steps, lambda s: "cp reports/observed.json" in str(s.get("run")))
    save = _index(steps, lambda s: str(s.get("uses", "")).startswith("actions/cache/save@"))
    assert restore < run < keep < save
    # Pinned by full SHA, with the release in a comment, the same release for both halves.
    text = (spec.ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    pins = re.findall(r"uses: actions/cache/(restore|save)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)\n", text)
    assert sorted(half for half, *_ in pins) == ["restore", "save"] and len({tuple(p[1:]) for p in pins}) == 1
    given = [cast(dict[str, str], steps[n]["with"]) for n in (restore, save)]
    # One memory per region: each run saves under a key of its own (a cache is written once) and restores the newest.
    key, path = given[1]["key"], given[1]["path"]
    assert given[0]["key"] == key and given[0]["path"] == path
    assert key.startswith("cph-history-${{ matrix.region }}-") and "${{ github.run_id }}" in key
    assert given[0]["restore-keys"] == "cph-history-${{ matrix.region }}-"
    # The run keeps its history there, and compares with the baseline there when there is one.
    env = cast(dict[str, str], steps[run]["env"])
    assert env["CPH_HISTORY"] == f"{path}/history.json"
    script = str(steps[run]["run"])
    assert f"if [ -f {path}/observed.json ]; then export CPH_BASELINE={path}/observed.json; fi" in script
    # Whatever the run's exit status, the memory is saved; its observed.json becomes the baseline unless inconclusive.
    assert steps[keep]["if"] == steps[save]["if"] == "always()"
    assert "jq -e '.exit_status != 2' reports/observed.json" in str(steps[keep]["run"])
    assert f"cp reports/observed.json {path}/observed.json" in str(steps[keep]["run"])
    workflow = yaml.safe_load(text)
    assert workflow["jobs"]["live"]["permissions"] == {"contents": "read"}  # the cache needs no permission


def test_ci_runs_the_mock_twice_without_a_change_of_shape_and_renders_the_chart() -> None:
    steps = _workflow_steps("test")
    first = _index(steps, lambda s: s.get("name") == "Conformance against the local mock")
    second = _index(steps, lambda s: "CPH_BASELINE" in cast(dict[str, str], s.get("env") or {}))
    rendered = _index(steps, lambda s: s.get("run") == "make render-report")
    assert first < second < rendered
    env = [cast(dict[str, str], steps[n]["env"]) for n in (first, second)]
    assert env[0]["CPH_HISTORY"] == env[1]["CPH_HISTORY"]  # two runs in the history: a chart with a line
    assert env[1]["CPH_BASELINE"] == "reports/observed.json" and env[1]["CPH_FAIL_ON_CHANGE"] == "1"
