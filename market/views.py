"""Home, health, language, and the account pages (sign-up, login, logout, password)."""

from __future__ import annotations

import hashlib
import json
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import generate_csrf
from werkzeug.exceptions import HTTPException

from catalog.browse import Filters, listed_products
from catalog.services import root_categories
from catalog.views import after_withdrawal
from market.core import db
from market.core.accounts import (
    TAKEN,
    AccountError,
    AccountSuspended,
    account_key,
    authenticate,
    change_password,
    end_login_session,
    end_other_login_sessions,
    erase_account,
    export_account,
    finish_code_login,
    finish_reset,
    finish_signup,
    live_login_session,
    request_reset,
    request_signup,
    start_login_session,
)
from market.core.config import LOCALES
from market.core.db import utcnow
from market.core.errors import Refusal
from market.core.extensions import limiter
from market.core.models import Role
from market.core.notifications import (
    CHANNELS,
    EVENT_NAMES,
    EVENTS,
    SMS_EVENTS,
    Notification,
    choose_channels,
    chosen_channels,
    phone_subscribed,
    subscribe_phone,
    unsubscribe_phone,
)
from market.core.push import check_subscription, demo_service
from market.core.security import is_safe_next
from market.core.sms import demo_provider
from market.flows import erasure
from market.forms import (
    CodeForm,
    CodeLoginForm,
    EraseForm,
    ForgotForm,
    LoginForm,
    PasswordForm,
    ResetForm,
    SignupCodeForm,
    SignupForm,
)
from orders.invoices.models import GstinError
from orders.services import OrderError, apply_for_wholesale, check_wholesale_details
from vendors.services import export_member

main = Blueprint("main", __name__)
auth = Blueprint("auth", __name__, url_prefix="/auth")


@main.get("/")
def home():
    newest = listed_products(db.session, Filters(), None, None, per_page=12)
    return render_template("market/home.html", roots=root_categories(db.session), newest=newest.items)


@main.get("/healthz")
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        current_app.logger.exception("health check: database unreachable")
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}


SHELL = ("css/fonts.css", "css/haat.css", "icons/icons.svg", "icons/favicon.svg", "js/offline.js", "js/speak.js",
         "js/product-form.js")  # fonts are kept as pages use them: a phone downloads only its scripts'
# A seller's pages kept for no signal: what she needs to list products. Not her orders or money: on a shared
# phone nothing private should open for the next person.
KEPT_PAGES = ("/seller/", "/seller/products/", "/seller/products/new")


@main.get("/sw.js")
def service_worker():
    """The service worker, at the root so that it may serve every page."""
    shell = [url_for("static", filename=name) for name in SHELL]
    version = hashlib.sha256(" ".join(shell).encode()).hexdigest()[:12]
    response = make_response(render_template("market/sw.js", shell_files=shell, offline=url_for("main.offline"),
                                             kept_pages=KEPT_PAGES, version=version,
                                             icon=url_for("static", filename="icons/favicon.svg")))
    response.mimetype = "text/javascript"
    response.headers["Cache-Control"] = "no-cache"
    return response


@main.get("/offline")
def offline():
    return render_template("market/offline.html")


@main.get("/demo/sms")
def demo_phone():
    """The demo's phone: the text messages the demo SMS provider received, newest first (the notify worker,
    which `make run` starts, sends them). Only with the demo provider, which production refuses to start with:
    anywhere else this page does not exist. Reading it changes nothing."""
    if current_app.config["SMS_PROVIDER"] != "demo":
        abort(404)
    fake, _ids = demo_provider()
    push = demo_service()
    alerts = [{**m, **_alert_text(m["text"])} for m in reversed(push.received())][:30] if push else []
    response = make_response(render_template("market/demo_sms.html", messages=list(reversed(fake.messages()))[:30],
                                             alerts=alerts))
    response.headers["Cache-Control"] = "no-store"
    return response


def _alert_text(text: str) -> dict:
    try:
        alert = json.loads(text)
    except ValueError:
        return {"title": text, "body": ""}
    return {"title": str(alert.get("title", "")), "body": str(alert.get("body", ""))}


@main.post("/demo/push/subscribe")
@login_required
def demo_push_subscribe():
    """The demo's push service gives this browser a subscription, as a phone's own push service would (used when
    the browser cannot reach its own: headless, or no network). Not in production."""
    push = demo_service()
    if push is None or not current_app.config["VAPID_PUBLIC_KEY"]:
        abort(404)
    return push.subscribe(current_app.config["VAPID_PUBLIC_KEY"])


