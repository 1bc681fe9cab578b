"""Language choice: the account's, else the remembered cookie, else the browser's, else Indian English."""

from __future__ import annotations

from flask import has_request_context, request
from flask_login import current_user

from market.config import LOCALES


def select_locale() -> str:
    """The locale for this request (Indian English outside a request: CLI, workers)."""
    if not has_request_context():
        return "en_IN"
    if current_user and current_user.is_authenticated and current_user.locale in LOCALES:
        return current_user.locale
    cookie = request.cookies.get("lang")
    if cookie in LOCALES:
        return cookie
    return request.accept_languages.best_match(list(LOCALES)) or "en_IN"
