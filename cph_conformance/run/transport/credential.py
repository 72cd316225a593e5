"""The run's credential, as the sender puts it on a request (apply): a token, or an AK/SK signature; its near misses;
and the credential where the page does not put it.

A near miss is the run's own credential off by a little (one character changed, cut short, extended, in another
case): a service that accepts one does not check what it was given. The probes ask the sender for one by name;
the sender alone makes it, and adds it to the run's secrets, since it is nearly the secret. Its curl line
rebuilds it from $CPH_AUTH_TOKEN with shell expansions, so it shows no more of the secret than the others do.

A misplaced credential is the run's own, whole, where the page does not put it: the token in another header or
scheme (Authorization: Bearer, Basic, Token), in the query string, in a cookie, or in two X-Auth-Token headers; a
signature made for another query, or dated outside the window API Gateway allows. The page makes X-Auth-Token
mandatory, so each must be refused as a request without it is; what no statement says (two X-Auth-Token headers,
the signature's window) is an assumption. Each curl line puts $CPH_AUTH_TOKEN where the probe put the token.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol
from urllib.parse import urlencode

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


@dataclass(frozen=True)
class Misplaced:
    """The run's credential where the page does not put it."""

    why: str  # what is off, for a report
    curl: Callable[[str, str], list[str]]  # the curl arguments that put it so, of the header and $CPH_AUTH_TOKEN
    assumed: str = ""  # why only an assumption of this project refuses it: accepted, it is a warning
    as_missing: bool = True  # refused as a request without a credential (no X-Auth-Token); else as a wrong one


def _header(name: str, value: str) -> list[str]:
    return ["-H", f'"{name}: {value}"']  # double quotes: the shell expands the variable


ELSEWHERE = "elsewhere"
MISPLACED_TOKEN: dict[str, Misplaced] = {
    f"{ELSEWHERE}:bearer": Misplaced(
        "the run's token as Authorization: Bearer, without X-Auth-Token",
        lambda _, v: _header("Authorization", f"Bearer {v}"),
    ),
    f"{ELSEWHERE}:basic": Misplaced(
        "the run's token as Authorization: Basic, without X-Auth-Token",
        lambda _, v: _header("Authorization", f"Basic {v}"),
    ),
    f"{ELSEWHERE}:token": Misplaced(
        "the run's token as Authorization: Token, without X-Auth-Token",
        lambda _, v: _header("Authorization", f"Token {v}"),
    ),
    f"{ELSEWHERE}:query": Misplaced(
        "the run's token in the query string, without X-Auth-Token",
        lambda header, v: ["-G", "--data-urlencode", f'"{header}={v}"'],
    ),
    f"{ELSEWHERE}:cookie": Misplaced(
        "the run's token in a cookie, without X-Auth-Token", lambda header, v: _header("Cookie", f"{header}={v}")
    ),
    f"{ELSEWHERE}:twice": Misplaced(
        "the run's token in two X-Auth-Token headers",
        lambda header, v: [*_header(header, v), *_header(header, v)],
        assumed="no Huawei source says whether a request with the header twice is refused",
        as_missing=False,
    ),
}
SKEWED_BY = timedelta(minutes=30)  # an X-Sdk-Date this far off: past the 15 minutes API Gateway allows
# A signature has no curl form: their lines carry the token, as the lines of an AK/SK run's own requests do.
MISPLACED_SIGNATURE: dict[str, Misplaced] = {
    "signed:other-query": Misplaced(
        "a signature the run's access key made for another query",
        lambda header, v: _header(header, v),
        as_missing=False,
    ),
    "signed:skewed": Misplaced(
        f"a signature of the run's access key dated {SKEWED_BY.seconds // 60} minutes ago (X-Sdk-Date)",
        lambda header, v: _header(header, v),
        assumed="no quoted Huawei statement gives the window of X-Sdk-Date (15 minutes is API Gateway's, as the SDK's "
        "signer and the fake assume)",
        as_missing=False,
    ),
}
MISPLACED = {**MISPLACED_TOKEN, **MISPLACED_SIGNATURE}  # every name, for the curl lines


