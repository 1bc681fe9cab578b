"""Upload fixtures built in code at test time: phone-like photos, photos full of metadata, and hostile files.

No binary file is committed: every fixture is made here with Pillow or by hand, so a reader can see exactly
what each one contains. Secret strings planted in metadata are listed in SECRETS so tests can look for them
in every stored file.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib

from PIL import ExifTags, Image, ImageCms, ImageDraw
from PIL.PngImagePlugin import PngInfo

SECRETS = {
    "description": b"HAAT-SECRET-DESCRIPTION",
    "comment": b"HAAT-SECRET-COMMENT",
    "xmp": b"HAAT-SECRET-XMP",
    "png_text": b"HAAT-SECRET-TEXT",
    "png_ztxt": b"HAAT-SECRET-ZTXT",
    "png_itxt": b"HAAT-SECRET-ITXT",
}
PAYLOAD = b"<script>alert('HAAT-PAYLOAD')</script>"
ZIP_MEMBER = "HAAT-PAYLOAD-MEMBER.html"
XMP_NAMESPACE = b"http://ns.adobe.com/xap/1.0/"
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:xmp="' + XMP_NAMESPACE + b'" xmp:Label="' + SECRETS["xmp"] + b'"/>'
    b"</rdf:RDF></x:xmpmeta>"
)
# Somewhere in Mumbai: what must never leave a seller's photo.
LATITUDE = (19.0, 4.0, 30.12)
LONGITUDE = (72.0, 52.0, 40.8)


def srgb_profile() -> bytes:
    """An ICC profile as phones embed one."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ \0\0\0\0" + _s15(x) + _s15(y) + _s15(z)


def swapped_primaries_profile() -> bytes:
    """A valid ICC v2 RGB profile whose red and blue primaries are swapped: (255, 0, 0) in it means blue.

    Stands for a wide-gamut phone profile (Display P3) with an effect big enough to see in a test.
    """
    red, green, blue = (0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7141)  # sRGB, D50
    gamma = b"curv\0\0\0\0" + struct.pack(">IH", 1, round(2.2 * 256)) + b"\0\0"
    tags = [(b"wtpt", _xyz(0.9642, 1.0, 0.8249)), (b"rXYZ", _xyz(*blue)), (b"gXYZ", _xyz(*green)),
            (b"bXYZ", _xyz(*red)), (b"rTRC", gamma), (b"gTRC", gamma), (b"bTRC", gamma)]
    table, body = b"", b""
    start = 128 + 4 + 12 * len(tags)
    for signature, data in tags:
        table += signature + struct.pack(">II", start + len(body), len(data))
        body += data
    header = (
        struct.pack(">I", start + len(body)) + b"lcms" + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ "
        + b"\0" * 12 + b"acsp" + b"\0" * 28 + _s15(0.9642) + _s15(1.0) + _s15(0.8249) + b"\0" * 48
    )
    return header + struct.pack(">I", len(tags)) + table + body


