"""The suite's own machinery (tests/conftest.py): each test's rows live in one transaction that is rolled back,
requests' commits reach the test's session, the app's commit hooks still run, the ledger is checked first."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from market.core.ledger import LedgerAccount, LedgerEntry, LedgerPosting
from market.core.notifications import Notification
from market.reports.rollups import AreaMonth
from tests.conftest import PerTestDatabase, login, reload


def test_a_requests_commit_is_seen_after_reload_though_the_test_was_reading(client, session, world):
    session.add(Notification(user_id=world.buyer.id, subject="Your order was accepted"))
    session.commit()
    seen = session.scalars(sa.select(Notification)).one()  # the test's session is in a transaction again
    assert seen.read_at is None

    login(client, world.buyer.email)
    assert client.post("/auth/notifications/read", data={"upto": seen.id}).status_code == 302  # commits
    reload(session)  # rolls back the test's transaction: not the request's commit

    assert session.get(Notification, seen.id).read_at is not None


def test_a_requests_commit_runs_the_apps_commit_hooks_once(app, client, session, world):
    session.add(Notification(user_id=world.buyer.id, subject="Hello"))
    session.commit()
    commits = []

    def committed(done):
        if not done.in_nested_transaction():  # the app's rule for "really committed" (STYLE.md)
            commits.append(done)

    sa.event.listen(app.extensions["haat.db"], "after_commit", committed)
    login(client, world.buyer.email)
    client.get("/auth/notifications")

    assert len(commits) == 1  # the view's one commit, seen as a commit by the app's listeners


def test_the_apps_before_commit_work_reaches_the_database(session, world):
    """rollups gathers the SHG and organisation counts in the session and writes them just before the commit."""
    from market.reports import rollups

    rollups._areas(session, world.group_a, rollups.month_of(), rollups.TOTAL, sales=1)
    session.commit()
    reload(session)

    assert session.scalar(sa.select(sa.func.count()).select_from(AreaMonth)) == 2  # the group's and the org's


@pytest.fixture
def two_tests(database_url, _engine):
    """Run two "tests" on the machinery directly, one after the other."""
    made = []

    def start() -> PerTestDatabase:
        made.append(PerTestDatabase(database_url, _engine))
        return made[-1]

    yield start
    for test_db in made:
        if not test_db.connection.closed:
            test_db.finish()


def test_what_a_test_commits_is_gone_for_the_next(two_tests):
    first = two_tests()
    with first.sessions() as session:
        session.add(LedgerAccount(code="test:left-behind", kind="asset"))
        session.commit()
    with first.sessions() as session:  # committed, as far as the test can tell
        assert session.scalar(sa.select(LedgerAccount.id).where(LedgerAccount.code == "test:left-behind"))
    first.finish()

    second = two_tests()
    with second.sessions() as session:
        assert session.scalar(sa.select(LedgerAccount.id).where(LedgerAccount.code == "test:left-behind")) is None


def test_the_ledger_is_checked_with_the_tests_rows_before_they_are_rolled_back(two_tests):
    test_db = two_tests()
    with test_db.sessions() as session:
        account = LedgerAccount(code="test:unbalanced", kind="asset")
        entry = LedgerEntry(kind="sale", postings=[LedgerPosting(account=account, amount_paise=100)])
        session.add(entry)
        session.commit()  # one leg only: what the ledger's own code would refuse

    with pytest.raises(AssertionError, match="the ledger does not balance"):
        test_db.finish()
    assert test_db.connection.closed  # and rolled back all the same


# -- which pass runs a test (make test: the PostgreSQL pass says -m "not no_database") ----------------------


def test_a_test_on_the_database_runs_in_both_passes(request, session):
    assert request.node.get_closest_marker("no_database") is None


@pytest.fixture
def shop_of_the_test(world):  # stands on the database through another fixture
    return world.shop_a


def test_a_test_reaching_the_database_through_its_own_fixture_runs_in_both_passes(request, shop_of_the_test):
    assert request.node.get_closest_marker("no_database") is None


def test_a_test_that_reaches_no_database_runs_in_the_sqlite_pass_only(request):
    assert request.node.get_closest_marker("no_database") is not None
