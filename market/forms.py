"""Account forms. Field shape is checked here; rules that need the database live in services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from market.core.accounts import MAX_PASSWORD, AccountError, check_password_rules, parse_login
from market.core.i18n import HaatForm


def valid_login(_form, field) -> None:
    """The field holds a phone number or an e-mail address."""
    try:
        parse_login(field.data)
    except AccountError as exc:
        raise ValidationError(str(exc)) from exc


def strong_password(form, field) -> None:
    """The field holds a password that passes the rules (and is not her name or login, where the form has them)."""
    hints = tuple(form._fields[name].data for name in ("name", "login") if name in form._fields)
    try:
        check_password_rules(field.data or "", tuple(h if isinstance(h, str) else None for h in hints))
    except AccountError as exc:
        raise ValidationError(str(exc)) from exc


class LoginForm(HaatForm):
    login = StringField(_l("Phone number or e-mail"),
                        validators=[DataRequired(_l("Enter your phone number or e-mail."))],
                        render_kw={"autocomplete": "username", "inputmode": "email"})
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password.")),
                                                          Length(max=MAX_PASSWORD)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Keep me logged in on this phone"))
    next = HiddenField()


class SignupForm(HaatForm):
    name = StringField(_l("Your name"), validators=[DataRequired(_l("Tell us what to call you.")),
                                                    Length(max=100)],
                       render_kw={"autocomplete": "name"})
    login = StringField(_l("Phone number or e-mail"),
                        validators=[DataRequired(_l("Enter your phone number or e-mail.")), valid_login],
                        render_kw={"autocomplete": "username", "inputmode": "email"})
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Choose a password.")), strong_password],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Password again"),
                            validators=[EqualTo("password", _l("The two passwords are not the same."))],
                            render_kw={"autocomplete": "new-password"})
    business_name = StringField(_l("Your shop or business name (wholesale only)"), validators=[Length(max=120)])
    gstin = StringField(_l("GSTIN, if you have one"), validators=[Length(max=15)],
                        render_kw={"autocapitalize": "characters"})
    role = RadioField(_l("I want to"), default="buyer",
                      choices=[SelectChoice("buyer", _l("Buy for myself or my family")),
                               SelectChoice("wholesaler", _l("Buy in bulk for my shop or business"))])


class SignupCodeForm(HaatForm):
    code = StringField(_l("The 8-digit code we sent you"),
                       validators=[DataRequired(_l("Enter the code.")), Length(max=20)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class ForgotForm(HaatForm):
    login = StringField(_l("Phone number or e-mail"),
                        validators=[DataRequired(_l("Enter your phone number or e-mail.")), valid_login],
                        render_kw={"autocomplete": "username", "inputmode": "email"})


def phone_login(_form, field) -> None:
    """The field holds a phone number (codes to log in go by SMS only)."""
    try:
        kind = parse_login(field.data).kind
    except AccountError as exc:
        raise ValidationError(str(exc)) from exc
    if kind != "phone":
        raise ValidationError(_l("A code to log in goes by SMS: type the phone number you log in with."))


class CodeLoginForm(HaatForm):
    login = StringField(_l("Your phone number"),
                        validators=[DataRequired(_l("Enter your phone number.")), phone_login],
                        render_kw={"autocomplete": "username", "inputmode": "tel"})


class CodeForm(HaatForm):
    code = StringField(_l("The 6-digit code we sent you"),
                       validators=[DataRequired(_l("Enter the code.")), Length(max=20)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class ResetForm(HaatForm):
    code = StringField(_l("The 6-digit code we sent you"),
                       validators=[DataRequired(_l("Enter the code.")), Length(max=20)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})
    new = PasswordField(_l("New password"), validators=[DataRequired(_l("Choose a new password.")), strong_password],
                        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("New password again"),
                            validators=[EqualTo("new", _l("The two passwords are not the same."))],
                            render_kw={"autocomplete": "new-password"})


class PasswordForm(HaatForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(_l("Enter your current password."))],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField(_l("New password"), validators=[DataRequired(_l("Choose a new password.")), strong_password],
                        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("New password again"),
                            validators=[EqualTo("new", _l("The two passwords are not the same."))],
                            render_kw={"autocomplete": "new-password"})


class StaffForm(HaatForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=100)])
    login = StringField(_l("Phone number or e-mail"), validators=[DataRequired(_l("Enter a phone number or e-mail.")),
                                                                  valid_login])
    password = PasswordField(_l("First password"), validators=[DataRequired(_l("Choose a password.")),
                                                               strong_password],
                             render_kw={"autocomplete": "new-password"})
    organisations = SelectMultipleField(_l("Organisations this person may see"), coerce=int,
                                        validators=[DataRequired(_l("Choose at least one organisation."))],
                                        option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))


class EraseForm(HaatForm):
    confirm = BooleanField(_l("I understand: my name, phone number and e-mail are removed and I cannot log in again."),
                           validators=[DataRequired(_l("Tick the box to confirm."))])
    password = PasswordField(_l("Your password"), validators=[DataRequired(_l("Enter your password."))],
                             render_kw={"autocomplete": "current-password"})


class StaffEditForm(HaatForm):
    """A staff account's name, login and organisations, as an admin changes them."""

    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=100)])
    login = StringField(_l("Phone number or e-mail"), validators=[DataRequired(_l("Enter a phone number or e-mail.")),
                                                                  valid_login])
    organisations = SelectMultipleField(_l("Organisations this person may see"), coerce=int,
                                        option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))


