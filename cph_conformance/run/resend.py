"""One request of a run sent again from a shell, with the credential the run's environment gives it, placed as the
run placed it: the reproduction of a run that signed its requests (CPH_AK and CPH_SK) or got its token from IAM,
which curl cannot send with a shell variable.

    .venv/bin/python -m cph_conformance.run.resend AUTH METHOD URL

AUTH is how the run authenticated it: valid, missing, empty, wrong, or a near miss's or a misplacement's name (the
reports write it). The credential comes from the environment as the run reads it (CPH_AUTH_TOKEN; CPH_AK, CPH_SK and
CPH_SECURITY_TOKEN; the CPH_IAM_* password); the request goes through the run's own sender, with its bounds. It
prints the answer's status and body, every secret masked and what a terminal would act on escaped. Exit 0 when an
answer came, 2 when none did or the environment names no credential.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from cph_conformance import spec
from cph_conformance.run.report import escape
from cph_conformance.run.transport import credential, target
from cph_conformance.run.transport.deadline import Deadline
from cph_conformance.run.transport.exchange import Exchange, Outgoing
from cph_conformance.run.transport.patience import Patience
from cph_conformance.run.transport.sender import Sender

SECONDS = 60.0  # the whole resend's deadline
AUTHS = (credential.VALID, credential.MISSING, credential.EMPTY, credential.WRONG, *credential.NEAR_MISSES)
AUTHS += tuple(credential.MISPLACED)


def resend(auth: str, method: str, url: str, env: Mapping[str, str]) -> Exchange:
    """The request sent again to url's endpoint, with env's credential; CannotRun names what env lacks."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise target.CannotRun(f"{url!r} is not a request's URL")
    endpoint = f"{parts.scheme}://{parts.netloc}"
    t = target.live({"CPH_BASE_URL": endpoint, **env} if not env.get("CPH_REGION") else env)
    deadline = Deadline(SECONDS)
    patience = Patience(
        0, spec.statuses_when("throttled"), transient=spec.statuses_when("transient"), again=0, deadline=deadline
    )
    sender = Sender(endpoint, t.project_id, t.credential, t.secrets, patience, deadline)
    raw_path = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        return sender.send(Outgoing(method, raw_path.encode("ascii"), auth, "replay"))
    finally:
        sender.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cph_conformance.run.resend", description=__doc__.split("\n\n")[0])
    parser.add_argument("auth", choices=AUTHS, metavar="AUTH", help="how the run authenticated the request")
    parser.add_argument("method", help="the request's method, as the reports write it")
    parser.add_argument("url", help="the request's URL, as the reports write it")
    args = parser.parse_args(argv)
    try:
        ex = resend(args.auth, args.method.upper(), args.url, os.environ)
    except target.CannotRun as exc:
        print(f"error: {escape.console(str(exc))}", file=sys.stderr)
        return 2
    if ex.status is None:
        print(f"no answer: {escape.console(ex.text)}", file=sys.stderr)
        return 2
    print(ex.status)
    print(escape.console(ex.text, keep_newlines=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
