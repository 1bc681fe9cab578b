"""Haat: the application factory."""

from __future__ import annotations

import contextlib
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app, g, has_request_context, render_template, request, url_for
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from market.core import bodies, config, db, jobs, pagecache, security
from market.core.accounts import SEEN_EVERY, user_and_login_session
from market.core.config import LOCALES
from market.core.db import utcnow
from market.core.errors import Refusal, Unavailable
from market.core.extensions import babel, compress, csrf, limiter, login_manager
from market.core.i18n import install_template_gettext, locale_code, select_locale
from market.core.models import LoginSession
from market.core.money import format_count, format_inr
from market.core.notifications import unread_count
from market.core.pagecache import Watch
from vendors.states import state_name

ROOT = Path(__file__).resolve().parent.parent


class IdConverter(IntegerConverter):
    """`<int:...>` in a route: only numbers an integer column can hold, so a huge id is a 404, not a database error."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = db.MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: settings, database, extensions, blueprints, error pages, CLI."""
    app = Flask("market", instance_path=str(ROOT / "instance"), instance_relative_config=True,
                template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    app.url_map.converters["int"] = IdConverter  # before any route is added: every <int:...> uses it
    config.load(app, test_config)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(ROOT / "translations"))
    if app.config["PROXY_COUNT"]:
        # Flask's documented way to add WSGI middleware; its annotations see wsgi_app only as a method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=app.config["PROXY_COUNT"], x_proto=1)

    db.init_app(app)
    bodies.install(app)  # before any hook that reads a form
    security.install(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    install_template_gettext(app.jinja_env)  # after Flask-Babel's own: the same callables, cheaper per call
    limiter.init_app(app)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    compress.init_app(app)  # pages and static files, brotli or gzip as the browser accepts
    _register_page_cache(app)  # after Compress: it keeps the page before Compress compresses it
    _init_login(app)
    import market.flows  # noqa: F401  (the flows and the read models follow the domain events in every process:
    import market.reports  # noqa: F401  web, CLI, workers)
    from payments.gateways import init_app as init_payments

    init_payments(app)
    from payments import outbox

    outbox.install(app)  # refunds and transfers go to the gateway after the request's commit
    _register_blueprints(app)
    _register_static_caching(app)
    _register_template_helpers(app)
    _register_error_pages(app)

    from market.cli import register

    register(app)
    return app


def _init_login(app: Flask) -> None:
    # No context processor of its own: globals_for_templates() gives the templates current_user, a guest
    # when the database cannot load her, so that the error page still renders.
    login_manager.init_app(app, add_context_processor=False)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the login page says why on its own
    login_manager.session_protection = "basic"  # phones change addresses often; "strong" would log them out

    @login_manager.user_loader
    def load_user(user_id: str):
        ident, version, token = ([*user_id.split(":", 2), "", ""])[:3]
        if not (ident + version).isascii() or not ident.isdigit() or not version.isdigit() or len(ident) > 10:
            return None
        # Her account and this phone's login read in one query (logged out on the server: nothing opens).
        found = user_and_login_session(db.session, int(ident), token)
        if found is None:
            return None
        user, login_session_id, last_seen_at = found
        if not user.is_active or user.suspended_reason or user.session_version != int(version):
            return None
        user.login_token = token
        if last_seen_at < utcnow() - SEEN_EVERY:
            g.login_session_seen = login_session_id
        return user

    @app.after_request
    def note_login_session_seen(response):
        """When her session was last used, written after the page's own work (and its commit)."""
        seen = g.pop("login_session_seen", None)
        if seen is not None and response.status_code < 400:
            try:
                db.session.execute(sa.update(LoginSession).where(LoginSession.id == seen)
                                   .values(last_seen_at=utcnow()))
                db.session.commit()
            except sa.exc.SQLAlchemyError:  # a date we can do without: never fail the page for it
                db.session.rollback()
        return response


# The guest pages kept whole (market.core.pagecache), each with the versions it reads: "lists" for what cards,
# lists and shop pages show; product pages also "details" (each size's price and stock), search pages also
# "search" (what the search index has found since).
GUEST_PAGES = {
    "main.home": ("lists",),
    "catalog.browse_products": ("lists",),  # /shop and the categories' /c/<slug>
    "catalog.search": ("lists", "search"),
    "catalog.shop": ("lists",),
    "catalog.shops": ("lists",),
    "catalog.product": ("lists", "details"),
}


def _register_page_cache(app: Flask) -> None:
    """What changes a guest page: the tables its data comes from (a change there, committed by any process, makes
    every page reading it new), and besides its address, her language, Save-Data and the first visit's language
    panel. The CSRF token is cut out by the cache itself."""
    lists = Watch.every("lists")
    taxonomy = Watch.every("lists", settle="TAXONOMY_KEPT_FOR")  # each process keeps the categories a while
    watched = {
        "products": lists, "photos": lists, "businesses": lists, "self_help_groups": lists,
        "categories": taxonomy, "category_names": taxonomy,
        # The states in the filter: each process reads them again every catalog.views.STATES_KEPT_FOR seconds;
        # a state's first organisation (a few times a year) may wait that long and a kept page's life.
        "organisations": lists,
        "variants": Watch("lists", "details", "lists"),  # one more or fewer changes the cards' "from"
        "wholesale_tiers": Watch.every("details"),  # the card's "Wholesale" tag is the product's own column
        "search_queue": Watch(None, None, "search"),  # a row done: the search index has the change
    }
    pagecache.install(app, GUEST_PAGES, watched, vary=lambda: (locale_code(), save_data(), _ask_language()))


def _register_blueprints(app: Flask) -> None:
    from catalog import imports as product_imports
    from catalog.views import catalog, moderation_pages, products
    from market.admin import admin
    from market.dashboard_views import dashboards
    from market.export_jobs import EXPORT
    from market.export_jobs import JOB as EXPORT_JOB
    from market.job_views import job_pages
    from market.ondc.views import ondc
    from market.overview_views import overview
    from market.views import auth, main
    from orders.quote_views import quotes
    from orders.views import orders
    from payments.views import payments
    from vendors import onboarding_views
    from vendors.groupfund.views import groups
    from vendors.views import seller, staff

    for blueprint in (main, auth, admin, seller, staff, catalog, products, product_imports.imports, orders, quotes,
                      payments, dashboards, onboarding_views.pages, job_pages, moderation_pages,
                      overview, groups, ondc):
        app.register_blueprint(blueprint)
    # The long jobs each feature runs on market.core.jobs (its worker: flask --app market jobs-worker).
    jobs.register(product_imports.IMPORT, product_imports.JOB)
    jobs.register(onboarding_views.ONBOARDING, onboarding_views.JOB)
    jobs.register(onboarding_views.ONBOARDING_ADD, onboarding_views.ADD_JOB)
    jobs.register(EXPORT, EXPORT_JOB)  # large staff and admin exports (market.export_jobs)


def _register_static_caching(app: Flask) -> None:
    """Static URLs carry a hash of the file (?v=...), so browsers keep them for a year and a repeat visit
    downloads only the page; a changed file gets a new URL."""
    import hashlib
    from functools import cache

    static = Path(app.static_folder or ROOT / "static")  # create_app always sets it

    @cache
    def version(filename: str) -> str:
        path = static / filename
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.is_file() else ""

    @app.url_defaults
    def add_version(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            values["v"] = version(values["filename"]) if not app.debug else None

    @app.after_request
    def cache_versioned(response):
        if request.endpoint == "static" and request.args.get("v") and response.status_code == 200:
            response.cache_control.public = True
            response.cache_control.max_age = 365 * 24 * 3600
            response.cache_control.immutable = True
        if response.mimetype == "text/html":
            response.vary.add("Save-Data")  # pages offer smaller photos to a browser saving data
        return response


def save_data() -> bool:
    """The browser asks for less data (a phone's data saver): pages offer the smallest photos only."""
    return request.headers.get("Save-Data", "").strip().lower() == "on"


def _register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["inr"] = lambda paise: format_inr(paise, locale_code())
    app.jinja_env.filters["count"] = lambda n: format_count(n, locale_code())
    # One way to write a date on every page, in her language: "7 Dec 2026" and "7 Dec 2026, 9:14 pm" (India time).
    app.jinja_env.filters["day"] = lambda d: format_date(d, DAY)
    app.jinja_env.filters["when"] = lambda d: format_datetime(d, DAY + ", h:mm a")

    icons = url_for_static_icons(app)
    app.jinja_env.globals.update(icon=icons, state_name=state_name, LOCALES=LOCALES, save_data=save_data,
                                 url_for=kept_url_for(), language_links=language_links)

    @app.context_processor
    def globals_for_templates():
        unread = _header_data()
        return {"current_locale": locale_code(), "current_user": current_user, "unread_notifications": unread,
                "choose_language": _ask_language()}

    @app.after_request
    def remember_where_language_was_asked(response):
        """The first page that asked stays the one that asks (a reload, back): a cookie for this visit, no row."""
        asked = g.pop("language_asked_on", None)
        if asked is not None:
            response.set_cookie(LANGUAGE_ASKED, asked, samesite="Lax", httponly=True,
                                secure=app.config["ENV"] == "production")
        return response


DAY = "d MMM y"  # the date pattern of every page (Babel's month names in her language)
LANGUAGE_ASKED = "lang_asked"  # the path of the page that asked for her language, or "later" ("not now")


def _ask_language() -> bool:
    """Whether this page shows the big "Choose your language" panel: only the first page of a visit by someone
    who has not chosen, until she chooses or says "not now"; never the next pages (cart, checkout, payment)."""
    chosen = request.cookies.get("lang") in LOCALES or (current_user.is_authenticated and current_user.locale)
    if chosen or request.method != "GET":
        return False
    asked = request.cookies.get(LANGUAGE_ASKED)
    if asked is None:
        g.language_asked_on = request.path[:200]
        return True
    return asked == request.path[:200]


def _header_data(again: bool = False) -> int:
    """Load what every page's header needs from the database: the logged-in user (her role, her language) and
    her unread notifications count, which is returned. When the database cannot answer (it is down), she is a
    guest for the rest of this request and the count is 0, so that the error page can still be shown. Read once
    per request (a database that is down is not asked twice), unless asked `again` (after a rollback)."""
    if again or "header_unread" not in g:
        g.header_unread = _read_header_data()
    return g.header_unread


def _read_header_data() -> int:
    user = None
    try:
        user = current_user._get_current_object()  # Flask-Login's user loader queries
        if not user.is_authenticated:
            return 0
        if sa.inspect(user).expired_attributes:  # a rollback (the error page's) expired her
            db.session.refresh(user)
        return unread_count(db.session, user)
    except sa.exc.DBAPIError:  # OperationalError, InterfaceError...: the database unreachable or gone
        current_app.logger.warning("page header shown without the database", exc_info=True)
        # No rollback here: it would expire a user already loaded. The error page has rolled back before.
        if user is None or sa.inspect(user).expired_attributes:  # not loaded, or not again after the rollback
            g._login_user = login_manager.anonymous_user()  # Flask-Login's user of this request: a guest from now on
        return 0


def kept_url_for():
    """Templates' url_for: a link that is the same on every page this process serves (a static file, with its
    version; a page without arguments: the tabs, the header) is built once per script root and kept; any other
    by Flask's url_for. A page has ~30 of them, each ~25 µs through the router. A test holds them to Flask's."""
    kept: dict[tuple[str, str, str | None], str] = {}

    def template_url_for(endpoint: str, **values) -> str:
        fixed = not values or (endpoint == "static" and values.keys() == {"filename"})
        if not fixed or endpoint.startswith(".") or not has_request_context():
            return url_for(endpoint, **values)
        key = (request.script_root, endpoint, values.get("filename"))
        link = kept.get(key)
        if link is None:
            link = kept[key] = url_for(endpoint, **values)
        return link

    return template_url_for


def language_links(back: str) -> list[tuple[str, str, str]]:
    """(code, name, link) of each language for the header's chooser: the link to choose it, then come `back`.
    One pass through the router for the six: only the code differs, and codes need no quoting."""
    pattern = url_for("main.set_language", code="LOCALE", next=back)
    return [(code, name, pattern.replace("/LOCALE?", f"/{code}?", 1)) for code, name in LOCALES.items()]


def url_for_static_icons(app: Flask):
    """`icon(name)`: an inline reference to the local SVG sprite, hidden from screen readers."""
    from flask import url_for

    @cache
    def icon(name: str) -> Markup:  # the same for every request of this app: the sprite's URL is versioned
        href = url_for("static", filename="icons/icons.svg") + "#" + name
        return Markup('<svg class="icon" aria-hidden="true" focusable="false"><use href="%s"></use></svg>') % href

    return icon


def _register_error_pages(app: Flask) -> None:
    messages = {
        400: lambda: _("Something in that request was not right. Go back and try again."),
        403: lambda: _("This page is not open to your account."),
        404: lambda: _("We could not find that page."),
        405: lambda: _("That action is not allowed here."),
        429: lambda: _("Too many tries. For your safety, wait 15 minutes and try again."),
        500: lambda: _("Something went wrong on our side. Nothing was changed; please try again."),
    }

    def render(code: int):
        if code == 500:  # the page itself queries: a failed transaction (a dropped connection) must not fail it too
            with contextlib.suppress(sa.exc.SQLAlchemyError):  # nor a database that cannot even roll back
                db.session.rollback()
            # Her again (the rollback expired her), or a guest if the database is down: before the message picks
            # her language.
            _header_data(again=True)
        return render_template("errors/error.html", code=code, message=messages[code]()), code

    for code in messages:  # 413 is market.core.bodies'
        app.register_error_handler(code, lambda exc, code=code: render(code))

    @app.errorhandler(Unavailable)
    def unavailable(exc: Unavailable):
        """A provider (gateway, SMS, mail) that cannot be reached: nothing she did was wrong; try again soon."""
        current_app.logger.warning("%s on %s %s: %s", type(exc).__name__, request.method, request.path, exc)
        with contextlib.suppress(sa.exc.SQLAlchemyError):  # nothing half done is kept
            db.session.rollback()
        _header_data(again=True)
        back = request.path if request.method == "GET" else None  # the same page again, in a minute
        response = current_app.make_response((render_template("errors/error.html", code=503, message=exc.notice,
                                                               back=back), 503))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(Refusal)
    def refused(exc: Refusal):
        """A domain error no view caught: her request cannot be done, and the message says why (a view should
        rather show it on her form, as she filled it)."""
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            db.session.rollback()
        _header_data(again=True)
        return render_template("errors/error.html", code=400, message=str(exc)), 400

    @app.errorhandler(CSRFError)
    def csrf_failed(_exc):
        message = _("This form was open too long or came from elsewhere. Please fill it again.")
        return render_template("errors/error.html", code=400, message=message,
                               back=request.path), 400
