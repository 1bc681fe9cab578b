"""Order forms: add to cart, checkout, messages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from market.core.db import MAX_ID
from market.core.i18n import HaatForm
from orders.services import MAX_QUANTITY

NUMERIC = {"inputmode": "numeric", "pattern": "[0-9]*"}


class AddToCartForm(HaatForm):
    variant = IntegerField(validators=[DataRequired(_l("Choose an option.")), NumberRange(1, MAX_ID)])
    quantity = IntegerField(_l("How many"), default=1, render_kw=NUMERIC, validators=[
        DataRequired(_l("Say how many.")), NumberRange(min=1, message=_l("Say how many.")),
        NumberRange(max=MAX_QUANTITY, message=_l("At most %(n)s pieces at a time.", n=MAX_QUANTITY))])


class CheckoutForm(HaatForm):
    key = HiddenField(validators=[DataRequired(), Length(min=16, max=64)])
    expected_total = IntegerField(validators=[InputRequired()], widget=HiddenInput())  # the total she saw
    pay_with = RadioField(_l("How will you pay?"), default="upi", validators=[InputRequired(_l("Choose how to pay."))],
                          choices=[
        SelectChoice("upi", _l("UPI now (any UPI app)")),
        SelectChoice("cash", _l("Cash when you collect or receive it")),
        SelectChoice("card", _l("Card (buyers outside India)"))])
    ship_name = StringField(_l("Name for delivery"), validators=[Optional(), Length(max=100)],
                            render_kw={"autocomplete": "name"})
    ship_address = TextAreaField(_l("Delivery address"), validators=[Optional(), Length(max=300)],
                                 render_kw={"rows": 3, "autocomplete": "street-address"})
    ship_pincode = StringField(_l("Pincode"), validators=[Optional(), Length(max=6)],
                               render_kw={**NUMERIC, "autocomplete": "postal-code", "maxlength": 6})


class MessageForm(HaatForm):
    body = TextAreaField(_l("Message"), validators=[DataRequired(_l("Write a message first.")), Length(max=1000)],
                         render_kw={"rows": 3})
