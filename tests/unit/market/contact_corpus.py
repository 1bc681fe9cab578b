"""Test data for contact hiding: contact details written the ways people in India write them (CONTACTS), and
ordinary messages full of numbers that are not contacts (ORDINARY). tests/unit/market/test_contacts.py measures
market.core.security.hide_contacts on both.

The numbers are made up. Each contact is a sentence someone might send, with the contact written in one of many
ways: spaced 5-5, 3-3-4, 4-3-3, with +91, 0, 091 or 0091, dots, slashes, commas, brackets, dashes of every
length, invisible characters, digits of other scripts, digits as words, e-mail addresses and UPI ids with the @
and dots written out or spaced.

Decided: a number that is 10 digits starting 6-9 (with or without +91/0) is hidden even where it is meant as
something else (a tracking number of that shape, say): it cannot be told from a mobile. Tracking numbers of
other shapes (India Post's EE123456789IN, 14-digit courier numbers) are ordinary text and stay.
"""

from __future__ import annotations

SCRIPTS = {  # the zero of each script's digits
    "devanagari": 0x966, "bengali": 0x9E6, "gurmukhi": 0xA66, "gujarati": 0xAE6, "odia": 0xB66, "tamil": 0xBE6,
    "telugu": 0xC66, "kannada": 0xCE6, "malayalam": 0xD66, "fullwidth": 0xFF10,
}
EN_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
HI_WORDS = ["shunya", "ek", "do", "teen", "char", "paanch", "chhe", "saat", "aath", "nau"]
DEV_WORDS = ["शून्य", "एक", "दो", "तीन", "चार", "पांच", "छह", "सात", "आठ", "नौ"]

MOBILES = ["9812345678", "9876543210", "8123456789", "7012345678", "6301234567", "9930012345", "9444012345",
           "8800123456", "7598012345", "9051234567", "9123456780", "6290012345"]


def script(number: str, name: str) -> str:
    return "".join(chr(SCRIPTS[name] + int(d)) for d in number)


def words(number: str, vocabulary: list[str], sep: str = " ") -> str:
    return sep.join(vocabulary[int(d)] for d in number)


