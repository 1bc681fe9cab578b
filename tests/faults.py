"""Gunicorn as a subprocess for the fault tests, with a worker that can be made to die, and a buyer's browser.

The server runs `market:create_app()` configured from HAAT_* variables as in production, but with HAAT_ENV left
at development: a production session cookie is Secure, which a client on plain http://127.0.0.1 never sends back.
It has one sync worker on a free port of 127.0.0.1, in its own process group, so stopping it stops only it.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from market import ROOT
from tests.conftest import PATIENCE, csrf_token

HOST = "127.0.0.1"
CONFIG = Path(__file__).with_name("faults_gunicorn.py")


def free_port() -> int:
    """A port nobody listens on now, on 127.0.0.1."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def children_of(pid: int) -> list[int]:
    """The processes whose parent is pid (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # gone meanwhile
            if stat[stat.rindex(")") + 2:].split()[1] == str(pid):
                found.append(int(entry.name))
    return found


class Gunicorn:
    """One gunicorn master with one sync worker serving the app; `arm()` makes its worker die at a chosen point."""

    def __init__(self, database_url: str, workdir: Path, **settings: str):
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        workdir.mkdir(parents=True, exist_ok=True)
        self.fault_file = workdir / "fault"
        self.fault_file.write_text("")
        self.log_path = workdir / "gunicorn.log"
        env = {**os.environ, "DATABASE_URL": database_url, "HAAT_SECRET_KEY": "fault-test-secret",
               "HAAT_PASSWORD_HASH_FAST": "true", "HAAT_MEDIA_DIR": str(workdir / "media"),
               "HAAT_SEARCH_INDEX_DIR": str(workdir / "search"), "HAAT_TEST_FAULT_FILE": str(self.fault_file),
               "HAAT_PAGE_CACHE_DIR": str(workdir / "pagecache"),
               **{f"HAAT_{k}": v for k, v in settings.items()}}
        env.pop("HAAT_ENV", None)
        cmd = [sys.executable, "-m", "gunicorn", "--chdir", str(ROOT), "-c", str(CONFIG), "--bind",
               f"{HOST}:{self.port}", "--workers", "1", "--worker-class", "sync", "--timeout", str(PATIENCE),
               "--graceful-timeout", "2", "--preload", "--log-level", "warning", "market:create_app()"]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT,  # noqa: S603
                                            start_new_session=True)
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise

    def worker_pid(self) -> int | None:
        """The pid of the (only) worker, or None while there is none."""
        pids = children_of(self.process.pid)
        return pids[0] if pids else None

    def wait_ready(self, not_pid: int | None = None, timeout: float = PATIENCE) -> int:
        """Until a worker (another than not_pid) answers /healthz; returns its pid."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited ({self.process.returncode}):\n{self.log_tail()}")
            pid = self.worker_pid()
            if pid is not None and pid != not_pid:
                try:
                    if requests.get(self.url + "/healthz", timeout=PATIENCE).status_code == 200:
                        return pid
                except requests.ConnectionError:
                    pass
            time.sleep(0.05)
        raise AssertionError(f"gunicorn did not answer /healthz in {timeout:.0f} s:\n{self.log_tail()}")

    def arm(self, trigger: str) -> None:
        """The worker dies at the next `sql:<statement prefix>` or `commit` (see tests/faults_gunicorn.py)."""
        self.fault_file.write_text(trigger)

    def fired(self) -> str:
        """What the worker hit before dying ("fired: ..."), or the trigger still armed, or ""."""
        return self.fault_file.read_text()

    def disarm(self) -> None:
        """No fault for the next requests."""
        self.fault_file.write_text("")

    def log_tail(self) -> str:
        """The end of gunicorn's log, to explain a failure."""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-30:])

    def stop(self) -> None:
        """Stop the master and its worker: the whole process group, by force if it does not stop at once."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # a worker the master left behind


class Browser:
    """A person's browser on the server: keeps cookies, never follows redirects."""

    def __init__(self, base_url: str):
        self.base = base_url
        self.http = requests.Session()

    def get(self, path: str) -> requests.Response:
        """GET a path of the server."""
        return self.http.get(self.base + path, allow_redirects=False, timeout=PATIENCE)

    def post(self, path: str, data: dict | None = None, **kwargs) -> requests.Response:
        """POST a form to a path of the server."""
        return self.http.post(self.base + path, data=data, allow_redirects=False, timeout=PATIENCE, **kwargs)

    def login(self, login: str, password: str) -> None:
        """Log in through the real form, CSRF token and all."""
        response = self.post("/auth/login", {"csrf_token": csrf_token(self.get("/auth/login").text),
                                             "login": login, "password": password})
        assert response.status_code == 302, response.text[:500]

    def close(self) -> None:
        """Close its connections."""
        self.http.close()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


def hidden(html: str, name: str) -> str:
    """The value of a hidden field of a rendered form."""
    match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html)
    assert match, f"no hidden field {name} on the page"
    return match.group(1)
