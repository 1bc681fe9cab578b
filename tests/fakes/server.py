"""Serve a WSGI app on 127.0.0.1 in a thread, for an SDK to reach over real HTTP (no pytest needed)."""

from __future__ import annotations

import threading
from types import TracebackType
from wsgiref.types import WSGIApplication

from werkzeug.serving import make_server

POLL_SECONDS = 0.02


class Served:
    """A WSGI app being served at `url` until `close()` (or the end of a `with` block)."""

    def __init__(self, app: WSGIApplication) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        # A short poll: shutdown() waits for the loop to look, and tests start and stop many servers.
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": POLL_SECONDS},
                                       name=f"serve {self.url}", daemon=True)
        self.thread.start()

    def close(self) -> None:
        """Stop serving, close the listening socket and wait for the thread."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def __enter__(self) -> Served:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


def serve(app: WSGIApplication) -> Served:
    """Start serving `app` on a free port of 127.0.0.1."""
    return Served(app)
