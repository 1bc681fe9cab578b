"""Every form, fed anything a browser (or an attacker) can send: text in any script, huge, empty, repeated,
NUL bytes, numbers out of range, files where text is expected. Nothing raises, every message is text, and a
form that validates holds only values within the limits its validators declare.

Each form is filled from a POST request context, as its view fills it (files and fields together), of an app
that never opens its database: no HTTP client, no view, so a few thousand posts take seconds.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage, MultiDict
from wtforms import DateField, DecimalField, FieldList, FormField, IntegerField, SelectFieldBase, SelectMultipleField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, NumberRange, Optional, Regexp

from catalog.forms import HideForm, ImportForm, ProductForm, ReportForm, RupeeField, ShopForm
from market import create_app
from market.core.config import LOCALES
from market.core.i18n import HaatForm
from market.core.money import MAX_PAISE
from market.forms import (
    CategoryForm,
    CodeForm,
    CodeLoginForm,
    EraseForm,
    ForgotForm,
    LoginForm,
    MergeForm,
    OrganisationForm,
    PasswordForm,
    ProgrammeForm,
    ResetForm,
    SignupCodeForm,
    SignupForm,
    StaffEditForm,
    StaffForm,
    StateForm,
    SuspendForm,
)
from orders.forms import AddToCartForm, CheckoutForm, MessageForm
from payments.forms import SaleForm
from tests.conftest import TEST_CONFIG, examples
from vendors.forms import (
    GoalForm,
    GroupForm,
    LoanForm,
    MoveForm,
    OnboardingForm,
    RepaymentForm,
    SavingForm,
    WelcomeForm,
    bps,
)

FORMS = [ImportForm, ProductForm, ShopForm, EraseForm, LoginForm, PasswordForm, SignupForm, StaffForm, AddToCartForm,
         CheckoutForm, MessageForm, SaleForm, GoalForm, LoanForm, OnboardingForm, RepaymentForm, SavingForm,
         WelcomeForm, SignupCodeForm, ForgotForm, ResetForm, CodeLoginForm, CodeForm, StaffEditForm, ProgrammeForm,
         StateForm, OrganisationForm, CategoryForm, MergeForm, SuspendForm, ReportForm, HideForm, GroupForm, MoveForm]
SETTINGS = settings(max_examples=examples(30), derandomize=True)  # a form per example: a third of the profile's


class Shop:
    """What ProductForm.set_choices and SaleForm.offer read of a business, a category or a variant."""

    def __init__(self, ident: int, name: str = "Shop", trade: str = "food"):
        self.id, self.public_name, self.name, self.trade, self.label = ident, name, name, trade, ""
        self.product = self.parent = self
        self.title = name
        self.price_paise = 12_000  # a variant's price (SaleForm.offer shows it and fills the amount from it)


def offer_choices(form: HaatForm) -> None:
    """The choices the views fill in before validating (their shops, categories, organisations)."""
    if isinstance(form, ProductForm):
        form.set_choices([Shop(1), Shop(2)], [Shop(10, "Papad"), Shop(11, "Kurtis", "garments")])
    elif isinstance(form, SaleForm):
        form.offer([Shop(1)], [Shop(5, "Pickle")])
    elif isinstance(form, StaffForm):
        form.organisations.choices = [(1, "Org A"), (2, "Org B")]
    elif isinstance(form, OnboardingForm):
        form.organisation.choices = [(1, "Org A")]
    elif isinstance(form, StaffEditForm):
        form.organisations.choices = [(1, "Org A"), (2, "Org B")]
    elif isinstance(form, StateForm):
        form.state.choices = [("", "Choose"), ("KA", "Karnataka")]
    elif isinstance(form, OrganisationForm):
        form.state.choices = [("", "Choose"), ("MH", "Maharashtra")]
        form.staff.choices = [(3, "Asha")]
    elif isinstance(form, CategoryForm):
        form.trade.choices = [(1, "Garments")]
    elif isinstance(form, MergeForm):
        form.into.choices = [("", "Choose"), (5, "Sarees")]
    elif isinstance(form, (ReportForm, HideForm)):
        form.reason.choices = [("", "Choose"), ("contact", "Contact"), ("other", "Something else")]
    elif isinstance(form, MoveForm):
        form.group.choices = [(7, "Pragati SHG")]


@pytest.fixture(scope="module")
def app():
    """An app for request contexts only: its database is never opened."""
    return create_app({**TEST_CONFIG, "DATABASE_URL": "sqlite://"})


def field_names(app) -> dict[type, list[str]]:
    """Per form class, the names a browser posts: FieldList rows and their sub-fields included."""
    names = {}
    with app.test_request_context():
        for form_class in FORMS:
            form = form_class(formdata=None, meta={"csrf": False})
            found = []
            for field in form:
                found.append(field.name)
                for entry in getattr(field, "entries", []):
                    found.extend(sub.name for sub in entry.form)
            names[form_class] = found
    return names


NASTY = ["", " ", "\x00", "0", "-1", "-0", "1e999999", "NaN", "sNaN", "-Infinity", "9" * 30, "9" * 5000, "²",
         "١٢٣", "१२३", "1,00,000.50", "₹ 250", "12..5", "1.999", "2024-02-30", "0000-01-01", "9999-12-31", "y",
         "on", "false", "2147483648", "x" * 100_000, "ज़" * 500, "<b>", "\u202e", "\r\n"]


def values() -> st.SearchStrategy[str]:
    """One posted value: nasty, numeric, a date, or any text (no lone surrogates: a browser cannot send them)."""
    text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
    return st.one_of(st.sampled_from(NASTY), text, st.integers(-(2**70), 2**70).map(str),
                     st.decimals(allow_nan=True, allow_infinity=True).map(str), st.dates().map(date.isoformat))


def uploads() -> st.SearchStrategy[FileStorage]:
    """A file where the form wants one (or where it wants text)."""
    return st.builds(lambda data, name: FileStorage(io.BytesIO(data), filename=name),
                     st.binary(max_size=200), st.sampled_from(["a.csv", "", "photo.jpg", "../x.zip"]))


@st.composite
def posted(draw, names: list[str]) -> MultiDict:
    """Some of the form's fields (a few twice), a few unknown ones, some files."""
    data = MultiDict()
    for name in draw(st.lists(st.sampled_from(names), max_size=len(names) + 3)):
        data.add(name, draw(st.one_of(values(), uploads()) if draw(st.integers(0, 9)) == 0 else values()))
    for name in draw(st.lists(st.sampled_from(["variants-99-price", "tiers-7-min_qty", "extra", "variants-x"]),
                              max_size=2)):
        data.add(name, draw(values()))
    return data


