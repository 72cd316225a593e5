"""One request of a run sent again from a shell, with the credential the run's environment gives it, placed as the
run placed it: the reproduction of a run that signed its requests (CPH_AK and CPH_SK) or got its token from IAM,
which curl cannot send with a shell variable.

    PYTHONPATH=generated .venv/bin/python -m cph_conformance.run.resend AUTH METHOD URL

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

import httpx

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
    """The request sent again to url's endpoint, with env's credential; CannotRun says what stops it: a URL that is
    not a request's, an endpoint other than the one env names (the credential goes to no other), a credential env
    lacks, or one that cannot be placed as AUTH says."""
    endpoint, raw_path = _parts(url)
    named = target.named_endpoint(env)
    if named is not None and named.lower() != endpoint.lower():
        raise target.CannotRun(
            f"the URL's endpoint {endpoint} is not the one CPH_BASE_URL or CPH_REGION names ({named}): the credential "
            "goes only to that one; unset them, or set the endpoint the run tested"
        )
    t = target.live({**env, "CPH_BASE_URL": endpoint})
    if auth in credential.MISPLACED and auth not in t.credential.misplaced:
        raise target.CannotRun(f"{auth} misplaces a credential of another kind than {t.credential_variable}")
    deadline = Deadline(SECONDS)
    patience = Patience(
        0, spec.statuses_when("throttled"), transient=spec.statuses_when("transient"), again=0, deadline=deadline
    )
    sender = Sender(endpoint, t.project_id, t.credential, t.secrets, patience, deadline)
    try:
        return sender.send(Outgoing(method, raw_path, auth, "replay"))
    finally:
        sender.close()


def _parts(url: str) -> tuple[str, bytes]:
    """(scheme://host[:port], the path and query as they go on the wire) of a request's URL, as the reports write
    it (percent-encoded); CannotRun for anything else."""
    try:
        parts = urlsplit(url)
        endpoint = target.check_base_url(f"{parts.scheme}://{parts.netloc}", "the URL's endpoint")
        return endpoint, (parts.path + (f"?{parts.query}" if parts.query else "")).encode("ascii")
    except (ValueError, target.CannotRun):  # UnicodeEncodeError too: the reports write URLs percent-encoded
        raise target.CannotRun(f"{url!r} is not a request's URL as the reports write it") from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cph_conformance.run.resend", description=__doc__.split("\n\n")[0])
    parser.add_argument("auth", choices=AUTHS, metavar="AUTH", help="how the run authenticated the request")
    parser.add_argument("method", help="the request's method, as the reports write it")
    parser.add_argument("url", help="the request's URL, as the reports write it")
    args = parser.parse_args(argv)
    try:
        ex = resend(args.auth, args.method.upper(), args.url, os.environ)
    except (target.CannotRun, httpx.InvalidURL) as exc:
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
