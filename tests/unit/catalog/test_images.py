"""The photo pipeline: what is refused, what is kept, what never reaches a stored file, and how much work it is.

No test here times anything (a busy machine is slow, not wrong): the `work` fixture counts the pictures Pillow
decodes, resamples and encodes instead. bench/photos.py measures the time."""

from __future__ import annotations

import io
import math
import os
import struct
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask_babel.speaklater import LazyString
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile
from PIL.JpegImagePlugin import JpegImageFile
from werkzeug.datastructures import FileStorage

from catalog import images
from catalog.images import (
    MAX_UPLOAD_BYTES,
    WIDTHS,
    PhotoError,
    StoredPhoto,
    delete_photo,
    process_upload,
    rendition_path,
    valid_key,
)
from tests.conftest import NO_CLOCK_CHECKS, examples
from tests.unit.catalog import hostile

NOT_A_PHOTO = "not a photo we can use"
DAMAGED = "damaged or incomplete"
TOO_LARGE = "too large"


@pytest.fixture(scope="module")
def phone_photo() -> bytes:
    """A 12 MP, 3.4 MB phone JPEG: made once, it takes a second or two."""
    return hostile.phone_jpeg()


@pytest.fixture
def media(tmp_path):
    path = tmp_path / "media"
    path.mkdir()
    return path


@dataclass
class Work:
    """What the pipeline had Pillow do: the size of each picture decoded (after any reduced-scale decoding),
    of each picture resampled (its source) and of each file encoded."""

    decoded: list[tuple[int, int]] = field(default_factory=list)
    resampled: list[tuple[int, int]] = field(default_factory=list)
    encoded: list[tuple[int, int]] = field(default_factory=list)

    def clear(self) -> None:
        self.decoded.clear()
        self.resampled.clear()
        self.encoded.clear()


def pixels(sizes: list[tuple[int, int]]) -> int:
    return sum(w * h for w, h in sizes)


@pytest.fixture
def work(monkeypatch) -> Work:
    """Counts the work: every decode goes through ImageFile.load (WebP's too, after its frame is read)."""
    seen = Work()
    real_load, real_resize, real_save = ImageFile.ImageFile.load, Image.Image.resize, Image.Image.save

    def load(self):
        if self.tile:  # pixels still to decode; a loaded picture has none
            seen.decoded.append(self.size)
        return real_load(self)

    def resize(self, size, *args, **kwargs):
        seen.resampled.append(self.size)
        return real_resize(self, size, *args, **kwargs)

    def save(self, fp, format=None, **params):
        seen.encoded.append(self.size)
        return real_save(self, fp, format, **params)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    monkeypatch.setattr(Image.Image, "resize", resize)
    monkeypatch.setattr(Image.Image, "save", save)
    return seen


def stored_files(media_dir) -> list[str]:
    return sorted(p.name for p in media_dir.iterdir())


def outputs(media_dir, photo: StoredPhoto):
    """(path, bytes) of every rendition of photo."""
    for width in photo.widths:
        for ext in ("webp", "jpg"):
            path = rendition_path(media_dir, photo.key, width, ext)
            yield path, path.read_bytes()


def jpeg_header_markers(data: bytes) -> list[int]:
    """The segment markers of a JPEG up to its first scan."""
    assert data[:2] == b"\xff\xd8"
    markers, pos = [], 2
    while True:
        marker = data[pos + 1]
        markers.append(marker)
        if marker == 0xDA:
            return markers
        pos += 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]