def leaves(form):
    """Every field, FieldList rows and their sub-fields included."""
    for field in form:
        if isinstance(field, FieldList):
            for entry in field.entries:
                yield from leaves(entry.form) if isinstance(entry, FormField) else [entry]
        else:
            yield field


def skipped_as_optional(field) -> bool:
    """Optional() stopped the chain: nothing (or only spaces) was sent."""
    return any(isinstance(v, Optional) for v in field.validators) and (
        not field.raw_data or (isinstance(field.raw_data[0], str) and not field.raw_data[0].strip()))


def check_within_limits(form) -> None:
    """A form that validated: each field's value is what its validators allow."""
    for field in leaves(form):
        data = field.data
        if skipped_as_optional(field):
            continue
        for validator in field.validators:
            if isinstance(validator, DataRequired):
                assert data, field.name
            elif isinstance(validator, InputRequired):
                assert field.raw_data and field.raw_data[0] != "", field.name
            elif isinstance(validator, Length) and isinstance(data, str):
                assert len(data) >= validator.min and (validator.max == -1 or len(data) <= validator.max), field.name
            elif isinstance(validator, NumberRange) and data is not None:
                assert validator.min is None or data >= validator.min, field.name
                assert validator.max is None or data <= validator.max, field.name
            elif isinstance(validator, Regexp) and data:
                assert validator.regex.match(data), field.name
            elif isinstance(validator, EqualTo):
                assert data == form[validator.fieldname].data, field.name
        if isinstance(field, RupeeField):
            assert data is None or (isinstance(data, int) and 0 <= data <= MAX_PAISE), (field.name, data)
        elif isinstance(field, IntegerField) and data is not None:
            assert isinstance(data, int) and not isinstance(data, bool), field.name
        elif isinstance(field, DecimalField) and data is not None:
            assert isinstance(data, Decimal) and data.is_finite(), (field.name, data)
        elif isinstance(field, DateField) and data is not None:
            assert isinstance(data, date), field.name
        elif isinstance(field, SelectMultipleField):
            assert set(data or []) <= {c[0] for c in field.choices}, field.name
        elif isinstance(field, SelectFieldBase) and getattr(field, "validate_choice", False) and field.choices:
            assert data in {c[0] if isinstance(c, tuple) else c.value for c in field.choices}, (field.name, data)


