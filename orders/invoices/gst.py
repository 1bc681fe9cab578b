"""GST arithmetic and registration: a business's GSTIN, checked, and a GST-inclusive price split into tax."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from orders.hsn import GST_STATE_CODES, GSTIN_STATE_CODES, state_label
from orders.invoices.models import GstinError, InvoiceError
from vendors.models import Business
from vendors.services import check_public_text

# -- GSTIN ----------------------------------------------------------------------------------------------------

GSTIN_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# state code, PAN (5 letters, 4 digits, 1 letter), registration number in that state, "Z", check character
GSTIN_RE = re.compile(r"[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]")
INDIVIDUAL_PAN = "P"  # the 4th character of a PAN: P is a person; C, F, A, T... are companies, firms, AOPs, trusts


def gstin_check_character(first14: str) -> str:
    """The 15th character of a GSTIN: the mod-36 check over the first 14 (weights 1, 2, 1, 2...)."""
    total = 0
    for i, char in enumerate(first14.upper()):
        product = GSTIN_ALPHABET.index(char) * (2 if i % 2 else 1)
        total += product // 36 + product % 36
    return GSTIN_ALPHABET[(36 - total % 36) % 36]


def validate_gstin(text: str, state: str | None = None) -> str:
    """The GSTIN in capitals, or GstinError; with `state` (two letters), it must be registered in that state."""
    gstin = re.sub(r"\s+", "", text or "").upper()
    if not GSTIN_RE.fullmatch(gstin):
        raise GstinError(_l("A GSTIN has 15 letters and digits, like 27ABCDE1234F1Z5."))
    if gstin[:2] not in GSTIN_STATE_CODES:
        raise GstinError(_l("This GSTIN does not start with an Indian state code."))
    if gstin_check_character(gstin[:14]) != gstin[14]:
        raise GstinError(_l("This GSTIN has a typing mistake: check it against the certificate."))
    if state is not None and GST_STATE_CODES.get(state) != gstin[:2]:
        raise GstinError(_l("This GSTIN is registered in another state than the collective's office (%(s)s).",
                            s=state_label(state)))
    return gstin


def set_gst_registration(session: Session, business: Business, *, gstin: str, trade_name: str) -> None:
    """Record the business's GST registration (GSTIN and certificate trade name, both printed on invoices).

    Refuses a GSTIN under a person's own PAN: anyone can look a GSTIN up on the GST portal and see the legal
    name behind it, so a member must register through her group enterprise or collective. Refuses a trade name
    that contains an owner's name, as shop names do.
    """
    state = business.group.organisation.state_code
    gstin = validate_gstin(gstin, state)
    if gstin[5] == INDIVIDUAL_PAN:
        raise GstinError(_l("This GSTIN is under a person's own PAN, and the GST portal shows her name to anyone "
                            "who looks it up. For your safety, register through your group or collective."))
    trade_name = " ".join((trade_name or "").split())
    if not trade_name or len(trade_name) > 100:
        raise InvoiceError(_l("Enter the trade name as it is on the GST certificate (at most 100 characters)."))
    check_public_text(business.owners, trade_name=trade_name)
    business.gst_registered, business.gstin, business.gst_trade_name = True, gstin, trade_name
    session.flush()


def clear_gst_registration(session: Session, business: Business) -> None:
    """The business is no longer registered; invoices already issued keep their GSTIN."""
    business.gst_registered, business.gstin, business.gst_trade_name = False, None, None
    session.flush()


# -- tax ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TaxSplit:
    """A GST-inclusive amount split into taxable value and tax."""

    taxable: int
    cgst: int = 0
    sgst: int = 0
    igst: int = 0
    round_off: int = 0  # an odd paisa of tax within the state: CGST and SGST are equal, it is rounded off

    @property
    def total(self) -> int:
        return self.taxable + self.cgst + self.sgst + self.igst + self.round_off


def split_inclusive(gross_paise: int, rate_bp: int, intra_state: bool) -> TaxSplit:
    """Taxable value = gross * 10000 / (10000 + rate) rounded half up; the tax is the rest, so they add up."""
    if gross_paise < 0 or not 0 <= rate_bp <= 10_000:
        raise ValueError("amount or rate out of range")
    denominator = 10_000 + rate_bp
    taxable = (2 * gross_paise * 10_000 + denominator) // (2 * denominator)
    tax = gross_paise - taxable
    if intra_state:
        return TaxSplit(taxable, cgst=tax // 2, sgst=tax // 2, round_off=tax % 2)
    return TaxSplit(taxable, igst=tax)
