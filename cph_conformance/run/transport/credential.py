"""The run's credential, as the gateway puts it on a request: a token, or an AK/SK signature; and its near misses.

A near miss is the run's own credential off by a little (one character changed, cut short, extended, in another
case): a service that accepts one does not check what it was given. The probes ask the gateway for one by name;
the gateway alone makes it, and adds it to the run's secrets, since it is nearly the secret. Its curl line
rebuilds it from $CPH_AUTH_TOKEN with shell expansions, so it shows no more of the secret than the others do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import httpx

from cph_conformance import spec

# How a request is authenticated: with the run's credential, without one, with an empty one, with one no service
# accepts, or with one of NEAR_MISSES of the run's credential (by name).
VALID, MISSING, EMPTY, WRONG = "valid", "missing", "empty", "wrong"
WRONG_TOKEN = "cph-conformance-wrong-token"  # noqa: S105  (a token no service accepts)


@dataclass(frozen=True)
class NearMiss:
    why: str  # what differs, for a report
    make: Callable[[str], str]  # the near miss of a secret
    shell: Callable[[str], str]  # the same, in a POSIX shell, of a variable such as $CPH_AUTH_TOKEN


def _other(c: str) -> str:
    """A character that is not c (one of the two that make up the near miss's shell form)."""
    return "A" if c != "A" else "B"


def _changed(secret: str) -> str:
    return secret[:-1] + _other(secret[-1])


def _changed_shell(variable: str) -> str:
    # The last character of the variable becomes A, or B when it was A: ${v%A} strips an A, so the test is in sh.
    name = variable.lstrip("$")
    return f'$(v="${name}"; case "$v" in *A) printf %sB "${{v%?}}";; *) printf %sA "${{v%?}}";; esac)'


NEAR_MISSES: dict[str, NearMiss] = {
    "near-miss:changed": NearMiss("its last character changed", _changed, _changed_shell),
    "near-miss:short": NearMiss("its last character cut", lambda s: s[:-1], lambda v: f"${{{v.lstrip('$')}%?}}"),
    "near-miss:extended": NearMiss("one character added", lambda s: s + "0", lambda v: f"${{{v.lstrip('$')}}}0"),
    "near-miss:case": NearMiss(
        "its letters in the other case",
        str.swapcase,
        lambda v: f"$(printf %s \"{v}\" | tr 'a-zA-Z' 'A-Za-z')",
    ),
}


class Credential(Protocol):
    """What the gateway puts on a request in place of the placeholder."""

    def apply(self, request: httpx.Request) -> None: ...

    def near_miss(self, name: str) -> tuple[Credential, str]:
        """The credential off by the near miss `name`, and the secret value it holds (for masking); the value is
        the secret itself when the near miss changes nothing (a secret without letters has no other case)."""
        ...


@dataclass(frozen=True)
class Token:
    header: str
    value: str = field(repr=False)

    def apply(self, request: httpx.Request) -> None:
        request.headers[self.header] = self.value

    def near_miss(self, name: str) -> tuple[Credential, str]:
        missed = NEAR_MISSES[name].make(self.value)
        return Token(self.header, missed), missed


@dataclass(frozen=True)
class Signed:
    """Requests signed with an access key (cph_client.auth.AkSkAuth, as Huawei's SDK signs them)."""

    ak: str
    sk: str = field(repr=False)
    project_id: str | None = None
    security_token: str | None = field(default=None, repr=False)

    def apply(self, request: httpx.Request) -> None:
        from cph_client.auth import AkSkAuth  # the wheel's signer: imported only for an AK/SK run

        AkSkAuth(self.ak, self.sk, project_id=self.project_id, security_token=self.security_token).sign(request)

    def near_miss(self, name: str) -> tuple[Credential, str]:
        """The near miss of the secret key: the signature no longer matches the access key."""
        missed = NEAR_MISSES[name].make(self.sk)
        return Signed(self.ak, missed, self.project_id, self.security_token), missed


def headers_for(auth: str, credential: str) -> dict[str, str]:
    """The credential header of a request made with `auth`, where credential is the run's (in process) or the
    gateway's placeholder for it (the gateway turns a near miss of its placeholder into the same near miss of the
    real credential)."""
    if auth == MISSING:
        return {}
    if auth == EMPTY:
        return {spec.auth_header(): ""}
    if auth == VALID:
        return {spec.auth_header(): credential}
    if auth == WRONG:
        return {spec.auth_header(): WRONG_TOKEN}
    return {spec.auth_header(): NEAR_MISSES[auth].make(credential)}
