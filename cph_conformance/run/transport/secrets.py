"""Secrets masked by value, the way CI systems mask them in logs.

Every credential the run holds (token, AK/SK, security token, IAM password) is replaced by MASK wherever it
appears, in the forms a server or a tool may write it in: as is, percent-encoded, form-encoded and JSON-escaped.
A malformed credential is refused with an error that names the variable and the problem, never the value.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MASK = "[MASKED]"
# Shorter values would mask ordinary words; no real credential is this short.
MIN_LENGTH = 4


class MalformedCredential(ValueError):
    """A credential variable whose value cannot be sent as is; the message names the variable, not the value."""


def check_credential(variable: str, value: str) -> None:
    """Refuse what an HTTP header cannot carry or what is surely a copy-paste accident."""
    problems = []
    if value != value.strip(" \t"):
        problems.append("leading or trailing white space")
    if "\r" in value or "\n" in value:
        problems.append("a carriage return or line feed (\\r, \\n), as scraping a header from `curl -i` leaves")
    if not value.isascii():
        problems.append("non-ASCII characters")
    elif any(not 32 <= ord(c) < 127 for c in value.strip()):
        problems.append("control characters")
    if problems:
        raise MalformedCredential(
            f"{variable} contains {' and '.join(dict.fromkeys(problems))}: set it to the bare value "
            f"(its value is not shown here)."
        )


def _variants(value: str) -> set[str]:
    forms = {value, value.strip(), quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1]}
    forms.add(json.dumps(value)[1:-1].replace("/", "\\/"))  # some JSON encoders escape the slash
    forms |= {f.lower() for f in list(forms) if "%" in f}  # percent-encoding in lower case
    return {f for f in forms if len(f) >= MIN_LENGTH}


class Secrets:
    """The run's secret values; mask() and mask_bytes() replace each of them, in every form, by MASK."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._forms: list[str] = []
        for value in values:
            self.add(value)

    def add(self, value: str | None) -> None:
        if not value:
            return
        forms = set(self._forms) | _variants(value)
        # Longest first, so a value is masked whole before any shorter form inside it.
        self._forms = sorted(forms, key=len, reverse=True)

    def __bool__(self) -> bool:
        return bool(self._forms)

    def __repr__(self) -> str:
        return f"Secrets({len(self._forms)} forms)"

    def mask(self, text: str) -> str:
        for form in self._forms:
            if form in text:
                text = text.replace(form, MASK)
        return text

    def mask_bytes(self, data: bytes) -> bytes:
        for form in self._forms:
            encoded = form.encode()
            if encoded in data:
                data = data.replace(encoded, MASK.encode())
        return data
