"""The one place every request of the run leaves from: the preflight, schemathesis' cases (through the gateway, its
HTTP face), the walk, the probes and the replays.

For each request the sender puts the credential on it (the only code that holds it), sends it at the run's pace
with patience for throttling and blips (patience.py), reads the answer within the run's bounds (bounds.py: size,
time, nesting), follows no redirect (a 3xx is an answer to judge, and no credential goes to another host), masks
every secret out of the answer before anyone sees it, and logs the exchange: the log is what the run sent and what
came back, the evidence the checks judge. Past the run's deadline it sends nothing more, and counts what the deadline
kept from being sent or cut short (cut), by the part of the run that sent it.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from cph_conformance import spec
from cph_conformance.run.transport import bounds, credential, lost
from cph_conformance.run.transport.bounds import Bounds
from cph_conformance.run.transport.credential import VALID, Credential
from cph_conformance.run.transport.deadline import Deadline
from cph_conformance.run.transport.exchange import TOOL, Exchange, Outgoing
from cph_conformance.run.transport.lost import Lost
from cph_conformance.run.transport.patience import Patience
from cph_conformance.run.transport.secrets import Secrets

LOOPBACK = ("127.0.0.1", "localhost", "::1")
# Headers that belong to one hop, and those the sender sets itself.
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization", "host"}
OWN = {"content-length", "accept-encoding"}


class Sender:
    def __init__(
        self,
        endpoint: str,
        project_id: str,
        credential: Credential,
        secrets: Secrets,
        patience: Patience,
        deadline: Deadline,
        limits: Bounds | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.project_id = project_id
        self._credential = credential
        self.secrets = secrets
        self.patience = patience
        self.deadline = deadline
        self.limits = limits or Bounds.of_spec()
        # The one client that may leave this machine: for a remote endpoint it honours HTTPS_PROXY and SSL_CERT_FILE,
        # as CI networks need; a loopback endpoint (the mock, a stand-in) or an app in this process never is proxied.
        remote = httpx.URL(self.endpoint).host not in LOOPBACK and transport is None
        self.client = bounds.client(follow_redirects=False, trust_env=remote, transport=transport)
        self._log: list[Exchange] = []
        self._lock = threading.Lock()
        self.cut: Counter[str] = Counter()  # requests the deadline kept from being sent or cut short, by phase

    # --- what the run sends ---------------------------------------------------------------------------------------

    def get(self, query: Mapping[str, Any], project: str | None = None, auth: str = VALID, phase: str = "") -> Exchange:
        """The documented GET with these query parameters (of the run's project, or another)."""
        path = spec.OPERATION_PATH.format(project_id=quote(project or self.project_id, safe=""))
        params = str(httpx.QueryParams({k: str(v) for k, v in query.items()}))
        return self.send(Outgoing("GET", (path + (f"?{params}" if params else "")).encode("ascii"), auth, phase))

    def again(self, ex: Exchange) -> Exchange:
        """An exchange's request sent again as it was sent."""
        sent = ex.request or Outgoing(ex.method, ex.raw_path, ex.auth)
        return self.send(Outgoing(sent.method, sent.raw_path, sent.auth, "replay", sent.headers, sent.body))

    def send(self, out: Outgoing) -> Exchange:
        return self.exchange(out)[0]

    def exchange(self, out: Outgoing) -> tuple[Exchange, bytes]:
        """The request sent and its answer read; with the answer's body as it came, masked (the gateway hands it on).
        An exchange that was sent joins the log; past the deadline nothing is sent and the exchange says why."""
        url = self.endpoint + out.raw_path.decode("latin-1")
        if self.deadline.passed:
            self._cut(out.phase)
            why = self.deadline.why
            return Exchange(
                out.method, url, out.auth, None, text=why, phase=out.phase, request=out, lost=Lost.NOT_SENT
            ), b""
        request = self._request(out)
        signed = request.headers.get("authorization")
        if signed:  # an AK/SK signature: masked wherever it shows, as the credential is
            self.secrets.add_authorization(signed)
        label = f"{out.method} {self.secrets.mask(url)}"
        try:
            response = self.patience.send(lambda: self._read(request), blips=out.phase != TOOL, label=label)
        except (httpx.HTTPError, ValueError) as exc:  # ValueError: a request httpx cannot send as it is
            if self.deadline.passed:  # waited for until the deadline: cut short by it, whatever the endpoint did
                self._cut(out.phase)
            kind, said = lost.of(exc, self.limits.seconds)
            said = self.secrets.mask(said)
            ex = Exchange(out.method, url, out.auth, None, text=said, phase=out.phase, request=out, lost=kind)
            return self._logged(ex), b""
        ex, content = self._answer(out, url, response)
        return self._logged(ex), content

    def _cut(self, phase: str) -> None:
        with self._lock:
            self.cut[phase] += 1

    def _answer(self, out: Outgoing, url: str, response: httpx.Response) -> tuple[Exchange, bytes]:
        """An answer as the run keeps it: every secret masked out, its body decoded within the bounds."""
        masked = sum(self.secrets.masked.values())
        content = self.secrets.mask_bytes(response.content)
        headers = {k.lower(): self.secrets.mask(v) for k, v in response.headers.items()}
        echoed = sum(self.secrets.masked.values()) - masked
        cut = bounds.refused(response)
        body, not_json = (None, "") if cut else bounds.decode(content, self.limits.depth)
        ex = Exchange(
            out.method,
            url,
            out.auth,
            response.status_code,
            headers,
            body,
            content[: bounds.TEXT_KEPT].decode("utf-8", "replace"),
            out.phase,
            response.elapsed.total_seconds(),
            cut or (not_json if content.strip() else ""),
            echoed,
            out,
        )
        return ex, content

    def throttled(self) -> list[Exchange]:
        """The first throttled answers patience waited out, as exchanges: judged for their shape only."""
        samples = []
        for response in self.patience.samples:
            raw = response.request.url.raw_path
            out = Outgoing(response.request.method, raw, VALID, "throttled")
            samples.append(self._answer(out, self.endpoint + raw.decode("latin-1"), response)[0])
        return samples

    def _read(self, request: httpx.Request) -> httpx.Response:
        seconds = min(self.limits.seconds, max(self.deadline.left(), 0.001))
        return bounds.read(self.client, request, self.limits, seconds)

    def _request(self, out: Outgoing) -> httpx.Request:
        headers = [(k, v) for k, v in out.headers if k.lower() not in HOP | OWN]
        url = httpx.URL(self.endpoint).copy_with(raw_path=out.raw_path)
        request = self.client.build_request(out.method, url, headers=headers, content=out.body or None)
        credential.apply(request, out.auth, self._credential, self.secrets.add)
        return request

    def _logged(self, ex: Exchange) -> Exchange:
        if ex.phase != TOOL:
            with self._lock:
                self._log.append(ex)
        return ex

    # --- what it sent -------------------------------------------------------------------------------------------

    @property
    def log(self) -> list[Exchange]:
        """Every exchange sent so far, in the order they were answered."""
        with self._lock:
            return list(self._log)

    def close(self) -> None:
        self.client.close()

    def __repr__(self) -> str:
        return f"Sender({self.endpoint}, {len(self._log)} sent)"
