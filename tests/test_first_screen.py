"""What broke comes first, for three of the mock's faults of three kinds: pages that skip an image (one cause that
breaks three relations between listings: pagination is the root), an image label outside the page's list (a check of
each answer), a token let in with anything after it (a probe). The first screen of summary.md (its first 25 lines),
the first elements of summary.html and the console's last lines name the failed checks and the likely root; each
cause is one finding; and each finding's smallest reproduction, run after the run has ended (the mock started as its
block says, its curl lines expanded by sh), shows the fault, and shows nothing against the mock without the fault.
The block run as pasted (bash, curl, the mock a process of its own on a free port) is in the background."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

from cph_conformance import spec
from cph_conformance.mock import __main__ as mock_main
from cph_conformance.mock.app import Settings, create_app
from cph_conformance.run.checks.caught import CAUGHT
from cph_conformance.run.report import provenance, reproduce, shown
from cph_conformance.run.report import summary as report
from cph_conformance.run.report.result import Result
from cph_conformance.run.verdict.findings import Finding
from cph_conformance.run.verdict.verdict import Verdict
from cph_conformance.spec import ROOT
from tests import background, golden, inprocess, polling
from tests.test_fault_matrix import verdict_of

SCREEN = 25  # lines of summary.md a person reads first
Answers = list[httpx.Response]


def _ids(answer: httpx.Response) -> list[str]:
    return [str(image["image_id"]) for image in answer.json().get("phone_images", [])]


def _skips(answers: Answers) -> bool:
    """The pages after the first answer (the listing at the largest page size) are not its beginning."""
    later = [i for answer in answers[1:] for i in _ids(answer)]
    return later != _ids(answers[0])[: len(later)]


def _unknown_label(answers: Answers) -> bool:
    known = set(spec.enum("ImageLabel"))
    return any(i.get("image_label") not in known for a in answers for i in a.json().get("phone_images", []))


def _let_in(answers: Answers) -> bool:
    return answers[-1].status_code == 200


# fault: (its verdict, the checks that fail, in the first screen's order; the likely root; what its answers show)
FAULTS: dict[str, tuple[Callable[[], Verdict], list[str], str | None, Callable[[Answers], bool]]] = {
    "pages-skip": (
        lambda: inprocess.quick_run("pages-skip"),  # the golden records' run
        ["pagination", "same_listing_at_any_limit", "all_is_the_union"],
        "pagination",
        _skips,
    ),
    "unknown-image-label": (
        lambda: inprocess.quick_run("unknown-image-label"),  # tests/test_changes.py's run
        ["image_identity", "known_image_label"],
        None,
        _unknown_label,
    ),
    "token-prefix": (lambda: verdict_of("token-prefix"), ["authentication"], None, _let_in),
}


def result_of(fault: str) -> Result:
    """The run's result as it would be against the mock it started with this fault."""
    return Result(FAULTS[fault][0](), about=provenance.About(mock=provenance.Mock(60, fault)))


@pytest.mark.parametrize("fault", FAULTS)
def test_the_first_screen_of_summary_md_says_what_broke_before_any_detail(fault: str) -> None:
    _, failed, root, _ = FAULTS[fault]
    text = report.render(result_of(fault))
    screen = "\n".join(text.splitlines()[:SCREEN])
    assert screen.startswith("# Conformance of") and "**Verdict: drift found** (exit status 1)." in screen
    rows = re.findall(r"^\| \**([a-z_]+)\**(?: \([^)]*\))? \|", screen, re.MULTILINE)
    assert rows == failed  # the table of failed checks, likely root first
    assert (f"Likely root: {root} (" in screen) == (root is not None) and ("Likely root" in screen) == bool(root)
    assert "warning(s) (the spec's assumptions: they fail nothing)" in screen
    assert screen.index("| failed check | rule | instances | reproduced |") < text.index("\n## ")


