"""An issued invoice drawn as a PDF (fpdf2), the same file whoever downloads it."""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path

from market.core.clock import INDIA
from market.core.security import hide_contacts
from orders.hsn import pincode_state, state_label
from orders.invoices.models import Invoice, InvoiceLine
from orders.invoices.numbers import amount_in_words, format_amount, format_rate

# -- PDF ------------------------------------------------------------------------------------------------------
# The printed words stay English on purpose, unlike the pages: a GST invoice is one legal document for the seller,
# the buyer and the tax officer, the same file whoever downloads it (see render_pdf's test), and its amount in
# words is written in English by number_in_words(). Names and addresses print in whatever script they were typed.

FONT_DIRS = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/noto"))
# Scripts buyers may type names and addresses in, and the Noto font that has them (fonts-noto-core).
SCRIPT_FONTS = {"DEVANAGARI": "Devanagari", "BENGALI": "Bengali", "TAMIL": "Tamil", "TELUGU": "Telugu",
                "KANNADA": "Kannada", "MALAYALAM": "Malayalam", "GUJARATI": "Gujarati", "GURMUKHI": "Gurmukhi",
                "ORIYA": "Oriya"}


def _font_file(name: str) -> Path | None:
    return next((d / name for d in FONT_DIRS if (d / name).is_file()), None)


def _scripts(texts: list[str]) -> set[str]:
    found = set()
    for char in "".join(texts):
        if ord(char) > 0x7F:
            script = unicodedata.name(char, "").split(" ")[0]
            if script in SCRIPT_FONTS:
                found.add(SCRIPT_FONTS[script])
    return found


