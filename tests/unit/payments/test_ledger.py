"""The ledger: balanced entries only, append-only, balances derived from postings."""

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.exc import DatabaseError

from market.core import ledger
from market.core.ledger import EntryKind, LedgerEntry, LedgerPosting, Unbalanced
from tests.conftest import NO_CLOCK_CHECKS, examples
from tests.factories import gen_business


@pytest.fixture
def shop(session):
    """A business whose accounts the tests post to."""
    made = gen_business(session)
    session.commit()
    return made.id


def test_a_balanced_entry_is_written_and_balances_follow(session, shop):
    ledger.post(session, EntryKind.PAYMENT, [("gateway:demo", 100_00), (ledger.payable(shop), -98_00),
                                             (ledger.PLATFORM_FEES, -2_00)], "checkout 1")
    session.commit()
    assert ledger.balance(session, "gateway:demo") == 100_00
    assert ledger.balance(session, ledger.payable(shop)) == -98_00
    assert ledger.balance(session, ledger.PLATFORM_FEES) == -2_00
    assert ledger.balance(session, "gateway:stripe") == 0  # never used
    assert ledger.unbalanced_entries(session) == []


def test_accounts_get_their_kind_from_the_code(session, shop):
    ledger.post(session, EntryKind.CASH, [(ledger.cash(shop), 5_00), (ledger.cash_sales(shop), -5_00)])
    session.commit()
    kinds = dict(session.execute(sa.select(ledger.LedgerAccount.code, ledger.LedgerAccount.kind)).all())
    assert kinds == {ledger.cash(shop): "asset", ledger.cash_sales(shop): "income"}
    assert ledger.kind_of("business:7:payable") == "liability"
    assert ledger.kind_of(ledger.GATEWAY_FEES) == "expense"


@pytest.mark.parametrize("lines", [
    [("gateway:demo", 100), (ledger.PLATFORM_FEES, -99)],  # one paisa short
    [("gateway:demo", 100)],  # one-sided
    [("gateway:demo", 1.5), (ledger.PLATFORM_FEES, -1.5)],  # not paise
    [("gateway:demo", True), (ledger.PLATFORM_FEES, -1)],  # not a number at all
])
def test_an_unbalanced_entry_is_refused_and_nothing_is_written(session, shop, lines):
    with pytest.raises(Unbalanced):
        ledger.post(session, EntryKind.CORRECTION, lines)
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) == 0


def test_zero_lines_are_left_out_and_an_empty_entry_is_not_written(session, shop):
    assert ledger.post(session, EntryKind.PAYMENT, [("gateway:demo", 0), (ledger.PLATFORM_FEES, 0)]) is None
    entry = ledger.post(session, EntryKind.PAYMENT, [("gateway:demo", 50), (ledger.payable(shop), -50),
                                                     (ledger.PLATFORM_FEES, 0)])
    assert len(entry.postings) == 2


def test_the_same_account_twice_in_one_entry_is_merged(session, shop):
    entry = ledger.post(session, EntryKind.PAYMENT, [("gateway:demo", 60), ("gateway:demo", 40),
                                                     (ledger.payable(shop), -100)])
    assert sorted(p.amount_paise for p in entry.postings) == [-100, 100]


def test_a_posting_cannot_be_edited_through_the_orm(session, shop):
    entry = ledger.post(session, EntryKind.PAYMENT, [("gateway:demo", 100), (ledger.payable(shop), -100)])
    session.commit()
    entry.postings[0].amount_paise = 1
    with pytest.raises(Unbalanced, match="append-only"):
        session.flush()
    session.rollback()


@pytest.mark.parametrize("change", [sa.update(LedgerPosting).values(amount_paise=1),
                                    sa.update(LedgerEntry).values(memo="changed")])
def test_the_database_refuses_updates_to_the_ledger(session, shop, change):
    ledger.post(session, EntryKind.PAYMENT, [("gateway:demo", 100), (ledger.payable(shop), -100)])
    session.commit()
    with pytest.raises(DatabaseError, match="append-only"):
        session.execute(change.execution_options(synchronize_session=False))
    session.rollback()
    assert ledger.balance(session, "gateway:demo") == 100


ACCOUNTS = ["gateway:demo", "gateway:stripe", "gateway:razorpay", ledger.PLATFORM_FEES, ledger.GATEWAY_FEES]


@st.composite
def balanced(draw):
    """Postings of random accounts and amounts, plus one line that balances them."""
    lines = draw(st.lists(st.tuples(st.sampled_from(ACCOUNTS), st.integers(-10**9, 10**9)), min_size=1, max_size=6))
    return [*lines, (draw(st.sampled_from(ACCOUNTS)), -sum(a for _c, a in lines))]


@settings(max_examples=examples(40),  # database work: fewer
          suppress_health_check=[*NO_CLOCK_CHECKS, HealthCheck.function_scoped_fixture])
@given(entries=st.lists(balanced(), min_size=1, max_size=5))
def test_whatever_is_posted_the_balances_sum_to_zero(session, entries):
    expected = {code: 0 for code in ACCOUNTS}
    for lines in entries:
        ledger.post(session, EntryKind.CORRECTION, lines)
        for code, amount in lines:
            expected[code] += amount
    for code in ACCOUNTS:
        assert ledger.balance(session, code) == expected[code]
    assert sum(ledger.balance(session, code) for code in ACCOUNTS) == 0
    assert ledger.unbalanced_entries(session) == []
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(LedgerPosting)) == 0
