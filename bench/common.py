"""Shared by the benchmarks: a database of realistic products, built once under a work directory.

The products are made from word lists of what the sellers actually make (garments, food, imitation
jewellery, handicrafts), so words are as common, and as rare, as they would be in the real catalogue.
Run the benchmarks from the repository root: `python -m bench.search --help`.
"""

from __future__ import annotations

import os
import platform
import random
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import command

from market.cli import alembic_config
from market.core.config import normalise_database_url
from market.core.db import make_engine

STATES = ("MH", "TN", "WB", "KA", "TS")

# category slug -> the things sold in it (made by the migrations: see REFERENCE_TABLES in tests)
ITEMS = {
    "kurtis-tops": ["kurti", "kurta", "top", "tunic", "anarkali kurti", "short kurti", "kaftan"],
    "sarees": ["saree", "sari", "silk saree", "cotton saree", "tant saree", "kanjivaram saree"],
    "blouses": ["blouse", "saree blouse", "readymade blouse", "padded blouse"],
    "childrens-wear": ["frock", "lehenga choli", "baby dress", "romper", "kids kurta"],
    "nightwear": ["nightie", "nighty", "night suit", "pyjama set", "gown"],
    "dupattas-stoles": ["dupatta", "stole", "shawl", "scarf"],
    "snacks": ["chakli", "chivda", "namkeen", "murukku", "sev", "bhujia", "banana chips", "mixture", "shankarpali"],
    "pickles": ["mango pickle", "lemon pickle", "garlic pickle", "chilli pickle", "amla pickle", "mixed pickle",
                "tomato chutney", "coconut chutney", "gongura pickle"],
    "papad": ["papad", "appalam", "vadagam", "sandige", "sabudana papad", "rice papad"],
    "spices": ["garam masala", "turmeric powder", "chilli powder", "sambar powder", "goda masala",
               "rasam powder", "kitchen king masala"],
    "sweets": ["laddoo", "barfi", "chikki", "mysore pak", "rasgulla", "sandesh", "karanji", "peda"],
    "tiffin": ["tiffin", "thali", "poha", "upma", "idli batter", "dosa batter", "lunch box meal"],
    "earrings": ["jhumka", "jhumki", "earrings", "studs", "chandbali", "hoops", "ear cuff"],
    "necklaces": ["necklace", "mangalsutra", "chain", "choker", "haar", "pendant set"],
    "bangles": ["bangles", "kada", "bracelet", "glass bangles", "lac bangles"],
    "anklets": ["anklet", "payal", "toe ring", "bichiya"],
    "hair-accessories": ["hair clip", "gajra", "juda pin", "scrunchie", "hair band", "maang tikka"],
    "bags": ["jute bag", "tote bag", "potli", "pouch", "wallet", "sling bag", "laptop sleeve"],
    "home-decor": ["toran", "wall hanging", "diya", "candle", "dreamcatcher", "rangoli stencil", "photo frame"],
    "baskets": ["bamboo basket", "cane basket", "storage basket", "fruit basket", "sabai grass basket"],
    "quilts-textiles": ["quilt", "kantha quilt", "godhadi", "cushion cover", "bedsheet", "table runner"],
}
MODIFIERS = {
    "garments": ["cotton", "silk", "rayon", "khadi", "handloom", "printed", "embroidered", "block print",
                 "chikankari", "bandhani", "ikat", "kalamkari", "linen", "georgette", "festive", "daily wear"],
    "food": ["homemade", "spicy", "sweet", "tangy", "organic", "traditional", "kolhapuri", "andhra", "bengali",
             "chettinad", "malvani", "jaggery", "sugar free", "fresh", "crispy"],
    "jewellery": ["oxidised", "kundan", "pearl", "terracotta", "beaded", "brass", "silver plated", "gold plated",
                  "meenakari", "temple", "antique", "american diamond", "thread"],
    "handicrafts": ["handmade", "handwoven", "embroidered", "jute", "bamboo", "cane", "recycled", "block print",
                    "mirror work", "warli", "madhubani", "patchwork", "eco friendly"],
}
COLOURS = ["red", "maroon", "green", "yellow", "blue", "pink", "white", "black", "mustard", "peach", "orange",
           "purple", "navy", "cream", "teal", "multicolour"]
