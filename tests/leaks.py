"""Where a secret shows in text, found by decoding, not by the masker's patterns: an independent check of what the
run writes. Each encoding that secrets.py masks is undone here (and their combinations, to three levels), and the
secret's core (all but two characters at each end, so that a masked copy's partial bits never count) looked for in
what comes out, as it is, in any case, and backwards."""

from __future__ import annotations

import base64
import binascii
import html
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus, unquote, unquote_plus

_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{8,}")
_HEX_RUN = re.compile(r"[0-9A-Fa-f]{8,}")
_JSON_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|[\\/\"bfnrt])")
_CHUNK = 64 * 1024  # runs are decoded in chunks this long (overlapping), so a huge file costs linear time
_SHORT = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _json_unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        escape = match.group(1)
        if escape.startswith("u"):
            return chr(int(escape[1:], 16))
        return _SHORT.get(escape, escape)

    return _JSON_ESCAPE.sub(one, text)


_TEXT_DECODERS: dict[str, Callable[[str], str]] = {
    "URL-encoded": unquote,
    "form-encoded": unquote_plus,
    "HTML entities": html.unescape,
    "JSON-escaped": _json_unescape,
}


def core(secret: str) -> str:
    """What must never show: the secret, or all but two characters at each end of a long one."""
    return secret[2:-2] if len(secret) >= 12 else secret


def _chunks(run: str) -> Iterator[str]:
    step = _CHUNK - 256
    for start in range(0, max(1, len(run) - 256), step):
        yield run[start : start + _CHUNK]


def _holds(data: bytes, needle: bytes) -> bool:
    """needle in data: as it is, backwards, or in any case."""
    return needle in data or needle[::-1] in data or needle.lower() in data.lower()


