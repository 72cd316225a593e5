"""The table of settings: every value each accepts (booleans in their usual spellings) and what each refuses, with a
message that names the variable and what it accepts, never a secret's value; options over variables; unknown CPH_*
variables named with the closest setting; --help and the README list every setting. No server."""

from __future__ import annotations

import pytest

from cph_conformance import settings
from cph_conformance.run import runner
from cph_conformance.settings import BadSetting
from cph_conformance.spec import ROOT

# (variable, value, what the run reads, or the start of the refusal's reason)
CASES = [
    *(("STRICT", spelling, "1") for spelling in ("1", "true", "TRUE", "yes", "Yes", "on", "ON")),
    *(("WALK", spelling, "0") for spelling in ("0", "false", "False", "no", "NO", "off", "Off")),
    ("STRICT", "maybe", "STRICT='maybe' is not a yes or a no: it accepts 1/0, true/false, yes/no, on/off"),
    ("WALK", "2", "WALK='2' is not a yes or a no"),
    ("SEED", "7", "7"),
    ("SEED", "abc", "SEED='abc' is not a whole number: it accepts a whole number, 0 or more"),
    ("MAX_EXAMPLES", "-3", "MAX_EXAMPLES='-3' is not a whole number: it accepts a whole number, 1 or more"),
    ("MAX_EXAMPLES", "0", "MAX_EXAMPLES='0' is less than 1"),
    ("RATE_LIMIT", "2/s", "2/s"),
    ("RATE_LIMIT", "fast", "RATE_LIMIT='fast' is not a number of requests per unit of time: it accepts N/s"),
    ("RATE_LIMIT", "0/s", "RATE_LIMIT='0/s' is not a number"),
    ("PHASES", "fuzzing", "fuzzing"),
    ("PHASES", "coverage, fuzzing", "coverage,fuzzing"),
    (
        "PHASES",
        "fuzz",
        "PHASES='fuzz' names no phase of the run: 'fuzz': it accepts a comma-separated list of examples",
    ),
    ("CPH_REGION", "cn-north-4", "cn-north-4"),
    (
        "CPH_REGION",
        "mars-north-1",
        "CPH_REGION='mars-north-1' is not a region the spec's servers list: it accepts one of",
    ),
    ("CPH_BASE_URL", "https://cph.example/", "https://cph.example"),
    ("CPH_BASE_URL", "https://cph.example/v1/x", "CPH_BASE_URL='https://cph.example/v1/x' is not scheme://host[:port]"),
    ("CPH_MOCK_PORT", "70000", "CPH_MOCK_PORT='70000' is not a port number: it accepts 0 (any free port) to 65535"),
    ("CPH_MOCK_FAULT", "No Such Fault", "CPH_MOCK_FAULT='No Such Fault' is not one of the mock's faults"),
]


@pytest.mark.parametrize(("variable", "value", "expected"), CASES)
def test_each_setting_takes_what_it_accepts_and_refuses_the_rest_naming_it(
    variable: str, value: str, expected: str
) -> None:
    if expected.startswith(variable + "="):
        with pytest.raises(BadSetting) as refused:
            settings.checked({variable: value})
        assert str(refused.value).startswith(expected)
    else:
        assert settings.checked({variable: value})[variable] == expected


@pytest.mark.parametrize(
    ("spelled", "strict", "walk"), [({}, False, True), ({"STRICT": "yes", "WALK": "off"}, True, False)]
)
def test_booleans_are_taken_as_meant(spelled: dict[str, str], strict: bool, walk: bool) -> None:
    env = settings.checked(spelled)
    assert (settings.flag(env, "STRICT"), settings.flag(env, "WALK")) == (strict, walk)


def test_a_secret_is_never_in_a_refusal() -> None:
    secret = settings.Setting("CPH_X_SECRET", settings.Kind(settings._whole(1), "a number", secret=True), "", "x", "g")
    with pytest.raises(BadSetting) as refused:
        secret.check("MIIT-the-secret-value")
    assert "MIIT-the-secret-value" not in str(refused.value) and "CPH_X_SECRET=its value" in str(refused.value)


def test_options_override_variables_and_are_checked_the_same() -> None:
    env = settings.from_command_line(["--seed", "9", "--strict", "on"], {"SEED": "1"}, "run", "", runner.GROUPS)
    assert (env["SEED"], env["STRICT"]) == ("9", "1")
    with pytest.raises(BadSetting, match=r"^SEED='x' is not a whole number"):
        settings.from_command_line(["--seed", "x"], {}, "run", "", runner.GROUPS)
    with pytest.raises(BadSetting, match="unrecognized arguments: --sed"):
        settings.from_command_line(["--sed", "9"], {}, "run", "", runner.GROUPS)


def test_an_unknown_cph_variable_is_named_with_the_closest_setting() -> None:
    found = settings.warnings({"CPH_REGOIN": "cn-north-4", "CPH_AUTH_TOKEN": "t", "CPH_AK_SET": "true", "HOME": "/"})
    assert found == ["CPH_REGOIN is not a setting of the run, and is ignored; did you mean CPH_REGION?"]


def test_help_lists_every_setting_of_the_run_with_its_default(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        runner.main(["--help"])
    assert done.value.code == 0
    shown = " ".join(capsys.readouterr().out.split())
    for s in settings.SETTINGS:
        if s.group in runner.GROUPS:
            assert s.name in shown, s.name
            if s.default:
                assert s.default in shown, s.name


def test_the_readme_lists_the_settings_of_the_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert settings.markdown() in readme, "README.md's settings are stale: paste `python -m cph_conformance.settings`"
