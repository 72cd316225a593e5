"""Secrets masked by value, the way CI systems mask them in logs, in every form a server or a tool may write them in.

Every credential the run holds (token, AK/SK, security token, IAM password) is replaced by MASK wherever it appears:
- character by character in any mix of: as is; percent-encoded once, twice or three times (either case of hex
  digits, form-encoded spaces); JSON-escaped (\\/, \\", \\\\, and \\uXXXX for any character); HTML entities
  (decimal, hex, and the named ones where a character has one);
- base64 and base64url, with and without padding. A secret inside a longer encoded string shows as a run that
  depends on where it falls in a group of three bytes: the run each of the three alignments makes is masked, so that
  what is left around a mask are a character or two that decode to a few bits at most;
- hex, in lower or upper case.
The value and the access key of any AK/SK `Authorization` header (`SDK-HMAC-SHA256 Access=..., SignedHeaders=...,
Signature=<hex>`) are learnt where they are seen and masked from then on, wherever they appear.

Two scans make it fast on a multi-megabyte body (about 50 ms for 5 MB that holds no secret, 100 ms for one that
echoes it; `python -m cph_conformance.bench.masking`): the literal forms (each value, its base64 runs, its hex) are
looked for one by one with Python's substring search, and those found replaced in one pass of one pattern, longest
first; escapes of the characters the values are made of are found by one compiled pattern, and where they cluster
the text is decoded and the values looked for in it. An AK/SK run learns a signature a request, each with a dozen
forms: once there are many long forms, they are found through the runs of base64 and hex characters that could hold
them, each run looked up by a few of its windows (600 signatures learnt: 0.11 s for 5 MB, where looking for each form
took 2.4 s); a value learnt adds its own forms only (600 learnt in 0.02 s, where compiling every value's again took
1.3 s). What was masked is counted by form (`masked`) for the summary's "masked N times (base64 x3, as is x1)".

A malformed credential is refused with an error that names the variable and the problem, never the value.
"""

from __future__ import annotations

import base64
import bisect
import functools
import html.entities
import re
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

MASK = "[MASKED]"
# Shorter values would mask ordinary words; no real credential is this short.
MIN_LENGTH = 4
# An encoded run (base64, hex) this short could be anyone's text.
MIN_ENCODED = 8
# A form this long made of base64 and hex characters only (an AK/SK run's signatures: hundreds of forms) lies in a
# run of such characters at least as long, which one scan finds; most texts have none (an image ID is 32). Each such
# form is indexed by its GRAM characters at each offset below STRIDE: a window of a run at every STRIDE-th character
# covers one of them wherever the form starts, so a run is looked up a few times, whatever the number of forms.
LONG_ENCODED = 48
GRAM = 40
STRIDE = LONG_ENCODED - GRAM + 1
# The scan for the runs costs what 30 to 85 looks for a form do (10 KB to 500 KB, measured): with fewer long forms,
# each is looked for in the whole text.
RUNS_PAY_OFF = 64
_LONG_ENCODED = re.compile(rf"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/=_-]{{{LONG_ENCODED},}}")  # from a run's start only

# The forms, as the summary names them.
AS_IS = "as is"
URL_ENCODED = "URL-encoded"
URL_ENCODED_2 = "URL-encoded twice"
URL_ENCODED_3 = "URL-encoded three times"
JSON_ESCAPED = "JSON-escaped"
UNICODE_ESCAPED = "\\u-escaped"
HTML_ENTITIES = "HTML entities"
BASE64 = "base64"
BASE64URL = "base64url"
HEX = "hex"
REVERSED = "reversed"
OTHER_CASE = "in another case"
SIGNATURE = "Authorization signature"
ACCESS_KEY = "Authorization access key"
_LEARNT = (SIGNATURE, ACCESS_KEY)  # the values an AK/SK run learns, one a request
_ENCODINGS = (BASE64, BASE64URL, HEX, REVERSED, OTHER_CASE)  # forms made of a value: another value as is renames them

