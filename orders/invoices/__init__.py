"""GST invoices for per-business orders: a stored, numbered document per order, and its PDF.

A GST-registered business issues a *Tax Invoice*; an unregistered one (or a registered one whose goods are all
exempt) a *Bill of Supply*. Everything printed is copied into `invoices` / `invoice_lines` when the invoice is
issued, so a later edit of a product, a shop name, a rate table or an address never changes an invoice.

Seller safety: the supplier on an invoice is the business's public name, with, for a registered business, the
GSTIN and the trade name on its GST certificate (entered by the business knowing they are public) and the
collective's pickup address. A member's legal name, phone or home address is never read here, so it cannot
reach the document.

Arithmetic, all in integer paise:
- Haat prices include GST. Per line, taxable value = round_half_up(line total * 100 / (100 + rate)) and the tax is
  the rest (line total - taxable value), so each line, and therefore the invoice, adds up exactly.
- Within the state (place of supply == supplier's state) the tax is split CGST = SGST = tax // 2 on every line; an
  odd paisa is left out of the line and printed once as the invoice's round-off (so the invoice still totals the
  order). Between states it is all IGST. The rate column shows the split: "2.5% + 2.5%".
- Place of supply: the state of the delivery pincode (local or courier delivery), the supplier's state for pickup.
- The delivery fee is its own line, taxed as part of a composite supply (CGST Act s. 8(a)): at the HSN and rate
  of the principal supply, the goods line of the highest value (the first one on a tie).
- Serial numbers: `<business id in base 36>/<financial year, 26-27>/<0001>`, consecutive per business and
  financial year (April-March, Indian time), at most 16 characters (CGST rule 46(b)). The id rather than the
  shop's initials keeps numbers unique when one collective's GSTIN covers several storefronts.
"""