@main.post("/language/<code>")
def set_language(code: str):
    """The language chooser's buttons (a form, so no link or GET changes her language; works without JavaScript)."""
    if code not in LOCALES:
        abort(404)
    if current_user.is_authenticated:
        current_user.locale = code
        db.session.commit()
    target = request.args.get("next")
    response = redirect(target if is_safe_next(target) and _opens_by_link(target) else url_for("main.home"))
    response.set_cookie("lang", code, max_age=60 * 60 * 24 * 365, samesite="Lax", httponly=True,
                        secure=current_app.config["ENV"] == "production")
    return response


@main.post("/language/later")
def language_later():
    """ "Not now" on the first page's language panel: it is not shown again (the header's chooser stays)."""
    target = request.args.get("next")
    response = redirect(target if is_safe_next(target) and _opens_by_link(target) else url_for("main.home"))
    response.set_cookie("lang_asked", "later", max_age=60 * 60 * 24 * 365, samesite="Lax", httponly=True,
                        secure=current_app.config["ENV"] == "production")
    return response


def _opens_by_link(path: str) -> bool:
    """Whether a link can open the path: not a page shown in answer to a form (the demo gateway's, say), whose
    address answers only a POST."""
    try:
        current_app.url_map.bind("localhost").match(urlsplit(path).path, method="GET")
    except HTTPException:
        return False
    return True


def home_for(user) -> str:
    """Where each role lands after logging in."""
    return {
        Role.ENTREPRENEUR: url_for("seller.home"),
        Role.STAFF: url_for("staff.home"),
        Role.ADMIN: url_for("admin.home"),
    }.get(user.role, url_for("main.home"))


def log_in(user, remember: bool = False) -> None:
    """Log her in on this phone: a new server-side login session (ended by logging out), a fresh cookie session
    (no fixation) and a CSRF token made now, not by whichever of two parallel first requests comes last. Commits."""
    start_login_session(db.session, user)
    db.session.commit()
    session.clear()
    login_user(user, remember=remember)
    generate_csrf()


def _login_key() -> str:
    return "login:" + account_key(request.form.get("login", ""))


def _login_failed(_response) -> bool:
    return bool(g.get("login_failed"))


@auth.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"],
               deduct_when=_login_failed, scope="login-address")
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"],
               key_func=_login_key, deduct_when=_login_failed, scope="login-account")
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = authenticate(db.session, form.login.data, form.password.data)
        except AccountSuspended as exc:  # the right password: she is told why she cannot log in
            flash(str(exc), "error")
            return render_template("market/login.html", form=form)
        if user is None:
            g.login_failed = True
            flash(_("That phone number or e-mail and password do not match."), "error")
        else:
            if user.locale is None and request.cookies.get("lang") in LOCALES:
                user.locale = request.cookies["lang"]  # the language she chose before logging in, from now on
            log_in(user, remember=form.remember.data)
            target = form.next.data
            return redirect(target if is_safe_next(target) else home_for(user))
    return render_template("market/login.html", form=form)


def _signup_key() -> str:
    return "signup:" + account_key(request.form.get("login", ""))


def _signup_asked(_response) -> bool:
    return bool(g.get("signup_asked"))


@auth.route("/signup", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGNUP_LIMIT_PER_ADDRESS"], methods=["POST"],
               deduct_when=_signup_asked, scope="signup-address")
@limiter.limit(lambda: current_app.config["SIGNUP_LIMIT_PER_LOGIN"], methods=["POST"],
               key_func=_signup_key, deduct_when=_signup_asked, scope="signup-login")
def signup():
    """Sign-up asks for a code sent to the phone or e-mail, and answers alike whether it has an account or not."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = SignupForm()
    if form.validate_on_submit():
        role = Role(form.role.data)
        try:
            business_name, gstin = check_wholesale_details(form.business_name.data or "", form.gstin.data) \
                if role == Role.WHOLESALER else ("", None)
        except GstinError as exc:  # under the GSTIN, which is what is wrong
            form.gstin.errors.append(str(exc))
        except OrderError as exc:
            form.business_name.errors.append(str(exc))
        else:
            g.signup_asked = True
            try:
                login = request_signup(db.session, name=form.name.data, login=form.login.data,
                                       password=form.password.data, role=role, business_name=business_name,
                                       gstin=gstin or "",
                                       locale=request.cookies.get("lang") if request.cookies.get("lang") in LOCALES
                                       else None)
                db.session.commit()
            except AccountError as exc:
                db.session.rollback()
                form.login.errors.append(str(exc))
                return render_template("market/signup.html", form=form)
            except sa.exc.IntegrityError:  # the same sign-up sent twice at once: the other one's code stands
                db.session.rollback()
                login = account_key(form.login.data)
            session["signup_login"] = login
            return redirect(url_for("auth.signup_code"))
    return render_template("market/signup.html", form=form)


@auth.route("/signup/code", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"],
               deduct_when=_login_failed, scope="signup-code-address")
def signup_code():
    """The code sent to her phone or e-mail makes the account and logs her in."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    login = session.get("signup_login")
    if not login:
        return redirect(url_for("auth.signup"))
    form = SignupCodeForm()
    if form.validate_on_submit():
        try:
            user, pending = finish_signup(db.session, login, form.code.data)
            if user.role == Role.WHOLESALER:
                apply_for_wholesale(db.session, user, pending.business_name, pending.gstin or None)
        except AccountError as exc:
            db.session.commit()  # a wrong code counts as a try
            g.login_failed = True
            form.code.errors.append(str(exc))
        except sa.exc.IntegrityError:  # another sign-up for this login finished first
            db.session.rollback()
            form.code.errors.append(str(TAKEN))
        else:
            log_in(user)
            flash(_("Welcome to Haat! Your account is ready."), "success")
            return redirect(home_for(user))
    return render_template("market/signup_code.html", form=form, login=login)


