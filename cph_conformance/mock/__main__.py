"""`make mock`: python -m cph_conformance.mock [--port N] [--images N] [--fault NAME]"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import sys

from cph_conformance.mock import faults
from cph_conformance.mock.app import Settings
from cph_conformance.mock.server import new_ak, new_sk, serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cph_conformance.mock", description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("CPH_MOCK_PORT", "8080")))
    parser.add_argument("--images", type=int, default=int(os.environ.get("CPH_MOCK_IMAGES", "60")))
    parser.add_argument(
        "--fault",
        default=os.environ.get("CPH_MOCK_FAULT") or None,
        choices=sorted(faults.FAULTS),
        help="break the contract in one named way",
    )
    parser.add_argument("--quiet", action="store_true", help="print only the base URL")
    args = parser.parse_args(argv)
    settings = Settings(
        project_id=os.environ.get("CPH_MOCK_PROJECT_ID") or secrets.token_hex(16),
        token=os.environ.get("CPH_MOCK_TOKEN") or secrets.token_urlsafe(32),
        ak=os.environ.get("CPH_MOCK_AK") or new_ak(),
        sk=os.environ.get("CPH_MOCK_SK") or new_sk(),
        images=args.images,
        fault=args.fault,
    )
    with contextlib.suppress(KeyboardInterrupt):
        serve(settings, args.port, announce=not args.quiet)
    return 0


if __name__ == "__main__":
    sys.exit(main())