# How a 10-digit mobile m gets written.
PHONE_WAYS = [
    lambda m: m,
    lambda m: f"{m[:5]} {m[5:]}",
    lambda m: f"+91 {m[:5]} {m[5:]}",
    lambda m: f"+91{m}",
    lambda m: f"+91-{m}",
    lambda m: f"+91-{m[:5]}-{m[5:]}",
    lambda m: f"0{m}",
    lambda m: f"0 {m[:5]} {m[5:]}",
    lambda m: f"091-{m}",
    lambda m: f"0091 {m}",
    lambda m: f"91 {m}",
    lambda m: f"(+91) {m}",
    lambda m: f"(+91) {m[:5]}-{m[5:]}",
    lambda m: f"{m[:3]} {m[3:6]} {m[6:]}",
    lambda m: f"{m[:3]}-{m[3:6]}-{m[6:]}",
    lambda m: f"{m[:4]} {m[4:7]} {m[7:]}",
    lambda m: f"{m[:4]}-{m[4:7]}-{m[7:]}",
    lambda m: f"{m[:5]}.{m[5:]}",
    lambda m: f"{m[:3]}.{m[3:6]}.{m[6:]}",
    lambda m: f"{m[:5]}/{m[5:]}",
    lambda m: f"{m[:5]},{m[5:]}",
    lambda m: f"({m[:5]}) {m[5:]}",
    lambda m: f"[{m[:5]}] [{m[5:]}]",
    lambda m: f"{m[:5]}   {m[5:]}",
    lambda m: f"{m[:5]} - {m[5:]}",
    lambda m: f"{m[:5]}\u2013{m[5:]}",
    lambda m: f"{m[:5]}\u2014{m[5:]}",
    lambda m: f"{m[:5]} \u2014 {m[5:]}",
    lambda m: f"{m[:5]}\u200b{m[5:]}",
    lambda m: f"{m[:3]}\u200d{m[3:6]}\u200c{m[6:]}",
    lambda m: f"{m[:5]}\u00ad{m[5:]}",
    lambda m: f"{m[:5]}\u2060{m[5:]}",
    lambda m: "\u200b".join(m),
    lambda m: f"{m[:5]}\u00a0{m[5:]}",
    lambda m: f"{m[:5]}\u202f{m[5:]}",
    lambda m: " ".join(m),
    lambda m: ".".join(m),
    lambda m: "-".join(m),
    lambda m: f"{m[:2]} {m[2:4]} {m[4:6]} {m[6:8]} {m[8:]}",
    lambda m: f"{m[:5]}_{m[5:]}",
    lambda m: f"{m[:5]}*{m[5:]}",
    lambda m: f"+९१ {script(m, 'devanagari')}",
    lambda m: script(m, "devanagari"),
    lambda m: f"{script(m[:5], 'devanagari')} {script(m[5:], 'devanagari')}",
    lambda m: script(m, "tamil"),
    lambda m: script(m, "bengali"),
    lambda m: script(m, "telugu"),
    lambda m: script(m, "kannada"),
    lambda m: script(m, "gujarati"),
    lambda m: script(m, "gurmukhi"),
    lambda m: script(m, "odia"),
    lambda m: script(m, "malayalam"),
    lambda m: script(m, "fullwidth"),
    lambda m: f"{script(m[:5], 'fullwidth')}　{script(m[5:], 'fullwidth')}",
    lambda m: f"{script(m[:5], 'devanagari')}{m[5:]}",
    lambda m: f"{m[:5]} {script(m[5:], 'bengali')}",
    lambda m: words(m, EN_WORDS),
    lambda m: words(m, EN_WORDS, "-"),
    lambda m: words(m, EN_WORDS).upper(),
    lambda m: words(m, HI_WORDS),
    lambda m: words(m, DEV_WORDS),
    lambda m: f"{m[:5]} {words(m[5:], EN_WORDS)}",
    lambda m: f"{words(m[:5], EN_WORDS)} {m[5:]}",
    lambda m: f"+91.{m[:5]}.{m[5:]}",
    lambda m: f"+91 ({m[:3]}) {m[3:6]}-{m[6:]}",
    lambda m: f"{m[:5]} / {m[5:]}",
]

SENTENCES = [
    "call me on {}",
    "my number is {}",
    "WhatsApp {} for more designs",
    "whatsapp me {} I will send photos",
    "मेरा नंबर {} है",
    "मुझे {} पर कॉल करें",
    "माझा नंबर {} आहे",
    "என் நம்பர் {}",
    "ఫోన్ {} కి చేయండి",
    "ನನ್ನ ನಂಬರ್ {}",
    "আমার নম্বর {}",
    "ph: {}",
    "mob.{}",
    "Mob- {} (after 6 pm)",
    "{}",
    "contact {} for bulk order",
    "Pls call {} for 50 pcs order",
    "cash on delivery, call {} before coming",
    "send GPay on {} and I will pack today",
    "Order H-000123: call {} to fix time",
]

LANDLINES = [  # (text, what must be gone once hidden)
    ('call the shop at 022-2345 6789', '6789'),
    ('office (080) 2345 6789', '6789'),
    ('landline 0343 254 1234', '1234'),
    ('ph 044 2345 6789 after 10', '6789'),
    ('STD 0712 2345678', '5678'),
    ('our landline +91 22 2345 6789', '6789'),
    ('033-24561234 is the shop phone', '1234'),
    ('0124-4567890 Gurgaon office', '7890'),
    ('(0484) 2345678 Kochi', '5678'),
    ('tel. 020 2567 8901', '8901'),
    ('फोन ०२२ २३४५ ६७८९', '6789'),
    ('0761.2345.678 Jabalpur', '5678'),
]

