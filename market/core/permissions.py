"""Role checks for views: anonymous users go to login, the wrong role gets 403."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from market.core.extensions import login_manager
from market.core.models import Role


def role_required(*roles: Role):
    """Let only logged-in users with one of these roles through."""
    allowed = {str(r) for r in roles}

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