class _Document:
    """An fpdf2 document with Noto Sans when installed (₹ and Indian scripts), else core Helvetica and 'Rs.'."""

    def __init__(self, texts: list[str]):
        from fpdf import FPDF

        self.pdf = FPDF(format="A4", unit="mm")
        self.pdf.set_margins(12, 12, 12)
        self.pdf.set_auto_page_break(True, margin=14)
        regular, bold = _font_file("NotoSans-Regular.ttf"), _font_file("NotoSans-Bold.ttf")
        self.unicode = bool(regular and bold)
        if self.unicode:
            self.family = "NotoSans"
            self.pdf.add_font(self.family, "", str(regular))
            self.pdf.add_font(self.family, "B", str(bold))
            fallbacks = []
            for script in sorted(_scripts(texts)):
                path, path_bold = _font_file(f"NotoSans{script}-Regular.ttf"), _font_file(f"NotoSans{script}-Bold.ttf")
                if path and path_bold:
                    self.pdf.add_font(f"Noto{script}", "", str(path))
                    self.pdf.add_font(f"Noto{script}", "B", str(path_bold))
                    fallbacks.append(f"Noto{script}")
            if fallbacks:
                self.pdf.set_fallback_fonts(fallbacks)
                self._shape_if_possible()
        else:
            self.family = "Helvetica"
        self.rupee = "₹" if self.unicode else "Rs."

    def _shape_if_possible(self) -> None:
        # Conjuncts and vowel signs of Indian scripts need shaping (uharfbuzz); without it they print unjoined.
        try:
            import uharfbuzz  # noqa: F401
        except ImportError:
            return
        self.pdf.set_text_shaping(True)

    def text(self, value: str) -> str:
        """The text as the font can print it: core fonts know Latin-1 only."""
        value = value or ""
        if self.unicode:
            return value
        value = value.replace("₹", "Rs.").replace("–", "-").replace("—", "-").replace("’", "'")
        return value.encode("latin-1", "replace").decode("latin-1")

    def font(self, size: float, bold: bool = False) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", size)

    def line(self, value: str, size: float = 9, bold: bool = False, height: float = 4.6, align: str = "L",
             width: float = 0) -> None:
        from fpdf.enums import XPos, YPos

        self.font(size, bold)
        self.pdf.multi_cell(width, height, self.text(value), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def render_pdf(invoice: Invoice) -> bytes:
    """The invoice as an A4 PDF, from what was stored at issue only."""
    texts = [invoice.supplier_name, invoice.supplier_trade_name or "", invoice.supplier_address, invoice.buyer_name,
             invoice.buyer_address, invoice.pickup_point] + [x.description for x in invoice.lines]
    doc = _Document(texts)
    pdf = doc.pdf
    pdf.set_title(f"{_title(invoice)} {invoice.number}")
    pdf.set_creator("Haat")
    pdf.set_creation_date(invoice.issued_at.astimezone(INDIA))  # the same invoice gives the same file
    pdf.add_page()
    width = pdf.epw

    doc.line(_title(invoice).upper(), size=15, bold=True, align="C", height=7)
    if invoice.is_tax_invoice and not invoice.is_proforma:
        doc.line("Original for recipient", size=8, align="C")
    pdf.ln(3)
    top = pdf.get_y()
    _supplier_block(doc, invoice, width / 2 - 3)
    left_bottom = pdf.get_y()
    pdf.set_xy(pdf.l_margin + width / 2 + 3, top)
    _details_block(doc, invoice, width / 2 - 3)
    pdf.set_y(max(left_bottom, pdf.get_y()) + 3)
    _buyer_block(doc, invoice, width)
    pdf.ln(3)
    _lines_table(doc, invoice)
    pdf.ln(2)
    _totals_block(doc, invoice, width)
    pdf.ln(2)
    doc.line(amount_in_words(invoice.total_paise), size=9, bold=True)
    pdf.ln(3)
    for note in _notes(invoice):
        doc.line(note, size=8)
    pdf.ln(8)
    doc.line(f"For {hide_contacts(invoice.supplier_trade_name or invoice.supplier_name)}", size=9, align="R")
    doc.line("Authorised signatory", size=8, align="R")

    out = io.BytesIO()
    pdf.output(out)
    return out.getvalue()


def _title(invoice: Invoice) -> str:
    if invoice.is_proforma:
        return "Proforma Invoice"
    return "Tax Invoice" if invoice.is_tax_invoice else "Bill of Supply"


def _supplier_block(doc: _Document, invoice: Invoice, width: float) -> None:
    x = doc.pdf.get_x()
    # A shop name from before names and titles were checked may hold a phone number: never printed.
    for value, size, bold in [("Supplier", 8, True), (hide_contacts(invoice.supplier_name), 11, True)] + (
            [(f"GST trade name: {hide_contacts(invoice.supplier_trade_name)}", 9, False)]
            if invoice.supplier_trade_name else []) + (
            [(f"GSTIN: {invoice.supplier_gstin}", 9, True)] if invoice.supplier_gstin else
            [("Not registered under GST", 9, False)]) + [
            (invoice.supplier_address, 9, False),
            (f"State: {state_label(invoice.supplier_state)}", 9, False)]:
        doc.pdf.set_x(x)
        doc.line(value, size=size, bold=bold, width=width)


def _details_block(doc: _Document, invoice: Invoice, width: float) -> None:
    x = doc.pdf.get_x()
    word = "Invoice" if invoice.is_tax_invoice else "Bill"
    rows = [(f"{word} no.", invoice.number), (f"{word} date", invoice.issued_on.strftime("%d-%m-%Y")),
            ("Order", invoice.order_number),
            ("Place of supply", state_label(invoice.place_of_supply) if invoice.place_of_supply else "-")]
    if invoice.is_tax_invoice:
        rows.append(("Reverse charge", "No"))
    if invoice.payment_method:
        rows.append(("Paid by", invoice.payment_method))
    for label, value in rows:
        doc.pdf.set_x(x)
        doc.font(9, bold=True)
        doc.pdf.cell(30, 5, doc.text(label))
        doc.font(9)
        doc.pdf.multi_cell(width - 30, 5, doc.text(value), new_x="LMARGIN", new_y="NEXT")


def _buyer_block(doc: _Document, invoice: Invoice, width: float) -> None:
    doc.line("Bill to" if invoice.delivery == "pickup" else "Bill and ship to", size=8, bold=True)
    doc.line(invoice.buyer_name, size=10, bold=True)
    if invoice.buyer_gstin:
        doc.line(f"GSTIN: {invoice.buyer_gstin}")
    if invoice.buyer_address:
        doc.line(", ".join(p for p in (invoice.buyer_address, invoice.buyer_pincode) if p))
        state = pincode_state(invoice.buyer_pincode) if invoice.buyer_pincode else None
        if state:
            doc.line(f"State: {state_label(state)}")
    if invoice.delivery == "pickup":
        doc.line(f"Collected at: {invoice.pickup_point}")


def _columns(invoice: Invoice) -> list[tuple[str, int, str]]:
    """(heading, width in mm, alignment) of the lines table; widths add up to the 186 mm between margins."""
    if not invoice.is_tax_invoice:
        return [("#", 8, "R"), ("Description", 96, "L"), ("HSN/SAC", 16, "C"), ("Qty", 12, "R"),
                ("Unit price", 26, "R"), ("Amount", 28, "R")]
    head = [("#", 7, "R"), ("Description", 37 if invoice.intra_state else 58, "L"), ("HSN/SAC", 15, "C"),
            ("Qty", 9, "R"), ("Unit price incl. GST", 19 if invoice.intra_state else 20, "R"),
            ("Taxable value", 21 if invoice.intra_state else 24, "R"), ("Rate", 19 if invoice.intra_state else 11, "R")]
    tax = [("CGST", 18, "R"), ("SGST", 18, "R")] if invoice.intra_state else [("IGST", 20, "R")]
    return head + tax + [("Total", 23 if invoice.intra_state else 22, "R")]


def _row(invoice: Invoice, line: InvoiceLine) -> list[str]:
    start = [str(line.position), hide_contacts(line.description), line.hsn or "-", str(line.quantity),
             format_amount(line.unit_price_paise)]
    if not invoice.is_tax_invoice:
        return start + [format_amount(line.total_paise)]
    tax = ([format_amount(line.cgst_paise), format_amount(line.sgst_paise)] if invoice.intra_state
           else [format_amount(line.igst_paise)])
    rate = f"{format_rate(line.rate_bp // 2)} + {format_rate(line.rate_bp // 2)}" if invoice.intra_state \
        else format_rate(line.rate_bp)  # CGST and SGST, each half of the rate
    return start + [format_amount(line.taxable_paise), rate] + tax + \
        [format_amount(line.total_paise)]


def _lines_table(doc: _Document, invoice: Invoice) -> None:
    from fpdf.fonts import FontFace

    columns = _columns(invoice)
    doc.font(8)
    with doc.pdf.table(col_widths=[c[1] for c in columns], text_align=[c[2] for c in columns],
                       width=sum(c[1] for c in columns), line_height=4.4, padding=1,
                       headings_style=FontFace(emphasis="BOLD", fill_color=(235, 235, 235))) as table:
        heading = table.row()
        for title, _width, _align in columns:
            heading.cell(doc.text(title), align="C")
        for line in invoice.lines:
            row = table.row()
            for value in _row(invoice, line):
                row.cell(doc.text(value))


def _totals_block(doc: _Document, invoice: Invoice, width: float) -> None:
    rows = []
    if invoice.is_tax_invoice:
        rows.append(("Taxable value", invoice.taxable_paise))
        if invoice.intra_state:
            rows += [("CGST", invoice.cgst_paise), ("SGST", invoice.sgst_paise)]
        else:
            rows.append(("IGST", invoice.igst_paise))
        if invoice.round_off_paise:
            rows.append(("Round off", invoice.round_off_paise))
    rows.append((f"Total ({doc.rupee})", invoice.total_paise))
    for label, paise in rows:
        last = label.startswith("Total")
        doc.font(10 if last else 9, bold=last)
        doc.pdf.set_x(doc.pdf.l_margin + width - 80)
        doc.pdf.cell(45, 5.5, doc.text(label), align="R")
        doc.pdf.cell(35, 5.5, doc.text(format_amount(paise)), align="R", new_x="LMARGIN", new_y="NEXT")


def _notes(invoice: Invoice) -> list[str]:
    if invoice.is_proforma:
        return ["Proforma invoice for the agreed order, before payment: not a tax invoice, no input tax credit. "
                "The tax invoice is issued when the goods are sent.",
                "Sold through Haat for the supplier named above. This is a computer-generated document."]
    if invoice.is_tax_invoice:
        notes = ["Prices include GST; the taxable value and tax of each line are worked out from its price."]
    elif invoice.supplier_gstin:
        notes = ["Exempt supply: no GST is charged on these goods."]
    else:
        notes = ["The supplier is not registered under GST: no GST is charged, and this bill of supply "
                 "gives no input tax credit."]
    if invoice.is_tax_invoice and any(line.description.startswith("Delivery charges") for line in invoice.lines):
        notes.append("Delivery is part of the supply and taxed at the rate of the main goods.")
    notes.append("Sold through Haat for the supplier named above. This is a computer-generated document.")
    return notes
