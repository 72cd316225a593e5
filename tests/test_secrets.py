"""Secrets masked by value in every form; malformed credentials named without their value. What the sender does with
the credential and what comes back: tests/test_sender.py."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from collections import Counter
from collections.abc import Callable
from urllib.parse import quote

import pytest

from cph_conformance.run.transport import target
from cph_conformance.run.transport.secrets import (
    LONG_ENCODED,
    MASK,
    STRIDE,
    MalformedCredential,
    Secrets,
    check_credential,
)
from tests import leaks

TOKEN = "MIIT/a~?>bc+d~?>ef=ghi_~?>jkl-0123456789"  # noqa: S105  (a test token)
# One with what HTML and URLs escape, & first: its entities (&amp;, escaped again &amp;amp;) are its own escapes.
MARKUP_TOKEN = "MIIT&a<b\"c'd&amp;e;f%g#h-0123456789"  # noqa: S105  (a test token)


@pytest.mark.parametrize("token", [TOKEN, MARKUP_TOKEN])
@pytest.mark.parametrize("encoding", list(leaks.ENCODINGS))
def test_every_form_of_a_secret_is_masked_and_counted(encoding: str, token: str) -> None:
    encode, form = leaks.ENCODINGS[encoding]
    text = f"before {encode(token)} after"
    assert leaks.copies(text, token)  # the detector sees the secret in this form
    for mask, data in ((Secrets.mask, text), (Secrets.mask_bytes, text.encode())):
        secrets = Secrets([token])
        masked = mask(secrets, data)  # type: ignore[arg-type]
        shown = masked.decode() if isinstance(masked, bytes) else masked
        assert MASK in shown and shown.startswith("before ") and shown.endswith(" after")
        assert leaks.copies(shown, token) == []
        # Counted once, by its form's name; a token that holds escapes of its own (&amp;, %g) may read as another
        # form (URL-encoded twice), and one without the character an encoding changes is itself (JSON's \/).
        assert secrets.masked == Counter({form: 1}) if token == TOKEN else sum(secrets.masked.values()) == 1


@pytest.mark.parametrize(
    "text",
    [
        "ordinary words, short values (abc, 42) and a URL: /v1/x?limit=10&marker=a%20b",
        TOKEN[:12] + " is only the start of the token",
        "MIIT/abc+ nothing secret",
        base64.b64encode(b"another credential entirely, not the run's").decode(),
        b"another credential entirely, not the run's".hex(),
        json.dumps({"image_name": "云手机镜像" * 50, "error_msg": "<b> &amp; &#47; %2F"}),
    ],
)
@pytest.mark.parametrize("token", [TOKEN, MARKUP_TOKEN])
def test_what_is_not_a_secret_is_left_alone(text: str, token: str) -> None:
    secrets = Secrets([token])
    assert secrets.mask(text) == text
    assert secrets.mask_bytes(text.encode()) == text.encode()
    assert not secrets.masked and secrets.summary() == ""
    assert token not in repr(secrets)


def test_a_secret_is_masked_whole_before_a_shorter_one_inside_it() -> None:
    secrets = Secrets([TOKEN[:-1], TOKEN])
    assert secrets.mask(f"{TOKEN} and {TOKEN[:-1]}") == f"{MASK} and {MASK}"


AK = "QTWAOYTTINDUT2QVKYUC"
SIGNATURE = "9e4b0d7e" * 8
AUTHORIZATION = f"SDK-HMAC-SHA256 Access={AK}, SignedHeaders=host;x-sdk-date, Signature={SIGNATURE}"


def test_an_echoed_authorization_header_loses_its_access_key_and_signature_everywhere_after() -> None:
    secrets = Secrets([TOKEN])
    echoed = secrets.mask(json.dumps({"seen": AUTHORIZATION}))
    assert AK not in echoed and SIGNATURE not in echoed
    assert "SDK-HMAC-SHA256 Access=" + MASK in echoed and "Signature=" + MASK in echoed
    later = secrets.mask(f"sig {SIGNATURE} and {base64.b64encode(SIGNATURE.encode()).decode()}")
    assert later == f"sig {MASK} and {MASK}"
    assert secrets.masked == Counter({"Authorization signature": 2, "Authorization access key": 1, "base64": 1})


def signed(requests: int) -> tuple[Secrets, str]:
    """Secrets that learnt one signature a request, as the gateway signs them; and the last signature."""
    secrets, signature = Secrets([TOKEN]), ""
    for n in range(requests):
        signature = hashlib.sha256(str(n).encode()).hexdigest()
        secrets.add_authorization(f"SDK-HMAC-SHA256 Access={AK}, SignedHeaders=host;x-sdk-date, Signature={signature}")
    return secrets, signature


def within_base64(signature: str) -> list[str]:
    """The signature inside a longer base64 and base64url string, at each of the three alignments."""
    data = [b"-" * align + signature.encode() + b"=?>" for align in range(3)]
    return [encode(d).decode() for d in data for encode in (base64.b64encode, base64.urlsafe_b64encode)]


@pytest.mark.parametrize(
    ("value", "text", "masked"),
    [
        ("MIIT-token-0123", "x 3210-nekot-TIIM y", True),  # backwards
        ("MIIT-token-0123", "x miit-token-0123 y", True),  # in one case
        ("Password", "The password is wrong; PASSWORD field", False),  # letters only: its case forms are words
        ("12345678", "id 87654321", False),  # digits only: backwards, another number
    ],
)
def test_a_value_backwards_or_in_one_case_is_masked_unless_it_could_be_the_answers_own(
    value: str, text: str, masked: bool
) -> None:
    assert (MASK in Secrets([value]).mask(text)) == masked


@pytest.mark.parametrize("derive", [lambda s: s[::-1], str.upper, str.lower], ids=["backwards", "upper", "lower"])
@pytest.mark.parametrize(
    "encoding", ["URL-encoded", "\\u-escaped", "HTML decimal entities", "JSON-escaped slash", "base64", "hex"]
)
def test_a_credential_backwards_or_in_one_case_is_masked_in_every_form_too(
    encoding: str, derive: Callable[[str], str]
) -> None:
    encode, _ = leaks.ENCODINGS[encoding]
    text = f"before {encode(derive(TOKEN))} after"
    assert leaks.copies(text, TOKEN)  # the detector sees the secret in this form
    assert leaks.copies(Secrets([TOKEN]).mask(text), TOKEN) == []


@functools.cache  # for a test that only masks with them (masking counts, and learns no value from these texts)
def learnt(requests: int) -> tuple[Secrets, str]:
    return signed(requests)


# One request: its signature's few forms are looked for one by one. 200: thousands, looked up by their grams.
@pytest.mark.parametrize("requests", [1, 200])
@pytest.mark.parametrize("encoding", list(leaks.ENCODINGS))
def test_every_form_of_a_learnt_signature_is_masked_however_many_were_learnt(encoding: str, requests: int) -> None:
    secrets, signature = learnt(requests)
    encode, _ = leaks.ENCODINGS[encoding]
    for text in (f"before {encode(signature)} after", encode(signature), f"Q{'Z' * 50}{encode(signature)}7/+"):
        assert leaks.copies(text, signature)
        shown = secrets.mask(text)
        assert MASK in shown and leaks.copies(shown, signature) == [], shown


@pytest.mark.parametrize("requests", [1, 200])
def test_a_learnt_signature_inside_a_longer_encoded_string_is_masked(requests: int) -> None:
    secrets, signature = signed(requests)
    for text in within_base64(signature):
        assert leaks.copies(text, signature)
        assert leaks.copies(secrets.mask(text), signature) == [], text


@pytest.mark.parametrize("length", [LONG_ENCODED, LONG_ENCODED + 1, LONG_ENCODED + STRIDE])
def test_a_value_just_long_enough_to_be_looked_up_by_its_grams_is_masked_anywhere_in_a_run(length: int) -> None:
    secrets, _ = signed(200)
    value = base64.b64encode(hashlib.sha512(b"a token").digest()).decode()[:length]
    secrets.add(value)
    for before in range(STRIDE + 1):
        text = f"{'Q' * before}{value}Z"
        assert secrets.mask(text) == f"{'Q' * before}{MASK}Z", before


# A value that is another's form, added after it: its own forms are masked too. Its bare copies are named by its own
# name, unless it is the other as is (the other's UTF-8 read as Latin-1 is how mask_bytes sees the other as is).
FIRST = "pässwörd-0123456789"
DERIVED = [
    ("base64", lambda: base64.b64encode(FIRST.encode()).decode(), "Authorization signature"),
    ("hex", lambda: FIRST.encode().hex(), "Authorization signature"),
    ("utf-8-as-latin-1", lambda: FIRST.encode().decode("latin-1"), "as is"),
]


@pytest.mark.parametrize(("derive", "named"), [d[1:] for d in DERIVED], ids=[d[0] for d in DERIVED])
def test_a_value_that_is_another_values_form_has_forms_of_its_own(derive: Callable[[], str], named: str) -> None:
    second = derive()
    secrets = Secrets([FIRST])
    secrets.add(second, "Authorization signature")
    for form in (base64.b64encode(second.encode()).decode(), second.encode().hex(), second):
        assert secrets.mask(f"x {form} y") == f"x {MASK} y"
        assert secrets.mask_bytes(f"x {form} y".encode()) == f"x {MASK} y".encode()
    named_by = Secrets([FIRST])
    named_by.add(second, "Authorization signature")
    named_by.mask(f"x {second} y")
    assert named_by.masked == Counter({named: 1})


@pytest.mark.parametrize("requests", [1, 200])
def test_what_only_looks_like_a_learnt_signature_is_left_alone(requests: int) -> None:
    secrets, _ = signed(requests)
    other = hashlib.sha256(b"another request").hexdigest()
    for text in (other, "ab" * 200, other.encode().hex(), *within_base64(other)):
        assert secrets.mask(text) == text


def test_the_gateway_can_name_the_header_it_signed() -> None:
    secrets = Secrets()
    secrets.add_authorization(AUTHORIZATION)
    assert secrets.mask(quote(AUTHORIZATION, safe="")).count(MASK) == 2


def test_the_summary_says_how_often_and_in_which_forms() -> None:
    secrets = Secrets([TOKEN])
    b64 = base64.b64encode(TOKEN.encode()).decode()
    secrets.mask(f"{b64} {b64} {TOKEN}")
    secrets.mask_bytes(b64.encode())
    assert secrets.summary() == "masked 4 times (base64 x3, as is x1)"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (TOKEN + "\r", "carriage return"),
        (TOKEN + "\n", "carriage return or line feed"),
        (" " + TOKEN, "white space"),
        (TOKEN + "é", "non-ASCII"),
        (TOKEN[:5] + "\x07" + TOKEN[5:], "control characters"),
    ],
)
def test_a_malformed_credential_is_named_without_its_value(value: str, problem: str) -> None:
    with pytest.raises(MalformedCredential, match=problem) as raised:
        check_credential("CPH_AUTH_TOKEN", value)
    assert "CPH_AUTH_TOKEN" in str(raised.value)
    assert TOKEN not in str(raised.value) and TOKEN[:12] not in str(raised.value)


def test_a_good_credential_passes() -> None:
    check_credential("CPH_AUTH_TOKEN", TOKEN)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://cph.cn-north-4.myhuaweicloud.com", True),
        ("http://127.0.0.1:8080/", True),
        ("https://cph.cn-north-4.myhuaweicloud.com/v1", False),
        ("cph.cn-north-4.myhuaweicloud.com", False),
        ("https://cph.example?x=1", False),
        ("https://user:pw@cph.example", False),
        ("http://127.0.0.1:port", False),
    ],
)
def test_the_base_url_is_scheme_host_and_port_only(url: str, ok: bool) -> None:
    if ok:
        assert target.check_base_url(url) == url.rstrip("/")
    else:
        with pytest.raises(target.CannotRun, match="CPH_BASE_URL"):
            target.check_base_url(url)


@pytest.mark.parametrize(("project_id", "warned"), [("0123456789abcdef0123456789abcdef", False), ("my-project", True)])
def test_a_project_id_off_the_spec_pattern_is_a_warning_the_pattern_is_an_assumption(
    project_id: str, warned: bool
) -> None:
    warnings = target.check_project_id(project_id)
    assert bool(warnings) == warned
    assert all("assumption" not in w or "CPH_PROJECT_ID" in w for w in warnings)


def test_a_malformed_token_stops_a_live_run_before_anything_else() -> None:
    env = {"CPH_BASE_URL": "https://cph.example/v1", "CPH_PROJECT_ID": "0" * 32, "CPH_AUTH_TOKEN": TOKEN + "\r"}
    with pytest.raises(target.CannotRun) as raised:
        target.live(env)
    assert "CPH_AUTH_TOKEN" in str(raised.value) and "CPH_BASE_URL" not in str(raised.value)
    assert TOKEN not in str(raised.value)