class Page(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None], list[str]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs), []))

    def handle_data(self, data: str) -> None:
        if self.elements:
            self.elements[-1][2].append(data)


@pytest.mark.parametrize("fault", FAULTS)
def test_the_first_elements_of_summary_html_name_the_failed_checks_and_the_likely_root(fault: str) -> None:
    _, failed, root, _ = FAULTS[fault]
    page = Page(report.render_html(result_of(fault))).elements
    first = page[: next(n for n, (tag, _, _) in enumerate(page) if tag == "h2")]  # before any section's heading
    ids = [a.get("id") for _, a, _ in first if a.get("id")]
    assert ids == ["verdict", "what-broke", "failed", *(["root"] if root else []), "also", "numbers"]
    named = ["".join(text).strip() for tag, _, text in first if tag == "code"]
    assert named == failed
    said = {a.get("id"): "".join(text) for _, a, text in first if a.get("id")}
    assert said.get("root", "").startswith(f"Likely root: {root} (") == (root is not None)


@pytest.mark.parametrize("fault", FAULTS)
def test_the_consoles_last_lines_name_the_failed_checks_and_the_likely_root(fault: str) -> None:
    _, failed, root, _ = FAULTS[fault]
    lines = report.first_lines(result_of(fault))
    assert lines[0] == "Verdict: drift found (exit status 1)."
    assert [re.findall(r"[a-z_]+", line)[0] for line in lines[2 : 2 + len(failed)]] == failed
    assert any(line.startswith(f"Likely root: {root} (") for line in lines) == (root is not None)
    assert lines[-1].startswith("0 warning(s)") or lines[-1].startswith("1 warning(s)")


@pytest.mark.parametrize("fault", FAULTS)
def test_each_cause_is_one_finding_with_its_instances_folded_under_it(fault: str) -> None:
    v = FAULTS[fault][0]()
    keys = [(f.check, f.verdict, f.cause) for f in v.findings]
    assert len(keys) == len(set(keys))
    text = report.render(result_of(fault))
    for f in v.failures:
        assert text.count(f"#### {report.md(f.cause)}: {f.count} instance(s)") >= 1
    if fault == "pages-skip":  # one image skipped between pages, at every page size of every image type: one finding
        (skipped,) = [f for f in v.failures if f.check == "pagination"]
        assert skipped.cause == "skipped" and skipped.selections == ("public", "private", "share", "all")
        assert skipped.count == len({i.instance for i in skipped.instances}) > 4


def _caught(v: Verdict, fault: str) -> Finding:
    """The finding to reproduce: the likely root's, else that of the check the fault names."""
    return next(f for f in v.failures if f.check == (FAULTS[fault][2] or CAUGHT[fault].check.name))


def _sent(block: list[str]) -> list[tuple[str, str, dict[str, str]]]:
    """Each curl line of a block as sh expands it (the token's variable, a near miss's expansions): method, URL and
    headers, read back from a curl of sh's that prints its arguments."""
    lines = [line for line in block if line.startswith(("CPH_AUTH_TOKEN=", "curl -X"))]
    script = "\n".join(["curl() { printf '%s\\n' \"$@\" '--end--'; }", *lines])
    out = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=10, check=True).stdout
    sent = []
    for call in out.split("--end--\n")[:-1]:
        words = call.splitlines()
        method = words[words.index("-X") + 1]
        headers = {}
        for n, word in enumerate(words):
            if word == "-H":
                name, _, value = words[n + 1].replace(";", ":", 1).partition(":")
                headers[name.strip()] = value.strip()
        sent.append((method, words[-1], headers))
    return sent


def _mock_of(block: list[str], fault: str | None) -> Settings:
    """The mock the block starts (its own options, read by the mock's own parser); with another fault, to compare."""
    line = next(line for line in block if "cph_conformance.mock" in line)
    words = shlex.split(line.removesuffix(" & mock=$!"))
    chosen = mock_main.plan(mock_main._parser().parse_args(words[words.index("cph_conformance.mock") + 1 :]), {})
    assert chosen.port == reproduce.PORT and chosen.fault is not None
    return Settings(project_id=chosen.project_id, token=chosen.token, images=chosen.images, fault=fault)


