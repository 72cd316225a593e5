"""Run the mock with uvicorn on 127.0.0.1, and start/stop it as a child process (the runner, end-to-end tests) or
in a thread of the calling process (tests that only need an endpoint: no start-up of a second interpreter)."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from cph_conformance import children
from cph_conformance.mock.catalog import DEFAULT_SIZE
from cph_conformance.spec import OPERATION_PATH, ROOT

if TYPE_CHECKING:
    import uvicorn

    from cph_conformance.mock.app import Settings

HOST = "127.0.0.1"


class PortUnavailable(OSError):
    """The port cannot be listened on (taken, or not one this user may bind)."""


def listen(port: int) -> socket.socket:
    """A socket bound to HOST:port (0: a free port); PortUnavailable, saying why, when it cannot be."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        raise PortUnavailable(f"cannot listen on {HOST}:{port}: {exc.strerror or exc}") from exc
    return sock


def serve(settings: Settings, port: int, announce: bool = False) -> None:
    """Serve in the foreground. Port 0 takes a free port; the first stdout line is the base URL either way."""
    # Imported here: processes that only start and stop the mock (the runner, tests) do not need the app.
    from cph_conformance.mock.app import create_app

    sock = listen(port)
    app = create_app(settings)
    base_url = f"http://{HOST}:{sock.getsockname()[1]}"
    print(base_url, flush=True)  # the first line, which child() reads
    if announce:  # `make mock` is for a person at a terminal: they need the project and token to call it
        print(
            f"CPH mock: {settings.images} images, fault: {settings.fault or 'none'}. Ctrl-C stops it. To test it,\n"
            f"  export CPH_BASE_URL={base_url} CPH_PROJECT_ID={settings.project_id}\n"
            f"and one credential (a run takes one at a time), a token:\n"
            f"  export CPH_AUTH_TOKEN={settings.token}\n"
            f"or an access key, whose requests are signed instead:\n"
            f"  export CPH_AK={settings.ak} CPH_SK={settings.sk}",
            file=sys.stderr,
            flush=True,
        )
    uvicorn_server(app).run(sockets=[sock])


def new_identity() -> tuple[str, str, str, str]:
    """A fresh project id, token, access key and secret key for one mock."""
    return secrets.token_hex(16), secrets.token_urlsafe(32), new_ak(), new_sk()


def new_ak() -> str:
    """An access key shaped like Huawei's: 20 upper-case letters and digits."""
    return secrets.token_hex(10).upper()


def new_sk() -> str:
    return secrets.token_urlsafe(30)


@dataclass(frozen=True)
class RunningMock:
    base_url: str
    project_id: str
    token: str = ""
    pid: int = 0
    ak: str = ""
    sk: str = ""

    def __repr__(self) -> str:  # the token and the AK/SK stay out of reprs and test reports
        return f"RunningMock(base_url={self.base_url!r}, project_id={self.project_id!r})"

    @property
    def images_url(self) -> str:
        return self.base_url + OPERATION_PATH.format(project_id=self.project_id)


@contextlib.contextmanager
def running(
    images: int = DEFAULT_SIZE, fault: str | None = None, timeout: float = 20.0, env: Mapping[str, str] | None = None
) -> Iterator[RunningMock]:
    """Start the mock in a child process on a free loopback port, wait until it answers, always stop it. The child
    gets env (else this process' environment) and the mock's own variables."""
    args = ["--port", "0", "--images", str(images), "--quiet", *(["--fault", fault] if fault else [])]
    with child("cph_conformance.mock", args, timeout, env) as mock:
        yield mock


@contextlib.contextmanager
def in_thread(images: int = DEFAULT_SIZE, fault: str | None = None) -> Iterator[RunningMock]:
    """The mock running() starts, served from a thread of this process instead; always stopped."""
    from cph_conformance.mock.app import Settings, create_app

    project_id, token, ak, sk = new_identity()
    settings = Settings(project_id=project_id, token=token, ak=ak, sk=sk, images=images, fault=fault)
    with serving_in_thread(create_app(settings)) as base_url:
        yield RunningMock(base_url=base_url, project_id=project_id, token=token, ak=ak, sk=sk)


@contextlib.contextmanager
def serving_in_thread(app: Any, timeout: float = 20.0) -> Iterator[str]:
    """Serve an ASGI app with uvicorn from a thread of this process, on a free loopback port; yields the base URL;
    always stopped."""
    sock = listen(0)
    server = uvicorn_server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="cph-mock", daemon=True)
    thread.start()
    stopped = False
    try:
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the mock's server stopped before it started")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the mock's server did not start within {timeout:.0f} s")
            time.sleep(0.005)
        yield f"http://{HOST}:{sock.getsockname()[1]}"
        stopped = True
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()
    if stopped and thread.is_alive():  # only when nothing else is on its way out
        raise RuntimeError(f"the mock's server did not stop within {timeout:.0f} s")


def uvicorn_server(app: Any) -> uvicorn.Server:
    """uvicorn quiet, without lifespan events, for the mock and other loopback apps. log_config=None: uvicorn's
    default configures logging again for every server, closing the process' handlers, from whichever thread."""
    import uvicorn  # here: the runner starts and stops mocks without ever needing it

    return uvicorn.Server(uvicorn.Config(app, log_level="error", access_log=False, lifespan="off", log_config=None))


@contextlib.contextmanager
def child(
    module: str, args: list[str], timeout: float = 20.0, env: Mapping[str, str] | None = None
) -> Iterator[RunningMock]:
    """Run `python -m module args` as a loopback server whose first stdout line is its base URL; always stop it.
    The child gets env (else this process' environment) and the mock's own variables."""
    project_id, token, ak, sk = new_identity()
    child_env = {
        **children.environment(env),  # no credential of the run's: the mock gets its own
        "CPH_MOCK_PROJECT_ID": project_id,
        "CPH_MOCK_TOKEN": token,
        "CPH_MOCK_AK": ak,
        "CPH_MOCK_SK": sk,
        # The project, and the client it answers with (cph_client.testing's engine), wherever it is run from.
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "generated")]),
    }
    # It ends with this process, whatever ends it (children.py), and is always stopped.
    with children.running([sys.executable, "-m", module, *args], child_env, stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        if not base_url.startswith(f"http://{HOST}:"):
            raise RuntimeError(f"{module} did not start (exit status {proc.wait(timeout)})")
        _wait_until_answering(base_url, proc, timeout)
        yield RunningMock(base_url=base_url, project_id=project_id, token=token, pid=proc.pid, ak=ak, sk=sk)


def _wait_until_answering(base_url: str, proc: subprocess.Popen[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(base_url + "/", timeout=1.0, trust_env=False)  # loopback: never through a proxy
            return
        except httpx.TransportError:
            if proc.poll() is not None:
                raise RuntimeError(f"the mock exited with status {proc.returncode} before answering") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"the mock did not answer on {base_url} within {timeout:.0f} s") from None
            time.sleep(0.05)
