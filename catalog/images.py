"""Product photos: an upload is checked, turned upright and re-encoded into small WebP and JPEG renditions.

Sellers photograph products with cheap phones whose JPEGs carry EXIF, often with the GPS position of
the home where the photo was taken; and anything uploaded may be a hostile file. So the format is decided
by the content (JPEG, PNG or WebP only), the size in pixels is checked from the header before any pixel
is decoded, and only the pixels are re-encoded: no metadata and no byte of the upload reaches a stored
file. Files are named by a random key, never by anything the upload says.
"""

from __future__ import annotations

import contextlib
import errno
import io
import logging
import math
import os
import re
import secrets
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from PIL import ExifTags, Image, ImageCms, ImageOps, UnidentifiedImageError

from market.core.errors import Refusal

WIDTHS = (160, 320, 640, 1080)
MAX_UPLOAD_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 50_000_000
# Only a JPEG can be decoded at reduced scale (draft); a PNG or WebP is decoded whole, at 4 bytes a pixel
# as RGBA, and a solid-colour WebP of any size is a few dozen bytes: so these get a lower limit (~100 MB).
# Phones save camera photos as JPEG; screenshots and other PNGs are far smaller.
MAX_PIXELS_UNSCALED = 24_000_000
MAX_SIDE = 12_000
EXTENSIONS = ("webp", "jpg")

# Tuned so that the 320 px WebP of a detailed 12 MP phone photo, the largest picture on the catalogue
# grid, stays under 30 KB on slow mobile data while products still look sharp.
WEBP_QUALITY = 72
JPEG_QUALITY = 80
# Decode a JPEG at 1/2, 1/4 or 1/8 scale only while it stays at least this many times the largest
# rendition, so Lanczos still has real pixels to work from.
DRAFT_MARGIN = 1.5

# Pillow opens a phone JPEG that carries a second picture (depth map, preview) as "MPO": its first
# frame is the photo, so it counts as a JPEG.
_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WEBP"}
_OPENERS = ("JPEG", "PNG", "WEBP")
# What Pillow's parsers raise on malformed input: all mean "damaged file", never a server error.
_BROKEN = (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError, struct.error, ZeroDivisionError)
_KEY_BYTES = 16
_KEY = re.compile(r"[A-Za-z0-9_-]{22}")  # what secrets.token_urlsafe(16) makes

_TOO_BIG = _l("This photo is bigger than %(mb)d MB. Choose a smaller photo.", mb=MAX_UPLOAD_BYTES // (1024 * 1024))
_EMPTY = _l("This file is empty. Choose a photo.")
_NOT_A_PHOTO = _l("This file is not a photo we can use. Choose a JPEG, PNG or WebP photo.")


def _too_many_pixels(max_pixels: int) -> LazyString:
    """The refusal of a picture over MAX_SIDE or over max_pixels: one message, the limit that was broken."""
    return _l(
        "This photo is too large: over %(side)s pixels wide or tall, or over %(mp)d megapixels. "
        "Choose a smaller photo.",
        side=f"{MAX_SIDE:,}",
        mp=max_pixels // 1_000_000,
    )


_TOO_MANY_PIXELS = _too_many_pixels(MAX_PIXELS)
_TOO_MANY_PIXELS_UNSCALED = _too_many_pixels(MAX_PIXELS_UNSCALED)  # a PNG or WebP: decoded whole
_DAMAGED = _l("This photo is damaged or incomplete. Take it or send it again.")
_NO_SPACE = _l("Your photos could not be saved: our server is out of space. Nothing was changed. "
               "Please try again later.")
_NO_SPACE_ERRNOS = (errno.ENOSPC, errno.EDQUOT)
log = logging.getLogger(__name__)


class PhotoError(Refusal):
    """A refused upload; str(exc) is a short, plain message for the seller."""


class NoSpace(PhotoError):
    """The photo is fine but the media disk is full (or over quota): nothing of it was kept."""


@dataclass(frozen=True)
class StoredPhoto:
    """The renditions written for one photo, all named after its key."""

    key: str
    width: int  # of the largest rendition
    height: int
    widths: tuple[int, ...]  # ascending


def valid_key(key: str) -> bool:
    """Whether key has the shape of a key this module makes (safe to put in a file name)."""
    return isinstance(key, str) and _KEY.fullmatch(key) is not None


def rendition_path(media_dir: Path, key: str, width: int, ext: str) -> Path:
    """Where the rendition of photo key at this width and extension ("webp" or "jpg") is stored."""
    if not valid_key(key):
        raise ValueError("not a photo key")
    if ext not in EXTENSIONS:
        raise ValueError("extension must be webp or jpg")
    if isinstance(width, bool) or not isinstance(width, int) or not 1 <= width <= WIDTHS[-1]:
        raise ValueError("width out of range")
    return Path(media_dir) / f"{key}-{width}.{ext}"


def delete_photo(media_dir: Path, key: str) -> None:
    """Remove every rendition of photo key; renditions already gone are ignored."""
    # A photo has either some of WIDTHS or, when narrower than the smallest, one width below it: trying
    # those few hundred names costs well under a millisecond, listing a directory of millions of files does not.
    for width in (*range(1, WIDTHS[0]), *WIDTHS):
        for ext in EXTENSIONS:
            rendition_path(media_dir, key, width, ext).unlink(missing_ok=True)


# Turning a photo clockwise (what the seller asked in the preview) as Pillow's lossless transposes.
TURNS = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}


