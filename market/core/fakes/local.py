"""What every local fake shares: where it keeps its state, and the transport that reaches it in this process."""

from __future__ import annotations

import fcntl
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import requests
from werkzeug.test import Client as WSGIClient


class MemoryStore:
    """State in this process (tests). Changes are kept as made: handlers check everything before changing."""

    def __init__(self, empty: Callable[[], dict]) -> None:
        self.state = empty()
        self.lock = threading.Lock()

    @contextmanager
    def transaction(self) -> Iterator[dict]:
        """The state, held under the lock."""
        with self.lock:
            yield self.state


class FileStore:
    """State in a JSON file, changed under an exclusive `flock`, so that several processes share it (the demo)."""

    def __init__(self, path: Path | str, empty: Callable[[], dict]) -> None:
        self.path = Path(path)
        self.empty = empty
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.local = threading.Lock()  # threads of one process queue here, not on the file
        self.path.parent.mkdir(parents=True, exist_ok=True)

    @contextmanager
    def transaction(self) -> Iterator[dict]:
        """Load, lend and save the state under the lock; on an exception nothing is saved."""
        with self.local, self.lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                text = self.path.read_text() if self.path.exists() else ""
                state = json.loads(text) if text.strip() else self.empty()
                yield state
                # Written aside and renamed, so a crash never leaves half a file for the next reader.
                temporary = self.path.with_name(self.path.name + ".tmp")
                temporary.write_text(json.dumps(state))
                temporary.replace(self.path)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


class InProcess(requests.adapters.BaseAdapter):
    """A requests transport that hands the request to a WSGI app in this process (the demo's fakes)."""

    def __init__(self, app):
        super().__init__()
        self.app = app

    def send(self, request: requests.PreparedRequest, stream: bool = False,
             timeout: float | tuple[float | None, float | None] | None = None, verify: bool | str = True,
             cert: str | tuple[str, str] | None = None, proxies: dict[str, str] | None = None) -> requests.Response:
        assert request.url is not None  # requests prepares every request it sends with its URL
        url = urlsplit(request.url)
        body = request.body.encode() if isinstance(request.body, str) else request.body
        with WSGIClient(self.app).open(url.path, method=request.method, query_string=url.query,
                                       headers=dict(request.headers), data=body or b"") as answer:
            response = requests.Response()
            response.status_code = answer.status_code
            response._content = answer.get_data()
            response.headers = requests.structures.CaseInsensitiveDict(answer.headers)
        response.url, response.request, response.encoding = request.url, request, "utf-8"
        return response

    def close(self):
        pass