def _answers(block: list[str], settings: Settings) -> Answers:
    """What the block's requests get from the mock it starts, served in this process (the block as pasted, with
    the mock a process on its port, is the background's test below)."""
    with httpx.Client(transport=inprocess.AppTransport(create_app(settings)), trust_env=False) as client:
        return [client.request(method, url, headers=headers) for method, url, headers in _sent(block)]


@pytest.mark.parametrize("fault", FAULTS)
def test_the_smallest_reproduction_run_after_the_run_shows_the_fault_and_nothing_without_it(fault: str) -> None:
    r = result_of(fault)
    f = _caught(r.verdict, fault)
    made = shown.shown(f, r)
    assert made.smallest is not None and made.smallest.size == min(i.size for i in f.instances)
    assert "\n".join(made.block) in report.render(r)  # the block the report shows
    settings = _mock_of(list(made.block), fault)
    assert (settings.project_id, settings.token) == (reproduce.PROJECT, reproduce.TOKEN)
    shows = FAULTS[fault][3]
    assert shows(_answers(list(made.block), settings))
    assert not shows(_answers(list(made.block), _mock_of(list(made.block), None)))


# --- the block as pasted, in the background -------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _refused(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _first_block(text: str) -> str:
    found = re.search(r"^```sh\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)
    assert found is not None, "no reproduction block"
    return found.group(1)


def _pasted(folder: Path) -> dict[str, Any]:
    """The golden summary.md's first reproduction block run by bash as pasted, from this project's folder, on a free
    port (the block's mock a process of its own); then whether that port is free again (the block stopped it)."""
    if shutil.which("curl") is None or shutil.which("bash") is None:
        return {"skipped": "the block is for a shell with bash and curl; this machine lacks one"}
    port = _free_port()
    block = _first_block((golden.FOLDER / "summary.md").read_text(encoding="utf-8"))
    script = block.replace(f"{reproduce.HOST}:{reproduce.PORT}", f"{reproduce.HOST}:{port}")
    script = script.replace(f"--port {reproduce.PORT}", f"--port {port}")
    (folder / "block.sh").write_text(script)
    env = {k: v for k, v in background.ENVIRONMENT.items() if not k.startswith("CPH_")}
    ran = background.completed(["bash", str(folder / "block.sh")], env, timeout=90, cwd=ROOT)
    # The block's trap sends the mock SIGTERM as the block ends: it stops in its own time (longer on a loaded machine).
    freed = polling.until(lambda: _refused(port), 20, every=0.1)
    return {"status": ran.returncode, "out": ran.stdout, "err": ran.stderr, "freed": freed, "script": script}


BACKGROUND = {"pasted": _pasted}
pasted = background.fixture(__name__, "pasted")


def _bodies(out: str) -> Iterator[dict[str, Any]]:
    """The JSON bodies curl printed one after the other (and the mock's base URL, its first line, skipped)."""
    decoder, at = json.JSONDecoder(), out.index("{")
    while at < len(out):
        body, at = decoder.raw_decode(out, at)
        yield body
        while at < len(out) and out[at] != "{":
            at += 1


def test_the_reproduction_block_works_as_pasted_after_the_run(pasted: dict[str, Any]) -> None:
    if "skipped" in pasted:
        pytest.skip(pasted["skipped"])
    assert pasted["status"] == 0, pasted
    bodies = list(_bodies(pasted["out"]))
    answers = [httpx.Response(200, json=body) for body in bodies]
    assert len(answers) >= 3 and _skips(answers), pasted["out"][:2000]
    assert pasted["freed"], "the block left its mock running"