class Credential(Protocol):
    """What the sender puts on a request."""

    def apply(self, request: httpx.Request) -> None: ...

    def near_miss(self, name: str) -> tuple[Credential, str]:
        """The credential off by the near miss `name`, and the secret value it holds (for masking); the value is
        the secret itself when the near miss changes nothing (a secret without letters has no other case)."""
        ...

    @property
    def misplaced(self) -> Mapping[str, Misplaced]:
        """Where this kind of credential can be put that the page does not put it: the probes try each."""
        ...

    def misplace(self, name: str, request: httpx.Request) -> None:
        """Put the credential on request as the misplacement `name` says."""
        ...


def apply(request: httpx.Request, auth: str, credential: Credential, hide: Callable[[str], None]) -> None:
    """Put the credential on a request as `auth` says: the run's own, none, an empty or a wrong token, a near miss of
    the run's (whose value hide() adds to the secrets), or the run's own misplaced. Nothing else puts one on."""
    header = spec.auth_header()
    if header in request.headers:
        del request.headers[header]
    if auth == VALID:
        credential.apply(request)
    elif auth == EMPTY:
        request.headers[header] = ""
    elif auth == WRONG:
        request.headers[header] = WRONG_TOKEN
    elif auth in NEAR_MISSES:
        near, missed = credential.near_miss(auth)
        hide(missed)  # it is all but the secret
        near.apply(request)
    elif auth in credential.misplaced:
        credential.misplace(auth, request)


@dataclass(frozen=True)
class Token:
    header: str
    value: str = field(repr=False)

    def apply(self, request: httpx.Request) -> None:
        request.headers[self.header] = self.value

    def near_miss(self, name: str) -> tuple[Credential, str]:
        missed = NEAR_MISSES[name].make(self.value)
        return Token(self.header, missed), missed

    @property
    def misplaced(self) -> Mapping[str, Misplaced]:
        return MISPLACED_TOKEN

    def misplace(self, name: str, request: httpx.Request) -> None:
        scheme = name.removeprefix(f"{ELSEWHERE}:")
        if scheme in ("bearer", "basic", "token"):
            request.headers["Authorization"] = f"{scheme.capitalize()} {self.value}"
        elif scheme == "query":  # appended to the query as it is: the rest of it goes as the probe wrote it
            raw = request.url.raw_path
            added = urlencode({self.header: self.value}).encode("ascii")
            request.url = request.url.copy_with(raw_path=raw + (b"&" if b"?" in raw else b"?") + added)
        elif scheme == "cookie":
            request.headers["Cookie"] = f"{self.header}={self.value}"
        elif scheme == "twice":
            request.headers = httpx.Headers(
                [*request.headers.multi_items(), (self.header, self.value), (self.header, self.value)]
            )
        else:
            raise ValueError(f"no misplacement {name!r} of a token")


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

    @property
    def misplaced(self) -> Mapping[str, Misplaced]:
        return MISPLACED_SIGNATURE

    def misplace(self, name: str, request: httpx.Request) -> None:
        from cph_client.auth import AkSkAuth

        if name == "signed:skewed":
            skewed = datetime.now(UTC) - SKEWED_BY
            AkSkAuth(self.ak, self.sk, self.project_id, self.security_token, now=lambda: skewed).sign(request)
        elif name == "signed:other-query":
            # Signed as it goes, then given the signature of the same request with one more query parameter.
            self.apply(request)
            other = httpx.Request(request.method, request.url.copy_add_param("cph-conformance", "another-query"))
            other.headers.update({k: v for k, v in request.headers.items() if k.lower() != "authorization"})
            self.apply(other)
            request.headers["Authorization"] = other.headers["Authorization"]
            request.headers["X-Sdk-Date"] = other.headers["X-Sdk-Date"]
        else:
            raise ValueError(f"no misplacement {name!r} of a signature")
