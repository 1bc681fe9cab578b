"""Serve a WSGI app on 127.0.0.1 in a thread, for an SDK to reach over real HTTP."""

from __future__ import annotations

import threading

from werkzeug.serving import make_server


class Served:
    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def __enter__(self) -> Served:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


def serve(app) -> Served:
    return Served(app)
