"""How large a request body each page takes: ordinary forms 64 KB, unless the view says more with `@body_limit`.

Set on the request before anything reads its body, so Werkzeug refuses a larger one with 413 on its
Content-Length alone, and stops reading a chunked one (no Content-Length) at the limit: nobody can make a worker
hold hundreds of MB. A text field of a form with files stays within Flask's MAX_FORM_MEMORY_SIZE (500 KB; it
cannot be lower than Werkzeug's 64 KB read size). The photos of the product form are counted before any is
decoded (catalog.views).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, abort, current_app, render_template, request
from flask_babel import gettext as _

KB = 1024
MB = 1024 * KB
FORM = 64 * KB  # every form of ours, text only; also the text fields of a form with files
WEBHOOK = 1 * MB  # a payment gateway's event is a few KB

View = TypeVar("View", bound=Callable)


def body_limit(max_bytes: int) -> Callable[[View], View]:
    """This view takes bodies up to max_bytes (it takes files)."""

    def mark(view: View) -> View:
        # A function attribute, which the type system does not model; functools.wraps copies it onto the wrappers
        # (role_required...).
        view.body_limit = max_bytes  # type: ignore[attr-defined]
        return view

    return mark


def set_limits() -> None:
    """The limits of this request's view, before any hook reads the form (CSRF, the input checks)."""
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    limit = getattr(view, "body_limit", None) or current_app.config["MAX_CONTENT_LENGTH"]
    request.max_content_length = limit
    # No Content-Length (chunked): Werkzeug stops reading a form or raw body at the limit without a word and hands
    # on its start (a multipart body it refuses itself). Read it now (kept for the view); refuse it at the limit.
    chunked = request.content_length is None and request.method != "GET"
    if chunked and request.mimetype != "multipart/form-data" and len(request.get_data(cache=True)) >= limit:
        abort(413)


def too_large(_exc=None):
    """The 413 page: what was too large, in her language, and the way back to the form."""
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    limit = getattr(view, "body_limit", None)
    if limit:
        message = _("Those files are too large together (at most %(mb)d MB). Send fewer or smaller ones. "
                    "Nothing was saved.", mb=limit // MB)
    else:
        message = _("That was too large to send here. Nothing was saved.")
    back = request.full_path.rstrip("?") if request.url_rule and "GET" in (request.url_rule.methods or ()) else None
    return render_template("errors/error.html", code=413, message=message, back=back), 413


def install(app: Flask) -> None:
    """The limits, as the first hook of every request; the 413 page."""
    app.before_request_funcs.setdefault(None, []).insert(0, set_limits)
    app.register_error_handler(413, too_large)
