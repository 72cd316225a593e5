"""Every setting of the conformance run and the mock, in one table: its variable, its command-line option, what it
holds, its default and what it accepts. The table drives the parsing (environment variables, and options that
override them), `--help`, the docs' settings reference (`python -m cph_conformance.settings` prints it) and
`make help`'s pointer to it.

Every setting is named CPH_*. Code reads one by that name, through value() and flag() on the environment that
checked() returns, in which a setting's old name (SEED, before CPH_SEED) is read as its new one. An old name works,
with a warning that names the new one, until OLD_NAMES_UNTIL.

A value that is not one a setting accepts stops the run before anything starts (exit 2), with a message that names
the variable, what is wrong with the value (never a secret's value) and what it accepts. A variable that looks like
a setting and is none (CPH_STRCT, STRCT, MAX_EXAMPLE) gets a warning that names the closest setting. Secrets are read
from the environment only: an option would put them in the shell's history and the process list.
"""

from __future__ import annotations

import argparse
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cph_conformance import spec

ENDPOINT, CREDENTIAL, RUN, REPORTS, MOCK, LIVE, INTERNAL = (
    "the endpoint",
    "one credential (environment only)",
    "the run",
    "the reports",
    "the mock (make mock)",
    "the scheduled live job",
    "set by the tools themselves",
)
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
PHASES = ("examples", "coverage", "fuzzing")
RATE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
RATE_LIMITS = {"live": "5/s", "mock": "1000/s"}  # be gentle with Huawei; the mock needs no throttle
DEADLINES = {"live": "1800", "mock": "600"}  # seconds: a live run at 5/s takes a few minutes, a mock run one
# Requests to shrink a failing case: 50 take 10 s at 5/s; the mock answers 500 in a few seconds.
SHRINK_REQUESTS = {"live": "50", "mock": "500"}
BY_TARGET = {"CPH_RATE_LIMIT": RATE_LIMITS, "CPH_DEADLINE": DEADLINES, "CPH_SHRINK_REQUESTS": SHRINK_REQUESTS}


PREFIX = "CPH_"
OLD_NAMES_UNTIL = (1, 3)  # the spec's info.version (the project's version) from which an old name is refused


class BadSetting(ValueError):
    """A setting's value that cannot be used: the message names the variable, the problem and what it accepts."""


def _boolean(value: str) -> str:
    if value.strip().lower() in TRUE:
        return "1"
    if value.strip().lower() in FALSE:
        return "0"
    raise ValueError("is not a yes or a no")


def _whole(minimum: int | Callable[[], int]) -> Callable[[str], str]:
    def parse(value: str) -> str:
        least = minimum() if callable(minimum) else minimum
        if not re.fullmatch(r"\d+", value.strip()):
            raise ValueError("is not a whole number")
        if int(value) < least:
            raise ValueError(f"is less than {least}")
        return str(int(value))

    return parse


def _mock_minimum() -> int:
    """The fewest images the mock's catalog can hold: the page's example images, which it always lists."""
    return len(spec.example_response()["phone_images"])


def _rate(value: str) -> str:
    found = re.fullmatch(r"(\d+)/([smhd])", value.strip())
    if not found or int(found.group(1)) < 1:
        raise ValueError("is not a number of requests per unit of time")
    return value.strip()


def _phases(value: str) -> str:
    names = [name.strip() for name in value.split(",")]
    unknown = [name for name in names if name not in PHASES]
    if unknown or not names:
        raise ValueError(f"names no phase of the run: {', '.join(repr(n) for n in unknown)}")
    return ",".join(dict.fromkeys(names))


def _region(value: str) -> str:
    if value.strip() not in spec.regions():
        raise ValueError("is not a region the spec's servers list")
    return value.strip()


def _url(value: str) -> str:
    if not re.fullmatch(r"https?://[^/?#@\s]+/?", value.strip()):
        raise ValueError("is not scheme://host[:port] (no path, query or user)")
    return value.strip().rstrip("/")


def _port(value: str) -> str:
    if not re.fullmatch(r"\d+", value.strip()) or int(value) > 65535:
        raise ValueError("is not a port number")
    return str(int(value))


def _fault(value: str) -> str:
    """A fault's name, in its form; the mock, which owns the faults, refuses one it does not have."""
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", value.strip()):
        raise ValueError("is not one of the mock's faults")
    return value.strip()