def process_upload(data: bytes | BinaryIO, media_dir: Path, turn: int = 0) -> StoredPhoto:
    """Check an uploaded photo, re-encode it upright (and turned `turn` degrees clockwise, as she asked) and
    without metadata, and store its renditions."""
    raw = _read_upload(data)
    picture = _decode(raw)
    if turn in TURNS:
        picture = picture.transpose(TURNS[turn])
    widths = _widths_for(picture.width)
    encoded: dict[str, bytes] = {}
    for width in widths:
        rendition = _fresh(_resize(picture, width))
        encoded[f"{width}.webp"] = _encode(rendition, "WEBP")
        encoded[f"{width}.jpg"] = _encode(rendition, "JPEG")
    key = _write_all(Path(media_dir), encoded)
    return StoredPhoto(key=key, width=picture.width, height=picture.height, widths=tuple(widths))


def _read_upload(data: bytes | BinaryIO) -> bytes:
    """The upload's bytes, read no further than one byte past the limit."""
    if isinstance(data, bytes | bytearray | memoryview):
        if len(data) > MAX_UPLOAD_BYTES:
            raise PhotoError(_TOO_BIG)
        raw = bytes(data)
    else:
        chunks, total = [], 0
        while total <= MAX_UPLOAD_BYTES:
            chunk = data.read(MAX_UPLOAD_BYTES + 1 - total)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > MAX_UPLOAD_BYTES:
            raise PhotoError(_TOO_BIG)
        raw = b"".join(chunks)
    if not raw:
        raise PhotoError(_EMPTY)
    return raw


def _decode(raw: bytes) -> Image.Image:
    """The upload's pixels, upright, flattened to RGB in sRGB, no wider than its largest rendition."""
    with warnings.catch_warnings():
        # Pillow warns (and only warns) about an image over Image.MAX_IMAGE_PIXELS: make that a refusal for
        # this call. The size check below does not depend on it: catch_warnings is process-wide, so another
        # thread may restore the filters while this one decodes.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        # Corrupt metadata only draws a warning, and all metadata is thrown away anyway.
        warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.")
        try:
            with Image.open(io.BytesIO(raw), formats=_OPENERS) as probe:
                kind = _FORMATS.get(probe.format or "")
                if kind is None:
                    raise PhotoError(_NOT_A_PHOTO)
                size = probe.size
                _check_size(size, kind)
                probe.verify()  # PNG: every chunk's checksum; others are checked when decoded below
            with Image.open(io.BytesIO(raw), formats=_OPENERS) as im:
                if im.size != size:
                    raise PhotoError(_DAMAGED)
                if kind == "JPEG":  # its EXIF is read with the header, so the upright width is known already
                    _draft(im, size[::-1] if _orientation(im) >= 5 else size)
                im.load()
                decoded = im.size
                icc = im.info.get("icc_profile")
                with contextlib.suppress(*_BROKEN):  # unreadable EXIF: keep the photo as taken, do not refuse it
                    ImageOps.exif_transpose(im, in_place=True)
                # Turned or not, as it actually came out: the aspect ratio must follow the pixels.
                upright = size[::-1] if im.size != decoded else size
                picture = _flatten(im)
        except PhotoError:
            raise
        except UnidentifiedImageError as exc:
            raise PhotoError(_NOT_A_PHOTO) from exc
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise PhotoError(_TOO_MANY_PIXELS) from exc
        except _BROKEN as exc:  # LOAD_TRUNCATED_IMAGES stays off, so a cut-off file lands here
            raise PhotoError(_DAMAGED) from exc
    target = _widths_for(upright[0])[-1]
    height = max(1, round(upright[1] * target / upright[0]))  # from the header, so decoding scale cannot skew it
    # Colours are converted after shrinking: the same result on a quarter of the pixels.
    return _to_srgb(_resize(picture, target, height), icc)


def _check_size(size: tuple[int, int], kind: str) -> None:
    """Refuse a picture too big to decode safely, before a single pixel is decoded."""
    width, height = size
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise PhotoError(_TOO_MANY_PIXELS)
    if kind != "JPEG" and width * height > MAX_PIXELS_UNSCALED:  # no draft(): it would be decoded whole
        raise PhotoError(_TOO_MANY_PIXELS_UNSCALED)
    if width < 1 or height < 1:
        raise PhotoError(_DAMAGED)


