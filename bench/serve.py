"""Shared by the load benchmarks: gunicorn serving the app on 127.0.0.1, and where the CPU went.

The server runs in its own session, so only it and its workers are stopped; the CPU figures come from
Linux's /proc (elsewhere they are 0).
"""

from __future__ import annotations

import argparse
import http.client
import os
import resource
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from bench.common import healthz_figure

HOST = "127.0.0.1"


# -- the server -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ServerSpec:
    worker_class: str
    workers: int
    threads: int

    @classmethod
    def parse(cls, text: str) -> ServerSpec:
        """`gthread:4:4` (class:workers:threads) or `sync:4`."""
        parts = text.split(":")
        if parts[0] not in ("sync", "gthread") or len(parts) not in (2, 3):
            raise argparse.ArgumentTypeError(f"{text!r}: use sync:WORKERS or gthread:WORKERS:THREADS")
        threads = int(parts[2]) if len(parts) == 3 else 1
        return cls(parts[0], int(parts[1]), threads if parts[0] == "gthread" else 1)

    def __str__(self) -> str:
        threads = f" --threads {self.threads}" if self.worker_class == "gthread" else ""
        return f"gunicorn -w {self.workers} -k {self.worker_class}{threads}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# Production refuses the demo SMS provider: a real one's settings, though the benchmarks send no message.
PRODUCTION_SMS = {"HAAT_SMS_PROVIDER": "twilio", "HAAT_TWILIO_ACCOUNT_SID": "ACbench",
                  "HAAT_TWILIO_AUTH_TOKEN": "bench", "HAAT_TWILIO_FROM": "+15005550006"}