def _text(value: str) -> str:
    return value


@dataclass(frozen=True)
class Kind:
    parse: Callable[[str], str]  # the value, checked and written the one way the run reads it; ValueError if not
    accepts: str | Callable[[], str]  # what the setting accepts, in a few words
    secret: bool = False

    def accepted(self) -> str:
        return self.accepts() if callable(self.accepts) else self.accepts


BOOL = Kind(_boolean, "1/0, true/false, yes/no, on/off (any case)")
COUNT = Kind(_whole(1), "a whole number, 1 or more")
NATURAL = Kind(_whole(0), "a whole number, 0 or more")
RATE = Kind(_rate, "N/s, N/m, N/h or N/d: N requests a second, minute, hour or day")
PHASE_LIST = Kind(_phases, f"a comma-separated list of {', '.join(PHASES)}")
REGION = Kind(_region, lambda: "one of " + ", ".join(spec.regions()))
URL = Kind(_url, lambda: "scheme://host[:port], e.g. " + spec.base_url(spec.default_region()))
IAM_URL = Kind(_url, lambda: "scheme://host[:port], e.g. " + spec.iam_url(spec.default_region()))
PORT = Kind(_port, "0 (any free port) to 65535")
FAULT = Kind(_fault, "a fault's name: python -m cph_conformance.mock --help lists them")
TEXT = Kind(_text, "any text")
SECRET = Kind(_text, "the bare value (no white space, line breaks or non-ASCII)", secret=True)
PATH = Kind(_text, "a folder this user may write in")
FILE = Kind(_text, "the path of a file this user may append to")
IMAGES = Kind(_whole(_mock_minimum), lambda: f"a whole number, {_mock_minimum()} (the page's example images) or more")
BASELINE = Kind(_text, "the path of an observed.json an earlier run wrote (of this version's format)")
HISTORY = Kind(_text, "the path of a history file: made by the first run, then kept by each")