def _reset_key() -> str:
    return "reset:" + account_key(request.form.get("login", ""))


def _reset_asked(_response) -> bool:
    return bool(g.get("reset_asked"))


# Codes sent by SMS or e-mail ("forgot password", and a seller's code to log in) count together, per number
# however it is typed and per address: one pair of limits shared by both pages.
codes_per_address = limiter.shared_limit(lambda: current_app.config["RESET_LIMIT_PER_ADDRESS"], "reset-address",
                                         methods=["POST"], deduct_when=_reset_asked)
codes_per_login = limiter.shared_limit(lambda: current_app.config["RESET_LIMIT_PER_LOGIN"], "reset-login",
                                       methods=["POST"], key_func=_reset_key, deduct_when=_reset_asked)


@auth.route("/forgot", methods=["GET", "POST"])
@codes_per_address
@codes_per_login
def forgot():
    """'Forgot password': a code to her phone or e-mail. The same answer whether it has an account or not."""
    if current_user.is_authenticated:  # she knows it, or changes it on her account page
        return redirect(url_for("auth.account"))
    form = ForgotForm()
    if form.validate_on_submit():
        g.reset_asked = True
        session["reset_login"] = request_reset(db.session, form.login.data)
        db.session.commit()
        return redirect(url_for("auth.reset"))
    return render_template("market/forgot.html", form=form)


