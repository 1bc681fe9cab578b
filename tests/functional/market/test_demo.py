"""`flask --app market seed-demo` loads the demo once, with safe public names."""

import sqlalchemy as sa

from market.demo import MEMBERS
from market.models import User
from vendors.models import Business, Member, Organisation, SelfHelpGroup


def test_seed_demo_loads_once(app, session):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "Demo data loaded" in first.output and "entrepreneur@example.org" in first.output
    count = lambda model: session.scalar(sa.select(sa.func.count()).select_from(model))  # noqa: E731
    assert (count(Organisation), count(SelfHelpGroup), count(Member), count(Business)) == (4, 10, 40, 40)
    states = set(session.scalars(sa.select(Organisation.state_code)))
    assert len(states) == 3
    for role in ("entrepreneur", "buyer", "wholesaler", "staff", "admin"):
        assert session.scalar(sa.select(User.role).where(User.email == f"{role}@example.org")) == role
    second = runner.invoke(args=["seed-demo"])
    assert "already there" in second.output
    session.rollback()
    assert count(User) == 40 + 4


def test_demo_shop_names_share_nothing_with_legal_names():
    for legal_name, shop, _trade, story in MEMBERS:
        for part in legal_name.lower().split():
            assert part not in shop.lower() and part not in story.lower(), (legal_name, shop)


def test_demo_accounts_log_in_with_the_published_password(app, client):
    app.test_cli_runner().invoke(args=["seed-demo"])
    response = client.post("/auth/login", data={"login": "entrepreneur@example.org", "password": "demo-pass-123"})
    assert response.headers["Location"] == "/seller/"
    assert "Rangoli Stitches" in client.get("/seller/").text
