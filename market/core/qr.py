"""QR codes for inline SVG (the `qrcode` library makes the code): sharp at any print size, no image file."""

from __future__ import annotations

from dataclasses import dataclass

import qrcode


@dataclass(frozen=True)
class QrCode:
    """A QR code as an SVG path: `size` modules a side (the 4-module quiet zone the standard asks for included),
    `path` the dark modules, for `<svg viewBox="0 0 size size"><path d="path"/></svg>`."""

    size: int
    path: str


def qr_code(text: str) -> QrCode:
    """The QR code of `text`, error correction M (it still reads with a creased or stained corner)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(text)
    code.make(fit=True)
    matrix = code.get_matrix()
    path = "".join(f"M{x},{y}h1v1h-1z" for y, line in enumerate(matrix) for x, dark in enumerate(line) if dark)
    return QrCode(len(matrix), path)
