"""The cash book and a member's passbook as printable A4 PDFs (fpdf2), in the reader's language.

Noto Sans (fonts-noto-core) prints ₹ and the Latin words; the script of the language (Devanagari for Hindi and
Marathi, Tamil, Telugu, Kannada, Bengali) comes from its Noto font as a fallback. Conjuncts need uharfbuzz for
shaping; without it, fpdf2 prints the letters unjoined (still readable), so it is used when installed.
"""

from __future__ import annotations

import importlib.util
import io
from collections.abc import Callable, Sequence
from pathlib import Path

from flask_babel import force_locale
from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from market.core.money import format_inr
from vendors.groupfund.services import CashLine, Fund, PassLine
from vendors.models import Member, SelfHelpGroup

FONT_DIRS = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/noto"))
SCRIPT = {"hi": "Devanagari", "mr": "Devanagari", "ta": "Tamil", "te": "Telugu", "kn": "Kannada", "bn": "Bengali"}


def _font(name: str) -> Path | None:
    return next((d / name for d in FONT_DIRS if (d / name).is_file()), None)


class _Sheet:
    """An A4 page in her language's font (core Helvetica and 'Rs.' where Noto is not installed)."""

    def __init__(self, locale: str, title: str):
        self.pdf = FPDF(format="A4", unit="mm")
        self.pdf.set_margins(12, 12, 12)
        self.pdf.set_auto_page_break(True, margin=14)
        self.pdf.set_title(title)
        self.pdf.set_creator("Haat")
        regular, bold = _font("NotoSans-Regular.ttf"), _font("NotoSans-Bold.ttf")
        self.unicode = bool(regular and bold)
        self.family = "NotoSans" if self.unicode else "Helvetica"
        if self.unicode:
            self.pdf.add_font(self.family, "", str(regular))
            self.pdf.add_font(self.family, "B", str(bold))
            script = SCRIPT.get(locale.split("_")[0])
            path = _font(f"NotoSans{script}-Regular.ttf") if script else None
            path_bold = _font(f"NotoSans{script}-Bold.ttf") if script else None
            if path and path_bold:
                self.pdf.add_font(f"Noto{script}", "", str(path))
                self.pdf.add_font(f"Noto{script}", "B", str(path_bold))
                self.pdf.set_fallback_fonts([f"Noto{script}"])
                if importlib.util.find_spec("uharfbuzz"):
                    self.pdf.set_text_shaping(True)
        self.pdf.add_page()

    def text(self, value: str) -> str:
        if self.unicode:
            return value
        return value.replace("₹", "Rs.").encode("latin-1", "replace").decode("latin-1")

    def line(self, value: str, size: float = 10, bold: bool = False, height: float = 6) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", size)
        self.pdf.multi_cell(0, height, self.text(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def table(self, head: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]) -> None:
        self.pdf.set_font(self.family, "B", 8.5)
        for text, width in zip(head, widths, strict=True):
            self.pdf.cell(width, 7, self.text(text), border=1)
        self.pdf.ln()
        self.pdf.set_font(self.family, "", 8.5)
        for row in rows:
            for n, (text, width) in enumerate(zip(row, widths, strict=True)):
                self.pdf.cell(width, 6, self.text(text), border=1, align="L" if n < 2 else "R")
            self.pdf.ln()

    def bytes(self) -> bytes:
        out = io.BytesIO()
        self.pdf.output(out)
        return out.getvalue()


def _money(paise: int) -> str:
    return format_inr(paise) if paise else ""


def words() -> dict[str, str]:
    """What each kind of line is called, in the current language (pages and PDFs)."""
    return {"meeting": _("Group meeting"), "correction": _("Correction"), "loan": _("Internal loan given"),
            "deposit": _("Put in the bank"), "withdrawal": _("Taken from the bank"), "opening": _("Opening balance"),
            "sale": _("Share of a sale"), "refund": _("Taken back (refund)"), "cash": _("Paid in cash")}


def _in(locale: str, make: Callable[[], bytes]) -> bytes:
    with force_locale(locale):
        return make()


def cash_book(group: SelfHelpGroup, lines: Sequence[CashLine], now: Fund, locale: str) -> bytes:
    """The group's cash book: each movement of cash in hand and bank, the balances, and the fund's check."""
    def make() -> bytes:
        sheet = _Sheet(locale, _("Cash book"))
        sheet.line(f"{_('Cash book')}: {group.name}", size=15, bold=True, height=9)
        names = words()
        sheet.table([_("Date"), _("What"), _("Cash in"), _("Cash out"), _("Bank in"), _("Bank out"),
                     _("Cash in hand"), _("Bank")],
                    [(str(x.on), names[x.what] + (f": {x.detail}" if x.detail else ""), _money(x.cash_in),
                      _money(x.cash_out), _money(x.bank_in), _money(x.bank_out), format_inr(x.cash_after),
                      format_inr(x.bank_after)) for x in lines], (20, 54, 18, 18, 18, 18, 20, 20))
        sheet.pdf.ln(4)
        for label, paise in ((_("Cash in hand"), now.cash), (_("Bank"), now.bank), (_("Lent to members"), now.lent),
                             (_("The group's fund"), now.total)):
            sheet.line(f"{label}: {format_inr(paise)}", bold=True)
        sheet.line(_("The books balance.") if now.balanced else _("The books do not balance: tell your field staff."))
        return sheet.bytes()
    return _in(locale, make)


def passbook(member: Member, lines: Sequence[PassLine], locale: str) -> bytes:
    """Her passbook: savings, internal loans given to her and her repayments, with her savings after each."""
    def make() -> bytes:
        sheet = _Sheet(locale, _("Passbook"))
        sheet.line(f"{_('Passbook')}: {member.legal_name}", size=15, bold=True, height=9)
        sheet.line(member.group.name, size=10)
        names = words()
        sheet.table([_("Date"), _("What"), _("Saved"), _("Repaid"), _("Loan given"), _("Savings")],
                    [(str(x.on), names[x.what], _money(x.saved), _money(x.repaid), _money(x.borrowed),
                      format_inr(x.savings_after)) for x in lines], (22, 60, 26, 26, 26, 26))
        return sheet.bytes()
    return _in(locale, make)