def fill(app, form_class, data: MultiDict, locale: str):
    """Post the data, fill and validate the form from the request as its view would, then render every field
    as the page would."""
    body = MultiDict([(k, (io.BytesIO(v.stream.getvalue()), v.filename) if isinstance(v, FileStorage) else v)
                      for k, v in data.items(multi=True)])
    with app.test_request_context(method="POST", data=body, headers={"Cookie": f"lang={locale}"}) as context:
        context.request.max_content_length = 100 * 1024 * 1024  # views set theirs: test_request_bodies.py
        form = form_class(meta={"csrf": False})
        offer_choices(form)
        valid = form.validate()
        for field in leaves(form):
            field()  # the page shows what was typed back to her: that must render too
            assert all(str(message) for message in field.errors), field.name
        if valid:
            check_within_limits(form)
            if isinstance(form, ProductForm):
                made = form.to_data()
                assert all(0 <= v.price_paise <= MAX_PAISE for v in made.variants)
            if isinstance(form, LoanForm):
                assert 0 <= bps(form.rate.data) <= 6000
        return valid


def test_every_form_is_here():
    """A new form is fuzzed too: add it to FORMS and give it a GOOD post."""
    assert set(HaatForm.__subclasses__()) == set(FORMS) == set(GOOD)


@pytest.mark.parametrize("form_class", FORMS, ids=lambda c: c.__name__)
def test_any_input_is_either_refused_with_messages_or_within_the_limits(app, form_class):
    """Hypothesis over one form: never an exception, whatever arrives."""
    names = field_names(app)[form_class]

    @SETTINGS
    @given(data=posted(names), locale=st.sampled_from(sorted(LOCALES)))
    def check(data, locale):
        fill(app, form_class, data, locale)

    check()


def csv_file() -> FileStorage:
    """A small CSV upload."""
    return FileStorage(io.BytesIO(b"title,price\nKurti,250\n"), filename="list.csv")