# An AK/SK Authorization header as Huawei's SDKs write it (SDK-HMAC-SHA256, and the other algorithms' names).
_AUTHORIZATION = re.compile(
    r"[A-Z0-9]+(?:-[A-Z0-9]+)*-HMAC-[A-Z0-9]+\s+Access=(?P<access>[^,\s\"'\\&]+)\s*,\s*"
    r"SignedHeaders=[^,\s\"'\\&]*\s*,\s*Signature=(?P<signature>[0-9A-Fa-f]+)"
)
_NAMED_ENTITIES: dict[str, list[str]] = {}
for _name, _char in html.entities.html5.items():
    if _name.endswith(";") and len(_char) == 1:
        _NAMED_ENTITIES.setdefault(_char, []).append(_name)
_JSON_ESCAPED = '"\\/'  # characters JSON may write as a backslash and themselves
# How an occurrence's text shows its form, most encoded first.
_MARKERS = (
    ("%2525", URL_ENCODED_3),
    ("%25", URL_ENCODED_2),
    ("%", URL_ENCODED),
    ("\\u", UNICODE_ESCAPED),
    ("&", HTML_ENTITIES),
    ("\\", JSON_ESCAPED),
)


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


def _any_case(hex_digits: str) -> str:
    """A pattern of hex digits in either case: '4d' -> '4[dD]'."""
    return "".join(f"[{d.lower()}{d.upper()}]" if d.isalpha() else d for d in hex_digits)


def _derived(value: str) -> dict[str, str]:
    """What a careless server does to a whole value: writes it backwards, or upper- or lower-cases its message (a copy
    in one case still gives away most of the value); each with its form's name. None of a short value, or of one of
    letters only or digits only: its reversed or other-case copy could be a word or a number of the answer's."""
    if len(value) < MIN_ENCODED or not (any(c.isalpha() for c in value) and any(c.isdigit() for c in value)):
        return {}
    return {
        d: name
        for d, name in ((value[::-1], REVERSED), (value.upper(), OTHER_CASE), (value.lower(), OTHER_CASE))
        if d != value
    }


