"""`make bench`: run every measurement and rewrite BENCHMARKS.md. About three minutes on 2 cores."""

from __future__ import annotations

import datetime
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

from cph_conformance.bench import decode, masking, mock_load, throughput
from cph_conformance.bench.timing import Stats, interleaved, ms, paired_ratio
from cph_conformance.mock import server
from cph_conformance.spec import ROOT

OUT = ROOT / "BENCHMARKS.md"
ROUNDS = {"memory": {10: 300, 1_000: 40, 10_000: 15}, "http": {10: 60, 1_000: 10, 10_000: 5}}
MOCK_IMAGES = 10_000
THROUGHPUT_PAIRS = 3
PACKAGES = (
    "openapi-python-client",
    "huaweicloudsdkcph",
    "httpx",
    "orjson",
    "attrs",
    "schemathesis",
    "connexion",
    "uvicorn",
)


def _cpu() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _step(text: str) -> None:
    print(f"==> {text}", flush=True)


def _decode_table(cases: list[decode.Case]) -> list[str]:
    gen, sdk, plain = decode.CONTENDERS
    rows = [
        "| how | images | generated client | official SDK | httpx + json.loads | SDK / client | client / json.loads |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for case in cases:
        s = case.stats
        cells = [f"{ms(s[n].median)} ±{s[n].spread:.0%}" for n in (gen, sdk, plain)]
        rows.append(
            f"| {case.mode} | {case.images:,} | {' | '.join(cells)} | "
            f"{paired_ratio(s[sdk], s[gen]):.1f}x | {paired_ratio(s[gen], s[plain]):.2f}x |"
        )
    return rows


def _regeneration() -> dict[str, Stats]:
    def make(target: str) -> None:
        subprocess.run(["make", "-s", target], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)

    return interleaved(
        {"make generate": lambda: make("generate"), "make check-generated": lambda: make("check-generated")}, 3
    )


def main() -> int:
    started = time.perf_counter()
    cases: list[decode.Case] = []
    _step("decoding pages from memory")
    for size in decode.SIZES:
        cases.append(decode.from_memory(size, ROUNDS["memory"][size]))
    _step(f"listing over HTTP from the mock ({MOCK_IMAGES:,} images) and its load and memory")
    with server.running(images=MOCK_IMAGES) as mock:
        for size in decode.SIZES:
            cases.append(decode.over_http(mock, size, ROUNDS["http"][size]))
        loads = [mock_load.load(mock, c) for c in (1, 16)]
        rss = mock_load.resident_kib(mock.pid)
    _step(f"conformance throughput: {THROUGHPUT_PAIRS} alternating runs against the mock and the constant server")
    mocks, constants, cost = throughput.mock_cost(THROUGHPUT_PAIRS)
    _step("masking secrets in a large body")
    masked = masking.measure()
    _step("regeneration")
    regen = _regeneration()
    elapsed = time.perf_counter() - started

    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`cph_conformance/bench/`); do not edit by hand. Times are medians with the",
        "interquartile range as ±; contenders run interleaved, round by round, and each ratio is the median of",
        "the per-round ratios, so machine drift hits all alike. Benchmarks, not tests: nothing asserts a time.",
        "",
        f"- date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; whole run {elapsed:.0f} s",
        f"- machine: {_cpu()}, {platform.machine()}, {len(__import__('os').sched_getaffinity(0))} cores, "
        f"Linux {platform.release()}; Python {platform.python_version()}",
        "- versions: " + ", ".join(f"{p} {metadata.version(p)}" for p in PACKAGES),
        "",
        "## Listing images",
        "",
        "*memory*: one page decoded from bytes by each library's own parsing step (the generated endpoint's",
        "`_parse_response`; the SDK's `deserialize`; `json.loads`). *http*: that many images listed from the",
        f"mock on 127.0.0.1 ({MOCK_IMAGES:,} images, `image_type=all`), in pages of at most {decode.MAX_PAGE}, the",
        "API's limit, with one client reused across rounds.",
        "",
        *_decode_table(cases),
        "",
        "Targets at 10,000 images from memory: the client at least 5x faster than the official SDK, and at most",
        "1.8x `json.loads` (the client's figure includes orjson's parse).",
        "",
        "## Conformance throughput",
        "",
        "Cases per second of the schemathesis run (positive mode, seed and examples fixed; engine time, start-up",
        "excluded) against the mock and against a constant server that answers one valid page",
        "(`cph_conformance/bench/constant_server.py`). The difference is what the mock costs.",
        "",
        "| run | server | cases | seconds | cases/s |",
        "|---:|---|---:|---:|---:|",
        *(
            f"| {n} | {t.server} | {t.cases} | {t.seconds:.2f} | {t.per_second:.0f} |"
            for n, pair in enumerate(zip(mocks, constants, strict=True), 1)
            for t in pair
        ),
        "",
        f"The mock costs {cost:.0%} of conformance throughput, the median over the {THROUGHPUT_PAIRS} pairs "
        "(target: at most 15%).",
        "",
        "## The mock under load",
        "",
        f"`GET ?image_type=all&limit=10` on 127.0.0.1, {MOCK_IMAGES:,} images, one uvicorn worker; the load comes",
        f"from one asyncio httpx client in another process, at most {mock_load.MAX_REQUESTS:,} requests or",
        f"{mock_load.MAX_SECONDS:.0f} s per row. With 2 cores, load generator and mock share the machine.",
        "",
        "| connections | requests | errors | requests/s | p50 | p99 |",
        "|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {r.connections} | {r.requests} | {r.errors} | {r.rps:.0f} | {ms(r.percentile(50))} | "
            f"{ms(r.percentile(99))} |"
            for r in loads
        ),
        "",
        f"Resident memory of the mock with {MOCK_IMAGES:,} images, after the runs above: {rss / 1024:.0f} MiB.",
        "",
        "## Masking secrets",
        "",
        f"`Secrets.mask` on a JSON page of {masked.body_bytes / 1e6:.1f} MB (image names \\u-escaped), with the "
        f"{masked.values} values",
        "a live run holds (a token, an AK/SK, a security token, the token's near misses); the second page echoes",
        "the token 9 times (as is, base64, URL-encoded). Every answer the gateway relays is masked this way.",
        "",
        *masking.table(masked),
        "",
        "## Regeneration",
        "",
        "| command | median | ± |",
        "|---|---:|---:|",
        *(f"| `{name}` | {ms(s.median)} | {s.spread:.0%} |" for name, s in regen.items()),
        "",
    ]
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    print(f"wrote {OUT.relative_to(ROOT)} in {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
