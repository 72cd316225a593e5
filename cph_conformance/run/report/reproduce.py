"""A finding's smallest reproduction: a block of shell lines that send its requests again and work when pasted after
the run has ended.

- Against a live endpoint: the curl lines as they were sent, the credential as the shell variable $CPH_AUTH_TOKEN;
  for a run that signed its requests (CPH_AK, CPH_SK) or got its token from IAM, the same requests as commands of
  cph_conformance.run.resend, which sends each with the credential the environment gives the run, placed as it was.
- Against the mock the run started, whose port, project and token ended with the run: the command that starts the
  same mock again (its catalog's size, its fault) on PORT with a fixed PROJECT and TOKEN, from this project's
  folder, then the curl lines sent to it, all in a subshell that stops the mock when it ends and leaves the caller's
  $CPH_AUTH_TOKEN as it was.
"""

from __future__ import annotations

import shlex
from collections import Counter
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

from cph_conformance.run.report.provenance import Mock
from cph_conformance.run.transport.exchange import Exchange
from cph_conformance.run.verdict.findings import Instance, Sent
from cph_conformance.spec import OPERATION_PATH

PORT = 8765  # where the reproduction's mock listens, on 127.0.0.1
PROJECT = "fedcba9876543210fedcba9876543210"  # the reproduction mock's project
TOKEN = "mock-token-for-reproduction"  # noqa: S105  (the reproduction mock's token: no secret, it lets in nothing else)
HOST = "127.0.0.1"
# What runs the mock from this project's folder, as make mock does (the generated client on the path).
PYTHON = ("PYTHONPATH=generated", ".venv/bin/python", "-m", "cph_conformance.mock")


def own_project(exchanges: Iterable[Exchange]) -> str | None:
    """The run's own project: the one its preflight and its walk ask for (a probe may ask for another)."""
    seen = Counter(ex.project_id for ex in exchanges if ex.phase in ("preflight", "walk") and ex.project_id)
    return seen.most_common(1)[0][0] if seen else None


def _prefix_and_suffix() -> tuple[str, str]:
    before, _, after = OPERATION_PATH.partition("{project_id}")
    return before, after


def to_mock(sent: Sent, project: str | None, port: int = PORT) -> Sent:
    """The request sent to the reproduction's mock: its base URL, and the run's project as the fixed one (another
    project, which a probe asks for, stays another)."""
    parts = urlsplit(sent.url)
    before, after = _prefix_and_suffix()
    path = parts.path
    if project and path == f"{before}{project}{after}":
        path = f"{before}{PROJECT}{after}"
    return Sent(sent.method, urlunsplit(("http", f"{HOST}:{port}", path, parts.query, "")), sent.auth)


def mock_command(mock: Mock, port: int = PORT) -> str:
    """The command that starts the mock again, in the background, with the fixed project and token."""
    options = ["--port", str(port), "--images", str(mock.images)]
    options += ["--fault", mock.fault] if mock.fault else []
    options += ["--project-id", PROJECT, "--token", TOKEN, "--quiet"]
    return shlex.join([*PYTHON, *options]) + " & mock=$!"


RESEND = (*PYTHON[:2], "-m", "cph_conformance.run.resend")  # the signer is the generated client's


def block(
    instance: Instance, mock: Mock | None, project: str | None, port: int = PORT, by_token: bool = True
) -> list[str]:
    """The lines of the shell block that sends an instance's requests again, after the run has ended; by_token: the
    run's credential was a token in CPH_AUTH_TOKEN (else an access key's signature, or IAM's token)."""
    if mock is None and not by_token:
        return [
            "# The requests again, from this project's folder after make setup, with the variables the run had set",
            "# (CPH_AK and CPH_SK, or CPH_IAM_* and CPH_REGION; CPH_PROJECT_ID); each signed or placed as the run did:",
            *(shlex.join([*RESEND, sent.auth, sent.method, sent.url]) for sent in instance.sent),
        ]
    if mock is None:
        return [
            "# The requests again, from a shell where CPH_AUTH_TOKEN holds a token of the project:",
            *(sent.curl for sent in instance.sent),
        ]
    fault = f", fault {mock.fault}" if mock.fault else ", no fault"
    return [
        f"# The run's mock again ({mock.images} images{fault}) on {HOST}:{port}, with a fixed project and token;",
        "# from this project's folder, after make setup (another port: change it on every line).",
        "(",
        mock_command(mock, port),
        "trap 'kill $mock' EXIT",
        f"curl -s -o /dev/null --retry 30 --retry-connrefused --retry-delay 1 http://{HOST}:{port}/",
        f"CPH_AUTH_TOKEN={TOKEN}",
        *(to_mock(sent, project, port).curl for sent in instance.sent),
        ")",
    ]