@dataclass(frozen=True)
class Setting:
    name: str  # the environment variable
    kind: Kind
    default: str  # "" when there is none
    meaning: str
    group: str
    option: bool = True  # also a command-line option (never for a secret)
    old: str = ""  # the name it had before every setting was CPH_*: read, with a warning, until OLD_NAMES_UNTIL

    @property
    def flag(self) -> str | None:
        """The command-line option: --seed for CPH_SEED, --base-url for CPH_BASE_URL."""
        if self.kind.secret or not self.option:
            return None
        return "--" + self.name.removeprefix(PREFIX).lower().replace("_", "-")

    def check(self, value: str, given_as: str = "") -> str:
        """The value as the run reads it; BadSetting naming the variable it was given as (the old name, say)."""
        try:
            return self.kind.parse(value)
        except ValueError as exc:
            shown = "its value" if self.kind.secret else repr(value)
            raise BadSetting(f"{given_as or self.name}={shown} {exc}: it accepts {self.kind.accepted()}.") from None


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "CPH_REGION",
        REGION,
        "",
        "the live endpoint's region: the run builds https://cph.<region>... from the spec",
        ENDPOINT,
    ),
    Setting("CPH_BASE_URL", URL, "", "any other endpoint, instead of CPH_REGION's", ENDPOINT),
    Setting(
        "CPH_PROJECT_ID", TEXT, "", "the project the credential may read (32 hex characters, one per region)", ENDPOINT
    ),
    Setting("CPH_AUTH_TOKEN", SECRET, "", "an IAM token (X-Subject-Token), sent in X-Auth-Token", CREDENTIAL),
    Setting("CPH_AK", SECRET, "", "an access key ID; with CPH_SK, every request is signed", CREDENTIAL),
    Setting("CPH_SK", SECRET, "", "the secret access key", CREDENTIAL),
    Setting("CPH_SECURITY_TOKEN", SECRET, "", "a temporary access key's security token", CREDENTIAL),
    Setting("CPH_IAM_USER", TEXT, "", "an IAM user's name: the run gets a token from IAM", CREDENTIAL, option=False),
    Setting("CPH_IAM_PASSWORD", SECRET, "", "that user's password", CREDENTIAL),
    Setting("CPH_IAM_DOMAIN", TEXT, "", "the account (domain) the IAM user belongs to", CREDENTIAL, option=False),
    Setting(
        "CPH_IAM_PROJECT_NAME",
        TEXT,
        "the region's name",
        "the project IAM scopes the token to, without CPH_PROJECT_ID",
        CREDENTIAL,
        option=False,
    ),
    Setting(
        "CPH_IAM_URL",
        IAM_URL,
        "IAM's URL in the region",
        "another IAM endpoint: for tests and loopback stand-ins only",
        CREDENTIAL,
        option=False,
    ),
    Setting(
        "CPH_SEED",
        NATURAL,
        "20261126",
        "the seed of schemathesis' cases: the same seed sends the same requests",
        RUN,
        old="SEED",
    ),
    Setting("CPH_MAX_EXAMPLES", COUNT, "100", "cases of the fuzzing phase, at most", RUN, old="MAX_EXAMPLES"),
    Setting(
        "CPH_RATE_LIMIT",
        RATE,
        ", ".join(f"{v} {k}" for k, v in RATE_LIMITS.items()),
        "the fastest the run goes; throttling slows it further",
        RUN,
        old="RATE_LIMIT",
    ),
    Setting(
        "CPH_DEADLINE",
        COUNT,
        ", ".join(f"{v} {k}" for k, v in DEADLINES.items()),
        "seconds the whole run may take: past it nothing more is sent, and a run it cut short before its replays "
        "ends inconclusive (exit 2)",
        RUN,
    ),
    Setting(
        "CPH_SHRINK_REQUESTS",
        NATURAL,
        ", ".join(f"{v} {k}" for k, v in SHRINK_REQUESTS.items()),
        "requests schemathesis' fuzzing may send after a case breaks a rule, to shrink it to the smallest that still "
        "does (and look for others); then it stops, with the smallest found so far. 0: nothing is shrunk",
        RUN,
    ),
    Setting(
        "CPH_MAX_BODY",
        NATURAL,
        "0",
        "bytes of an answer the run reads, a larger one is read no further and is drift; 0: twice the largest page "
        "the spec allows",
        RUN,
    ),
    Setting(
        "CPH_STRICT",
        BOOL,
        "0",
        "also fail on fields the spec does not list (no_undocumented_fields)",
        RUN,
        old="STRICT",
    ),
    Setting("CPH_WALK", BOOL, "1", "walk the listings and send the probes", RUN, old="WALK"),
    Setting(
        "CPH_REPLAY",
        BOOL,
        "1",
        "send a blip (502, 503, 504, a lost connection) and a failing request again, twice, before it counts; "
        "0: no request is sent twice (a failure counts at once, a blip is an answer lost)",
        RUN,
        old="REPLAY",
    ),
    Setting(
        "CPH_FAIL_ON_FLAKY",
        BOOL,
        "0",
        "a failure that did not come back every time it was sent fails the run",
        RUN,
        old="FAIL_ON_FLAKY",
    ),
    Setting(
        "CPH_PHASES",
        PHASE_LIST,
        "examples,coverage,fuzzing",
        "schemathesis' phases (fuzzing alone: a quick run)",
        RUN,
        old="PHASES",
    ),
    Setting(
        "CPH_REPORTS_DIR", PATH, "reports/", "where the run writes its reports (and removes only its own)", REPORTS
    ),
    Setting(
        "CPH_BASELINE",
        BASELINE,
        "",
        "compare what this run observed with an earlier run's (its reports' observed.json): Changes since its date",
        REPORTS,
    ),
    Setting(
        "CPH_FAIL_ON_CHANGE",
        BOOL,
        "0",
        "changes of shape since CPH_BASELINE (fields, types, values, statuses, error codes) exit 1",
        REPORTS,
    ),
    Setting(
        "CPH_HISTORY",
        HISTORY,
        "",
        "add this run to a history of the last runs (date, verdict, counts, p95), drawn in summary.html",
        REPORTS,
    ),
    Setting(  # GitHub's name, not ours: the one setting without the prefix
        "GITHUB_STEP_SUMMARY",
        FILE,
        "",
        "a file the summary is appended to (GitHub Actions sets it)",
        REPORTS,
        option=False,
    ),
    Setting("CPH_MOCK_PORT", PORT, "8080", "make mock's port on 127.0.0.1", MOCK, option=False),
    Setting("CPH_MOCK_IMAGES", IMAGES, "60", "images in the mock's catalog", MOCK, option=False),
    Setting(
        "CPH_MOCK_FAULT",
        FAULT,
        "",
        "break the mock's contract in one named way (make mock FAULT=...)",
        MOCK,
        option=False,
    ),
    Setting(
        "CPH_REGIONS", TEXT, "the spec's default region", "the live job's regions, a JSON list", LIVE, option=False
    ),
    Setting("CPH_PROJECT_IDS", TEXT, "", "the live job's project ID of each region, a JSON object", LIVE, option=False),
    Setting("CPH_MOCK_PROJECT_ID", TEXT, "", "a child mock's project", INTERNAL, option=False),
    Setting("CPH_MOCK_TOKEN", SECRET, "", "a child mock's token", INTERNAL),
    Setting("CPH_MOCK_AK", SECRET, "", "a child mock's access key", INTERNAL),
    Setting("CPH_MOCK_SK", SECRET, "", "a child mock's secret key", INTERNAL),
)
BY_NAME = {s.name: s for s in SETTINGS}
BY_OLD_NAME = {s.old: s for s in SETTINGS if s.old}
# Variables the tools set beside the settings, never read as one: the live plan's CPH_<secret>_SET (set or not).
NOT_SETTINGS = re.compile(r"CPH_[A-Z_]+_SET")


