"""Benchmark of the product photo pipeline on a 12 MP phone JPEG: `.venv/bin/python bench/photos.py [runs]`.

The target is 1.5 s per photo on one core, the share of a small server's CPU one upload can count on.
The photo is generated (textured, grainy, GPS EXIF and an ICC profile, about 3.4 MB like a phone's), so the
benchmark needs no file and measures what the tests check.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(runs: int = 5) -> None:
    """Time process_upload on one generated 12 MP photo and print the figures."""
    sys.path.insert(0, str(ROOT))  # run as a script from anywhere: catalog and tests live at the top
    from bench.common import healthz_figure, stamp
    from catalog.images import process_upload, rendition_path
    from market import create_app
    from tests.unit.catalog.hostile import phone_jpeg

    cores = "all cores"
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        cores = "1 core"

    stamp(f"photo pipeline ({runs} runs, {cores})")
    source = phone_jpeg()
    print(f"source: 4000x3000 JPEG, {len(source) / 1e6:.1f} MB")
    with tempfile.TemporaryDirectory() as media:
        media_dir = Path(media)
        process_upload(source, media_dir)  # warm-up: plugin registration and first allocations
        timings = []
        for _ in range(runs):
            start = time.perf_counter()
            photo = process_upload(source, media_dir)
            timings.append(time.perf_counter() - start)
        sizes = {ext: rendition_path(media_dir, photo.key, 320, ext).stat().st_size for ext in ("webp", "jpg")}
        largest = rendition_path(media_dir, photo.key, photo.width, "webp").stat().st_size

    print(
        f"photo pipeline 12MP: median {statistics.median(timings):.2f} s, max {max(timings):.2f} s "
        f"({runs} runs, {cores})"
    )
    print(f"320 px thumbnail: WebP {sizes['webp']:,} bytes, JPEG {sizes['jpg']:,} bytes")
    print(f"{photo.width} px rendition: WebP {largest:,} bytes; widths written {photo.widths}")
    with tempfile.TemporaryDirectory() as instance:  # the floor on the same core: Flask and SQLite, no photo
        app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": f"sqlite:///{instance}/floor.db"})
        print(healthz_figure(app.test_client().get))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
