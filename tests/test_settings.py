"""The table of settings: every value each accepts (booleans in their usual spellings) and what each refuses, with a
message that names the variable and what it accepts, never a secret's value; options over variables; old names read
as the new ones, with a warning; variables that look like a setting named with the closest one; what each cell says
it accepts is what it accepts; --help lists every setting. No server."""

from __future__ import annotations

import re

import pytest

from cph_conformance import settings, spec
from cph_conformance.run import runner
from cph_conformance.settings import BadSetting

# (variable, value, what the run reads, or the start of the refusal's reason)
CASES = [
    *(("CPH_STRICT", spelling, "1") for spelling in ("1", "true", "TRUE", "yes", "Yes", "on", "ON")),
    *(("CPH_WALK", spelling, "0") for spelling in ("0", "false", "False", "no", "NO", "off", "Off")),
    ("CPH_STRICT", "maybe", "CPH_STRICT='maybe' is not a yes or a no: it accepts 1/0, true/false, yes/no, on/off"),
    ("CPH_WALK", "2", "CPH_WALK='2' is not a yes or a no"),
    ("CPH_SEED", "7", "7"),
    ("CPH_SEED", "abc", "CPH_SEED='abc' is not a whole number: it accepts a whole number, 0 or more"),
    ("CPH_MAX_EXAMPLES", "-3", "CPH_MAX_EXAMPLES='-3' is not a whole number: it accepts a whole number, 1 or more"),
    ("CPH_MAX_EXAMPLES", "0", "CPH_MAX_EXAMPLES='0' is less than 1"),
    ("CPH_RATE_LIMIT", "2/s", "2/s"),
    ("CPH_RATE_LIMIT", "fast", "CPH_RATE_LIMIT='fast' is not a number of requests per unit of time: it accepts N/s"),
    ("CPH_RATE_LIMIT", "0/s", "CPH_RATE_LIMIT='0/s' is not a number"),
    ("CPH_PHASES", "fuzzing", "fuzzing"),
    ("CPH_PHASES", "coverage, fuzzing", "coverage,fuzzing"),
    (
        "CPH_PHASES",
        "fuzz",
        "CPH_PHASES='fuzz' names no phase of the run: 'fuzz': it accepts a comma-separated list of examples",
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
    ("CPH_MOCK_IMAGES", "3", "3"),
    ("CPH_MOCK_IMAGES", "2", "CPH_MOCK_IMAGES='2' is less than 3: it accepts a whole number, 3 (the page's example"),
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
    ("spelled", "strict", "walk"), [({}, False, True), ({"CPH_STRICT": "yes", "CPH_WALK": "off"}, True, False)]
)
def test_booleans_are_taken_as_meant(spelled: dict[str, str], strict: bool, walk: bool) -> None:
    env = settings.checked(spelled)
    assert (settings.flag(env, "CPH_STRICT"), settings.flag(env, "CPH_WALK")) == (strict, walk)


def test_a_secret_is_never_in_a_refusal() -> None:
    secret = settings.Setting("CPH_X_SECRET", settings.Kind(settings._whole(1), "a number", secret=True), "", "x", "g")
    with pytest.raises(BadSetting) as refused:
        secret.check("MIIT-the-secret-value")
    assert "MIIT-the-secret-value" not in str(refused.value) and "CPH_X_SECRET=its value" in str(refused.value)


def test_options_override_variables_and_are_checked_the_same() -> None:
    given = {"CPH_SEED": "1", "STRICT": "off"}
    env = settings.from_command_line(["--seed", "9", "--strict", "on"], given, "run", "", runner.GROUPS)
    assert (env["CPH_SEED"], env["CPH_STRICT"]) == ("9", "1")
    with pytest.raises(BadSetting, match=r"^CPH_SEED='x' is not a whole number"):
        settings.from_command_line(["--seed", "x"], {}, "run", "", runner.GROUPS)
    with pytest.raises(BadSetting, match="unrecognized arguments: --sed"):
        settings.from_command_line(["--sed", "9"], {}, "run", "", runner.GROUPS)


# (the environment, the value each setting has then, the warnings)
OLD_NAMES = [
    ({"SEED": "7"}, {"CPH_SEED": "7"}, ["SEED is the old name of CPH_SEED: it works until version 1.3; rename it"]),
    ({"CPH_SEED": "7"}, {"CPH_SEED": "7"}, []),
    (
        {"SEED": "3", "CPH_SEED": "7"},
        {"CPH_SEED": "7"},
        ["SEED is the old name of CPH_SEED, which is set too: SEED is ignored; unset it"],
    ),
    ({"STRICT": "yes", "WALK": "off"}, {"CPH_STRICT": "1", "CPH_WALK": "0"}, ["STRICT is the old", "WALK is the old"]),
    ({"RATE_LIMIT": " "}, {"CPH_RATE_LIMIT": "1000/s"}, []),  # blank: not set, as CI leaves an unset secret
]


@pytest.mark.parametrize(("env", "read", "warned"), OLD_NAMES)
def test_an_old_name_is_read_as_the_new_one_with_a_warning_naming_it(
    env: dict[str, str], read: dict[str, str], warned: list[str]
) -> None:
    checked = settings.checked(env)
    assert {name: settings.value(checked, name, live=False) for name in read} == read
    found = settings.warnings(checked)
    assert len(found) == len(warned) and all(w.startswith(start) for w, start in zip(found, warned, strict=True))


def test_an_old_name_is_refused_under_its_own_name_and_never_read_by_code() -> None:
    with pytest.raises(BadSetting, match=r"^MAX_EXAMPLES='0' is less than 1"):
        settings.checked({"MAX_EXAMPLES": "0"})
    with pytest.raises(KeyError):
        settings.value({"SEED": "7"}, "SEED")


def test_old_names_go_at_the_version_the_warning_promises() -> None:
    """One minor version: once the spec's info.version (the project's) reaches OLD_NAMES_UNTIL, the old names go."""
    version = tuple(int(part) for part in spec.load()["info"]["version"].split(".")[:2])
    assert version < settings.OLD_NAMES_UNTIL or not settings.BY_OLD_NAME, "remove the settings' old names now"


# (the variable, the setting a warning suggests; None: no warning at all)
LOOKALIKES = [
    ("CPH_STRCT", "CPH_STRICT"),  # difflib once suggested CPH_HISTORY here: names are compared without the prefix
    ("CPH_REGOIN", "CPH_REGION"),
    ("CPH_MAX_EXAMPLE", "CPH_MAX_EXAMPLES"),
    ("CPH_FAIL_ON_FLAKEY", "CPH_FAIL_ON_FLAKY"),
    ("STRCT", "CPH_STRICT"),
    ("MAX_EXAMPLE", "CPH_MAX_EXAMPLES"),
    ("RATELIMIT", "CPH_RATE_LIMIT"),
    ("REGION", "CPH_REGION"),
    ("AK", "CPH_AK"),
    ("CPH_WHEEL_PYTHONS", ""),  # a CPH_ variable near no setting: still named, with no suggestion
    *((name, None) for name in ("PATH", "HOME", "CI", "USER", "TERM", "SHELL", "LANG", "PWD", "SHLVL", "EDITOR")),
    *((name, None) for name in ("GITHUB_ACTIONS", "RUNNER_TEMP", "RUNNER_OS", "PYTHONPATH", "NO_PROXY", "MAIL")),
    *((name, None) for name in ("CPH_AK_SET", "seed", "CPH_SEED", "SEED")),  # the live plan's; lower case; settings
]


@pytest.mark.parametrize(("variable", "suggested"), LOOKALIKES)
def test_a_variable_that_looks_like_a_setting_is_named_with_the_closest(variable: str, suggested: str | None) -> None:
    found = [w for w in settings.warnings({variable: "1"}) if w.startswith(f"{variable} is not a setting")]
    if suggested is None:
        assert found == []
    elif suggested:
        assert found == [f"{variable} is not a setting of the run, and is ignored; did you mean {suggested}?"]
    else:
        assert found == [f"{variable} is not a setting of the run, and is ignored"]


def test_every_setting_has_the_prefix_but_the_one_github_names() -> None:
    assert [s.name for s in settings.SETTINGS if not s.name.startswith("CPH_")] == ["GITHUB_STEP_SUMMARY"]
    assert all(s.old and not s.old.startswith("CPH_") for s in settings.BY_OLD_NAME.values())


@pytest.mark.parametrize("setting", [s for s in settings.SETTINGS if "whole number" in s.kind.accepted()])
def test_a_whole_numbers_least_value_is_the_one_its_cells_say(setting: settings.Setting) -> None:
    """The cell says the least value it accepts: that one is taken, one less is refused, and the meaning says no
    other (CPH_MOCK_IMAGES once said 3 or more in one cell and 0 or more in the next)."""
    least = int(re.search(r"a whole number, (\d+)", setting.kind.accepted()).group(1))  # type: ignore[union-attr]
    assert setting.check(str(least)) == str(least)
    if least:
        with pytest.raises(BadSetting, match=f"is less than {least}"):
            setting.check(str(least - 1))
    assert "or more" not in setting.meaning


def test_a_url_settings_example_is_the_endpoint_it_names() -> None:
    """CPH_IAM_URL's example is IAM's URL (it once showed CPH's); each example is a value the setting takes."""
    examples = {
        name: settings.BY_NAME[name].kind.accepted().split("e.g. ")[1] for name in ("CPH_IAM_URL", "CPH_BASE_URL")
    }
    region = spec.default_region()
    assert examples == {"CPH_IAM_URL": spec.iam_url(region), "CPH_BASE_URL": spec.base_url(region)}
    assert all(settings.BY_NAME[name].check(url) == url for name, url in examples.items())


def test_a_files_path_is_called_a_file_and_a_folders_a_folder() -> None:
    """GITHUB_STEP_SUMMARY is a file GitHub appends to (it once said it accepts a folder)."""
    assert "file" in settings.BY_NAME["GITHUB_STEP_SUMMARY"].kind.accepted()
    assert "folder" in settings.BY_NAME["CPH_REPORTS_DIR"].kind.accepted()
    assert "folder" not in settings.BY_NAME["GITHUB_STEP_SUMMARY"].kind.accepted()


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
