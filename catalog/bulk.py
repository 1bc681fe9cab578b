"""Bulk listing for staff helping members: a CSV of products and a zip of their photos.

All or nothing: every row is checked and every photo processed first; only when nothing is wrong
are all products written in one transaction. Otherwise the job lists each row's problem and the
staged photo files are deleted again.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from catalog.images import MAX_UPLOAD_BYTES, PhotoError
from catalog.models import Category
from catalog.services import (
    MAX_PHOTOS,
    CatalogError,
    ProductData,
    StagedPhotos,
    VariantData,
    add_photo,
    check,
    check_listing_text,
    create_product,
)
from market.core import jobs, uploads
from market.core.jobs import Job, JobFailed
from market.core.money import MoneyError, parse_rupees
from market.core.security import PublicTextError
from market.core.uploads import UploadError
from vendors.models import Business

MAX_ROWS = 500
MAX_ZIP_ENTRIES = 3_000
MAX_ZIP_UNPACKED = 1024 * 1024 * 1024  # a zip bomb stops here
COLUMNS = ("title", "category", "price", "stock", "photos", "description", "fssai_number", "shelf_life_days", "diet")
REQUIRED = ("title", "category", "price", "stock")


ImportError_ = UploadError  # noqa: N816 - the upload as a whole cannot be read (not the builtin ImportError)


@dataclass(frozen=True)
class Row:
    """One CSV line, parsed."""

    number: int
    data: ProductData
    photos: list[str]


def read_csv(raw: bytes) -> list[dict[str, str]]:
    return uploads.read_csv(raw, REQUIRED, MAX_ROWS, _("The CSV has no products in it."),
                            _("At most %(n)d products in one file.", n=MAX_ROWS))


class PhotoZip:
    """The uploaded zip of photos, looked up by file name without folders, case-insensitively."""

    def __init__(self, raw: bytes | None):
        self.archive: zipfile.ZipFile | None = None
        self.entries: dict[str, zipfile.ZipInfo] = {}
        if not raw:
            return
        try:
            self.archive = zipfile.ZipFile(io.BytesIO(raw))
        except zipfile.BadZipFile as exc:
            raise ImportError_(_("The photos file is not a zip file.")) from exc
        infos = [i for i in self.archive.infolist() if not i.is_dir()]
        if len(infos) > MAX_ZIP_ENTRIES or sum(i.file_size for i in infos) > MAX_ZIP_UNPACKED:
            raise ImportError_(_("The zip file holds too many or too large files."))
        self.entries = {PurePosixPath(i.filename).name.lower(): i for i in infos}

    def read(self, name: str) -> bytes:
        """The photo's bytes; CatalogError if it is missing or larger than a photo may be."""
        info = self.entries.get(name)
        if info is None or self.archive is None:  # no entries without an archive
            raise CatalogError(_("photo %(name)s is not in the zip file", name=name))
        if info.file_size > MAX_UPLOAD_BYTES:
            raise CatalogError(_("photo %(name)s is too large", name=name))
        with self.archive.open(info) as handle:  # the declared size can lie: read no more than allowed
            return handle.read(MAX_UPLOAD_BYTES + 1)


def parse_row(session: Session, number: int, row: dict[str, str], categories: dict[str, int]) -> Row:
    """A Row, or CatalogError with what is wrong in it."""
    category_id = categories.get(row.get("category", "").lower())
    if category_id is None:
        raise CatalogError(_("unknown category %(c)r", c=row.get("category", "")))
    try:
        price = parse_rupees(row.get("price", ""))
    except MoneyError as exc:
        raise CatalogError(_("price: %(e)s", e=exc)) from exc
    stock, shelf_life = _int(row.get("stock"), "stock"), _int(row.get("shelf_life_days"), "shelf_life_days")
    photos = [p.strip().lower() for p in row.get("photos", "").replace(",", ";").split(";") if p.strip()]
    if len(photos) > MAX_PHOTOS:
        raise CatalogError(_("at most %(n)d photos", n=MAX_PHOTOS))
    data = ProductData(title=row.get("title", ""), category_id=category_id, description=row.get("description", ""),
                       variants=[VariantData(price_paise=price, stock=stock or 0)],
                       fssai_number=row.get("fssai_number") or None, shelf_life_days=shelf_life,
                       diet=(row.get("diet") or "").lower().replace("-", "") or None)
    check(session, data)
    return Row(number, data, photos)


def _int(text: str | None, name: str) -> int | None:
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 7:  # int("²") fails though "²".isdigit()
        raise CatalogError(_("%(name)s must be a whole number", name=name))
    return int(text)


def category_lookup(session: Session) -> dict[str, int]:
    """Categories by slug and by name, lower-cased, for what staff type in a spreadsheet."""
    out = {}
    for category in session.scalars(sa.select(Category).where(Category.parent_id.is_not(None))):
        out[category.slug.lower()] = out[category.name.lower()] = category.id
    return out


def run_import(session: Session, job: Job, media_dir: Path) -> dict:
    """The product-import job: check every row, then write all products (flushed; the job runner commits them
    with the job's "done"), or raise JobFailed with each row's problem. Its files: products.csv, photos.zip."""
    business = session.get_one(Business, job.data["business_id"])
    with StagedPhotos(media_dir) as staged:
        try:
            rows = read_csv(jobs.read_file(job, "products.csv") or b"")
            photos = PhotoZip(jobs.read_file(job, "photos.zip"))
        except ImportError_ as exc:
            raise JobFailed([str(exc)]) from exc
        jobs.progress(session, job, 0, len(rows))
        categories = category_lookup(session)
        parsed: list[tuple[Row, list]] = []
        errors: list[str] = []
        for number, raw in enumerate(rows, start=2):  # row 1 is the header, as a spreadsheet numbers it
            try:
                row = parse_row(session, number, raw, categories)
                check_listing_text(business, row.data)
                stored = [staged.add(photos.read(name)) for name in row.photos]
                parsed.append((row, stored))
            except (CatalogError, PhotoError, PublicTextError) as exc:
                errors.append(_("row %(n)d: %(e)s", n=number, e=exc))
            if number % 10 == 0 or number - 1 == len(rows):
                jobs.progress(session, job, number - 1)
        if errors:
            raise JobFailed(errors)
        for row, stored in parsed:
            product = create_product(session, business, row.data, publish=job.data.get("publish", False))
            for photo in stored:
                add_photo(session, product, photo)
        session.flush()
        staged.keep()  # if the commit then fails, the files are orphans, never a product without its photo
    return {"created": len(parsed), "shop": business.public_name, "slug": business.slug}
