"""`make mock`: python -m cph_conformance.mock [--port N] [--images N] [--fault NAME] [--project-id ID] [--token T]

Without --project-id and --token it serves a new random project and token each time (a run's own mock does); with
them, a fixed one, so that a report's reproduction starts the same mock again and its curl lines work as written.

A setting it cannot use (a port that is not one or is taken, fewer images than the catalog needs, a fault it does not
have) is one line on stderr and exit 2, naming the option or variable and what it accepts."""

from __future__ import annotations

import argparse
import contextlib
import difflib
import os
import secrets
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cph_conformance import settings
from cph_conformance.mock import faults
from cph_conformance.mock.server import PortUnavailable, new_ak, new_sk, serve
from cph_conformance.settings import BadSetting


def _faults_help() -> str:
    """Each fault, what it breaks and what the run must make of it (which check catches it, and whether as drift or
    as an error, is the run's to say: cph_conformance/run/checks/caught.py)."""
    lines = ["faults (--fault NAME, or CPH_MOCK_FAULT):"]
    for name, fault in faults.FAULTS.items():
        if fault.faithful:
            verdict = "a faithful variant: the run must pass"
        elif fault.inconclusive:
            verdict = "the run must end inconclusive"
        else:
            verdict = "the run must not pass" + (" (with CPH_STRICT=1)" if fault.strict_only else "")
        lines.append(f"  {name}: {fault.description}; {verdict}")
    return "\n".join(lines)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line, not argparse's usage: say what is accepted
        raise BadSetting(f"{message} (see python -m cph_conformance.mock --help)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m cph_conformance.mock",
        description=__doc__,
        epilog=_faults_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    default = settings.BY_NAME
    parser.add_argument("--port", help=f"default: CPH_MOCK_PORT, else {default['CPH_MOCK_PORT'].default}; 0: any")
    parser.add_argument("--images", help=f"default: CPH_MOCK_IMAGES, else {default['CPH_MOCK_IMAGES'].default}")
    parser.add_argument("--fault", help="break the contract in one named way (default: CPH_MOCK_FAULT)")
    parser.add_argument(
        "--project-id", help="the project it serves (default: CPH_MOCK_PROJECT_ID, else a new random one)"
    )
    parser.add_argument(
        "--token",
        help="the token it lets in (default: CPH_MOCK_TOKEN, else a new random one); a token on a command line is "
        "seen by every user of the machine: for a mock on loopback only, as the reports' reproductions use it",
    )
    parser.add_argument("--quiet", action="store_true", help="print only the base URL")
    return parser


@dataclass(frozen=True)
class Plan:
    """What the mock will serve, every setting checked: the port, where it came from, the images and the fault."""

    port: int
    port_from: str
    images: int
    fault: str | None
    project_id: str = ""  # "": a new random one
    token: str = ""  # "": a new random one


def _fault(name: str, given_as: str) -> str:
    if name not in faults.FAULTS:
        near = difflib.get_close_matches(name, faults.FAULTS, n=1)
        hint = f"; did you mean {near[0]}?" if near else ""
        raise BadSetting(
            f"{given_as}={name!r} is not a fault of the mock{hint} (python -m cph_conformance.mock --help lists them)"
        )
    return name


def plan(args: argparse.Namespace, env: Mapping[str, str]) -> Plan:
    """The options over the variables (a variable an option overrides is not read), each checked by the table of
    settings; BadSetting naming the first that is wrong, as it was given (--port or CPH_MOCK_PORT)."""

    def one(name: str, option: str, given: str | None) -> tuple[str, str]:
        if given is None:
            return settings.value(settings.checked(env, [name]), name), name
        return settings.BY_NAME[name].check(given, option), option

    port, port_from = one("CPH_MOCK_PORT", "--port", args.port)
    images, _ = one("CPH_MOCK_IMAGES", "--images", args.images)
    fault, fault_from = one("CPH_MOCK_FAULT", "--fault", args.fault)
    project_id, _ = one("CPH_MOCK_PROJECT_ID", "--project-id", args.project_id)
    token, _ = one("CPH_MOCK_TOKEN", "--token", args.token)
    return Plan(int(port), port_from, int(images), _fault(fault, fault_from) if fault else None, project_id, token)


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    try:
        args = _parser().parse_args(argv)
        chosen = plan(args, env)
    except BadSetting as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for warning in [] if args.quiet else settings.warnings(env):  # a quiet mock's parent has warned already
        print(f"warning: {warning}", file=sys.stderr)
    from cph_conformance.mock.app import Settings

    served = Settings(
        project_id=chosen.project_id or secrets.token_hex(16),
        token=chosen.token or secrets.token_urlsafe(32),
        ak=env.get("CPH_MOCK_AK") or new_ak(),
        sk=env.get("CPH_MOCK_SK") or new_sk(),
        images=chosen.images,
        fault=chosen.fault,
    )
    try:
        with contextlib.suppress(KeyboardInterrupt):
            serve(served, chosen.port, announce=not args.quiet)
    except PortUnavailable as exc:
        print(f"error: {exc} (set {chosen.port_from} to a free port, or 0 for any)", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