def gps_exif(orientation: int | None = None) -> Image.Exif:
    """EXIF as a phone writes it: make, description, a GPS position and maybe an orientation."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "HaatPhone"
    exif[ExifTags.Base.ImageDescription] = SECRETS["description"].decode()
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = LATITUDE
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = LONGITUDE
    return exif


def encode(im: Image.Image, fmt: str, **params) -> bytes:
    """An image saved to bytes."""
    out = io.BytesIO()
    im.save(out, fmt, **params)
    return out.getvalue()


def _texture(width: int, height: int, divisors: tuple[int, ...], sigma: float = 70) -> Image.Image:
    """Colour noise at several scales, like fabric, leaves or embroidery: detail that survives downscaling."""
    img = None
    for i, div in enumerate(divisors):
        bands = [Image.effect_noise((max(2, width // div), max(2, height // div)), sigma) for _ in range(3)]
        layer = Image.merge("RGB", bands).resize((width, height), Image.Resampling.BICUBIC)
        img = layer if img is None else Image.blend(img, layer, 1 / (i + 1))
    assert img is not None
    return img


def photo_like(width: int = 4000, height: int = 3000, seed: int = 1) -> Image.Image:
    """A busy product photo: textured background, textured objects with edges, and sensor grain."""
    rnd = random.Random(seed)
    img = _texture(width, height, (300, 40, 8))
    for _ in range(40):
        sw, sh = rnd.randrange(width // 40, width // 3), rnd.randrange(height // 40, height // 3)
        x, y = rnd.randrange(width - sw), rnd.randrange(height - sh)
        box = (x, y, x + sw, y + sh)
        region = img.crop(box)
        mask = Image.new("L", region.size)
        draw = ImageDraw.Draw(mask)
        (draw.ellipse if rnd.random() < 0.5 else draw.rectangle)((0, 0, sw - 1, sh - 1), fill=255)
        colour = Image.new("RGB", region.size, tuple(rnd.randrange(256) for _ in range(3)))
        img.paste(Image.blend(colour, region, 0.5), box, mask)
    grain = Image.merge("RGB", [Image.effect_noise((width, height), 12) for _ in range(3)])
    return Image.blend(img, grain, 0.4)


def phone_jpeg(width: int = 4000, height: int = 3000, seed: int = 1) -> bytes:
    """A 12 MP phone camera JPEG (quality 93, about 3.4 MB) with GPS EXIF and a profile, like a real upload."""
    im = photo_like(width, height, seed)
    return encode(im, "JPEG", quality=93, exif=gps_exif(orientation=1), icc_profile=srgb_profile())


def gps_jpeg(*, icc: bool = True) -> bytes:
    """A JPEG with every kind of metadata: GPS EXIF, a comment, XMP and (unless icc=False) an ICC profile."""
    im = photo_like(1200, 900, seed=2)
    profile = {"icc_profile": srgb_profile()} if icc else {}
    return encode(im, "JPEG", quality=90, exif=gps_exif(), comment=SECRETS["comment"], xmp=XMP, **profile)


def text_png() -> bytes:
    """A PNG with tEXt, zTXt and iTXt chunks, an eXIf chunk with GPS and an ICC profile."""
    info = PngInfo()
    info.add_text("Comment", SECRETS["png_text"].decode())
    info.add_text("Zipped", SECRETS["png_ztxt"].decode(), zip=True)
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    info.add_itxt("Intl", SECRETS["png_itxt"].decode(), lang="en")
    return encode(photo_like(700, 500, seed=3), "PNG", pnginfo=info, exif=gps_exif(), icc_profile=srgb_profile())


def metadata_webp() -> bytes:
    """A WebP with EXIF (GPS), XMP and an ICC profile."""
    return encode(photo_like(900, 600, seed=4), "WEBP", exif=gps_exif(), xmp=XMP, icc_profile=srgb_profile())


def mpo() -> bytes:
    """A JPEG carrying a second picture (MPF), as some phone cameras write: opened by Pillow as MPO."""
    first = Image.new("RGB", (800, 600), (200, 40, 40))
    return encode(first, "MPO", save_all=True, append_images=[Image.new("RGB", (800, 600), (40, 40, 200))])


def quadrant_jpeg(orientation: int, size: tuple[int, int] = (1280, 640)) -> bytes:
    """A JPEG whose stored top-left quadrant is red (rest grey), tagged with this EXIF orientation."""
    im = Image.new("RGB", size, (128, 128, 128))
    im.paste((255, 0, 0), (0, 0, size[0] // 2, size[1] // 2))
    return encode(im, "JPEG", quality=90, exif=gps_exif(orientation))


# --- hostile files -----------------------------------------------------------------------------------


def svg() -> bytes:
    """An SVG with a script, as if renamed photo.jpg."""
    return b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'


def html() -> bytes:
    """An HTML page, as if renamed photo.jpg."""
    return b"<!doctype html><html><body>" + PAYLOAD + b"</body></html>"


def html_with_jpeg_magic() -> bytes:
    """HTML behind the first bytes of a JPEG, to fool a check of magic bytes alone."""
    return b"\xff\xd8\xff\xe0" + html()


def other_format(fmt: str) -> bytes:
    """A real picture in a format that is not accepted (GIF, BMP, TIFF, PDF, ICO...)."""
    return encode(Image.new("RGB", (400, 300), (10, 120, 200)), fmt)


def text() -> bytes:
    """Plain text."""
    return b"price list: papad 40, pickle 120\n" * 20


def small_jpeg(size: tuple[int, int] = (640, 480), **params) -> bytes:
    """A plain, valid JPEG."""
    return encode(photo_like(*size, seed=5), "JPEG", quality=85, **params)


def jpeg_with_appended_html() -> bytes:
    """A valid JPEG with an HTML/script payload after its end marker: a browser sniffing it may run the script."""
    return small_jpeg() + html()


def zip_archive() -> bytes:
    """A ZIP archive holding an HTML page."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(ZIP_MEMBER, html())
    return archive.getvalue()


