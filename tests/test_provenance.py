"""The replay command in a run's reports gives the run the same settings again: every setting that shapes what it
sends, and never a secret."""

import shlex

import pytest

from cph_conformance import settings
from cph_conformance.run import runner
from cph_conformance.run.report import provenance

TOKEN = "a-token-that-must-not-be-in-the-command"  # noqa: S105 - made up
SHAPING = [s.name for s in settings.SETTINGS if s.group == settings.RUN] + list(provenance.MOCK_SHAPERS)


def replayed(command: str, credential: dict[str, str]) -> dict[str, str]:
    """The settings the replay command gives a run: its variables, then its options, as the shell and the runner
    would read them."""
    words = shlex.split(command.split(" && ", 1)[-1])
    variables = {}
    while "=" in words[0]:
        name, value = words.pop(0).split("=", 1)
        variables[name] = value
    assert words[0] == ".ci/conformance"
    return settings.from_command_line(words[1:], {**credential, **variables}, "replay", "", runner.GROUPS)


@pytest.mark.parametrize(
    ("env", "live"),
    [
        ({}, False),
        ({"CPH_MOCK_FAULT": "pages-skip", "CPH_MOCK_IMAGES": "7", "SEED": "3", "PHASES": "fuzzing"}, False),
        ({"CPH_BASE_URL": "https://cph.example.test", "CPH_PROJECT_ID": "p1", "CPH_AUTH_TOKEN": TOKEN}, True),
        ({"CPH_REGION": "cn-east-3", "CPH_PROJECT_ID": "p1", "CPH_AUTH_TOKEN": TOKEN, "STRICT": "1"}, True),
    ],
)
def test_the_replay_command_gives_the_same_settings(env: dict[str, str], live: bool) -> None:
    original = settings.checked(env)
    command = provenance.replay(original, live)
    credential = {name: value for name, value in env.items() if name in ("CPH_AUTH_TOKEN",)}
    again = replayed(command, credential)
    assert TOKEN not in command
    assert [settings.value(again, name, live) for name in SHAPING] == [
        settings.value(original, name, live) for name in SHAPING
    ]
    endpoint = ("CPH_BASE_URL", "CPH_REGION", "CPH_PROJECT_ID")
    assert [again.get(n) for n in endpoint] == [original.get(n) if live else None for n in endpoint]
