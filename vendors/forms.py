"""Forms for her financial plan: a loan, a goal, the shares of each sale, a cash repayment, the group's saving."""

from __future__ import annotations

from decimal import Decimal
from typing import overload

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    DecimalField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import EqualTo, InputRequired, Length, NumberRange, Optional, StopValidation

from catalog.forms import NUMERIC, RupeeField
from market.core.accounts import MAX_PASSWORD
from market.core.i18n import HaatForm


def finite(_form, field) -> None:
    """Refuse NaN and infinity, which Decimal parses: NumberRange cannot compare a signalling NaN (it raises)."""
    if field.data is not None and not field.data.is_finite():
        raise StopValidation(field.gettext("Not a valid decimal value."))


@overload
def bps(percent: Decimal) -> int: ...
@overload
def bps(percent: None) -> None: ...
def bps(percent: Decimal | None) -> int | None:
    """12.5 (per cent) -> 1250 basis points."""
    return None if percent is None else int(percent * 100)


class LoanForm(HaatForm):
    source = RadioField(_l("Where is the loan from?"), validators=[InputRequired(_l("Choose one."))], choices=[
        SelectChoice("shg", _l("My SHG (internal loan)")), SelectChoice("bank", _l("Bank (linkage loan)")),
        SelectChoice("seed", _l("Seed fund")), SelectChoice("other", _l("Other"))])
    lender = StringField(_l("Lender's name (optional)"), validators=[Optional(), Length(max=120)])
    principal = RupeeField(_l("Amount borrowed (₹)"), validators=[InputRequired(_l("Write the amount borrowed."))])
    rate = DecimalField(_l("Interest per year (%)"), places=2, render_kw={"inputmode": "decimal"},
                        validators=[InputRequired(_l("Write the rate, like 12.")), finite, NumberRange(0, 60)])
    method = RadioField(_l("How is interest counted?"), default="declining", choices=[
        SelectChoice("declining", _l("On what is still owed (reducing balance)")),
        SelectChoice("flat", _l("On the whole amount (flat)"))])
    tenure = IntegerField(_l("Months to repay"), validators=[InputRequired(_l("Write the number of months.")),
                                                              NumberRange(1, 360)], render_kw=NUMERIC)
    start = DateField(_l("Date the loan was given"), validators=[InputRequired(_l("Choose the date."))])
    late_fee = RupeeField(_l("Fine for a late instalment (₹, optional)"))
    # A loan she was already repaying before Haat: either of these, and optionally when she paid the last.
    paid_instalments = IntegerField(_l("Instalments already paid"), validators=[Optional(), NumberRange(0, 360)],
                                    render_kw=NUMERIC)
    owed = RupeeField(_l("Or: amount still owed, without interest (₹)"))
    last_paid = DateField(_l("Last instalment paid on (optional)"), validators=[Optional()])


class GoalForm(HaatForm):
    kind = RadioField(_l("What is it for?"), validators=[InputRequired(_l("Choose one."))], choices=[
        SelectChoice("emergency", _l("Emergency fund")), SelectChoice("school", _l("School fees")),
        SelectChoice("stock", _l("Stock for the festival season")), SelectChoice("other", _l("Something else"))])
    title = StringField(_l("Name it (optional)"), validators=[Optional(), Length(max=80)])
    target = RupeeField(_l("How much (₹)"), validators=[InputRequired(_l("Write how much you need."))])
    target_date = DateField(_l("By when"), validators=[InputRequired(_l("Choose the date."))])


class RepaymentForm(HaatForm):
    amount = RupeeField(_l("Amount paid (₹)"), validators=[InputRequired(_l("Write the amount."))])
    paid_on = DateField(_l("Paid on"), validators=[InputRequired(_l("Choose the date."))])


class SavingForm(HaatForm):
    monthly = RupeeField(_l("Monthly saving per member (₹)"), validators=[InputRequired()])


class OnboardingForm(HaatForm):
    organisation = SelectField(_l("Community organisation"), coerce=int,
                               validators=[InputRequired(_l("Choose the organisation."))])
    csv_file = FileField(_l("Groups and members (CSV file)"), validators=[FileRequired(_l("Choose the CSV file."))],
                         render_kw={"accept": ".csv,text/csv"})


class WelcomeForm(HaatForm):
    phone = StringField(_l("Your mobile number"), validators=[InputRequired(_l("Enter your mobile number."))],
                        render_kw={"autocomplete": "username", "inputmode": "tel"})
    code = StringField(_l("The 8-digit code from your field worker"),
                       validators=[InputRequired(_l("Enter the code.")), Length(max=20)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})
    password = PasswordField(_l("Choose a password"), validators=[InputRequired(_l("Choose a password.")),
                                                                  Length(max=MAX_PASSWORD)],
                             render_kw={"autocomplete": "new-password"})
    again = PasswordField(_l("The same password again"),
                          validators=[EqualTo("password", _l("The two passwords are not the same."))],
                          render_kw={"autocomplete": "new-password"})


class GroupForm(HaatForm):
    """An SHG's name, area and the day it was formed (staff write them)."""

    name = StringField(_l("Name of the SHG"), validators=[InputRequired(_l("Write a name.")), Length(max=120)])
    area = StringField(_l("Area or village"), validators=[InputRequired(_l("Write the area.")), Length(max=120)])
    formed_on = DateField(_l("Formed on (if known)"), validators=[Optional()])


class MoveForm(HaatForm):
    """The SHG a member moves to."""

    group = SelectField(_l("Move to this SHG"), coerce=int, validators=[InputRequired(_l("Choose an SHG."))])