def _orientation(im: Image.Image) -> int:
    """The EXIF orientation (1 to 8), or 1 when it is missing or unreadable."""
    try:
        value = im.getexif().get(ExifTags.Base.Orientation, 1)
    except _BROKEN:
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _draft(im: Image.Image, upright: tuple[int, int]) -> None:
    """Let libjpeg decode at 1/2, 1/4 or 1/8 scale when the photo is much bigger than what is kept."""
    factor = upright[0] / _widths_for(upright[0])[-1] / DRAFT_MARGIN
    if factor < 2:
        return
    # draft() picks the largest reduction whose result still covers the size asked for; rounding up keeps
    # that reduction at most `factor`.
    im.draft("RGB", (math.ceil(im.width / factor), math.ceil(im.height / factor)))


def _flatten(im: Image.Image) -> Image.Image:
    """Any mode as 8-bit RGB, L or CMYK, transparency flattened onto white (resizing needs no palette or alpha)."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        im = im.convert("I").point(lambda v: v / 256).convert("L")  # 16-bit grey: keep the top 8 bits
    elif im.mode == "1":
        im = im.convert("L")
    if im.mode in ("RGBA", "LA") or (im.mode in ("P", "L", "RGB") and "transparency" in im.info):
        rgba = im if im.mode == "RGBA" else im.convert("RGBA")  # no copy: at 50 MP each one is 200 MB
        im = Image.new("RGB", rgba.size, "white")
        im.paste(rgba, mask=rgba.getchannel("A"))
    elif im.mode == "P":
        im = im.convert("RGB")
    return im


def _to_srgb(im: Image.Image, icc: bytes | None) -> Image.Image:
    """The picture as RGB, its colours converted into sRGB when it came with a colour profile."""
    if icc and im.mode in ("RGB", "L", "CMYK"):
        try:
            # A fresh sRGB profile per call: lcms profiles must not be shared between threads.
            srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
            converted = ImageCms.profileToProfile(im, ImageCms.ImageCmsProfile(io.BytesIO(icc)), srgb,
                                                  outputMode="RGB")
            if converted is not None:  # None only when converting in place, which this is not
                return converted
        except (ImageCms.PyCMSError, *_BROKEN):
            pass  # a broken or mismatched profile: the plain conversion below is close enough
    return im.convert("RGB")


def _widths_for(width: int) -> list[int]:
    """The rendition widths for a photo this wide, ascending; a photo narrower than all gets its own."""
    return [w for w in WIDTHS if w <= width] or [width]


def _resize(im: Image.Image, width: int, height: int | None = None) -> Image.Image:
    """The picture at this width (height kept in proportion unless given)."""
    if height is None:
        height = max(1, round(im.height * width / im.width))
    if im.size == (width, height):
        return im
    # reducing_gap: a fast integer reduce() first, then Lanczos over at least 3x the final size.
    return im.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)


def _fresh(im: Image.Image) -> Image.Image:
    """A new image holding only im's pixels: no info dict, so no comment, EXIF, XMP or profile to write back."""
    clean = Image.new("RGB", im.size)
    clean.paste(im)
    return clean


def _encode(im: Image.Image, kind: str) -> bytes:
    """One rendition's file content."""
    out = io.BytesIO()
    if kind == "WEBP":
        im.save(out, "WEBP", quality=WEBP_QUALITY, method=4)
    else:
        im.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return out.getvalue()


def _write_all(media_dir: Path, encoded: dict[str, bytes]) -> str:
    """Store the renditions under a new random key; on any failure leave no file behind."""
    media_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(_KEY_BYTES)
    while any((media_dir / f"{key}-{name}").exists() for name in encoded):
        key = secrets.token_urlsafe(_KEY_BYTES)  # practically never: 128 random bits
    written: list[Path] = []
    try:
        # Temporary dot-names first, renamed only once all are on disk: a half-stored photo is never
        # visible, and valid_key() refuses the temporary names.
        temps = []
        for name, content in encoded.items():
            temp = media_dir / f".{key}-{name}.part"
            written.append(temp)
            with open(temp, "xb") as f:
                f.write(content)
            temps.append((temp, media_dir / f"{key}-{name}"))
        for temp, final in temps:
            os.replace(temp, final)
            written.append(final)
    except BaseException as exc:
        for path in written:
            path.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno in _NO_SPACE_ERRNOS:
            # The seller gets a message, not an error page; whoever runs the server must hear of it.
            log.error("no space left for photos in %s: %s", media_dir, exc)
            raise NoSpace(_NO_SPACE) from exc
        raise
    return key
