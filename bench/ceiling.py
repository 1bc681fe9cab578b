"""The ceiling beside each page in bench.pages: the same template rendered from memory, with no database work.

gunicorn serves `bench.ceiling:create_app()`: the real app plus `/_ceiling/<n>`. At start each worker fetches
the pages listed in HAAT_BENCH_PAGES (JSON) once through the app, keeps each page's template and the view's
own values (the ORM objects stay loaded), and `/_ceiling/<n>` renders page n again from them: the whole
request (proxy fix, session, language, CSRF token, compression) but no query.
"""

from __future__ import annotations

import json
import os

from flask import Flask, abort, render_template, template_rendered

from bench.serve import BROWSER_HEADERS
from market import create_app as create_real_app


def create_app() -> Flask:
    """The real app, with page n of HAAT_BENCH_PAGES also served from memory at /_ceiling/<n>."""
    app = create_real_app()
    with app.test_request_context():
        shared = {}
        app.update_template_context(shared)  # what the context processors add: made afresh at each render
    kept: list[tuple[str, dict]] = []

    def keep(_sender, template, context, **_extra):
        kept.append((template.name, {k: v for k, v in context.items() if k not in shared}))

    pages: list[tuple[str, dict]] = []

    @app.get("/_ceiling/<int:n>")
    def ceiling(n: int):
        if n >= len(pages):
            abort(404)
        template, context = pages[n]
        return render_template(template, **context)

    client = app.test_client()
    with template_rendered.connected_to(keep, app):
        for path in json.loads(os.environ.get("HAAT_BENCH_PAGES", "[]")):
            kept.clear()
            status = client.get(path, headers=BROWSER_HEADERS).status_code
            if status != 200 or not kept:
                raise RuntimeError(f"{path} answered {status}: it cannot be a ceiling page")
            pages.append(kept[-1])
    return app
