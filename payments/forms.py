"""The seller's form for a sale at a market stall."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from market.core.i18n import HaatForm
from market.core.money import format_inr

NUMERIC = {"inputmode": "numeric", "pattern": "[0-9]*"}


class SaleForm(HaatForm):
    client_id = HiddenField(validators=[DataRequired(), Length(min=16, max=40)])
    business = SelectField(_l("Shop"), coerce=int)
    amount = StringField(_l("Amount you got (₹)"), validators=[DataRequired(_l("Write the amount."))],
                         render_kw={"inputmode": "decimal", "autocomplete": "off"})
    method = RadioField(_l("How were you paid?"), default="cash", validators=[InputRequired()], choices=[
        SelectChoice("cash", _l("Cash")), SelectChoice("upi_qr", _l("UPI to my own QR code"))])
    variant = SelectField(_l("What did you sell? (if it is on Haat)"), coerce=int, default=0)
    quantity = IntegerField(_l("How many"), validators=[Optional(), NumberRange(1, 10_000)], render_kw=NUMERIC)
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=200)])

    def offer(self, businesses, variants) -> None:
        """The seller's own shops and products to choose from."""
        self.business.choices = [SelectChoice(b.id, b.public_name) for b in businesses]
        self.variant.choices = [SelectChoice(0, _l("Something else / not on Haat"))] + [
            SelectChoice(v.id, f"{v.product.title}{' (' + v.label + ')' if v.label else ''}"
                               f" · {format_inr(v.price_paise)}", render_kw={"data-price": str(v.price_paise)})
            for v in variants]