class ProgrammeForm(HaatForm):
    name = StringField(_l("Name of the programme"), validators=[DataRequired(_l("Write a name.")), Length(max=120)])


class StateForm(HaatForm):
    state = SelectField(_l("State"), validators=[DataRequired(_l("Choose a state from the list."))])


class OrganisationForm(HaatForm):
    """A community organisation: where it is, where pickups happen, and the staff who see it."""

    name = StringField(_l("Name of the organisation"), validators=[DataRequired(_l("Write a name.")),
                                                                   Length(max=120)])
    state = SelectField(_l("State"), validators=[DataRequired(_l("Choose one of the programme's states (add the state "
                                                                 "first)."))])
    district = StringField(_l("District"), validators=[DataRequired(_l("Write the district.")), Length(max=80)])
    pickup_address = TextAreaField(_l("Pickup address (the organisation's office, never a member's home)"),
                                   validators=[DataRequired(_l("Write the pickup address.")), Length(max=300)])
    staff = SelectMultipleField(_l("Staff who see this organisation"), coerce=int,
                                option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))


class CategoryForm(HaatForm):
    """A category's English name and its name in each language (empty: the app's own translation, if any)."""

    trade = SelectField(_l("Trade"), coerce=int, validate_choice=False)
    english = StringField(_l("Name in English"), validators=[DataRequired(_l("Write the name in English.")),
                                                             Length(max=60)])
    hi = StringField("हिन्दी", validators=[Length(max=60)])
    mr = StringField("मराठी", validators=[Length(max=60)])
    ta = StringField("தமிழ்", validators=[Length(max=60)])
    te = StringField("తెలుగు", validators=[Length(max=60)])
    kn = StringField("ಕನ್ನಡ", validators=[Length(max=60)])
    bn = StringField("বাংলা", validators=[Length(max=60)])

    def names(self) -> dict[str, str]:
        """The name written for each language."""
        return {code: self[code].data or "" for code in ("hi", "mr", "ta", "te", "kn", "bn")}


class MergeForm(HaatForm):
    into = SelectField(_l("Merge into"), coerce=lambda v: int(v) if v not in ("", None) else None,
                       validators=[DataRequired(_l("Choose a category."))])


class SuspendForm(HaatForm):
    reason = StringField(_l("Reason (the buyer reads it)"), validators=[DataRequired(_l("Write the reason: the buyer "
                                                                                      "reads it.")),
                                                                      Length(max=300)])