@auth.route("/login/code", methods=["GET", "POST"])
@codes_per_address
@codes_per_login
def login_code():
    """A seller logs in with a code by SMS instead of her password. The same answer whether the number has a
    seller's account or not."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = CodeLoginForm()
    if form.validate_on_submit():
        g.reset_asked = True
        session["code_login"] = request_reset(db.session, form.login.data, purpose="login")
        db.session.commit()
        return redirect(url_for("auth.login_code_enter"))
    return render_template("market/login_code.html", form=form)


@auth.route("/login/code/enter", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"],
               deduct_when=_login_failed, scope="login-code-address")
def login_code_enter():
    """The code from her phone logs her in (once; 10 minutes, 5 tries)."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    login = session.get("code_login")
    if not login:
        return redirect(url_for("auth.login_code"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            user = finish_code_login(db.session, login, form.code.data)
        except AccountError as exc:
            db.session.commit()  # a wrong code counts as a try
            g.login_failed = True
            form.code.errors.append(str(exc))
        else:
            session.pop("code_login", None)
            log_in(user)
            return redirect(home_for(user))
    return render_template("market/login_code_enter.html", form=form, login=login)


@auth.route("/forgot/code", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"],
               deduct_when=_login_failed, scope="reset-code-address")
def reset():
    """The code from her phone or e-mail and a new password: she is logged in here, and out everywhere else."""
    login = session.get("reset_login")
    if not login:
        return redirect(url_for("auth.forgot"))
    form = ResetForm()
    if form.validate_on_submit():
        try:
            user = finish_reset(db.session, login, form.code.data, form.new.data)
        except AccountError as exc:
            db.session.commit()  # a wrong code counts as a try
            g.login_failed = True
            form.code.errors.append(str(exc))
        else:
            session.pop("reset_login", None)
            log_in(user)
            flash(_("Your new password is saved. Every other phone and computer is logged out."), "success")
            return redirect(home_for(user))
    return render_template("market/reset.html", form=form, login=login)


@auth.post("/logout")
def logout():
    if current_user.is_authenticated:
        end_login_session(db.session, current_user)
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have logged out."), "success")
    return redirect(url_for("main.home"))


@auth.post("/logout-others")
@login_required
def logout_others():
    """A phone lost, or shared: every other phone and computer logged in to her account is logged out."""
    end_other_login_sessions(db.session, current_user)
    db.session.commit()
    flash(_("Every other phone and computer is logged out. This one stays logged in."), "success")
    return redirect(url_for("auth.account"))


@auth.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            change_password(db.session, current_user, form.current.data, form.new.data)
        except AccountError as exc:
            form.current.errors.append(str(exc))
        else:
            db.session.commit()
            login_user(current_user._get_current_object())  # re-issue the session with the new version
            flash(_("Your password is changed. Other phones and computers are logged out."), "success")
            return redirect(url_for("auth.account"))
    this_login = live_login_session(db.session, current_user.id, current_user.login_token)
    return render_template("market/account.html", form=form, alerts=chosen_channels(db.session, current_user),
                           event_names=EVENT_NAMES, sms_events=SMS_EVENTS,
                           push_key=current_app.config["VAPID_PUBLIC_KEY"],
                           push_on=phone_subscribed(db.session, this_login),
                           demo_push=demo_service() is not None)


@auth.post("/account/phone-alerts")
@login_required
def phone_alerts_on():
    """Alerts on this phone: the subscription its browser made (JSON, from static/js/alerts.js) is kept for this
    login."""
    this_login = live_login_session(db.session, current_user.id, current_user.login_token)
    if this_login is None or not current_app.config["VAPID_PUBLIC_KEY"]:
        abort(404)
    data = request.get_json(force=True, silent=True)  # whatever the content type: a JSON body, or nothing
    try:
        endpoint, p256dh, auth_secret = check_subscription(data, current_app.config["ENV"] == "production")
    except Refusal as exc:
        return {"message": str(exc)}, 400
    subscribe_phone(db.session, current_user, this_login, endpoint, p256dh, auth_secret)
    db.session.commit()
    flash(_("Alerts are on for this phone."), "success")
    return {"message": "ok"}


@auth.post("/account/phone-alerts/off")
@login_required
def phone_alerts_off():
    """No more alerts on this phone (a plain form: works without JavaScript)."""
    this_login = live_login_session(db.session, current_user.id, current_user.login_token)
    if this_login is not None:
        unsubscribe_phone(db.session, this_login)
        db.session.commit()
    flash(_("Alerts are off for this phone."), "success")
    return redirect(url_for("auth.account") + "#alerts")


@auth.post("/account/alerts")
@login_required
def alerts():
    """Which kinds of event reach her phones (push), by SMS or e-mail (always in the app too)."""
    choose_channels(db.session, current_user, {event: {channel for channel in CHANNELS
                                                       if request.form.get(f"{event}-{channel}")}
                                               for event in EVENTS})
    db.session.commit()
    flash(_("Saved: you get these alerts as you chose."), "success")
    return redirect(url_for("auth.account"))


@auth.get("/my-data")
@login_required
def my_data():
    data = {"account": export_account(current_user), "member": export_member(db.session, current_user)}
    response = jsonify(data)
    response.headers["Content-Disposition"] = "attachment; filename=haat-my-data.json"
    response.headers["Cache-Control"] = "no-store"
    return response


@auth.route("/erase", methods=["GET", "POST"])
@login_required
def erase():
    form = EraseForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            erase_account(db.session, user, form.password.data)
        except AccountError as exc:
            db.session.rollback()
            form.password.errors.append(str(exc))
            return render_template("market/erase.html", form=form)
        try:
            photo_keys = erasure.erase(db.session, user)
        except AccountError as exc:  # orders still open in her shop
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            after_withdrawal(photo_keys)
            logout_user()
            session.clear()
            flash(_("Your account and your personal details are erased."), "success")
            return redirect(url_for("main.home"))
    return render_template("market/erase.html", form=form)


@auth.get("/notifications")
@login_required
def notifications():
    """Her notifications, the new ones marked; reading the page changes nothing (the button below does)."""
    items = db.session.scalars(sa.select(Notification).where(Notification.user_id == current_user.id)
                               .order_by(Notification.id.desc()).limit(50)).all()
    unread = {n.id for n in items if n.read_at is None}
    return render_template("market/notifications.html", items=items, unread=unread,
                           upto=max(unread) if unread else None)


@auth.post("/notifications/read")
@login_required
def notifications_read():
    """Mark as read the notifications the page showed (up to its newest): one that came since stays new."""
    upto = request.form.get("upto", "")
    if upto.isascii() and upto.isdigit() and len(upto) <= 10:
        db.session.execute(sa.update(Notification).where(Notification.user_id == current_user.id,
                                                         Notification.id <= int(upto),
                                                         Notification.read_at.is_(None)).values(read_at=utcnow()))
        db.session.commit()
    return redirect(url_for("auth.notifications"))
