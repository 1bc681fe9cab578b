"""Product and shop forms for the seller's phone: rupees typed, paise kept; numeric keypads."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from catalog.category_names import category_name
from catalog.services import MAX_STOCK, ProductData, TierData, VariantData
from market.core.i18n import HaatForm, TranslatedMeta
from market.core.money import MoneyError, parse_rupees

NUMERIC = {"inputmode": "numeric", "pattern": "[0-9]*"}


class RupeeField(StringField):
    """Rupees as typed ('250', '250.50', '1,200'); `data` is paise (int) or None when empty."""

    data: Any  # as every WTForms field's (WTForms is untyped here): an int once InputRequired passed

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        self.raw_data = valuelist
        text = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if text:
            try:
                self.data = parse_rupees(text)
            except MoneyError as exc:
                raise ValueError(str(exc)) from exc

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        rupees, paise = divmod(self.data, 100)
        return f"{rupees}" if paise == 0 else f"{rupees}.{paise:02d}"


class VariantForm(Form):
    class Meta(TranslatedMeta):
        pass

    size = StringField(_l("Size"), validators=[Length(max=20)])
    colour = StringField(_l("Colour"), validators=[Length(max=30)])
    price = RupeeField(_l("Price (₹)"))
    stock = IntegerField(_l("How many you have"), validators=[Optional(), NumberRange(0, MAX_STOCK)],
                         render_kw=NUMERIC)


class TierForm(Form):
    class Meta(TranslatedMeta):
        pass

    min_qty = IntegerField(_l("From how many pieces"), validators=[Optional(), NumberRange(2, MAX_STOCK)],
                           render_kw=NUMERIC)
    price = RupeeField(_l("Price per piece (₹)"))


class ProductForm(HaatForm):
    business = SelectField(_l("Shop"), coerce=int)
    title = StringField(_l("Name"), validators=[DataRequired(_l("Give the product a name.")), Length(max=120)])
    category = SelectField(_l("Category"), coerce=lambda v: int(v) if v not in ("", None) else None,
                           validators=[DataRequired(_l("Choose a category."))])
    description = TextAreaField(_l("About it"), validators=[Length(max=4000)], render_kw={"rows": 4})
    photos = MultipleFileField(_l("Photos"), render_kw={"accept": "image/jpeg,image/png,image/webp"})
    variants = FieldList(FormField(VariantForm), min_entries=4, max_entries=20)
    made_to_order = BooleanField(_l("I make it after the order comes"))
    lead_time_days = IntegerField(_l("Days needed to make it"), validators=[Optional(), NumberRange(0, 120)],
                                  render_kw=NUMERIC)
    wholesale_min_qty = IntegerField(_l("Smallest wholesale order (pieces)"),
                                     validators=[Optional(), NumberRange(1, MAX_STOCK)], render_kw=NUMERIC)
    tiers = FieldList(FormField(TierForm), min_entries=3, max_entries=5)
    fssai_number = StringField(_l("FSSAI registration number"),
                               validators=[Optional(), Regexp(r"^\d{14}$", message=_l("14 digits, no spaces."))],
                               render_kw=NUMERIC)
    shelf_life_days = IntegerField(_l("Stays good for (days)"), validators=[Optional(), NumberRange(1, 730)],
                                   render_kw=NUMERIC)
    # Made by her phone for a product listed without signal (static/js/drafts.js): saved once, however often sent.
    client_key = HiddenField(validators=[Optional(), Regexp(r"^[0-9a-f-]{8,40}$")])
    # How far she turned each new photo in the preview, clockwise, in the order they were picked: "90,0,270".
    photo_turns = HiddenField(validators=[Optional(), Length(max=40)])

    def turns(self, count: int) -> list[int]:
        """The quarter turns of the `count` new photos (anything else written there: not turned)."""
        asked = (self.photo_turns.data or "").split(",")
        return [int(t) if i < len(asked) and t in ("90", "180", "270") else 0
                for i, t in enumerate((asked + ["0"] * count)[:count])]
    diet = RadioField(_l("Food type"), validators=[Optional()],
                      choices=[SelectChoice("veg", _l("Veg")), SelectChoice("egg", _l("Contains egg")),
                               SelectChoice("nonveg", _l("Non-veg"))])

    def set_choices(self, businesses, categories) -> None:
        """Fill the shop and category lists (categories grouped by trade)."""
        self.business.choices = [SelectChoice(b.id, b.public_name) for b in businesses]
        self.category.choices = [SelectChoice("", _l("Choose…"))] + [
            SelectChoice(c.id, category_name(c.name), optgroup=category_name(c.parent.name)) for c in categories]

    def to_data(self) -> ProductData:
        """The form's values as a ProductData; rows without a price are left out."""
        variants = [VariantData(price_paise=row.price.data, stock=row.stock.data or 0,
                                size=(row.size.data or "").strip(), colour=(row.colour.data or "").strip())
                    for row in self.variants if row.price.data is not None]
        tiers = [TierData(min_qty=row.min_qty.data, unit_price_paise=row.price.data)
                 for row in self.tiers if row.min_qty.data and row.price.data is not None]
        return ProductData(
            title=self.title.data or "", category_id=self.category.data, description=self.description.data or "",
            variants=variants, tiers=tiers, wholesale_min_qty=self.wholesale_min_qty.data,
            made_to_order=self.made_to_order.data, lead_time_days=self.lead_time_days.data,
            fssai_number=(self.fssai_number.data or "").strip() or None, shelf_life_days=self.shelf_life_days.data,
            diet=self.diet.data or None)

    def load(self, product) -> None:
        """Fill the form from an existing product (GET of the edit page)."""
        self.business.data = product.business_id
        self.title.data, self.category.data = product.title, product.category_id
        self.description.data = product.description
        while len(self.variants) < min(len(product.variants) + 1, self.variants.max_entries):
            self.variants.append_entry()
        for row, variant in zip(self.variants, product.variants, strict=False):
            row.size.data, row.colour.data = variant.size, variant.colour
            row.price.data, row.stock.data = variant.price_paise, variant.stock
        for row, tier in zip(self.tiers, product.tiers, strict=False):
            row.min_qty.data, row.price.data = tier.min_qty, tier.unit_price_paise
        self.made_to_order.data, self.lead_time_days.data = product.made_to_order, product.lead_time_days
        self.wholesale_min_qty.data = product.wholesale_min_qty
        self.fssai_number.data, self.shelf_life_days.data = product.fssai_number, product.shelf_life_days
        self.diet.data = product.diet