def jpeg_zip_polyglot() -> bytes:
    """A file that is both a valid JPEG and a valid ZIP archive (ZIP is read from the end)."""
    return small_jpeg() + zip_archive()


def png_with_data_after_iend() -> bytes:
    """A valid PNG followed by a payload."""
    return encode(photo_like(500, 400, seed=6), "PNG") + html()


def jpeg_with_payload_in_comment() -> bytes:
    """A valid JPEG whose comment segment is an HTML/script payload."""
    return small_jpeg(comment=PAYLOAD)


def truncated(data: bytes, keep: float = 0.6) -> bytes:
    """The first part of a file, as a broken upload over mobile data leaves it."""
    return data[: int(len(data) * keep)]


def corrupt_exif_jpeg() -> bytes:
    """A valid JPEG whose APP1 Exif segment is garbage."""
    data = small_jpeg()
    garbage = b"Exif\x00\x00MM\x00\x2a\xff\xff\xff\xf0" + SECRETS["description"] * 4
    segment = b"\xff\xe1" + struct.pack(">H", len(garbage) + 2) + garbage
    return data[:2] + segment + data[2:]


def jpeg_with_size(width: int, height: int) -> bytes:
    """A small valid JPEG whose frame header claims another size: decoding it could only fail."""
    data = bytearray(small_jpeg((64, 48)))
    pos = 2
    while pos < len(data):
        marker, length = data[pos + 1], struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):  # start of frame: precision, height, width
            data[pos + 5 : pos + 9] = struct.pack(">HH", height, width)
            return bytes(data)
        pos += 2 + length
    raise AssertionError("no frame header")


def png_with_size(width: int, height: int) -> bytes:
    """A small PNG whose header claims another size, with a correct header checksum."""
    data = bytearray(encode(Image.new("RGB", (64, 48), "white"), "PNG"))
    data[16:24] = struct.pack(">II", width, height)  # IHDR payload starts after signature, length and type
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def png_bad_checksum() -> bytes:
    """A PNG whose header chunk fails its checksum."""
    data = bytearray(encode(Image.new("RGB", (64, 48), "white"), "PNG"))
    data[29] ^= 0xFF
    return bytes(data)


def png_bad_data_checksum() -> bytes:
    """A PNG whose pixel data chunk fails its checksum (Pillow checks it only in verify())."""
    data = bytearray(encode(Image.new("RGB", (64, 48), "white"), "PNG"))
    end = data.index(b"IEND") - 4  # the IDAT checksum is the 4 bytes before the IEND chunk's length
    data[end - 4] ^= 0xFF
    return bytes(data)


def ztxt_bomb() -> bytes:
    """A PNG with a compressed text chunk that inflates to 64 MB."""
    data = encode(Image.new("RGB", (64, 48), "white"), "PNG")
    body = b"Bomb\x00\x00" + zlib.compress(b"\x00" * (64 * 1024 * 1024), 9)
    chunk = struct.pack(">I", len(body)) + b"zTXt" + body + struct.pack(">I", zlib.crc32(b"zTXt" + body))
    return data[:33] + chunk + data[33:]