def _base64_forms(value: str) -> dict[str, str]:
    """The base64 and base64url forms of value: whole (with and without padding), and the run each of the three
    alignments of value inside a longer string leaves unchanged whatever surrounds it."""
    data = value.encode()
    found: dict[str, str] = {}
    for name, encode in ((BASE64, base64.b64encode), (BASE64URL, base64.urlsafe_b64encode)):
        whole = encode(data).decode()
        for form in (whole, whole.rstrip("=")):
            found.setdefault(form, name)
        for align in range(3):
            # Character i of the encoding holds bits [6i, 6i + 6); value's bytes hold [8 * align, 8 * (align + len)).
            encoded = encode(b"\0" * align + data + b"\0\0").decode()
            first, end = -(-8 * align // 6), 8 * (align + len(data)) // 6
            run = encoded[first:end]
            if len(run) >= MIN_ENCODED:
                found.setdefault(run, name)
    return found


def _escapes_of(alphabet: Iterable[str]) -> str:
    """A pattern of one escaped character, of those in alphabet, in any of the escapes the module knows. An escape
    may itself be escaped again, as it is when a message that quotes it is written as JSON (\\\\u004d, any number
    of times) or as HTML (&amp;#77;, once)."""
    chars = sorted(set(alphabet))
    units = [_any_case(f"{ord(c):04x}") for c in chars if ord(c) < 0x10000]
    percent = [_any_case(f"{ord(c):02x}") for c in chars if ord(c) < 0x80]
    decimal = [str(ord(c)) for c in chars]
    hexadecimal = [_any_case(f"{ord(c):x}") for c in chars]
    named = [re.escape(name) for c in chars for name in _NAMED_ENTITIES.get(c, [])]
    json_escaped = [re.escape(c) for c in chars if c in _JSON_ESCAPED]
    parts = [
        r"\\\\*u(?:" + "|".join(units) + ")",  # a literal first: the scan skips to where one starts
        r"%(?:25){0,2}(?:" + "|".join(percent) + ")" if percent else "",
        r"&(?:amp;)?#0*(?:" + "|".join(decimal) + ");",
        r"&(?:amp;)?#[xX]0*(?:" + "|".join(hexadecimal) + ");",
        r"&(?:amp;)?(?:" + "|".join(named) + ")" if named else "",
        r"\\\\*[" + "".join(json_escaped) + "]" if json_escaped else "",
    ]
    return "|".join(p for p in parts if p)


def _unescape(escape: str) -> str:
    """The character one escape that _escapes_of matched stands for."""
    if escape.startswith("\\"):
        rest = escape.lstrip("\\")
        return chr(int(rest[1:5], 16)) if rest.startswith("u") and len(rest) == 5 else rest or "\\"
    if escape.startswith("%"):
        return chr(int(escape[-2:], 16))
    entity = escape[1:]
    if entity.startswith("amp;") and len(entity) > len("amp;"):  # escaped once more (&amp;#77;); "&amp;" alone is "&"
        entity = entity[len("amp;") :]
    if entity[:2] in ("#x", "#X"):
        return chr(int(entity[2:-1], 16))
    if entity.startswith("#"):
        return chr(int(entity[1:-1]))
    return html.entities.html5[entity]


class Secrets:
    """The run's secret values; mask() and mask_bytes() replace each of them, in every form, by MASK, and count what
    they masked by form in `masked`. Safe to use from several threads (the gateway's)."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, str] = {}  # each value -> the form name of its bare occurrences
        self._compiled: _Compiled | None = None  # replaced whole: threads that mask see one or the other
        # Only added to (under the lock), and read by mask() beside it: a reader finds what _compiled says, or more.
        self._forms: dict[str, str] = {}  # each literal form (a value, its base64 forms, its hex) -> its form name
        self._long: list[str] = []  # the forms of _LONG_ENCODED
        self._grams: dict[int, str | list[str]] = {}  # the hash of each gram of a long form -> the form(s) it is in
        self._longest_first: list[str] = []  # the values
        self._alphabet: set[str] = set()  # the characters of the values
        self._escape: re.Pattern[str] | None = None  # one escaped character of the alphabet's
        self.masked: Counter[str] = Counter()  # occurrences masked, by form name
        for value in values:
            self.add(value)

    def add(self, value: str | None, form: str = AS_IS) -> None:
        """Mask value from now on (its occurrences as is are counted as `form`)."""
        if not value:
            return
        with self._lock:
            named = {v: form for v in (value, value.strip()) if len(v) >= MIN_LENGTH}
            if form == AS_IS:  # a credential given: its backwards and other-case copies are values too, in every form
                named |= {d: n for v in list(named) for d, n in _derived(v).items() if d not in named}
            new = [v for v in named if v not in self._values]
            if not new:
                return
            for v in new:
                self._values[v] = named[v]
            self._compile(new)

    def add_authorization(self, header: str) -> None:
        """Mask the access key and signature of an AK/SK Authorization header's value from now on (the gateway
        calls it with each header it signs; mask() learns those it sees)."""
        for found in _AUTHORIZATION.finditer(header):
            self.add(found.group("access"), ACCESS_KEY)
            self.add(found.group("signature"), SIGNATURE)

    def _compile(self, new: list[str]) -> None:
        """Add the forms of new values to those of the values before: an AK/SK run learns a value a request (each
        signature), and each adds its own forms only. What grows with the values before it is one copy of their
        list, longest first, for the snapshot (600 learnt in 0.02 s, 9,600 in 0.6 s)."""
        forms, added = self._forms, []
        for value in new:  # a value as is is named so, before any encoded form of another value that is the same text
            for as_is in (value, value.encode().decode("latin-1")):  # as mask_bytes sees a non-ASCII value
                if as_is not in forms:
                    added.append(as_is)
                if forms.get(as_is, HEX) in _ENCODINGS:
                    forms[as_is] = self._values[value]
        for value in new:
            encoded = _base64_forms(value)
            hexed = value.encode().hex()
            if len(hexed) >= MIN_ENCODED:
                encoded |= {hexed: HEX, hexed.upper(): HEX}
            if self._values[value] in _LEARNT:  # its derived copies as is only: a given value's are values of their own
                encoded = _derived(value) | encoded
            for form, name in encoded.items():
                if form not in forms:
                    forms[form] = name
                    added.append(form)
        long: list[str] = []
        anywhere: list[str] = []
        for form in added:
            (long if _LONG_ENCODED.fullmatch(form) else anywhere).append(form)
        for form in long:
            for offset in range(STRIDE):
                key = hash(form[offset : offset + GRAM])
                held = self._grams.get(key)
                self._grams[key] = form if held is None else [*([held] if isinstance(held, str) else held), form]
        self._long += long
        for value in new:
            bisect.insort(self._longest_first, value, key=lambda v: -len(v))
        if self._escape is None or not self._alphabet.issuperset("".join(new)):
            self._alphabet.update("".join(new))
            self._escape = re.compile(_escapes_of(self._alphabet))
        old = self._compiled
        self._compiled = _Compiled(
            (*(old.anywhere if old else ()), *anywhere),
            len(self._long),
            tuple(self._longest_first),
            self._escape,
        )

    def __bool__(self) -> bool:
        return bool(self._values)

    def __repr__(self) -> str:
        return f"Secrets({len(self._values)} values)"

    def form_of(self, found: str) -> str:
        """The name of the form an occurrence of a secret was written in (for a mix, its most encoded part's)."""
        named = self._forms.get(found)
        if named:
            return named
        for marker, name in _MARKERS:
            if marker in found and not any(marker in value for value in self._values):
                return name
        return AS_IS

    def mask(self, text: str) -> str:
        """text with every secret, in every form, replaced by MASK."""
        if "Signature=" in text:
            self.add_authorization(text)
        compiled = self._compiled
        if compiled is None:
            return text
        found: list[str] = []

        def replace(match: re.Match[str]) -> str:
            found.append(match.group())
            return MASK

        # A look for each form first, then one scan for those found: C's substring search is about 8 times faster
        # than one scan of the alternation of every form (30 ms and 230 ms for 54 forms in 6.7 MB). A long form of
        # encoded characters only can be nowhere but in a run of them as long: those are looked for in the runs.
        present = [form for form in compiled.anywhere if form in text]
        if compiled.long > RUNS_PAY_OFF:
            present += [form for form in self._in_runs(text) if form in text]
        else:
            present += [form for form in self._long[: compiled.long] if form in text]
        if present:
            # Longest first: a value is masked whole before any shorter form inside it (a near miss, a base64 run).
            present.sort(key=len, reverse=True)
            text = _alternation(tuple(present)).sub(replace, text)
        spans = _escaped(text, compiled.escape, compiled.values)
        if spans:
            pieces, at = [], 0
            for start, end in spans:
                if start < at:
                    continue  # within one masked already
                pieces += [text[at:start], MASK]
                found.append(text[start:end])
                at = end
            text = "".join([*pieces, text[at:]])
        if found:
            named = Counter(self.form_of(f) for f in found)
            with self._lock:
                self.masked.update(named)
        return text

    def _in_runs(self, text: str) -> set[str]:
        """The long forms whose grams text's runs hold, by one look at every STRIDE-th window of each run."""
        grams, found = self._grams, set[str]()
        for run in _LONG_ENCODED.findall(text):
            for at in range(0, len(run) - GRAM + 1, STRIDE):
                held = grams.get(hash(run[at : at + GRAM]))  # a hash two grams share only adds a form to look for
                if isinstance(held, str):
                    found.add(held)
                elif held:
                    found.update(held)
        return found

    def mask_bytes(self, data: bytes) -> bytes:
        """data with every secret, in every form, replaced by MASK (read byte for byte: any encoding, or none)."""
        if not self._values and b"Signature=" not in data:
            return data
        text = data.decode("latin-1")
        masked = self.mask(text)
        return data if masked is text else masked.encode("latin-1")

    def summary(self) -> str:
        """What was masked, for the reports: "masked 4 times (base64 x3, as is x1)", or "" when nothing was."""
        counted = self.masked.most_common()
        if not counted:
            return ""
        total = sum(n for _, n in counted)
        forms = ", ".join(f"{form} x{n}" for form, n in counted)
        return f"masked {total} time{'s' if total != 1 else ''} ({forms})"


@dataclass(frozen=True)
class _Compiled:
    anywhere: tuple[str, ...]  # the literal forms looked for in the whole text (not of _LONG_ENCODED)
    long: int  # how many forms of _LONG_ENCODED there are (Secrets._long), each indexed by its grams
    values: tuple[str, ...]  # longest first
    escape: re.Pattern[str]  # one escaped character of those the values are made of


@functools.lru_cache(maxsize=256)
def _alternation(forms: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern of the literal forms, in their order (longest first)."""
    return re.compile("|".join(map(re.escape, forms)))


def _escaped(text: str, escape: re.Pattern[str], values: tuple[str, ...]) -> list[tuple[int, int]]:
    """Where in text a value is written with at least one of its characters escaped: (start, end) spans, in order.
    Escapes of the values' characters are found in one scan; escapes closer than the longest value to each other
    are decoded together, with that much plain text around them, and the values looked for in what they decode to."""
    if not values:
        return []
    reach = len(values[0])
    spans: list[tuple[int, int]] = []
    cluster: list[re.Match[str]] = []
    for match in escape.finditer(text):
        if cluster and match.start() - cluster[-1].end() > reach:
            spans += _in_cluster(text, cluster, reach, values)
            cluster = []
        cluster.append(match)
    if cluster:
        spans += _in_cluster(text, cluster, reach, values)
    return spans


def _in_cluster(text: str, cluster: list[re.Match[str]], reach: int, values: tuple[str, ...]) -> list[tuple[int, int]]:
    """The spans of text, around one cluster of escapes, that decode to a value."""
    low, high = max(0, cluster[0].start() - reach), min(len(text), cluster[-1].end() + reach)
    pieces: list[str] = []
    starts: list[int] = []  # where each piece starts in the decoded text
    sources: list[tuple[int, int, bool]] = []  # where it came from in text, and whether it is plain text
    at, decoded_at = low, 0
    for match in [*cluster, None]:
        plain_end = match.start() if match is not None else high
        if plain_end > at:
            pieces.append(text[at:plain_end])
            starts.append(decoded_at)
            sources.append((at, plain_end, True))
            decoded_at += plain_end - at
        if match is not None:
            pieces.append(_unescape(match.group()))
            starts.append(decoded_at)
            sources.append((match.start(), match.end(), False))
            decoded_at += 1
            at = match.end()
    decoded = "".join(pieces)

    def source(index: int, end: bool) -> int:
        """Where the decoded character at index starts (or ends) in text."""
        piece = bisect.bisect_right(starts, index) - 1
        begin, finish, plain = sources[piece]
        if plain:
            return begin + index - starts[piece] + (1 if end else 0)
        return finish if end else begin

    taken: list[tuple[int, int]] = []
    for value in values:  # longest first
        found = decoded.find(value)
        while found != -1:
            end = found + len(value)
            if not any(found < other_end and other < end for other, other_end in taken):
                taken.append((found, end))
            found = decoded.find(value, end)
    return sorted((source(start, False), source(end - 1, True)) for start, end in taken)
