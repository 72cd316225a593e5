"""`make mock`: python -m cph_conformance.mock [--port N] [--images N] [--fault NAME]"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import sys

from cph_conformance import settings
from cph_conformance.mock import faults
from cph_conformance.mock.catalog import DEFAULT_SIZE
from cph_conformance.mock.server import PortUnavailable, new_ak, new_sk, serve
from cph_conformance.settings import BY_NAME, BadSetting


def port_number(text: str) -> int:
    """A TCP port, 0 (any free port) to 65535 (the --port option; CPH_MOCK_PORT is checked by the table)."""
    try:
        return int(settings.BY_NAME["CPH_MOCK_PORT"].check(text))
    except BadSetting as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("CPH_MOCK_PORT=")) from None


def _count(text: str) -> int:
    try:
        return int(settings.BY_NAME["CPH_MOCK_IMAGES"].check(text))
    except BadSetting as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("CPH_MOCK_IMAGES=")) from None


def _faults_help() -> str:
    """Each fault, what it breaks and the check that must catch it."""
    lines = ["faults (--fault NAME, or CPH_MOCK_FAULT):"]
    for name, fault in faults.FAULTS.items():
        if fault.caught_by:
            verdict = f"caught by {fault.caught_by}" + (" (STRICT=1)" if fault.strict_only else "")
        else:
            verdict = "the run must end inconclusive" if fault.inconclusive else "a faithful variant: the run must pass"
        lines.append(f"  {name}: {fault.description}; {verdict}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except (BadSetting, PortUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _main(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cph_conformance.mock",
        description=__doc__,
        epilog=_faults_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=port_number, help="default: CPH_MOCK_PORT, else 8080; 0 takes a free port")
    parser.add_argument("--images", type=_count, help=f"default: CPH_MOCK_IMAGES, else {DEFAULT_SIZE}")
    parser.add_argument(
        "--fault",
        default=None,
        choices=sorted(faults.FAULTS),
        help="break the contract in one named way",
    )
    parser.add_argument("--quiet", action="store_true", help="print only the base URL")
    args = parser.parse_args(argv)
    env = settings.checked(os.environ, ["CPH_MOCK_PORT", "CPH_MOCK_IMAGES", "CPH_MOCK_FAULT"])
    port = args.port if args.port is not None else int(env.get("CPH_MOCK_PORT") or BY_NAME["CPH_MOCK_PORT"].default)
    images = args.images if args.images is not None else int(env.get("CPH_MOCK_IMAGES") or DEFAULT_SIZE)
    where = "--port" if args.port is not None else "CPH_MOCK_PORT"
    from cph_conformance.mock.app import Settings

    served = Settings(
        project_id=os.environ.get("CPH_MOCK_PROJECT_ID") or secrets.token_hex(16),
        token=os.environ.get("CPH_MOCK_TOKEN") or secrets.token_urlsafe(32),
        ak=os.environ.get("CPH_MOCK_AK") or new_ak(),
        sk=os.environ.get("CPH_MOCK_SK") or new_sk(),
        images=images,
        fault=args.fault or env.get("CPH_MOCK_FAULT") or None,
    )
    try:
        with contextlib.suppress(KeyboardInterrupt):
            serve(served, port, announce=not args.quiet)
    except PortUnavailable as exc:
        raise PortUnavailable(f"{exc} (set {where} to a free port, or 0 for any)") from None
    return 0


if __name__ == "__main__":
    sys.exit(main())