# --- made by hand, byte by byte: what no encoder writes ----------------------------------------------------


def png_chunk(kind: bytes, body: bytes) -> bytes:
    """One PNG chunk with its length and checksum."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def raw_png(width: int, height: int, colour_type: int, depth: int, *, rows: bytes | None = None,
            plte: bytes | None = None, trns: bytes | None = None, extra: bytes = b"", level: int = 9) -> bytes:
    """A PNG written by hand: any colour type and bit depth (valid or not), optional palette and
    transparency chunks, and pixel rows given or made up (a gradient, each row with filter 0)."""
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(colour_type, 3)
    row_bytes = (width * channels * depth + 7) // 8
    if rows is None:
        rows = b"".join(b"\0" + bytes((x * 37 + y * 11) % 256 for x in range(row_bytes)) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    chunks = png_chunk(b"IHDR", header)
    if plte is not None:
        chunks += png_chunk(b"PLTE", plte)
    if trns is not None:
        chunks += png_chunk(b"tRNS", trns)
    return b"\x89PNG\r\n\x1a\n" + chunks + extra + png_chunk(b"IDAT", zlib.compress(rows, level)) \
        + png_chunk(b"IEND", b"")


PNG_KINDS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}  # colour type: bit depths


def zero_png(width: int, height: int, colour_type: int = 6, depth: int = 8) -> bytes:
    """A PNG bomb within the pixel limit: well under a MB of zlib that inflates to hundreds of MB of pixels."""
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour_type]
    rows = (b"\0" * (width * channels * depth // 8 + 1)) * height
    return raw_png(width, height, colour_type, depth, rows=rows, level=1)  # level 9: twice as slow to make


def zero_webp(width: int, height: int) -> bytes:
    """A WebP bomb within the pixel limit: a few dozen bytes for a half-transparent canvas of width x height."""
    return encode(Image.new("RGBA", (width, height), (0, 0, 0, 128)), "WEBP", lossless=True, method=0, quality=0)


def iccp_bomb() -> bytes:
    """A PNG whose colour profile chunk inflates to 64 MB."""
    body = b"bomb\x00\x00" + zlib.compress(b"\x00" * (64 * 1024 * 1024), 9)
    return raw_png(40, 30, 2, 8, extra=png_chunk(b"iCCP", body))


def jpeg_with_exif(tiff: bytes, size: tuple[int, int] = (320, 160)) -> bytes:
    """A plain JPEG (its top-left quadrant red) carrying this TIFF structure as its EXIF segment."""
    data = quadrant_jpeg(1, size)
    start = data.index(b"\xff\xe1")  # quadrant_jpeg's own EXIF: replaced
    end = start + 2 + struct.unpack(">H", data[start + 2 : start + 4])[0]
    segment = b"Exif\x00\x00" + tiff
    return data[:start] + b"\xff\xe1" + struct.pack(">H", len(segment) + 2) + segment + data[end:]


def tiff_ifd(entries: list[tuple[int, int, int, bytes]], next_ifd: int = 0, count: int | None = None) -> bytes:
    """A big-endian TIFF header and one IFD at offset 8: (tag, type, count, 4-byte value or offset) entries."""
    body = b"".join(struct.pack(">HHI", tag, kind, n) + value.ljust(4, b"\x00")[:4] for tag, kind, n, value in entries)
    return b"MM\x00\x2a\x00\x00\x00\x08" + struct.pack(">H", len(entries) if count is None else count) + body \
        + struct.pack(">I", next_ifd)


ORIENTATION = 0x0112
SHORT, ASCII, LONG, RATIONAL, SSHORT = 3, 2, 4, 5, 8

# EXIF that lies: orientations out of range or of the wrong type, loops, counts far past the data.
HOSTILE_EXIF = {
    "orientation 0": tiff_ifd([(ORIENTATION, SHORT, 1, struct.pack(">H", 0))]),
    "orientation 9": tiff_ifd([(ORIENTATION, SHORT, 1, struct.pack(">H", 9))]),
    "orientation 65535": tiff_ifd([(ORIENTATION, SHORT, 1, struct.pack(">H", 65535))]),
    "orientation -6 (signed)": tiff_ifd([(ORIENTATION, SSHORT, 1, struct.pack(">h", -6))]),
    "orientation as text": tiff_ifd([(ORIENTATION, ASCII, 2, b"6\x00")]),
    "orientation as a fraction (6/1)": tiff_ifd([(ORIENTATION, RATIONAL, 1, struct.pack(">I", 26))])
    + struct.pack(">II", 6, 1),  # the fraction itself, at offset 26: just after the IFD
    "orientation 1000 times": tiff_ifd([(ORIENTATION, SHORT, 1000, struct.pack(">I", 8))]),
    "orientation as a huge long": tiff_ifd([(ORIENTATION, LONG, 1, struct.pack(">I", 2**32 - 1))]),
    "sub-IFD pointing at itself": tiff_ifd([(ORIENTATION, SHORT, 1, struct.pack(">H", 6)),
                                            (0x8769, LONG, 1, struct.pack(">I", 8))], next_ifd=8),
    "GPS IFD pointing past the end": tiff_ifd([(0x8825, LONG, 1, struct.pack(">I", 2**31))]),
    "text of 4 GB": tiff_ifd([(0x010E, ASCII, 2**32 - 1, struct.pack(">I", 8))]),
    "4,000 entries claimed": tiff_ifd([(ORIENTATION, SHORT, 1, struct.pack(">H", 6))], count=4000),
    "header only": b"MM\x00\x2a\x00\x00\x00\x08",
    "little-endian garbage": b"II\x2a\x00" + b"\xff" * 64,
}


def jpeg_with_marker(marker: int) -> bytes:
    """A small JPEG whose start-of-frame says another kind: lossless, arithmetic, hierarchical..."""
    data = bytearray(small_jpeg((64, 48)))
    at = data.index(b"\xff\xc0")
    data[at + 1] = marker
    return bytes(data)


def jpeg_with_precision(bits: int) -> bytes:
    """A small JPEG whose frame header claims 12- or 16-bit samples."""
    data = bytearray(small_jpeg((64, 48)))
    at = data.index(b"\xff\xc0")
    data[at + 4] = bits
    return bytes(data)


def animated(fmt: str, frames: int, size: tuple[int, int] = (400, 300), mode: str = "RGB", **params) -> bytes:
    """An animation of many frames, the first red: only that one is wanted."""
    pictures = [Image.new(mode, size, (255, 0, 0, 255)[: len(mode)] if i == 0 else (0, i % 256, 255, 128)[: len(mode)])
                for i in range(frames)]
    return encode(pictures[0], fmt, save_all=True, append_images=pictures[1:], duration=10, **params)


def cmyk_with_rgb_profile() -> bytes:
    """A CMYK JPEG carrying an RGB profile: the colour conversion cannot apply it."""
    return encode(Image.new("CMYK", (300, 200), (0, 255, 255, 0)), "JPEG", icc_profile=srgb_profile())


def mutate(data: bytes, edits: list[tuple[int, int, int]]) -> bytes:
    """data with edits applied: (0, where, byte) overwrites, (1, where, byte) inserts, (2, where, n) deletes n bytes,
    (3, where, _) cuts the file there. `where` is taken modulo the length."""
    out = bytearray(data)
    for kind, where, value in edits:
        if not out:
            break
        at = where % len(out)
        if kind == 0:
            out[at] = value % 256
        elif kind == 1:
            out.insert(at, value % 256)
        elif kind == 2:
            del out[at : at + value % 64]
        else:
            del out[at:]
    return bytes(out)
