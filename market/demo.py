"""Demo data for `make run`: a programme in 3 states, 4 organisations, 10 SHGs, 40 selling members,
each with a shop and three products (photos drawn in code, see catalog.demo).

Every name here is invented. Members' legal names are private; their shops have public names that
share nothing with them, as the safety rules require.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from catalog.demo import load_products
from catalog.models import Product
from market.core import clock
from market.core.accounts import create_user
from market.core.models import Role, User
from market.flows import checkout as checkout_flow
from market.flows.order_moves import move
from orders.models import WholesalerProfile
from orders.services import Delivery, cart_for, quote, set_quantity
from orders.status import Actor, OrderStatus
from payments import services as payments
from payments.gateways import DemoGateway, upi
from vendors import finance
from vendors.groupfund import services as fund
from vendors.models import Member, Organisation, Programme, SelfHelpGroup
from vendors.services import NewMember, assign_staff, onboard_member, open_business

ORGANISATIONS = [
    # name, state, district, pickup address, SHGs as (name, area)
    ("Sakhi Sangam Collective", "MH", "Pune", "Sakhi Sangam office, 2nd floor, Shivaji Market, Pune 411001",
     [("Jyoti SHG", "Kasba Peth"), ("Pragati SHG", "Yerawada"), ("Ujala SHG", "Hadapsar")]),
    ("Navjeevan Mahila Manch", "MH", "Sangli", "Navjeevan Manch hall, Station Road, Sangli 416416",
     [("Savitri SHG", "Miraj"), ("Kranti SHG", "Vishrambag")]),
    ("Thozhi Women's Collective", "TN", "Madurai", "Thozhi Centre, 14 West Masi Street, Madurai 625001",
     [("Malar SHG", "Anna Nagar"), ("Vidiyal SHG", "Thirunagar"), ("Thendral SHG", "Goripalayam")]),
    ("Ujjwala Sangha", "WB", "Kolkata", "Ujjwala Sangha office, 2nd floor, 41 Lenin Sarani, Kolkata 700013",
     [("Alo SHG", "Behala"), ("Notun Asha SHG", "Dum Dum")]),
]

# Each collective's pickup point on the ONDC network: pincode, GPS of the office (a market or street, never a
# home) and the city's STD code.
PICKUP_POINTS = {
    "Sakhi Sangam Collective": ("411001", "18.516726,73.856255", "020"),
    "Navjeevan Mahila Manch": ("416416", "16.852795,74.581478", "0233"),
    "Thozhi Women's Collective": ("625001", "9.919034,78.117870", "0452"),
    "Ujjwala Sangha": ("700013", "22.563568,88.354797", "033"),
}

# Four selling members per SHG, in the order of the groups above: (legal name, shop, trade, story).
MEMBERS = [
    ("Sunita Kamble", "Rangoli Stitches", "garments", "Cotton kurtis and children's frocks, stitched to order."),
    ("Asha Pawar", "Sunehri Papad Ghar", "food", "Hand-rolled udid and rice papad, sun-dried on our terrace."),
    ("Rekha Jadhav", "Chandrakala Jewels", "jewellery", "Oxidised silver-look jhumkas and necklace sets."),
    ("Lata Shinde", "Tiffin Tales", "food", "Home-style Maharashtrian tiffin: chapati, bhaji, dal, rice."),
    ("Kavita More", "Paithani Threads", "garments", "Blouses and dupattas with Paithani-style borders."),
    ("Mangal Gaikwad", "Masala Potli", "food", "Goda masala, kanda-lasun masala and metkut, ground fresh."),
    ("Shobha Salunkhe", "Moti Mahal Beads", "jewellery", "Pearl and bead malas, mangalsutra-style chains."),
    ("Vaishali Kadam", "Nakshi Bags", "handicrafts", "Cloth bags and pouches from leftover fabric."),
    ("Sarika Deshmukh", "Kolhapuri Kitchen", "food", "Kolhapuri chivda, shev and shankarpali."),
    ("Pooja Bhosale", "Saaj Jewellery", "jewellery", "Kolhapuri saaj and thushi necklaces in gold-look metal."),
    ("Nanda Patil", "Chhota Kurta Co.", "garments", "Boys' kurta-pyjama sets for festivals."),
    ("Meena Sawant", "Lonche Bharni", "food", "Lemon, mango and mixed pickles in oil."),
    ("Jayashree Mane", "Nauvari Corner", "garments", "Ready-to-wear nauvari sarees, stitched."),
    ("Surekha Chavan", "Mangalya Beads", "jewellery", "Black-bead chains and earrings."),
    ("Anita Thorat", "Shev Chivda House", "food", "Sangli bhadang and farsan, made daily."),
    ("Priya Kale", "Godhadi Stories", "handicrafts", "Quilted godhadi throws from old sarees."),
    ("Selvi Murugan", "Malligai Threads", "garments", "Cotton nighties and house dresses."),
    ("Kalaivani Raj", "Amma Murukku", "food", "Thenkuzhal murukku, ribbon pakoda and seedai."),
    ("Bhavani Senthil", "Kolam Kammal", "jewellery", "Temple-style jhimikki earrings and chains."),
    ("Muthulakshmi Pandian", "Podi Box", "food", "Idli podi, paruppu podi and curry leaf podi."),
    ("Revathi Kumar", "Sungudi Stitch", "garments", "Madurai sungudi cotton sarees and blouses."),
    ("Jothi Ramesh", "Vadagam Vellam", "food", "Vadagam, vathal and sun-dried chillies."),
    ("Sumathi Ganesan", "Pavazham Jewels", "jewellery", "Coral-look and kemp-stone necklace sets."),
    ("Tamilselvi Arun", "Panai Craft", "handicrafts", "Palm-leaf baskets and boxes."),
    ("Lakshmi Velu", "Pattu Paavadai", "garments", "Silk-look pattu paavadai for girls."),
    ("Chitra Mohan", "Thokku Corner", "food", "Tomato, mango and gongura thokku."),
    ("Vasanthi Prabhu", "Kodi Kolusu", "jewellery", "Anklets and toe rings, silver-look."),
    ("Amudha Selvam", "Athirasam Amma", "food", "Athirasam, adhirasam-style sweets for festivals."),
    ("Indira Karthik", "Nool Kadai", "garments", "Cotton towels, handkerchiefs and baby wraps."),
    ("Geetha Sundar", "Mullai Malai", "jewellery", "Hair accessories and jada billa."),
    ("Shanthi Ravi", "Vathal Veedu", "food", "Manathakkali and sundakkai vathal."),
    ("Devi Subramani", "Koodai Kalai", "handicrafts", "Wire baskets and plastic-strand koodai."),
    ("Rina Das", "Kantha Katha", "garments", "Kantha-stitched stoles and kurtis."),
    ("Mousumi Sarkar", "Narkel Naru", "food", "Coconut naru, nimki and gur sandesh."),
    ("Shampa Ghosh", "Terracotta Tara", "jewellery", "Terracotta and dokra-style necklaces."),
    ("Tumpa Mondal", "Aachar Bari", "food", "Kul, mango and olive aachar."),
    ("Papiya Roy", "Gamchha Ghar", "garments", "Handloom gamchha and cotton saree blouses."),
    ("Soma Biswas", "Jhuri Bhaja", "food", "Jhuri bhaja, chanachur and muri mix."),
    ("Rupa Halder", "Shankha Sajh", "jewellery", "Shankha-look bangles and pola sets."),
    ("Mita Pal", "Sholapith Shilpa", "handicrafts", "Sholapith flowers and festival decorations."),
]

DEMO_ENTREPRENEUR = "entrepreneur@example.org"


def load_demo(session: Session, password: str, media_dir: Path) -> bool:
    """Create the demo data unless it is already there. Returns True if it created anything."""
    if session.scalar(sa.select(User.id).where(User.email == "admin@example.org")) is not None:
        return False
    programme = Programme(name="Haat Livelihoods Programme")
    session.add(programme)
    groups: list[SelfHelpGroup] = []
    organisations: list[Organisation] = []
    for name, state, district, address, shgs in ORGANISATIONS:
        pincode, gps, std = PICKUP_POINTS[name]
        org = Organisation(programme=programme, name=name, state_code=state, district=district,
                           pickup_address=address, pickup_pincode=pincode, pickup_gps=gps, std_code=std)
        organisations.append(org)
        for shg_name, area in shgs:
            groups.append(SelfHelpGroup(organisation=org, name=shg_name, area=area, formed_on=date(2021, 4, 1)))
    session.add_all(groups)
    session.flush()

    businesses = []
    for index, (legal_name, shop, trade, story) in enumerate(MEMBERS):
        login = DEMO_ENTREPRENEUR if index == 0 else f"+9190000{index:05d}"
        member = onboard_member(session, NewMember(legal_name, login, password, groups[index // 4].id))
        businesses.append(open_business(session, owners=[member], public_name=shop, trade=trade, story=story,
                                        show_group=index % 3 == 0))
    load_products(session, businesses, media_dir)

    made = {role: create_user(session, name=f"Demo {role}", login=f"{role}@example.org", password=password, role=role)
            for role in (Role.BUYER, Role.WHOLESALER, Role.ADMIN)}
    _demo_plan(session, businesses[0].owners[0])
    _demo_orders(session, made[Role.BUYER], made[Role.WHOLESALER], businesses[0])
    staff = create_user(session, name="Demo staff", login="staff@example.org", password=password,
                        role=Role.STAFF)
    assign_staff(session, staff, [organisations[0].id, organisations[1].id])  # Maharashtra only
    _demo_meetings(session, groups, staff)
    session.flush()
    return True


def _demo_meetings(session: Session, groups: list[SelfHelpGroup], staff: User) -> None:
    """A few groups' books, so the dashboards' meeting figures are not all zero: Jyoti and Pragati SHGs met
    every month of the last four (a member or two away), Savitri SHG met four months ago and then stopped, Malar
    SHG met this month; Pragati SHG lent Rs 5,000 from its fund 75 days ago and nothing was repaid (at risk),
    Malar SHG lent Rs 3,000 40 days ago and its first instalment was repaid at this month's meeting."""
    today = clock.today()
    this = today.replace(day=1)
    jyoti, pragati, savitri, malar = groups[0], groups[1], groups[3], groups[5]
    for group in (pragati, malar):
        fund.open_books(session, group, staff, 8_000_00, 2_000_00)
    people = {group.id: list(session.scalars(sa.select(Member).where(Member.group_id == group.id)
                                             .order_by(Member.id))) for group in (jyoti, pragati, savitri, malar)}
    late = fund.give_loan(session, pragati, staff, people[pragati.id][1], 5_000_00, 1200, 6,
                          on=today - timedelta(days=75))
    on_time = fund.give_loan(session, malar, staff, people[malar.id][2], 3_000_00, 1200, 6,
                             on=today - timedelta(days=40))
    assert late.id and on_time.id
    for group, months_ago in ((jyoti, (3, 2, 1, 0)), (pragati, (3, 2, 1, 0)), (savitri, (4,)), (malar, (0,))):
        for back in months_ago:
            year, index = divmod(this.year * 12 + this.month - 1 - back, 12)
            held_on = min(date(year, index + 1, 10), today)
            rows = []
            for n, member in enumerate(people[group.id]):
                present = (n + back) % 4 != 3  # one member of four away, a different one each month
                repaid = 0
                if group is malar and member.id == on_time.member_id:
                    repaid = finance.loan_position(session, on_time, held_on).next_due_left_paise
                rows.append(fund.RowIn(member.id, present, 100_00 if present else 0, repaid, 0,
                                       on_time.id if repaid else None))
            fund.record_meeting(session, group, staff, held_on, rows, sum(r.total_paise for r in rows),
                                f"demo-{group.id}-{back}")