def _distance(a: str, b: str) -> int:
    """Edits (a letter added, dropped, changed, or two side by side swapped) that make a into b."""
    before, row = list(range(len(b) + 1)), list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        earlier, before, row = before, row, [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            row[j] = min(before[j] + 1, row[j - 1] + 1, before[j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], earlier[j - 2] + 1)
    return row[len(b)]


@functools.cache  # each run checks its whole environment, and a test suite runs many: the same names each time
def closest(name: str) -> Setting | None:
    """The setting a variable that is none seems to mean: the nearest by edits, names compared without the prefix,
    among every setting (and their old names); None when none is near enough to be the one meant. A name with the
    prefix is surely meant as a setting, so a looser match is taken: a third of its letters may be wrong. Without
    it, a variable is taken for a setting only when one or two letters are wrong (two for a long name), so that the
    shell's and CI's own variables (PATH, HOME, CI) are never named."""
    bare = name.removeprefix(PREFIX)
    prefixed = name.startswith(PREFIX)
    allowed = max(1, len(bare) // 3) if prefixed else 0 if len(bare) < 4 else 1 if len(bare) < 9 else 2
    # A name whose length is off by more than allowed is that many edits away at least: not measured.
    scored = [
        (_distance(bare, known), index, s)
        for index, s in enumerate(SETTINGS)
        for known in (s.name.removeprefix(PREFIX), s.old.removeprefix(PREFIX) if s.old else "")
        if known and abs(len(known) - len(bare)) <= allowed
    ]
    if not scored:
        return None
    distance, _, nearest = min(scored, key=lambda scored: scored[:2])
    return nearest if distance <= allowed else None


class Checked(dict[str, str]):
    """An environment as checked() returns it: each setting's value under its name, no old name left; `renamed`
    holds the old names it was given, each with its new name and whether that was set too (then it won)."""

    renamed: tuple[tuple[str, str, bool], ...] = ()


def _renamed(env: Mapping[str, str]) -> tuple[tuple[str, str, bool], ...]:
    return tuple(
        (old, s.name, bool(env.get(s.name, "").strip()))
        for old, s in sorted(BY_OLD_NAME.items())
        if env.get(old, "").strip()
    )


def warnings(env: Mapping[str, str]) -> list[str]:
    """A warning for each old name of a setting that was given, naming the new one; and for each variable that looks
    like a setting and is none, naming the closest. Every CPH_* variable that no setting names gets one."""
    found = []
    until = ".".join(map(str, OLD_NAMES_UNTIL))
    for old, new, both in env.renamed if isinstance(env, Checked) else _renamed(env):
        if both:
            found.append(f"{old} is the old name of {new}, which is set too: {old} is ignored; unset it")
        else:
            found.append(f"{old} is the old name of {new}: it works until version {until}; rename it {new}")
    for name in sorted(env):
        if name in BY_NAME or name in BY_OLD_NAME or NOT_SETTINGS.fullmatch(name) or not name.isupper():
            continue
        nearest = closest(name)
        if nearest is not None:
            found.append(f"{name} is not a setting of the run, and is ignored; did you mean {nearest.name}?")
        elif name.startswith(PREFIX):
            found.append(f"{name} is not a setting of the run, and is ignored")
    return found


def checked(env: Mapping[str, str], names: Sequence[str] | None = None) -> Checked:
    """env with each setting's value (of those named, else all) checked and written the one way the run reads it,
    under its name: a value given under an old name is the new name's, unless that is set too; no old name is left.
    BadSetting on the first that is wrong. An empty value is no value (CI sets every secret's variable, blank when it
    is not set)."""
    result = Checked(env)
    result.renamed = _renamed(env)
    for setting in SETTINGS if names is None else [BY_NAME[n] for n in names]:
        given_as = setting.name
        if not env.get(given_as, "").strip() and setting.old and env.get(setting.old, "").strip():
            given_as = setting.old
        value = env.get(given_as, "")
        if value.strip():
            result[setting.name] = setting.check(value, given_as)
    for old in BY_OLD_NAME:
        result.pop(old, None)
    return result


def flag(env: Mapping[str, str], name: str) -> bool:
    """A boolean setting's value, by its name (env as checked() returns it), or its default."""
    return value(env, name) == "1"


def value(env: Mapping[str, str], name: str, live: bool | None = None) -> str:
    """A setting's value, by its name (env as checked() returns it), or its default: for those of BY_TARGET, the one
    for a live run or for one against a mock, as live says. KeyError for a name that is no setting's (an old one)."""
    setting = BY_NAME[name]
    if name in BY_TARGET:
        if live is None:
            raise TypeError(f"{name}'s default depends on the endpoint: say whether the run is live")
        return env.get(name) or BY_TARGET[name]["live" if live else "mock"]
    return env.get(name) or setting.default


def rate_per_second(limit: str) -> float:
    count, _, unit = limit.partition("/")
    return float(count) / RATE_UNITS[unit or "s"]


def reports_dir(env: Mapping[str, str]) -> Path:
    return Path(env.get("CPH_REPORTS_DIR") or spec.ROOT / "reports")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # a usage error is exit 2, as every setup problem: say what is accepted
        raise BadSetting(f"{message} (see --help)")


def parser(prog: str, description: str, groups: Sequence[str]) -> argparse.ArgumentParser:
    """An argument parser with an option for each setting of the groups, its help its meaning, default and accepted
    values; and the environment-only settings listed after them."""
    p = _Parser(prog=prog, description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    env_only = []
    for group in groups:
        section = p.add_argument_group(f"{group}")
        for s in (s for s in SETTINGS if s.group == group):
            if s.flag is None:
                env_only.append(s)
                continue
            default = f" Default: {s.default}." if s.default else ""
            section.add_argument(
                s.flag,
                dest=s.name,
                metavar="VALUE",
                help=f"{s.meaning}.{default} Accepts {s.kind.accepted()}. [{s.name}]",
            )
    if env_only:
        p.epilog = "set in the environment only:\n" + "\n".join(
            f"  {s.name}: {s.meaning}" + (f" (default: {s.default})" if s.default else "") for s in env_only
        )
    return p


def from_command_line(
    argv: Sequence[str], env: Mapping[str, str], prog: str, description: str, groups: Sequence[str]
) -> dict[str, str]:
    """env with the options of argv over its variables, every value checked; BadSetting when one is wrong."""
    given = vars(parser(prog, description, groups).parse_args(list(argv)))
    merged = {**env, **{name: given_value for name, given_value in given.items() if given_value is not None}}
    return checked(merged)


def markdown() -> str:
    """The settings reference for the docs, a table for each group (Markdown: text that could be read as HTML is
    escaped). The settings the tools set for themselves are left out."""

    def cell(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")

    parts = []
    for group in dict.fromkeys(s.group for s in SETTINGS if s.group != INTERNAL):
        parts += [
            f"### {group[0].upper()}{group[1:]}",
            "",
            "| variable | default | what it is | accepts |",
            "|---|---|---|---|",
        ]
        for s in (s for s in SETTINGS if s.group == group):
            name = "<br>".join(
                [f"`{s.name}`", f"`{s.flag}`" if s.flag else "(environment only)"]
                + ([f"was `{s.old}`"] if s.old else [])
            )
            parts.append(f"| {name} | {cell(s.default)} | {cell(s.meaning)} | {cell(s.kind.accepted())} |")
        parts.append("")
    return "\n".join(parts)


if __name__ == "__main__":  # python -m cph_conformance.settings: the docs' table
    print(markdown(), end="")