def webp_chunks(data: bytes) -> list[bytes]:
    """The chunk types of a WebP file, checking that the RIFF size covers the whole file."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    assert struct.unpack("<I", data[4:8])[0] == len(data) - 8, "bytes outside the RIFF container"
    chunks, pos = [], 12
    while pos < len(data):
        size = struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        chunks.append(data[pos : pos + 4])
        pos += 8 + size + (size & 1)
    return chunks


def outside_pixels(path: Path, data: bytes) -> bytes:
    """A rendition without its compressed pixels: a JPEG's segments before its first scan, a WebP's chunk
    headers and the chunks that are not image data."""
    if path.suffix == ".jpg":
        pos = 2
        while data[pos + 1] != 0xDA:
            pos += 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        return data[:pos]
    kept, pos = [data[:12]], 12
    while pos < len(data):
        size = struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        chunk = data[pos : pos + 8 + size + (size & 1)]
        kept.append(chunk[:8] if chunk[:4] in (b"VP8 ", b"VP8L", b"ALPH") else chunk)
        pos += 8 + size + (size & 1)
    return b"".join(kept)


def is_red(pixel) -> bool:
    r, g, b = pixel[:3]
    return r > 200 and g < 70 and b < 70


# --- what is stored --------------------------------------------------------------------------------


def test_a_phone_photo_is_stored_at_every_width_as_webp_and_jpeg(media, phone_photo):
    photo = process_upload(phone_photo, media)

    assert photo == StoredPhoto(key=photo.key, width=1080, height=810, widths=WIDTHS)
    expected = sorted(f"{photo.key}-{w}.{ext}" for w in WIDTHS for ext in ("webp", "jpg"))
    assert stored_files(media) == expected
    for width in WIDTHS:
        with Image.open(rendition_path(media, photo.key, width, "webp")) as im:
            assert (im.format, im.size, im.mode) == ("WEBP", (width, width * 3 // 4), "RGB")
        with Image.open(rendition_path(media, photo.key, width, "jpg")) as im:
            assert (im.format, im.size, im.mode) == ("JPEG", (width, width * 3 // 4), "RGB")
            assert im.info.get("progressive") == 1


def test_the_catalogue_thumbnail_is_small_enough_for_mobile_data(media, phone_photo):
    photo = process_upload(phone_photo, media)

    assert len(phone_photo) > 3_000_000  # the fixture really is a detailed photo, not a flat one
    assert rendition_path(media, photo.key, 320, "webp").stat().st_size <= 30 * 1024
    assert rendition_path(media, photo.key, 320, "jpg").stat().st_size <= 40 * 1024


def test_a_12_megapixel_photo_costs_one_decode_at_a_quarter_of_its_pixels_and_small_resamples(
        media, phone_photo, work):
    photo = process_upload(phone_photo, media)

    assert work.decoded == [(2000, 1500)]  # once, at half its width: a quarter of its 12 MP
    # Shrunk once from what was decoded; each smaller rendition from that 1080 px picture, not from the decode.
    assert work.resampled == [(2000, 1500)] + [(1080, 810)] * 3
    assert sorted(work.encoded) == sorted((w, w * 3 // 4) for w in photo.widths for _format in ("webp", "jpg"))


@pytest.mark.parametrize(("size", "widths", "stored"), [
    ((700, 500), (160, 320, 640), (640, 457)),
    ((1080, 1080), WIDTHS, (1080, 1080)),
    ((1079, 600), (160, 320, 640), (640, 356)),
    ((160, 90), (160,), (160, 90)),
    ((100, 80), (100,), (100, 80)),  # narrower than the smallest width: kept at its own, never upscaled
    ((1, 1), (1,), (1, 1)),
    ((12_000, 100), WIDTHS, (1080, 9)),  # as wide as allowed
])
def test_widths_are_those_the_photo_can_fill(media, size, widths, stored):
    photo = process_upload(hostile.encode(Image.new("RGB", size, "teal"), "JPEG"), media)

    assert (photo.widths, (photo.width, photo.height)) == (widths, stored)
    assert len(stored_files(media)) == 2 * len(widths)
    with Image.open(rendition_path(media, photo.key, widths[-1], "webp")) as im:
        assert im.size == stored


def test_each_upload_gets_a_new_random_key(media):
    data = hostile.small_jpeg()
    keys = {process_upload(data, media).key for _ in range(3)}

    assert len(keys) == 3
    assert all(valid_key(key) for key in keys)


def test_an_upload_can_be_a_flask_file_storage(media):
    upload = FileStorage(stream=io.BytesIO(hostile.small_jpeg()), filename="../../etc/passwd.jpg")

    photo = process_upload(upload, media)

    assert photo.widths == (160, 320, 640)
    assert all(name.startswith(photo.key) for name in stored_files(media))


def test_the_media_directory_is_created_when_missing(tmp_path):
    media_dir = tmp_path / "not" / "yet"

    photo = process_upload(hostile.small_jpeg(), media_dir)

    assert rendition_path(media_dir, photo.key, 640, "webp").is_file()


# --- metadata --------------------------------------------------------------------------------------

METADATA_SOURCES = {
    "jpeg with gps, comment, icc, xmp": hostile.gps_jpeg,
    "jpeg with gps, comment, xmp, no icc": lambda: hostile.gps_jpeg(icc=False),
    "png with text chunks, exif, icc": hostile.text_png,
    "webp with exif, xmp, icc": hostile.metadata_webp,
}


@pytest.mark.parametrize("make", METADATA_SOURCES.values(), ids=METADATA_SOURCES.keys())
def test_no_metadata_survives(media, make):
    source = make()
    with Image.open(io.BytesIO(source)) as im:  # the fixture does carry what must be stripped
        im.load()
        assert im.getexif().get_ifd(0x8825), "fixture lacks GPS"

    photo = process_upload(source, media)

    icc = hostile.srgb_profile()
    for path, data in outputs(media, photo):
        with Image.open(path) as im:
            im.load()
            for key in ("exif", "icc_profile", "comment", "xmp", "XML:com.adobe.xmp"):
                assert key not in im.info, (path.name, key)
            assert not im.getexif(), path.name
            if im.format == "PNG":
                assert not im.text
        for needle in (b"Exif", b"GPS", b"http://ns.adobe.com/xap", b"HaatPhone", icc[128:], *hostile.SECRETS.values()):
            # A needle of 3 or 4 bytes turns up by chance in compressed pixels (which noise is drawn for the
            # fixture depends on the tests run before): those are looked for outside the pixels only.
            assert needle not in (data if len(needle) > 8 else outside_pixels(path, data)), (path.name, needle)
        if path.suffix == ".jpg":
            markers = jpeg_header_markers(data)
            assert not [m for m in markers if 0xE1 <= m <= 0xEF or m == 0xFE], (path.name, markers)  # APPn, COM
            assert data.endswith(b"\xff\xd9")
        else:
            assert set(webp_chunks(data)) <= {b"VP8 ", b"VP8L", b"VP8X", b"ALPH"}, path.name


def test_plain_pillow_re_encoding_would_keep_the_comment():
    """Why the pipeline copies pixels into a new image: this is what it guards against."""
    with Image.open(io.BytesIO(hostile.gps_jpeg())) as im:
        naive = hostile.encode(im.resize((320, 240)), "JPEG")
    assert hostile.SECRETS["comment"] in naive


# --- orientation -----------------------------------------------------------------------------------

# Where the stored top-left quadrant ends up once the photo is turned upright, per EXIF orientation.
CORNERS = {1: "top-left", 2: "top-right", 3: "bottom-right", 4: "bottom-left",
           5: "top-left", 6: "top-right", 7: "bottom-right", 8: "bottom-left"}


def corner(im: Image.Image, name: str):
    x = im.width // 8 if "left" in name else im.width * 7 // 8
    y = im.height // 8 if "top" in name else im.height * 7 // 8
    return im.convert("RGB").getpixel((x, y))


@pytest.mark.parametrize("orientation", CORNERS)
def test_exif_orientation_is_applied(media, orientation):
    photo = process_upload(hostile.quadrant_jpeg(orientation, (1280, 640)), media)

    upright = (640, 1280) if orientation >= 5 else (1080, 540)
    assert (photo.width, photo.height) == upright
    for ext in ("webp", "jpg"):
        with Image.open(rendition_path(media, photo.key, photo.width, ext)) as im:
            assert im.size == upright
            assert not im.getexif()  # no orientation left for a browser to apply a second time
            for name in ("top-left", "top-right", "bottom-right", "bottom-left"):
                assert is_red(corner(im, name)) == (name == CORNERS[orientation]), (ext, name)


def test_a_large_rotated_jpeg_fills_its_upright_width(media):
    photo = process_upload(hostile.quadrant_jpeg(6, (8000, 2000)), media)

    assert (photo.widths, photo.width, photo.height) == (WIDTHS, 1080, 4320)
    with Image.open(rendition_path(media, photo.key, 1080, "jpg")) as im:
        assert is_red(corner(im, "top-right")) and not is_red(corner(im, "top-left"))


@pytest.fixture
def decoded_sizes(monkeypatch):
    """The size each JPEG is decoded at, recorded around Pillow's draft()."""
    sizes, real_draft = [], JpegImageFile.draft

    def draft(self, mode, size):
        result = real_draft(self, mode, size)
        sizes.append(self.size)
        return result

    monkeypatch.setattr(JpegImageFile, "draft", draft)
    return sizes


