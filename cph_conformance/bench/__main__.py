"""`make bench`: run every measurement, mark each target met or missed, and write .bench/BENCHMARKS.md (an ignored
folder: a run leaves the tree clean). About three minutes on 2 cores. `make bench-record` (--record) copies the last
result over the committed BENCHMARKS.md: the only way that file changes."""

from __future__ import annotations

import argparse
import datetime
import operator
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from cph_conformance.bench import decode, fake, masking, mock_load, throughput
from cph_conformance.bench.timing import Stats, interleaved, ms, paired_ratio
from cph_conformance.mock import server
from cph_conformance.spec import ROOT

RECORD = ROOT / "BENCHMARKS.md"  # committed: changed only by --record
OUT = ROOT / ".bench" / "BENCHMARKS.md"  # each run's, in a folder .gitignore names
ROUNDS = {"memory": {10: 300, 1_000: 40, 10_000: 15}, "http": {10: 60, 1_000: 10, 10_000: 5}}
FAKE_ROUNDS = 200
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


@dataclass(frozen=True)
class Target:
    """A figure the project aims for: what it is, its measured value, the limit and which side of it is met."""

    what: str
    measured: float
    limit: float
    meets: Callable[[float, float], bool]  # operator.ge: at least the limit; operator.le: at most
    unit: str = "x"

    @property
    def met(self) -> bool:
        return self.meets(self.measured, self.limit)

    def row(self) -> str:
        side = "at least" if self.meets is operator.ge else "at most"

        def shown(value: float) -> str:
            if self.unit == "%":
                return f"{value:.0%}"
            return f"{value:.2f} ms" if self.unit == "ms" else f"{value:.2f}x"

        mark = "met" if self.met else "**missed**"
        return f"| {self.what} | {shown(self.measured)} | {side} {shown(self.limit)} | {mark} |"


def targets_table(targets: Sequence[Target]) -> list[str]:
    missed = sum(not t.met for t in targets)
    verdict = "every target met" if not missed else f"{missed} of {len(targets)} targets missed"
    return [
        f"**{verdict}.**",
        "",
        "| target | measured | aim | |",
        "|---|---:|---:|---|",
        *(t.row() for t in targets),
    ]


def record(out: Path = OUT, to: Path = RECORD) -> int:
    """Copy the last `make bench` result over the committed file; exit 2, saying what to run, when there is none."""
    if not out.exists():
        print(
            f"error: {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out} does not exist: run make bench first"
        )
        return 2
    shutil.copyfile(out, to)
    print(f"recorded {out.name} as {to.relative_to(ROOT) if to.is_relative_to(ROOT) else to}: commit it")
    return 0


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


@dataclass(frozen=True)
class Measured:
    """Everything one `make bench` measured."""

    cases: list[decode.Case]
    loads: list[mock_load.Load]
    rss: int  # KiB, the mock's resident memory after its load
    mocks: list[throughput.Throughput]
    constants: list[throughput.Throughput]
    cost: float  # what the mock costs of conformance throughput
    pages: dict[str, Stats]  # a page from the fake and from the mock's app, in process
    masked: masking.Result
    regen: dict[str, Stats]
    elapsed: float


def measure() -> Measured:
    started = time.perf_counter()
    _step("decoding pages from memory")
    cases = [decode.from_memory(size, ROUNDS["memory"][size]) for size in decode.SIZES]
    _step(f"listing over HTTP from the mock ({MOCK_IMAGES:,} images) and its load and memory")
    with server.running(images=MOCK_IMAGES) as mock:
        cases += [decode.over_http(mock, size, ROUNDS["http"][size]) for size in decode.SIZES]
        loads = [mock_load.load(mock, c) for c in (1, 16)]
        rss = mock_load.resident_kib(mock.pid)
    _step(f"conformance throughput: {THROUGHPUT_PAIRS} alternating runs against the mock and the constant server")
    mocks, constants, cost = throughput.mock_cost(THROUGHPUT_PAIRS)
    _step(f"a page of {fake.PAGE} from the fake CPH and from the mock's app, in process")
    pages = fake.page_costs(FAKE_ROUNDS)
    _step("masking secrets in a large body")
    masked = masking.measure()
    _step("regeneration")
    regen = _regeneration()
    return Measured(cases, loads, rss, mocks, constants, cost, pages, masked, regen, time.perf_counter() - started)


def targets_of(m: Measured) -> list[Target]:
    at_10k = next(c for c in m.cases if c.mode == "memory" and c.images == 10_000).stats
    gen, sdk, plain = decode.CONTENDERS
    fake_ms = m.pages[fake.CONTENDERS[0]].median * 1000
    return [
        Target(
            "how many times faster the client is than the official SDK (10,000 images, memory)",
            paired_ratio(at_10k[sdk], at_10k[gen]),
            5.0,
            operator.ge,
        ),
        Target(
            "the client's time over json.loads' (10,000 images, memory)",
            paired_ratio(at_10k[gen], at_10k[plain]),
            1.8,
            operator.le,
        ),
        Target("what the mock costs of conformance throughput", m.cost, 0.15, operator.le, unit="%"),
        Target(f"the fake's own time for a page of {fake.PAGE} images", fake_ms, 1.0, operator.le, unit="ms"),
    ]