EMAILS = [  # (text, what must be gone once hidden)
    ('mail me asha.pickles@gmail.com', 'asha'),
    ('asha.pickles@gmail.com', 'asha'),
    ('write to ASHA.KAMBLE@GMAIL.COM', 'asha'),
    ('asha at gmail dot com', 'asha'),
    ('asha [at] gmail [dot] com', 'asha'),
    ('asha (at) gmail (dot) com', 'asha'),
    ('asha{at}gmail{dot}com', 'asha'),
    ('asha @ gmail . com', 'asha'),
    ('asha@ gmail .com', 'asha'),
    ('asha @gmail.com', 'asha'),
    ('asha AT yahoo DOT co DOT in', 'asha'),
    ('sunita_k at rediffmail dot com', 'sunita'),
    ('sunita.k[at]yahoo[dot]in', 'sunita'),
    ('mail: meena123 @ outlook . com', 'meena123'),
    ('email = priya.designs<at>gmail<dot>com', 'priya'),
    ('ram.k@hotmail.com for catalogue', 'ram'),
    ('lakshmi2020@yahoo.co.in', 'lakshmi2020'),
    ('orders@ashapickles.in', 'orders'),
    ('write asha.k at gmail.com', 'asha'),
    ('asha\u200b@\u200bgmail.com', 'asha'),
    ('asha＠gmail．com', 'asha'),
    ('आशा का ईमेल asha.k@gmail.com है', 'asha'),
    ('என் மின்னஞ்சல் devi.t@gmail.com', 'devi'),
    ('rekha+orders@gmail.com', 'rekha'),
    ('kavita dot patil at gmail dot com', 'kavita'),
    ('mail sunita @ gmail dot com', 'sunita'),
    ('gmail: asha.pickles@gmail', 'asha'),
    ('contact: anjali_89 at outlook dot com', 'anjali'),
    ('meenakshi.s@protonmail.com thanks', 'meenakshi'),
    ('ID- radha1975@rediffmail.com', 'radha1975'),
]

UPI_IDS = [  # (text, what must be gone once hidden)
    ('pay to asha@okhdfcbank', 'asha'),
    ('UPI: 9812345678@ybl', '5678'),
    ('gpay asha.k@okicici', 'asha'),
    ('phonepe 98123xxxxx@ybl', '98123'),
    ('paytm 9876543210@paytm', '3210'),
    ('UPI id sunita@oksbi', 'sunita'),
    ('send to meena.k@okaxis', 'meena'),
    ('upi- rekha@ibl', 'rekha'),
    ('asha @ ybl', 'asha'),
    ('asha at okhdfcbank', 'asha'),
    ('asha [at] paytm', 'asha'),
    ('pay 7012345678@axl', '5678'),
    ('bhim: priya@upi', 'priya'),
    ('UPI asha.pickles@apl', 'asha'),
    ('lakshmi@ybl pe bhejo', 'lakshmi'),
    ('पैसे asha@ybl पर भेजें', 'asha'),
    ('devi.t@okicici-ல் அனுப்புங்கள்', 'devi'),
    ('kavita@ptyes', 'kavita'),
    ('radha@jupiteraxis', 'radha'),
    ('anita@freecharge', 'anita'),
]


def _contacts() -> list[tuple[str, str]]:
    out = []
    for i, way in enumerate(PHONE_WAYS):
        for k in range(3):
            number = MOBILES[(i + k) % len(MOBILES)]
            out.append((SENTENCES[(3 * i + k) % len(SENTENCES)].format(way(number)), number[-4:]))
    return out + LANDLINES + EMAILS + UPI_IDS


# (text, what must not be left of it once hidden)
CONTACTS = _contacts()