def test_a_big_jpeg_is_decoded_at_reduced_scale(media, phone_photo, decoded_sizes):
    process_upload(phone_photo, media)

    assert decoded_sizes == [(2000, 1500)]  # half of 4000x3000, still 1.85 times the largest rendition


def test_a_rotated_jpeg_is_reduced_by_its_upright_width(media, decoded_sizes):
    # Stored 8000x2000, upright 2000x8000: reducing by the stored width (8000 / 1080) would decode it at
    # a quarter, 500 px wide upright, and blow that up to 1080.
    process_upload(hostile.quadrant_jpeg(6, (8000, 2000)), media)

    assert [min(size) for size in decoded_sizes] in ([], [2000])


def test_reduced_scale_decoding_keeps_the_detail(media, phone_photo, monkeypatch):
    photo = process_upload(phone_photo, media)
    monkeypatch.setattr(images, "DRAFT_MARGIN", 1e9)  # never reduce
    full = process_upload(phone_photo, media)

    with Image.open(rendition_path(media, photo.key, 1080, "webp")) as fast, \
            Image.open(rendition_path(media, full.key, 1080, "webp")) as slow:
        fast_px, slow_px = fast.tobytes(), slow.tobytes()
    mean_error = sum(abs(a - b) for a, b in zip(fast_px, slow_px, strict=True)) / len(fast_px)
    assert mean_error < 2.5


# --- colours and modes -----------------------------------------------------------------------------


ORANGE = Image.new("RGB", (400, 300), (200, 120, 40))


def half_transparent(mode: str) -> Image.Image:
    im = Image.new("RGBA", (400, 300), (0, 0, 255, 255))
    im.paste((0, 0, 0, 0), (0, 0, 200, 300))
    return im if mode == "RGBA" else im.convert(mode)