def document(m: Measured) -> list[str]:
    return [*_header(m), *_listing(m), *_throughput(m), *_load(m), *_fake(m), *_masking(m), *_regeneration_table(m)]


def _header(m: Measured) -> list[str]:
    return [
        "# Benchmarks",
        "",
        "Written by `make bench` (`cph_conformance/bench/`) and recorded by `make bench-record`; do not edit by",
        "hand. Times are medians with the interquartile range as ±; contenders run interleaved, round by round,",
        "and each ratio is the median of the per-round ratios, so machine drift hits all alike. Benchmarks, not",
        "tests: nothing asserts a time; each target is marked met or missed.",
        "",
        f"- date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; whole run {m.elapsed:.0f} s",
        f"- machine: {_cpu()}, {platform.machine()}, {len(__import__('os').sched_getaffinity(0))} cores, "
        f"Linux {platform.release()}; Python {platform.python_version()}",
        "- versions: " + ", ".join(f"{p} {metadata.version(p)}" for p in PACKAGES),
        "",
        "## Targets",
        "",
        *targets_table(targets_of(m)),
        "",
    ]


def _listing(m: Measured) -> list[str]:
    return [
        "## Listing images",
        "",
        "*memory*: one page decoded from bytes by each library's own parsing step (the generated endpoint's",
        "`_parse_response`; the SDK's `deserialize`; `json.loads`). *http*: that many images listed from the",
        f"mock on 127.0.0.1 ({MOCK_IMAGES:,} images, `image_type=all`), in pages of at most {decode.MAX_PAGE}, the",
        "API's limit, with one client reused across rounds.",
        "",
        *_decode_table(m.cases),
        "",
        "Targets at 10,000 images from memory: the client at least 5x faster than the official SDK, and at most",
        "1.8x `json.loads` (the client's figure includes orjson's parse).",
        "",
    ]


def _throughput(m: Measured) -> list[str]:
    return [
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
            for n, pair in enumerate(zip(m.mocks, m.constants, strict=True), 1)
            for t in pair
        ),
        "",
        f"The mock costs {m.cost:.0%} of conformance throughput, the median over the {THROUGHPUT_PAIRS} pairs "
        "(target: at most 15%).",
        "",
    ]


def _load(m: Measured) -> list[str]:
    return [
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
            for r in m.loads
        ),
        "",
        f"Resident memory of the mock with {MOCK_IMAGES:,} images, after the runs above: {m.rss / 1024:.0f} MiB.",
        "",
    ]


def _fake(m: Measured) -> list[str]:
    return [
        "## The fake CPH in process",
        "",
        f"One page of {fake.PAGE} images (`image_type=all`, from the middle of {fake.IMAGES:,} images) answered in",
        "this process: by `cph_client.testing.FakeCph` as an httpx transport (its routing, token and parameter checks,",
        "the engine's page, the `httpx.Response`), by the engine alone, and by the mock's connexion app through",
        "`httpx.ASGITransport` (its validation of request and answer included). The same engine pages for both.",
        "",
        "| what | median | ± |",
        "|---|---:|---:|",
        *(f"| {name} | {ms(s.median)} | {s.spread:.0%} |" for name, s in m.pages.items()),
        "",
        "Target: the fake's own time for a page of 500 images well under a millisecond.",
        "",
    ]


def _masking(m: Measured) -> list[str]:
    return [
        "## Masking secrets",
        "",
        f"`Secrets.mask` on a JSON page of {m.masked.body_bytes / 1e6:.1f} MB (image names \\u-escaped), with the "
        f"{m.masked.values} values",
        "a live run holds (a token, an AK/SK, a security token, the token's near misses); the second page echoes",
        "the token 9 times (as is, base64, URL-encoded). Every answer the sender reads is masked this way.",
        "",
        *masking.table(m.masked),
        "",
    ]


def _regeneration_table(m: Measured) -> list[str]:
    return [
        "## Regeneration",
        "",
        "| command | median | ± |",
        "|---|---:|---:|",
        *(f"| `{name}` | {ms(s.median)} | {s.spread:.0%} |" for name, s in m.regen.items()),
        "",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cph_conformance.bench", description=__doc__)
    parser.add_argument(
        "--record", action="store_true", help="copy the last result over BENCHMARKS.md, measure nothing"
    )
    if parser.parse_args(argv).record:
        return record()
    m = measure()
    lines = document(m)
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    print(f"wrote {OUT.relative_to(ROOT)} in {m.elapsed:.0f} s; make bench-record copies it to BENCHMARKS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