PASSWORD = "another-pass-77"
GOOD = {  # per form, a post that validates
    ImportForm: {"csv_file": csv_file, "publish": "y"},
    ProductForm: {"business": "1", "title": "Cotton kurti", "category": "11", "description": "Soft.",
                  "variants-0-size": "M", "variants-0-colour": "Red", "variants-0-price": "450",
                  "variants-0-stock": "5", "variants-1-price": "500.50", "made_to_order": "y", "lead_time_days": "7",
                  "wholesale_min_qty": "5", "tiers-0-min_qty": "10", "tiers-0-price": "400",
                  "fssai_number": "12345678901234", "shelf_life_days": "90", "client_key": "0a1b2c3d", "diet": "veg"},
    ShopForm: {"public_name": "Rangoli", "story": "Made by hand.", "show_group": "y"},
    EraseForm: {"confirm": "y", "password": PASSWORD},
    LoginForm: {"login": "meena@example.com", "password": PASSWORD, "remember": "y", "next": "/cart"},
    PasswordForm: {"current": PASSWORD, "new": PASSWORD + "8", "confirm": PASSWORD + "8"},
    SignupForm: {"name": "Meena", "login": "meena@example.com", "password": PASSWORD, "confirm": PASSWORD,
                 "role": "wholesaler", "business_name": "Traders", "gstin": "27AAPFU0939F1ZV"},
    StaffForm: {"name": "Field Worker", "login": "9812345678", "password": PASSWORD, "organisations": "2"},
    AddToCartForm: {"variant": "5", "quantity": "2"},
    CheckoutForm: {"key": "k" * 24, "expected_total": "45000", "pay_with": "cash", "ship_name": "Asha",
                   "ship_address": "Market Road", "ship_pincode": "411001"},
    MessageForm: {"body": "When is it ready?"},
    SaleForm: {"client_id": "c" * 24, "business": "1", "amount": "250", "method": "cash", "variant": "5",
               "quantity": "2", "note": "Fair"},
    GoalForm: {"kind": "school", "title": "Fees", "target": "5000", "target_date": "2031-06-01"},
    LoanForm: {"source": "shg", "lender": "SHG", "principal": "12,000", "rate": "12.5", "method": "flat",
               "tenure": "12", "start": "2025-01-15", "late_fee": "50"},
    OnboardingForm: {"organisation": "1", "csv_file": csv_file},
    RepaymentForm: {"amount": "1060.50", "paid_on": "2025-02-01"},
    SavingForm: {"monthly": "100"},
    WelcomeForm: {"phone": "9812345678", "code": "12345678", "password": PASSWORD, "again": PASSWORD},
    SignupCodeForm: {"code": "12345678"},
    ForgotForm: {"login": "98123 45678"},
    CodeLoginForm: {"login": "98123 45678"},
    CodeForm: {"code": "123456"},
    ResetForm: {"code": "123456", "new": PASSWORD + "8", "confirm": PASSWORD + "8"},
    StaffEditForm: {"name": "Field Worker", "login": "9812345678", "organisations": "2"},
    ProgrammeForm: {"name": "Second programme"},
    StateForm: {"state": "KA"},
    OrganisationForm: {"name": "Sakhi Collective", "state": "MH", "district": "Pune", "pickup_address": "Office",
                       "staff": "3"},
    CategoryForm: {"trade": "1", "english": "Lehengas", "hi": "लहंगे", "bn": "লেহেঙ্গা"},
    MergeForm: {"into": "5"},
    SuspendForm: {"reason": "Orders never collected"},
    ReportForm: {"reason": "contact", "words": "A number in the photo"},
    HideForm: {"reason": "other"},
    GroupForm: {"name": "Jyoti SHG", "area": "Ward 3", "formed_on": "2020-01-15"},
    MoveForm: {"group": "7"},
}


def good(form_class) -> MultiDict:
    """The form's good post (files made afresh: a stream is read once)."""
    return MultiDict({name: value() if callable(value) else value for name, value in GOOD[form_class].items()})


@pytest.mark.parametrize("form_class", FORMS, ids=lambda c: c.__name__)
def test_each_nasty_value_in_each_field_of_a_good_form_is_refused_or_within_limits(app, form_class):
    """Every nasty value in every field in turn (and the field left out), the rest of the form good."""
    assert fill(app, form_class, good(form_class), "en_IN"), "the good post must validate"
    for name in GOOD[form_class]:
        for value in [*NASTY, None]:
            data = good(form_class)
            if value is None:
                data.pop(name)
            else:
                data[name] = value
            fill(app, form_class, data, "hi")


@pytest.mark.parametrize("form_class", FORMS, ids=lambda c: c.__name__)
def test_a_good_form_with_one_field_changed_stays_within_its_limits(app, form_class):
    """From a good post, one field replaced by anything hypothesis draws: still no exception, within limits."""
    names = sorted(GOOD[form_class])

    @SETTINGS
    @given(name=st.sampled_from(names), value=values(), locale=st.sampled_from(sorted(LOCALES)))
    def check(name, value, locale):
        data = good(form_class)
        data[name] = value
        fill(app, form_class, data, locale)

    check()