class ShopForm(HaatForm):
    public_name = StringField(_l("Shop name buyers see"),
                              validators=[DataRequired(_l("Give your shop a name.")), Length(max=80)])
    story = TextAreaField(_l("A few lines about your shop"), validators=[Length(max=1000)], render_kw={"rows": 4})
    show_group = BooleanField(_l("Show my self-help group's name on the shop"))


class ImportForm(HaatForm):
    csv_file = FileField(_l("Products (CSV file)"), validators=[FileRequired(_l("Choose the CSV file."))],
                         render_kw={"accept": ".csv,text/csv"})
    photos_zip = FileField(_l("Photos (zip file, optional)"), render_kw={"accept": ".zip,application/zip"})
    publish = BooleanField(_l("Show the products to buyers at once (otherwise they wait as drafts)"))


class ReportForm(HaatForm):
    """A buyer's report of a listing: a reason from the short list and, if she wants, a few words."""

    reason = RadioField(_l("What is wrong?"), validators=[DataRequired(_l("Choose a reason from the list."))])
    words = TextAreaField(_l("Anything to add (optional)"), validators=[Length(max=500)], render_kw={"rows": 3})


class HideForm(HaatForm):
    """Why staff hide a product or a shop: the seller reads it in her own language."""

    reason = SelectField(_l("Reason (the seller reads it in their language)"),
                         validators=[DataRequired(_l("Choose a reason from the list."))])
