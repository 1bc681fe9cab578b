"""Demo products for `seed-demo`: realistic names and prices, and photos drawn in code.

Every demo photo is made with GPS, a camera maker and a comment in its EXIF *before* it goes through
the real upload pipeline, so the seed exercises the metadata stripping the sellers' safety depends on.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

from PIL import Image, ImageDraw
from sqlalchemy.orm import Session

from catalog.images import process_upload
from catalog.services import ProductData, TierData, VariantData, add_photo, category_ids, create_product
from vendors.models import Business

# trade -> (title, category slug, price in rupees, description, sizes or None)
PRODUCTS: dict[str, list[tuple[str, str, int, str, list[str] | None]]] = {
    "garments": [
        ("Hand block-print cotton kurti", "kurtis-tops", 450, "Soft cotton, natural dyes, three-quarter sleeves.",
         ["S", "M", "L", "XL"]),
        ("Chikankari straight kurta", "kurtis-tops", 780, "White-on-white hand embroidery on breathable cotton.",
         ["M", "L", "XL"]),
        ("Cotton Anarkali frock for girls", "childrens-wear", 520, "Twirly frock with a lined bodice, ages 3 to 8.",
         ["3-4 y", "5-6 y", "7-8 y"]),
        ("Ready-to-wear nauvari saree", "sarees", 1850, "Stitched nine-yard saree, wear it in two minutes.", None),
        ("Kalamkari cotton blouse", "blouses", 380, "Princess-cut blouse with side hooks.", ["34", "36", "38", "40"]),
        ("Cotton nightie with pockets", "nightwear", 320, "Loose fit, soft after many washes.", ["M", "L", "XXL"]),
        ("Kantha-stitch stole", "dupattas-stoles", 690, "Running-stitch patterns on old-silk blend.", None),
    ],
    "food": [
        ("Sun-dried udid papad (200 g)", "papad", 90, "Hand-rolled with black pepper, fry or roast.", None),
        ("Raw mango pickle in mustard oil (500 g)", "pickles", 220, "Grandmother's recipe, no preservatives.", None),
        ("Goda masala (250 g)", "spices", 180, "Roasted and ground in small batches for Maharashtrian dishes.", None),
        ("Thenkuzhal murukku (400 g)", "snacks", 160, "Crisp rice-flour spirals fried in groundnut oil.", None),
        ("Coconut ladoo (12 pieces)", "sweets", 240, "Fresh coconut and jaggery, made to order.", None),
        ("Idli podi with sesame (200 g)", "spices", 110, "Mix with gingelly oil for idli and dosa.", None),
        ("Poha chivda (500 g)", "snacks", 150, "Thin poha, peanuts, curry leaves and a little sugar.", None),
    ],
    "jewellery": [
        ("Oxidised silver-look jhumka", "earrings", 250, "Light enough to wear all day; nickel-free hooks.", None),
        ("Kemp-stone temple necklace set", "necklaces", 1450, "Necklace and matching earrings, gold-look.", None),
        ("Terracotta bead necklace", "necklaces", 380, "Hand-shaped and painted, on adjustable thread.", None),
        ("Glass bangles, set of 12", "bangles", 160, "Festive colours with golden lines.", ["2.4", "2.6", "2.8"]),
        ("Silver-look anklets with bells", "anklets", 340, "A pair, adjustable hook.", None),
        ("Beaded hair clip set", "hair-accessories", 120, "Four clips in pearl and gold-look beads.", None),
    ],
    "handicrafts": [
        ("Quilted godhadi throw", "quilts-textiles", 1650, "Layered old cotton sarees, hand-quilted.", None),
        ("Palm-leaf basket with lid", "baskets", 420, "Woven palm leaf for rotis, fruit or sewing.", None),
        ("Cloth shopping bag, foldable", "bags", 150, "Strong cotton, folds into its own pocket.", None),
        ("Sholapith flower garland", "home-decor", 280, "Light pith flowers for pujas and doors.", None),
        ("Hand-embroidered cushion cover", "quilts-textiles", 350, "16 x 16 inch, zip closure.", None),
    ],
}
COLOURS = {"garments": (138, 44, 90), "food": (196, 120, 20), "jewellery": (40, 70, 143),
           "handicrafts": (30, 107, 58)}
FSSAI = "21522014000{:03d}"  # invented numbers of the right shape


def demo_photo(trade: str, seed: int) -> bytes:
    """An 800x800 JPEG with a pattern in the trade's colour, carrying GPS EXIF and a comment."""
    rng = random.Random(seed)  # noqa: S311 - pictures, not secrets
    base = COLOURS[trade]
    image = Image.new("RGB", (800, 800), tuple(min(255, c + 150) for c in base))
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        x, y, r = rng.randrange(800), rng.randrange(800), rng.randrange(15, 90)
        tint = tuple(max(0, min(255, c + rng.randrange(-40, 90))) for c in base)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tint)
    draw.rounded_rectangle((200, 200, 600, 600), radius=80, fill=base)
    exif = Image.Exif()
    exif[0x010F] = "DemoPhone"  # Make
    exif[0x0110] = "Model 5"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (18.0, 31.0, 12.5), 3: "E", 4: (73.0, 51.0, 24.1)})  # a home in Pune
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif, comment=b"seller home, Kasba Peth")
    return out.getvalue()


def load_products(session: Session, businesses: list[Business], media_dir: Path) -> int:
    """Three products per shop, each with a photo through the real pipeline. Returns how many."""
    made = 0
    for index, business in enumerate(businesses):
        choices = PRODUCTS[business.trade]
        for k in range(3):
            title, slug, rupees, description, sizes = choices[(index + k) % len(choices)]
            category_id = category_ids(session, slug)[0]
            price = rupees * 100
            variants = ([VariantData(price + i * 2_000, (index + i) % 7, size=s) for i, s in enumerate(sizes)]
                        if sizes else [VariantData(price, 5 + (index * 3 + k) % 20)])
            tiers = [TierData(12, price * 85 // 100), TierData(50, price * 75 // 100)] if k == 0 else []
            food = business.trade == "food"
            data = ProductData(
                title=title, category_id=category_id, description=description, variants=variants, tiers=tiers,
                wholesale_min_qty=12 if tiers else None,
                made_to_order=slug == "sweets", lead_time_days=2 if slug == "sweets" else None,
                fssai_number=FSSAI.format(index) if food else None, shelf_life_days=60 if food else None,
                diet="veg" if food else None)
            product = create_product(session, business, data, publish=True)
            add_photo(session, product, process_upload(demo_photo(business.trade, index * 10 + k), media_dir))
            made += 1
    return made