def _binary_copies(text: str, needle: bytes) -> list[str]:
    found = []
    for run in _BASE64_RUN.findall(text):
        for chunk in _chunks(run):
            standard = chunk.replace("-", "+").replace("_", "/")
            for offset in range(4):
                usable = standard[offset:]
                usable = usable[: len(usable) // 4 * 4]
                try:
                    if _holds(base64.b64decode(usable), needle):
                        found.append("base64")
                except (binascii.Error, ValueError):
                    pass
    for run in _HEX_RUN.findall(text):
        for chunk in _chunks(run):
            for offset in range(2):
                usable = chunk[offset:]
                if _holds(bytes.fromhex(usable[: len(usable) // 2 * 2]), needle):
                    found.append("hex")
    return found


def copies(data: str | bytes, secret: str) -> list[str]:
    """The encodings (as named here) in which data holds the secret; [] when it holds none."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    needle = core(secret)
    found: list[str] = []
    seen: dict[str, str] = {text: "as is"}
    level = [(text, "as is")]
    for _ in range(2):  # combinations of the text encodings, two deep
        following = []
        for current, how in level:
            for name, decode in _TEXT_DECODERS.items():
                decoded = decode(current)
                if decoded not in seen:
                    label = name if how == "as is" else f"{how}, then {name}"
                    seen[decoded] = label
                    following.append((decoded, label))
        level = following
    seen.setdefault(unquote(unquote(unquote(text))), "URL-encoded three times")
    seen.setdefault(_json_unescape(_json_unescape(_json_unescape(text))), "JSON-escaped three times")
    for current, how in seen.items():
        if needle in current:
            found.append(how)
        elif needle.lower() in current.lower():
            found.append(f"in another case ({how})" if how != "as is" else "in another case")
        if needle[::-1] in current:
            found.append(f"reversed ({how})" if how != "as is" else "reversed")
        found += [
            f"{binary} ({how})" if how != "as is" else binary for binary in _binary_copies(current, needle.encode())
        ]
    return sorted(set(found))


def in_files(paths: Iterable[Path], secret: str) -> dict[str, list[str]]:
    """Each file of paths that holds the secret, with the encodings it holds it in."""
    result = {}
    for path in paths:
        if path.is_file():
            found = copies(path.read_bytes(), secret)
            if found:
                result[str(path)] = found
    return result


def _percent_all(text: str) -> str:
    """Every character percent-encoded, letters too (some encoders do)."""
    return "".join(f"%{b:02X}" for b in text.encode())


def _html_named(text: str) -> str:
    named = {"/": "&sol;", "+": "&plus;", "=": "&equals;", "_": "&lowbar;", ".": "&period;", ":": "&colon;"}
    return "".join(named.get(c, c) for c in text)


def _alternate(text: str, odd: Callable[[str], str]) -> str:
    return "".join(odd(c) if n % 2 else c for n, c in enumerate(text))


def _b64_inside(prefix: bytes, urlsafe: bool = False) -> Callable[[str], str]:
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    return lambda secret: encode(prefix + secret.encode() + b"\x00tail").decode()


# The forms a server or a tool may write a secret in, by name: the hostile service echoes each, the tests of the
# masking and of what a run writes check each. Each name's second part is the form secrets.py counts it as.
ENCODINGS: dict[str, tuple[Callable[[str], str], str]] = {
    "as is": (lambda s: s, "as is"),
    "URL-encoded": (lambda s: quote(s, safe=""), "URL-encoded"),
    "URL-encoded, lower-case hex": (
        lambda s: re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), quote(s, safe="")),
        "URL-encoded",
    ),
    "URL-encoded, every character": (_percent_all, "URL-encoded"),
    "form-encoded": (quote_plus, "URL-encoded"),
    "URL-encoded twice": (lambda s: quote(quote(s, safe=""), safe=""), "URL-encoded twice"),
    "URL-encoded three times": (lambda s: quote(quote(quote(s, safe=""), safe=""), safe=""), "URL-encoded three times"),
    "JSON-escaped slash": (lambda s: s.replace("/", "\\/"), "JSON-escaped"),
    "\\u-escaped": (lambda s: "".join(f"\\u{ord(c):04x}" for c in s), "\\u-escaped"),
    "\\u-escaped, upper-case hex": (lambda s: "".join(f"\\u{ord(c):04X}" for c in s), "\\u-escaped"),
    "\\u-escaped, mixed": (lambda s: _alternate(s, lambda c: f"\\u{ord(c):04x}"), "\\u-escaped"),
    "\\u-escaped, quoted in JSON": (lambda s: "".join(f"\\\\u{ord(c):04x}" for c in s), "\\u-escaped"),
    "\\u-escaped, quoted in JSON twice": (lambda s: "".join(f"\\\\\\\\u{ord(c):04x}" for c in s), "\\u-escaped"),
    "HTML decimal entities": (lambda s: "".join(f"&#{ord(c)};" for c in s), "HTML entities"),
    "HTML hex entities": (lambda s: "".join(f"&#x{ord(c):x};" for c in s), "HTML entities"),
    "HTML named entities": (_html_named, "HTML entities"),
    "HTML entities, mixed": (lambda s: _alternate(s, lambda c: f"&#{ord(c)};"), "HTML entities"),
    "HTML entities, escaped again": (lambda s: "".join(f"&amp;#{ord(c)};" for c in s), "HTML entities"),
    "base64": (lambda s: base64.b64encode(s.encode()).decode(), "base64"),
    "base64 unpadded": (lambda s: base64.b64encode(s.encode()).decode().rstrip("="), "base64"),
    "base64url": (lambda s: base64.urlsafe_b64encode(s.encode()).decode(), "base64url"),
    "base64url unpadded": (lambda s: base64.urlsafe_b64encode(s.encode()).decode().rstrip("="), "base64url"),
    "base64 inside, aligned": (_b64_inside(b"ab:"), "base64"),
    "base64 inside, one byte on": (_b64_inside(b"abc:"), "base64"),
    "base64 inside, two bytes on": (_b64_inside(b"user:"), "base64"),
    "base64url inside, one byte on": (_b64_inside(b"abc:", urlsafe=True), "base64url"),
    "base64url inside, two bytes on": (_b64_inside(b"user:", urlsafe=True), "base64url"),
    "hex": (lambda s: s.encode().hex(), "hex"),
    "hex, upper case": (lambda s: s.encode().hex().upper(), "hex"),
    "hex inside": (lambda s: (b"\x01" + s.encode() + b"\x02").hex(), "hex"),
    # What a careless server does to a whole value (its message, rather): backwards, or in one case.
    "reversed": (lambda s: s[::-1], "reversed"),
    "upper case": (str.upper, "in another case"),
    "lower case": (str.lower, "in another case"),
}