@pytest.mark.parametrize(("source", "left", "right"), [
    pytest.param(hostile.encode(half_transparent("RGBA"), "PNG"), (255, 255, 255), (0, 0, 255), id="rgba png"),
    pytest.param(hostile.encode(half_transparent("RGBA"), "WEBP", lossless=True), (255, 255, 255), (0, 0, 255),
                 id="rgba webp"),
    pytest.param(hostile.encode(half_transparent("P"), "PNG"), (255, 255, 255), (0, 0, 255), id="palette png"),
    pytest.param(hostile.encode(Image.new("LA", (400, 300), (90, 0)), "PNG"), (255, 255, 255), (255, 255, 255),
                 id="grey+alpha png"),
    pytest.param(hostile.encode(Image.new("CMYK", (400, 300), (0, 255, 255, 0)), "JPEG"), (255, 0, 0), (255, 0, 0),
                 id="cmyk jpeg"),
    pytest.param(hostile.encode(Image.new("L", (400, 300), 100), "JPEG"), (100, 100, 100), (100, 100, 100),
                 id="grey jpeg"),
    pytest.param(hostile.encode(Image.new("I;16", (400, 300), 60_000), "PNG"), (234, 234, 234), (234, 234, 234),
                 id="16-bit grey png"),
    pytest.param(hostile.encode(Image.new("1", (400, 300), 1), "PNG"), (255, 255, 255), (255, 255, 255),
                 id="1-bit png"),
    pytest.param(hostile.encode(ORANGE, "JPEG", icc_profile=hostile.srgb_profile()), (200, 120, 40), (200, 120, 40),
                 id="srgb profile"),
    pytest.param(hostile.encode(ORANGE, "JPEG", icc_profile=b"junk" * 40), (200, 120, 40), (200, 120, 40),
                 id="broken profile"),
    pytest.param(hostile.encode(Image.new("RGB", (400, 300), (255, 0, 0)), "JPEG",
                                icc_profile=hostile.swapped_primaries_profile()),
                 (0, 0, 255), (0, 0, 255), id="colours converted to srgb"),
    pytest.param(hostile.mpo(), (200, 40, 40), (200, 40, 40), id="mpo: first picture"),
])
def test_every_mode_becomes_plain_rgb_with_transparency_on_white(media, source, left, right):
    photo = process_upload(source, media)

    for ext in ("webp", "jpg"):
        with Image.open(rendition_path(media, photo.key, photo.width, ext)) as im:
            assert im.mode == "RGB"
            for (x, expected) in ((im.width // 8, left), (im.width * 7 // 8, right)):
                got = im.getpixel((x, im.height // 2))
                assert all(abs(g - e) <= 6 for g, e in zip(got, expected, strict=True)), (ext, got, expected)


def test_an_animated_webp_keeps_its_first_frame(media):
    frames = [Image.new("RGB", (400, 300), colour) for colour in ("red", "blue")]
    source = hostile.encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100)

    photo = process_upload(source, media)

    with Image.open(rendition_path(media, photo.key, photo.width, "webp")) as im:
        assert getattr(im, "n_frames", 1) == 1 and is_red(im.getpixel((10, 10)))


# --- refusals --------------------------------------------------------------------------------------

REFUSED = {
    "svg renamed .jpg": (hostile.svg, NOT_A_PHOTO),
    "html renamed .jpg": (hostile.html, NOT_A_PHOTO),
    "html behind jpeg magic bytes": (hostile.html_with_jpeg_magic, (NOT_A_PHOTO, DAMAGED)),
    "text": (hostile.text, NOT_A_PHOTO),
    "empty file": (lambda: b"", "empty"),
    "gif": (lambda: hostile.other_format("GIF"), NOT_A_PHOTO),
    "bmp": (lambda: hostile.other_format("BMP"), NOT_A_PHOTO),
    "tiff": (lambda: hostile.other_format("TIFF"), NOT_A_PHOTO),
    "pdf": (lambda: hostile.other_format("PDF"), NOT_A_PHOTO),
    "ico": (lambda: hostile.other_format("ICO"), NOT_A_PHOTO),
    "zip": (hostile.zip_archive, NOT_A_PHOTO),
    "truncated jpeg": (lambda: hostile.truncated(hostile.small_jpeg()), DAMAGED),
    "jpeg cut inside its header": (lambda: hostile.small_jpeg()[:300], DAMAGED),
    "truncated png": (lambda: hostile.truncated(hostile.text_png()), DAMAGED),
    "truncated webp": (lambda: hostile.truncated(hostile.metadata_webp()), DAMAGED),
    "png header checksum wrong": (hostile.png_bad_checksum, (NOT_A_PHOTO, DAMAGED)),
    "png pixel data checksum wrong": (hostile.png_bad_data_checksum, DAMAGED),
    "png text chunk bomb": (hostile.ztxt_bomb, DAMAGED),
    "png claiming 4000x4000 with no pixels": (lambda: hostile.png_with_size(4000, 4000), DAMAGED),
    "12,001 px wide": (lambda: hostile.encode(Image.new("RGB", (12_001, 100)), "JPEG"), TOO_LARGE),
    "12,001 px tall png": (lambda: hostile.encode(Image.new("L", (10, 12_001)), "PNG"), TOO_LARGE),
    "50,000 px wide jpeg header": (lambda: hostile.jpeg_with_size(50_000, 100), TOO_LARGE),
    "81 megapixels (under Pillow's own limit)": (lambda: hostile.png_with_size(9000, 9000), TOO_LARGE),
    "7,100 x 7,100 (just over 50 megapixels)": (lambda: hostile.png_with_size(7100, 7100), TOO_LARGE),
    "121 megapixels (Pillow warns)": (lambda: hostile.png_with_size(11_000, 11_000), TOO_LARGE),
    "2.5 gigapixels (Pillow refuses)": (lambda: hostile.jpeg_with_size(50_000, 50_000), TOO_LARGE),
}


@pytest.mark.parametrize(("make", "message"), REFUSED.values(), ids=REFUSED.keys())
def test_hostile_or_broken_files_are_refused_leaving_nothing(media, make, message):
    with pytest.raises(PhotoError) as exc:
        process_upload(make(), media)

    expected = message if isinstance(message, tuple) else (message,)
    assert any(m in str(exc.value) for m in expected), str(exc.value)
    assert isinstance(exc.value.args[0], LazyString)  # translatable
    assert stored_files(media) == []


def test_size_in_pixels_is_checked_from_the_header_before_decoding(media, monkeypatch):
    def no_decoding(self):
        raise AssertionError("decoded pixels")

    monkeypatch.setattr("PIL.ImageFile.ImageFile.load", no_decoding)
    monkeypatch.setattr("PIL.Image.Image.verify", no_decoding)
    with pytest.raises(PhotoError, match=TOO_LARGE):
        process_upload(hostile.jpeg_with_size(50_000, 3000), media)


def test_a_decompression_bomb_warning_becomes_a_refusal_for_this_call_only(media):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")  # unlike this suite's "error", what production runs with
        filters = list(warnings.filters)
        with pytest.raises(PhotoError, match=TOO_LARGE) as exc:
            process_upload(hostile.png_with_size(11_000, 11_000), media)
        assert list(warnings.filters) == filters

    assert isinstance(exc.value.__cause__, Image.DecompressionBombWarning)
    assert caught == []


UNSCALED_BOMBS = {
    "webp rgba 7000x7000, 34 bytes": lambda: hostile.zero_webp(7000, 7000),
    "png rgba 7000x7000": lambda: hostile.zero_png(7000, 7000),
    "png 16-bit grey 7000x7000": lambda: hostile.zero_png(7000, 7000, colour_type=0, depth=16),
    "png claiming 7000x7000 with no pixels": lambda: hostile.png_with_size(7000, 7000),
}


@pytest.mark.parametrize("make", UNSCALED_BOMBS.values(), ids=UNSCALED_BOMBS.keys())
def test_a_png_or_webp_over_the_lower_limit_is_refused_from_its_header(media, make, monkeypatch):
    # Unlike a JPEG, these decode at full size: 49 MP of RGBA would be ~200 MB for a 34-byte WebP.
    data = make()

    def no_decoding(self):
        raise AssertionError("decoded pixels")

    monkeypatch.setattr("PIL.ImageFile.ImageFile.load", no_decoding)
    monkeypatch.setattr("PIL.WebPImagePlugin.WebPImageFile.load", no_decoding)
    with pytest.raises(PhotoError) as exc:
        process_upload(data, media)

    assert TOO_LARGE in str(exc.value) and isinstance(exc.value.args[0], LazyString)
    assert f"over {images.MAX_PIXELS_UNSCALED // 1_000_000} megapixels" in str(exc.value)  # the limit it broke
    assert stored_files(media) == []


def test_a_png_or_webp_within_the_lower_limit_is_accepted(media):
    side = math.isqrt(images.MAX_PIXELS_UNSCALED)
    photo = process_upload(hostile.encode(Image.new("L", (side, side), 90), "PNG"), media)

    assert (photo.width, photo.widths) == (1080, WIDTHS)


def test_a_7000x7000_jpeg_is_still_accepted_and_decoded_at_reduced_scale(media, decoded_sizes):
    jpeg = hostile.encode(Image.new("L", (7000, 7000), 90), "JPEG")  # grey: a fifth of the memory of RGB to make

    photo = process_upload(jpeg, media)

    assert (photo.width, photo.height, photo.widths) == (1080, 1080, WIDTHS)
    assert decoded_sizes == [(1750, 1750)]  # a quarter: never decoded whole
    assert len(stored_files(media)) == 2 * len(WIDTHS)


def test_the_jpeg_refusal_names_the_jpeg_limit(media):
    with pytest.raises(PhotoError) as exc:
        process_upload(hostile.jpeg_with_size(7100, 7100), media)

    assert f"over {images.MAX_PIXELS // 1_000_000} megapixels" in str(exc.value)


def test_corrupt_exif_does_not_refuse_the_photo(media):
    photo = process_upload(hostile.corrupt_exif_jpeg(), media)

    assert photo.widths == (160, 320, 640)
    for _, data in outputs(media, photo):
        assert hostile.SECRETS["description"] not in data


def test_an_upload_of_exactly_the_limit_is_accepted_and_one_byte_more_refused(media):
    jpeg = hostile.small_jpeg()
    padded = jpeg + b"\0" * (MAX_UPLOAD_BYTES - len(jpeg))

    assert process_upload(padded, media).widths == (160, 320, 640)
    with pytest.raises(PhotoError, match="15 MB"):
        process_upload(padded + b"\0", media)
    with pytest.raises(PhotoError, match="15 MB"):
        process_upload(io.BytesIO(padded + b"\0"), media)


def test_an_endless_upload_is_read_no_further_than_the_limit(media):
    class Endless(io.RawIOBase):
        consumed = 0

        def readable(self):
            return True

        def readinto(self, buffer):
            n = min(len(buffer), 1 << 20)
            buffer[:n] = b"\xff" * n
            self.consumed += n
            return n

    stream = Endless()
    with pytest.raises(PhotoError, match="15 MB"):
        process_upload(stream, media)
    assert stream.consumed <= MAX_UPLOAD_BYTES + 1
    assert stored_files(media) == []


# --- polyglots: accepted, but nothing of the payload is kept ---------------------------------------

POLYGLOTS = {
    "jpeg + html": hostile.jpeg_with_appended_html,
    "jpeg + zip": hostile.jpeg_zip_polyglot,
    "png + html after IEND": hostile.png_with_data_after_iend,
    "jpeg with html comment": hostile.jpeg_with_payload_in_comment,
}


@pytest.mark.parametrize("make", POLYGLOTS.values(), ids=POLYGLOTS.keys())
def test_a_polyglot_is_re_encoded_without_its_payload(media, make):
    source = make()
    assert hostile.PAYLOAD in source or hostile.ZIP_MEMBER.encode() in source

    photo = process_upload(source, media)

    assert stored_files(media)
    for path, data in outputs(media, photo):
        for needle in (hostile.PAYLOAD, b"HAAT-PAYLOAD", b"<script", hostile.ZIP_MEMBER.encode(), b"PK\x05\x06"):
            assert needle not in data, (path.name, needle)
        if path.suffix == ".jpg":
            assert data.endswith(b"\xff\xd9")
        else:
            webp_chunks(data)  # nothing outside the RIFF container


# --- failures leave nothing behind -----------------------------------------------------------------


def test_a_failure_while_writing_removes_every_file_already_written(media, monkeypatch):
    real_replace, calls = os.replace, []

    def failing_replace(src, dst):
        calls.append(dst)
        if len(calls) == 3:
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(images.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        process_upload(hostile.small_jpeg(), media)

    assert len(calls) == 3  # two renditions were already in place when it failed
    assert stored_files(media) == []


# --- keys, paths, deletion -------------------------------------------------------------------------


@pytest.mark.parametrize("key", [
    "", "a" * 21, "a" * 23, "../../etc/passwd", "abc/def" + "a" * 15, "a" * 22 + "\n", "a" * 21 + ".",
    ".aaaaaaaaaaaaaaaaaaaaa", "a" * 21 + "%", None, b"a" * 22, 12345,
])
def test_valid_key_refuses_anything_not_made_here(key):
    assert not valid_key(key)


def test_valid_key_accepts_the_shape_of_a_made_key():
    assert valid_key("AZaz09_-" * 2 + "abcdef")


def test_rendition_path():
    key = "k" * 22
    assert rendition_path(Path("/m"), key, 320, "webp") == Path(f"/m/{key}-320.webp")


@pytest.mark.parametrize(("key", "width", "ext"), [
    ("../" + "k" * 19, 320, "webp"),
    ("k" * 22, 320, "png"),
    ("k" * 22, 320, "jpeg"),
    ("k" * 22, 320, "webp/../../x"),
    ("k" * 22, 0, "webp"),
    ("k" * 22, 1081, "webp"),
    ("k" * 22, True, "webp"),
    ("k" * 22, "320", "webp"),
])
def test_rendition_path_refuses_what_could_escape_or_never_exists(key, width, ext):
    with pytest.raises(ValueError):
        rendition_path(Path("/m"), key, width, ext)


def test_delete_photo_removes_all_its_renditions_and_nothing_else(media):
    photo = process_upload(hostile.small_jpeg(), media)
    tiny = process_upload(hostile.encode(Image.new("RGB", (90, 60), "red"), "PNG"), media)
    other = process_upload(hostile.small_jpeg(), media)

    delete_photo(media, photo.key)
    delete_photo(media, tiny.key)

    assert stored_files(media) == sorted(p.name for p, _ in outputs(media, other))
    delete_photo(media, photo.key)  # already gone: no error


def test_delete_photo_refuses_a_key_it_did_not_make(media):
    with pytest.raises(ValueError):
        delete_photo(media, "../" + "k" * 19)


def test_messages_are_plain_for_the_seller(media):
    with pytest.raises(PhotoError) as exc:
        process_upload(b"GIF89a", media)
    message = str(exc.value)
    assert message and "Error" not in message and "PIL" not in message and "<" not in message


# --- more hostile files: each one a clean photo or a clear refusal, quickly ---------------------------------


def clean_or_refused(media, data: bytes, work: Work) -> StoredPhoto | PhotoError:
    """The pipeline's answer to data: a stored photo whose renditions are plain RGB without metadata, or a
    PhotoError with a translatable message and nothing stored. Anything else fails, and so does more work than
    a photo needs: more than one picture decoded (every frame of an animation, say), more pixels than the limit,
    or a rendition resampled from the whole decoded picture rather than from the largest rendition."""
    work.clear()
    try:
        photo = process_upload(data, media)
    except PhotoError as exc:
        assert isinstance(exc.args[0], LazyString) and str(exc)
        assert stored_files(media) == []
        outcome = exc
    else:
        for path, _data in outputs(media, photo):
            with Image.open(path) as im:
                assert im.mode == "RGB" and not im.getexif() and "icc_profile" not in im.info, path.name
        outcome = photo
    assert len(work.decoded) <= 1, f"decoded {len(work.decoded)} pictures"
    assert pixels(work.decoded) <= images.MAX_PIXELS
    if isinstance(outcome, StoredPhoto):
        largest = pixels([(outcome.width, outcome.height)])
        assert pixels(work.resampled) <= pixels(work.decoded) + len(outcome.widths) * largest, work.resampled
        assert len(work.encoded) == 2 * len(outcome.widths)
    return outcome


def png_kinds():
    for colour_type, depths in hostile.PNG_KINDS.items():
        for depth in depths:
            palette = bytes(range(256)) * 3 if colour_type == 3 else None
            yield pytest.param(hostile.raw_png(40, 30, colour_type, depth, plte=palette),
                               id=f"colour type {colour_type}, {depth}-bit")
            if colour_type in (0, 2, 3):  # transparency by a colour key, or per palette entry
                key = {0: b"\x00\x01", 2: b"\x00\x01" * 3, 3: bytes(range(0, 256, 2))}[colour_type]
                yield pytest.param(hostile.raw_png(40, 30, colour_type, depth, plte=palette, trns=key),
                                   id=f"colour type {colour_type}, {depth}-bit, tRNS")


@pytest.mark.parametrize("source", list(png_kinds()))
def test_every_kind_of_png_becomes_a_plain_rgb_photo(media, source, work):
    photo = clean_or_refused(media, source, work)

    assert isinstance(photo, StoredPhoto) and (photo.width, photo.height) == (40, 30)


ODD_BUT_READABLE = {
    "palette png without a palette": lambda: hostile.raw_png(40, 30, 3, 8),
    "palette png with one colour for 256 indexes": lambda: hostile.raw_png(40, 30, 3, 8, plte=b"\x00\x00\x00"),
    "palette png, transparency longer than the palette": lambda: hostile.raw_png(40, 30, 3, 8, plte=b"\x00" * 6,
                                                                                  trns=b"\x00" * 200),
    "cmyk jpeg with an rgb profile": hostile.cmyk_with_rgb_profile,
    "grey jpeg with an rgb profile": lambda: hostile.encode(Image.new("L", (300, 200), 90), "JPEG",
                                                           icc_profile=hostile.srgb_profile()),
    "webp with a profile of zeros": lambda: hostile.encode(Image.new("RGB", (300, 200), "red"), "WEBP",
                                                          icc_profile=b"\x00" * 200),
    **{f"jpeg start-of-frame {marker:#x}": (lambda m=marker: hostile.jpeg_with_marker(m))
       for marker in (0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF)},
    **{f"jpeg of {bits}-bit samples": (lambda b=bits: hostile.jpeg_with_precision(b)) for bits in (0, 1, 12, 16, 255)},
}


@pytest.mark.parametrize("make", ODD_BUT_READABLE.values(), ids=ODD_BUT_READABLE.keys())
def test_odd_files_are_a_clean_photo_or_a_clear_refusal(media, make, work):
    clean_or_refused(media, make(), work)


MORE_REFUSED = {
    "one byte": (lambda: b"\xff", NOT_A_PHOTO),
    "jpeg start marker only": (lambda: b"\xff\xd8", NOT_A_PHOTO),
    "png signature only": (lambda: b"\x89PNG\r\n\x1a\n", NOT_A_PHOTO),
    "webp container header only": (lambda: b"RIFF\x04\x00\x00\x00WEBP", NOT_A_PHOTO),
    "png colour type 5 (none such)": (lambda: hostile.raw_png(40, 30, 5, 8), NOT_A_PHOTO),
    "png rgb at 4 bits (not allowed)": (lambda: hostile.raw_png(40, 30, 2, 4), NOT_A_PHOTO),
    "png 0 x 0": (lambda: hostile.png_with_size(0, 0), (NOT_A_PHOTO, DAMAGED)),
    "png 2^31 wide": (lambda: hostile.png_with_size(2**31, 1), (NOT_A_PHOTO, TOO_LARGE)),
    "png 4,294,967,295 wide": (lambda: hostile.png_with_size(2**32 - 1, 1), (NOT_A_PHOTO, TOO_LARGE)),
    "jpeg 0 wide": (lambda: hostile.jpeg_with_size(0, 100), (NOT_A_PHOTO, DAMAGED)),
    "jpeg 65,535 x 65,535": (lambda: hostile.jpeg_with_size(65_535, 65_535), TOO_LARGE),
    "png 12,001 x 1 claimed": (lambda: hostile.png_with_size(12_001, 1), TOO_LARGE),
    "png colour profile bomb": (hostile.iccp_bomb, DAMAGED),
}


@pytest.mark.parametrize(("make", "message"), MORE_REFUSED.values(), ids=MORE_REFUSED.keys())
def test_more_hostile_files_are_refused_with_the_reason(media, make, message, work):
    refusal = clean_or_refused(media, make(), work)

    assert isinstance(refusal, PhotoError)
    assert any(m in str(refusal) for m in (message if isinstance(message, tuple) else (message,))), str(refusal)


@pytest.mark.parametrize("tiff", hostile.HOSTILE_EXIF.values(), ids=hostile.HOSTILE_EXIF.keys())
def test_lying_exif_never_refuses_the_photo_or_survives_it(media, tiff, work):
    photo = clean_or_refused(media, hostile.jpeg_with_exif(tiff), work)

    assert isinstance(photo, StoredPhoto)
    assert (photo.width, photo.height) in ((320, 160), (160, 320))  # turned, or kept as taken
    for path, data in outputs(media, photo):
        assert b"Exif" not in outside_pixels(path, data) and tiff[:8] not in data


@pytest.mark.parametrize("source", [
    pytest.param(lambda: hostile.animated("WEBP", 300), id="webp, 300 frames"),
    pytest.param(lambda: hostile.animated("WEBP", 50, mode="RGBA", lossless=True), id="webp with alpha, 50 frames"),
    pytest.param(lambda: hostile.animated("PNG", 100), id="apng, 100 frames"),
    pytest.param(lambda: hostile.animated("MPO", 20), id="mpo, 20 pictures"),
])
def test_an_animation_of_many_frames_keeps_only_the_first_and_decodes_no_other(media, source, work):
    photo = clean_or_refused(media, source(), work)

    assert work.decoded == [(400, 300)]  # the first frame, and not one more

    with Image.open(rendition_path(media, photo.key, photo.width, "webp")) as im:
        assert getattr(im, "n_frames", 1) == 1 and is_red(im.getpixel((10, 10)))


UNDER = math.isqrt(images.MAX_PIXELS_UNSCALED)  # 4,898 x 4,898: just under the limit of a PNG or WebP


@pytest.mark.parametrize("source", [
    pytest.param(lambda: hostile.zero_png(UNDER, UNDER), id="png rgba just under the limit"),
    pytest.param(lambda: hostile.zero_png(UNDER, UNDER, colour_type=0, depth=16), id="png 16-bit grey under it"),
    pytest.param(lambda: hostile.zero_webp(UNDER, UNDER), id="webp rgba just under the limit, 34 bytes"),
])
def test_a_bomb_just_under_the_pixel_limit_is_decoded_once_and_shrunk_once(media, source, work):
    # Refused would be fine too; within the limit, Pillow decodes it whole (about 100 MB for RGBA).
    photo = clean_or_refused(media, source(), work)

    if isinstance(photo, StoredPhoto):
        assert work.decoded == [(UNDER, UNDER)]
        assert work.resampled[0] == (UNDER, UNDER) and (UNDER, UNDER) not in work.resampled[1:]


@pytest.fixture(scope="module")
def seeds() -> list[bytes]:
    """Small valid files of each kind the pipeline reads, for the mutation fuzzer to break."""
    small = hostile.photo_like(64, 48, seed=9)
    return [hostile.encode(small, "JPEG", quality=80, exif=hostile.gps_exif(6), icc_profile=hostile.srgb_profile()),
            hostile.encode(small, "JPEG", progressive=True), hostile.encode(small, "PNG"),
            hostile.encode(small.convert("P"), "PNG", transparency=3), hostile.encode(small.convert("RGBA"), "WEBP"),
            hostile.encode(small, "WEBP", lossless=True), hostile.animated("WEBP", 3, (64, 48)),
            hostile.raw_png(24, 16, 4, 16), hostile.mpo()[:4000]]


@settings(max_examples=examples(300), derandomize=True,  # a fuzzer: three times the profile's
          suppress_health_check=[*NO_CLOCK_CHECKS, HealthCheck.function_scoped_fixture])
@given(which=st.integers(0, 8), edits=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2**20),
                                                         st.integers(0, 255)), min_size=1, max_size=8))
def test_a_mutated_photo_is_a_clean_photo_or_a_clear_refusal(tmp_path_factory, seeds, work, which, edits):
    """Bytes overwritten, inserted, deleted or cut off anywhere in a valid file."""
    media = tmp_path_factory.mktemp("media")
    clean_or_refused(media, hostile.mutate(seeds[which], edits), work)