def _demo_plan(session: Session, member) -> None:
    """The demo entrepreneur's SHG loan, her group's monthly saving, and the shares of each sale for them."""
    member.group.monthly_saving_paise = 200_00
    loan = finance.add_loan(session, member, member.user, "shg", "", 20_000_00, 1200, "declining", 12,
                            clock.today() - timedelta(days=20))
    finance.set_shares(session, member, [finance.Share("loan", percent_bps=3000, loan_id=loan.id),
                                         finance.Share("savings", percent_bps=1000)])


def _demo_orders(session: Session, buyer: User, wholesaler: User, shop) -> None:
    """An approved wholesaler, and two orders waiting in the demo entrepreneur's shop: one new, one accepted."""
    session.add(WholesalerProfile(user_id=wholesaler.id, business_name="Demo Traders, Pune", status="approved"))
    session.flush()
    products = sorted(session.scalars(sa.select(Product).where(Product.business_id == shop.id)),
                      key=lambda p: p.id)
    seller = shop.owners[0].user
    for n, product in enumerate(products[:2]):
        variant = next(v for v in product.variants if v.stock > 0 or product.made_to_order)
        cart = cart_for(session, buyer, None, create=True)
        assert cart is not None  # create=True makes one
        set_quantity(session, cart, variant.id, 1)
        delivery = Delivery({shop.id: "pickup"})
        total = quote(session, cart, buyer).total_paise(delivery.methods)
        checkout = checkout_flow.place(session, buyer, cart, f"demo-{n}", delivery, total, None,
                                       "cash" if n == 0 else "upi")
        order = checkout.orders[0]
        if n == 1:  # paid by UPI through the demo gateway, as a buyer would
            payment = payments.payment_for(session, order)
            assert payment is not None  # an order paid by UPI has its payment
            payments.open_at_gateway(session, payment, callback_url="http://127.0.0.1:5000/")
            gateway = upi()
            assert isinstance(gateway, DemoGateway)  # the demo data is paid through the demo gateway
            assert payment.gateway_order_id is not None  # open_at_gateway set it
            payments.confirm_callback(session, payment, gateway.fake.pay(payment.gateway_order_id))
            for hook in gateway.fake.take_webhooks():
                payments.razorpay_webhook(session, hook.body, hook.signature, hook.event_id)
            move(session, order, OrderStatus.CONFIRMED, seller, Actor.SELLER)