SENTENCES = [
    "Made by hand in small batches by women of a self help group.",
    "Every piece is a little different.",
    "Packed with care and sent through our collective office.",
    "Good for gifting at festivals and weddings.",
    "Wash gently by hand in cold water.",
    "Store in a cool dry place away from sunlight.",
    "Made with fresh ingredients and no preservatives.",
    "Bulk orders welcome for shops and events.",
    "Comfortable for daily use in the summer heat.",
    "Traditional design from our village, passed on by our mothers.",
    "Light weight and easy to carry.",
    "Colours may look slightly different on your screen.",
]
PRICE_RANGES = {"garments": (150_00, 3500_00), "food": (40_00, 900_00), "jewellery": (60_00, 2500_00),
                "handicrafts": (80_00, 3000_00)}


def product_rows(n: int, category_ids: dict[str, tuple[int, str]], business_ids: list[int],
                 seed: int = 7) -> Iterator[dict]:
    """N product rows as dicts for an INSERT; about 5% are not listed (drafts, archived, paused shops)."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    slugs = list(ITEMS)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for i in range(n):
        slug = rng.choice(slugs)
        category_id, trade = category_ids[slug]
        item = rng.choice(ITEMS[slug])
        words = [rng.choice(MODIFIERS[trade]), item]
        if rng.random() < 0.5:
            words.insert(0, rng.choice(COLOURS))
        title = " ".join(words).capitalize()
        other = rng.choice(ITEMS[rng.choice(slugs)])  # descriptions mention other things too, as they do
        description = " ".join(rng.sample(SENTENCES, 2)) + f" Goes well with {other}."
        low, high = PRICE_RANGES[trade]
        listed = rng.random() >= 0.05
        created = start + timedelta(minutes=3 * i)
        yield {"business_id": rng.choice(business_ids), "category_id": category_id, "title": title,
               "description": description, "status": "active" if listed else "draft",
               "price_paise": rng.randrange(low, high, 500), "in_stock": rng.random() < 0.8,
               "wholesale": rng.random() < 0.2, "made_to_order": False, "state_code": rng.choice(STATES),
               "listed": listed, "created_at": created, "updated_at": created,
               "fssai_number": f"1{rng.randrange(10**13):013d}" if trade == "food" else None,
               "shelf_life_days": rng.choice((7, 30, 90, 180)) if trade == "food" else None}


def build_database(url: str, n: int, progress: Callable[[int, int], None] | None = None) -> float:
    """Migrate the database at URL and fill it with N products (after emptying them); returns the seconds taken."""
    url = normalise_database_url(url)
    started = time.perf_counter()
    cfg = alembic_config(url)
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, "head")
    engine = make_engine(url)
    meta = sa.MetaData()
    meta.reflect(engine, only=["products", "businesses", "self_help_groups", "organisations", "programmes",
                               "categories", "search_queue", "variants", "wholesale_tiers", "photos",
                               "business_members"])
    t = meta.tables
    with engine.begin() as conn:
        if conn.scalar(sa.text("SELECT count(*) FROM users")):
            raise SystemExit(f"{url} has user accounts: not a benchmark database, so not emptying it.")
        for name in ("search_queue", "photos", "variants", "wholesale_tiers", "products", "business_members",
                     "businesses", "self_help_groups", "organisations", "programmes"):
            conn.execute(t[name].delete())
        categories = {slug: (cid, trade) for cid, slug, trade in
                      conn.execute(sa.select(t["categories"].c.id, t["categories"].c.slug, t["categories"].c.trade))}
        programme = conn.execute(t["programmes"].insert().values(name="Bench programme")
                                 .returning(t["programmes"].c.id)).scalar_one()
        business_ids = []
        for s, state in enumerate(STATES):
            org = conn.execute(t["organisations"].insert().values(
                programme_id=programme, name=f"Bench org {state}", state_code=state, district="Bench",
                pickup_address="Collective office").returning(t["organisations"].c.id)).scalar_one()
            group = conn.execute(t["self_help_groups"].insert().values(
                organisation_id=org, name=f"Bench group {state}", area="Ward 1").returning(
                t["self_help_groups"].c.id)).scalar_one()
            for b in range(40):
                business_ids.append(conn.execute(t["businesses"].insert().values(
                    group_id=group, kind="individual", public_name=f"Bench shop {s}-{b}", slug=f"bench-{s}-{b}",
                    story="", trade="food", show_group=False, is_paused=False,
                    created_at=datetime.now(UTC)).returning(t["businesses"].c.id)).scalar_one())
    batch: list[dict] = []
    done = 0
    for row in product_rows(n, categories, business_ids):
        batch.append(row)
        if len(batch) == 5000:
            with engine.begin() as conn:
                conn.execute(t["products"].insert(), batch)
            done += len(batch)
            batch = []
            if progress:
                progress(done, n)
    if batch:
        with engine.begin() as conn:
            conn.execute(t["products"].insert(), batch)
        if progress:
            progress(n, n)
    add_details(engine)
    engine.dispose()
    return time.perf_counter() - started


def add_details(engine: sa.Engine) -> None:
    """Every product gets a variant, as a real one has; a third of them come in two sizes. Nine in ten get
    photos (one to three; only their rows: pages link to the renditions, nothing reads the files). Then the
    database is vacuumed."""
    key = "substr(md5(random()::text), 1, 22)" if engine.dialect.name == "postgresql" else \
        "lower(hex(randomblob(11)))"
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM photos"))
        for position, ends in ((0, "1,2,3,4,5,6,7,8,9"), (1, "1,2,3,4,5"), (2, "1,2")):
            conn.execute(sa.text(f"INSERT INTO photos (product_id, key, position, width, height, widths) "  # noqa: S608
                                 f"SELECT id, {key}, {position}, 1080, 1440, '160,320,640,1080' FROM products "
                                 f"WHERE id % 10 IN ({ends})"))
        conn.execute(sa.text("DELETE FROM variants"))
        conn.execute(sa.text("INSERT INTO variants (product_id, size, colour, price_paise, stock, position) "
                             "SELECT id, CASE WHEN id % 3 = 0 THEN 'M' ELSE '' END, '', price_paise, "
                             "CASE WHEN in_stock THEN 5 + id % 20 ELSE 0 END, 0 FROM products"))
        conn.execute(sa.text("INSERT INTO variants (product_id, size, colour, price_paise, stock, position) "
                             "SELECT id, 'L', '', price_paise + 2000, CASE WHEN in_stock THEN 3 ELSE 0 END, 1 "
                             "FROM products WHERE id % 3 = 0"))
    # A live database has been vacuumed since its rows were written (visibility map, hint bits): so here too.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))


def percentile(sorted_values: list[float], fraction: float) -> float:
    """The value below which `fraction` of the sorted values fall (nearest rank)."""
    index = max(0, min(len(sorted_values) - 1, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def stamp(title: str) -> None:
    """Print what a figure needs to be compared with another: when, which commit, which machine and how busy."""
    def git(*args: str) -> str:
        run = subprocess.run(["git", *args], capture_output=True, text=True,  # noqa: S603,S607 - fixed commands
                             cwd=os.path.dirname(__file__))
        return run.stdout.strip() if run.returncode == 0 else ""

    commit = (git("rev-parse", "--short=9", "HEAD") or "not a git checkout") + (
        " with uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else "")
    print(f"{title}\n  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit}, {platform.node()}: {os.cpu_count()} "
          f"cores, load {os.getloadavg()[0]:.1f}, Python {platform.python_version()}", flush=True)


def healthz_figure(get: Callable[[str], object], runs: int = 300) -> str:
    """The cheapest request this app answers (/healthz: one SELECT 1), timed in the same run as the figures beside
    it: this host's speed varies a lot, so a figure is read against its floor, not against another day's."""
    get("/healthz")
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        get("/healthz")
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return f"/healthz in the same run: median {statistics.median(times):.2f} ms, p95 {percentile(times, 0.95):.2f} ms"
