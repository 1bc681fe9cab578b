"""QR codes as inline SVG (the `qrcode` library): sharp at any print size, no image file, no Pillow."""

from __future__ import annotations

import re

import qrcode
import qrcode.image.svg
from markupsafe import Markup


def qr_svg(text: str, label: str) -> Markup:
    """An SVG QR code of `text` (error correction M: still reads when a corner is creased or stained), sized by
    CSS, with the 4-module quiet zone the standard asks for; `label` is what a screen reader says."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4,
                         image_factory=qrcode.image.svg.SvgPathImage)
    code.add_data(text)
    code.make(fit=True)
    svg = code.make_image().to_string(encoding="unicode")
    svg = re.sub(r'^<svg width="[^"]*" height="[^"]*"', '<svg role="img" class="qr"', svg)
    title = Markup("<title>{}</title>").format(label)
    return Markup(svg.replace(">", ">" + str(title), 1))  # noqa: S704 - the library's SVG; the label is escaped