class Server:
    """Gunicorn serving the app on 127.0.0.1, in its own session so only it and its workers are stopped."""

    def __init__(self, spec: ServerSpec, env: dict[str, str], workdir: Path, app: str = "market:create_app()"):
        """Start gunicorn on a free port with these HAAT_* settings (added to this process's environment)."""
        from market import ROOT

        self.spec, self.port = spec, free_port()
        self.log_path = workdir / f"gunicorn-{spec.worker_class}-{spec.workers}-{spec.threads}-{self.port}.log"
        cmd = [sys.executable, "-m", "gunicorn", "--chdir", str(ROOT), "--bind", f"{HOST}:{self.port}",
               "--workers", str(spec.workers), "--worker-class", spec.worker_class, "--threads", str(spec.threads),
               "--graceful-timeout", "5", "--log-level", "warning", app]
        self.log = self.log_path.open("wb")
        self.process = subprocess.Popen(cmd, env={**os.environ, **PRODUCTION_SMS, **env}, stdout=self.log,  # noqa: S603
                                        stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 60) -> None:
        """Until /healthz answers 200 and every worker has booted."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited ({self.process.returncode}):\n{self.log_tail()}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
                conn.request("GET", "/healthz")
                healthy = conn.getresponse().status == 200
                conn.close()
            except OSError:
                healthy = False
            booted = len(self.worker_pids()) >= self.spec.workers or not Path("/proc/self/stat").exists()
            if healthy and booted:
                return
            time.sleep(0.2)
        raise SystemExit(f"gunicorn did not answer /healthz in {timeout:.0f} s:\n{self.log_tail()}")

    def healthz_figure(self) -> str:
        """/healthz timed over one kept-alive connection to this server (see bench.common.healthz_figure)."""
        conn = http.client.HTTPConnection(HOST, self.port, timeout=10)

        def get(path: str) -> None:
            conn.request("GET", path)
            conn.getresponse().read()

        try:
            return healthz_figure(get)
        finally:
            conn.close()

    def worker_pids(self) -> list[int]:
        return children_of(self.process.pid)

    def log_tail(self) -> str:
        self.log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-30:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # gunicorn's master stops its workers on SIGTERM
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


# -- CPU accounting (Linux /proc; elsewhere the figures are 0) -----------------------------------------------

def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return [text[text.index("(") + 1:text.rindex(")")]] + text[text.rindex(")") + 2:].split()


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir() if Path("/proc/self/stat").exists() else []:
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields and fields[2] == str(pid):
                found.append(int(entry.name))
    return found


def cpu_of(pids: list[int]) -> float:
    """CPU seconds (user + system) the processes have used so far."""
    ticks = 0
    for pid in pids:
        fields = _stat(pid)
        if fields:
            ticks += int(fields[12]) + int(fields[13])
    return ticks / os.sysconf("SC_CLK_TCK")


def backend_pids(url: str) -> list[int]:
    """PostgreSQL's server processes for this database (not those serving other databases' work)."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        pids = list(conn.scalars(sa.text("SELECT pid FROM pg_stat_activity "
                                         "WHERE datname = current_database() AND pid <> pg_backend_pid()")))
    engine.dispose()
    return pids


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy so far (all cores, not idle nor waiting for disks)."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0.0
    return (sum(values[:8]) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


@dataclass
class CpuUse:
    """CPU seconds taken during the load, by whom."""

    wall: float
    gunicorn: float
    workers: list[float]
    postgres: float
    client: float
    busy: float  # the whole machine

    @property
    def other(self) -> float:
        return max(0.0, self.busy - self.gunicorn - self.postgres - self.client)

    def line(self) -> str:
        cores, w = os.cpu_count() or 1, self.wall
        return (f"CPU over {w:.1f} s, in cores: gunicorn {self.gunicorn / w:.2f} "
                f"(workers {' '.join(f'{x / w:.2f}' for x in sorted(self.workers, reverse=True))}), "
                f"postgres {self.postgres / w:.2f}, client {self.client / w:.2f}, "
                f"other processes {self.other / w:.2f}; "
                f"machine {self.busy / w / cores:.0%} busy of {cores} cores")


class CpuMeter:
    """Cores used by gunicorn, this database's PostgreSQL backends, this client, and everything else."""

    def __init__(self, server: Server, url: str, leave_out: int = 0):
        self.server, self.url, self.leave_out = server, url, leave_out

    def _backends(self) -> set[int]:
        if not self.url.startswith("postgresql"):
            return set()  # SQLite runs inside the workers: its CPU is theirs
        return set(backend_pids(self.url)) - {self.leave_out}

    def start(self) -> None:
        self.workers = {pid: cpu_of([pid]) for pid in self.server.worker_pids()}
        self.backends = {pid: cpu_of([pid]) for pid in self._backends()}
        self.master = cpu_of([self.server.process.pid])
        self.client = self._own()
        self.busy = machine_busy()
        self.started = time.perf_counter()

    @staticmethod
    def _own() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        return own.ru_utime + own.ru_stime

    def stop(self) -> CpuUse:
        wall = time.perf_counter() - self.started
        busy, client = machine_busy() - self.busy, self._own() - self.client
        workers = [cpu_of([pid]) - self.workers.get(pid, 0.0) for pid in self.server.worker_pids()]
        gunicorn = sum(workers) + cpu_of([self.server.process.pid]) - self.master
        postgres = sum(cpu_of([pid]) - self.backends.get(pid, 0.0) for pid in {*self.backends, *self._backends()})
        return CpuUse(wall, gunicorn, workers, postgres, client, busy)


# -- load -----------------------------------------------------------------------------------------------------

BROWSER_HEADERS = {  # what the TLS proxy passes on from a phone's browser (HAAT_PROXY_COUNT=1)
    "User-Agent": "haat-bench/1", "X-Forwarded-For": HOST, "X-Forwarded-Proto": "https",
    "Accept": "text/html", "Accept-Encoding": "gzip, br", "Accept-Language": "en-IN,en;q=0.8",
    "Connection": "close",  # one connection per request, as nginx opens to its upstream by default
}


@dataclass
class Load:
    """What `connections` clients got from a list of pages in a given time."""

    done: int
    errors: list[str]
    latencies_ms: list[float]  # sorted
    seconds: float
    served: int = 0  # every 200 answered, the warm-up's too: what the CPU measured over the whole load paid for

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0


def load(port: int, paths: list[str], connections: int, seconds: float, warmup: float = 1.0,
         cookie: str | None = None) -> Load:
    """`connections` clients GET the paths in turn, each as soon as its last answer came, for `seconds`; with
    `cookie`, as that logged-in browser."""
    headers = {**BROWSER_HEADERS, "Cookie": cookie} if cookie else BROWSER_HEADERS
    served = [0]
    stop_at = [0.0]
    results: list[tuple[list[float], list[str]]] = []
    start = threading.Barrier(connections + 1)

    def client(offset: int) -> None:
        times: list[float] = []
        errors: list[str] = []
        results.append((times, errors))
        start.wait()
        i = offset
        while (now := time.perf_counter()) < stop_at[0]:
            path = paths[i % len(paths)]
            i += 1
            conn = http.client.HTTPConnection(HOST, port, timeout=30)
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except OSError as exc:
                status = f"{type(exc).__name__}"
            finally:
                conn.close()
            if status == 200:
                served[0] += 1  # a lost update between threads is one page in thousands
                if stop_at[1] <= now and (end := time.perf_counter()) <= stop_at[0]:  # within the timed part
                    times.append((end - now) * 1000)
            elif len(errors) < 5:
                errors.append(f"GET {path}: {status}")

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(connections)]
    for t in threads:
        t.start()
    begun = time.perf_counter()
    stop_at[:] = [begun + warmup + seconds, begun + warmup]
    start.wait()
    for t in threads:
        t.join(timeout=warmup + seconds + 35)
    times = sorted(x for t, _e in results for x in t)
    errors = [e for _t, e in results for e in e]
    return Load(len(times), errors, times, seconds, served[0])
