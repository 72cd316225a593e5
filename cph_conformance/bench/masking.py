"""Masking secrets in a multi-megabyte body (cph_conformance/run/transport/secrets.py): the run's secrets as a live
run holds them (a token, an AK/SK and a security token, and the four near misses of the token the probes send), in a
page of about BODY_MB of JSON with image names \\u-escaped (as a JSON encoder that escapes non-ASCII writes them):
one that holds no secret, one that echoes the token in a few forms, and the first with every slash escaped (the
escapes the masker must decode, at their densest). And an AK/SK run's: the secret key and SIGNED signatures, one a
request, learnt one after the other as the gateway signs (each adds its forms), then the page that holds none."""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from urllib.parse import quote

from cph_conformance.bench.timing import Stats, interleaved, ms
from cph_conformance.run.transport.credential import NEAR_MISSES
from cph_conformance.run.transport.secrets import Secrets

BODY_MB = 5
ROUNDS = 7
SIGNED = 600  # requests of a long AK/SK run, each with its own signature


@dataclass(frozen=True)
class Result:
    body_bytes: int
    values: int  # secret values masked
    build: Stats  # Secrets(...) with every value: compiling its patterns
    stats: dict[str, Stats]  # by case
    learn: Stats  # an AK/SK run's SIGNED signatures learnt one by one


def _body(echo: str | None) -> str:
    images, size, n = [], 0, 0
    while size < BODY_MB * 1_000_000:
        image = {
            "image_name": f"云手机镜像{n:05d}",
            "image_id": secrets.token_hex(16),
            "os_type": "android",
            "image_label": "cloud_phone",
            "blob": base64.b64encode(secrets.token_bytes(96)).decode(),
            "link": f"https://example.com/v1/x?marker={n}&limit=10%20",
        }
        images.append(image)
        size += 330
        n += 1
    if echo is not None:
        for where in (10, len(images) // 2, len(images) - 10):
            images[where]["echo"] = echo
            images[where]["b64"] = base64.b64encode(echo.encode()).decode()
            images[where]["url"] = quote(echo, safe="")
    return json.dumps({"phone_images": images, "request_id": "0" * 32})  # ensure_ascii: \u-escaped names


def measure(rounds: int = ROUNDS) -> Result:
    token = "MII" + base64.b64encode(secrets.token_bytes(450)).decode()  # IAM tokens are long, with + and /
    values = [token, secrets.token_hex(10).upper(), secrets.token_urlsafe(30), secrets.token_urlsafe(200)]
    values += [miss.make(token) for miss in NEAR_MISSES.values()]
    build = interleaved({"build": lambda: Secrets(values)}, rounds)["build"]
    masker = Secrets(values)
    clean, echoing = _body(None), _body(token)
    slashed = clean.replace("/", "\\/")  # as PHP's json_encode writes every slash: an escape every few bytes
    access_key = secrets.token_hex(10).upper()  # the run's one access key
    headers = [
        f"SDK-HMAC-SHA256 Access={access_key}, SignedHeaders=host;x-sdk-date, Signature={secrets.token_hex(32)}"
        for _ in range(SIGNED)
    ]

    def learnt() -> Secrets:
        signed = Secrets([secrets.token_urlsafe(30)])
        for header in headers:
            signed.add_authorization(header)
        return signed

    learn = interleaved({"learn": learnt}, rounds)["learn"]
    signed = learnt()
    stats = interleaved(
        {
            "mask, no secret in it": lambda: masker.mask(clean),
            f"mask, no secret in it, {SIGNED} signatures learnt": lambda: signed.mask(clean),
            "mask, 9 echoes in it": lambda: masker.mask(echoing),
            "mask_bytes, no secret in it": lambda: masker.mask_bytes(clean.encode()),
            "mask_bytes, 9 echoes in it": lambda: masker.mask_bytes(echoing.encode()),
            f"mask, every / written \\/ ({slashed.count('/'):,} escapes)": lambda: masker.mask(slashed),
        },
        rounds,
    )
    return Result(len(clean.encode()), len(values), build, stats, learn)


def table(result: Result) -> list[str]:
    rows = ["| case | median | ± |", "|---|---:|---:|"]
    rows.append(
        f"| build the patterns of {result.values} values | {ms(result.build.median)} | {result.build.spread:.0%} |"
    )
    rows.append(f"| learn {SIGNED} signatures, one by one | {ms(result.learn.median)} | {result.learn.spread:.0%} |")
    rows += [f"| {name} | {ms(s.median)} | {s.spread:.0%} |" for name, s in result.stats.items()]
    return rows


if __name__ == "__main__":  # python -m cph_conformance.bench.masking: this measurement alone
    measured = measure()
    print(f"body: {measured.body_bytes / 1e6:.1f} MB")
    print("\n".join(table(measured)))