ORDINARY = [
    # prices
    "Price is Rs 1,250.00 per piece", "₹ 12,000 for the full set", "Rs. 450/- only", "total ₹1,23,456.00",
    "MRP 599, offer price 499", "Rs 250 each, 10 pcs for Rs 2,300", "₹ 2,499.50 including delivery",
    "50 pcs @ Rs 120", "100 pcs @ 95 each", "10 dozen @ ₹ 600/dozen", "rate 1200, 1150, 1100 for 10, 20, 50",
    "cost 350 + 50 delivery = 400", "₹ 7,500 advance, ₹ 7,500 on delivery", "paid Rs 15,000.00 on 12/11/2026",
    "₹४५० प्रति पीस", "कीमत ₹ १,२५० है", "விலை ₹ 850", "দাম ৳ নয়, ₹ ৫০০", "ಬೆಲೆ ₹ 1,200", "ధర ₹ 999",
    "Rs 18,500 for 25 sarees, Rs 17,000 for 50", "1500 1450 1400 1350 1300", "₹ 99, ₹ 199, ₹ 299, ₹ 399",
    "discount 10% on 5000 and above", "GST 5%: 1,250 + 62.50 = 1,312.50", "₹ 3,00,000 yearly turnover",
    "Rs. 1,00,000/- loan, EMI Rs 4,442.44", "price 80 rupees per kg, 25 kg = 2000",
    # sizes and measurements
    "sizes 38-40-42", "sizes 36, 38, 40, 42, 44 available", "S M L XL XXL, chest 36 38 40 42 44",
    "length 42 inch, waist 28-30-32-34", "blouse 32/34/36/38", "kurti size 40 42 44 46 48",
    "saree 5.5 m + 0.8 m blouse", "bangles 2.4, 2.6, 2.8, 2.10", "ring size 12, 14, 16", "6.5 x 9 inches",
    "bag 30 x 40 x 12 cm", "dupatta 2.25 m x 0.9 m", "weight 250 g, 500 g, 1 kg", "jar 500 ml",
    "100 x 150 cm bedsheet, 2 pillow covers 45 x 70", "shoe size 6 7 8 9 10", "kids 2-3, 3-4, 4-5, 5-6 yrs",
    "pack of 6, 12, 24", "thread count 144", "60 x 90 inch curtains, 4 pieces",
    # quantities
    "I need 500 pieces by Friday", "200 jars of mango pickle, 100 of lemon", "send 25 + 25 + 50",
    "qty 60, 70, 80, 90, 100", "12 dozen papad", "3 boxes of 24", "need 1000 pcs, 500 now 500 later",
    "2 kg, 5 kg, 10 kg packs", "stock 45 left", "order 150 sets", "want 4 sarees, 2 blue 2 red",
    # pincodes and addresses
    "pincode 400 001", "pin 400001", "deliver to 560 034", "PIN: 600 020", "Kolkata 700 019",
    "address pincode 411 038, Pune", "ship to 110 092", "गुरुवार को 400 070 पिनकोड पर",
    "delivery area 500 081 and 500 082", "Plot 23, Sector 7, 400 703",
    # dates and times
    "deliver on 12/12/2026", "12.12.2026 ko milega", "on 05-01-2027", "by 2026-12-15", "12 Dec 2026, 10:30 am",
    "between 10:30 and 12:30", "at 9.30 pm", "from 10 to 6, Mon-Sat", "on 25/12 or 26/12", "dispatch 14/12/2026 11:45",
    "delivered 3/1/2027 at 4:15 pm", "दिनांक १२/१२/२०२६", "12-12-2026 10:00", "order placed 07/12/2026 18:19:52",
    "pickup 9 to 11 am, 4 to 6 pm", "Diwali 2026 special, festival on 08.11.2026", "2026-12-07T18:19:52",
    # order numbers, GSTIN, FSSAI, tracking
    "Order H-000123", "orders H-000123 and H-000124", "about order H-004567, 2 pcs missing", "invoice HI-2026-00123",
    "GSTIN 27AAPFU0939F1ZV", "GST no 29ABCDE1234F1Z5", "FSSAI 11521999000123", "FSSAI licence 10020022004567",
    "tracking EE123456789IN", "AWB 1234567890123", "Speed Post EM987654321IN", "DTDC D12345678",
    "courier docket 5001234567890", "HSN 6204, 5%", "batch 2026/11/045", "receipt no. 00045, 00046",
    "bill 23/456", "ref 2026-000987", "UTR 412345678901", "IFSC SBIN0001234",
    # mixed business talk
    "Can you do 5 pieces for 500 each, 6 for 450?", "I will pay 50% advance, 50% at delivery",
    "Colour 3 and 7 from the catalogue please", "need by 20th, 100 pieces, 38-40-42 ratio 1:2:1",
    "please pack in 2 boxes, 12 kg each", "return 2 of 10, refund Rs 500", "rate for 1000+ pcs?",
    "send photos of design no. 23, 45 and 67", "size chart: 34-36, 38-40, 42-44", "temperature below 25 °C",
    "shelf life 180 days", "made in 7 to 10 days", "I'll order 20 more next month", "4 out of 5 stars",
    "room 12, floor 3, building 4", "train 12951 at 17:00", "bus no. 335E", "Flat 402, B wing",
    "sale 50% off till 31/12", "4.5 rating from 120 buyers", "1st, 2nd and 3rd of January",
    "Meet at the market on Sunday", "I am at home after 6", "good quality at a good price",
    "looking at 2 designs", "at 10 am tomorrow", "email me the bill please", "send it on WhatsApp group",
    "can we talk here only?", "the mail came at 5", "do you have red?", "do 2 sets", "one or two pieces",
    "one size fits all", "ek dozen chahiye", "do din mein bhejo", "teen kurti red", "char saree blue",
    "पांच पैकेट भेज दो", "दो दिन में", "सात दिन", "nine yard saree", "seven colours available",
    "two and a half metres", "a dozen or two", "I liked number 4 and number 9",
    "year 2026, 2027 plan", "since 1998", "from 2019 to 2026", "class 10, 12 exams",
    "wholesale 50+ pcs: 10% off; 100+: 15% off; 500+: 20% off", "tier: 10 @ 250, 50 @ 230, 100 @ 210",
    "ratio 2:3:3:2 for S:M:L:XL", "36 + 38 + 40 = 3 pieces", "Rs 450 x 12 = Rs 5,400",
    "weights 100/250/500/1000 g", "10,20,30,40,50,60", "9 8 7 pieces left in 3 colours",
    "coupon FEST50", "Order H-000987 on 07.12.2026 for ₹ 1,480.00", "quote Q-0045",
    "voltage 220-240 V", "5 * 10 * 20 cm box", "ISBN 978-81-7525-766-5", "IMEI? no, only sarees",
    "Aadhaar not needed", "I@home", "price@ 450", "pcs@120", "rate@Rs 300", "100pcs@99", "kids@school",
    "rs.1250/-, rs.1350/-, rs.1450/-", "1,250 / 1,350 / 1,450", "₹1250-₹1450", "1250-1450-1650-1850",
    "sizes 28/30/32/34/36/38", "Nos. 101, 102, 103, 104, 105", "2 + 2 + 2 + 2 + 2 = 10",
    "I am at home. In the evening I pack", "I will be at the shop. In 2 days ready", "10 pcs @ 50 each. In stock",
    "meet me at gate no. 2", "we are at Pune. Come on Monday", "at Sector 7. Co-op bank next door",
    "sizes 6, 7, 8, 9, 10, 11, 12", "shoe sizes 6 7 8 9 10 11 12", "kids 6-7, 8-9, 10-11, 12-13",
    "pages 60, 70, 80, 90, 100", "on 9th at 9", "30 days return, 7 days exchange", "1/2 kg, 1 kg", "3 x 250 g = 750 g",
]

# Templated ordinary lines: prices, quantities and dates in every form, so the count is above 200.
_PRICE_LINES = [
    f"{qty} pcs at Rs {price:,}.00 each, total ₹ {qty * price:,}"
    for qty, price in [(5, 1250), (12, 480), (24, 350), (50, 299), (100, 180), (36, 650), (8, 2200), (60, 140)]
] + [
    f"delivered on {d:02d}/{m:02d}/2026 at {h}:{mi:02d}, pin {pin}"
    for d, m, h, mi, pin in [(1, 2, 9, 30, "400 001"), (15, 8, 10, 15, "560 034"), (26, 1, 11, 0, "600 020"),
                              (31, 12, 6, 45, "700 019"), (2, 10, 4, 0, "411 038"), (14, 11, 7, 30, "110 092")]
]
ORDINARY = ORDINARY + _PRICE_LINES
