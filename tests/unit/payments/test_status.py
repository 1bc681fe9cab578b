"""The payment state machine, every pair of states."""

import itertools

import pytest

from payments.status import TRANSITIONS, IllegalPaymentMove, PaymentStatus, after_refund, check_move

P = PaymentStatus
ALLOWED = {
    (P.CREATED, P.AUTHORIZED), (P.CREATED, P.CAPTURED), (P.AUTHORIZED, P.CAPTURED), (P.CREATED, P.EXPIRED),
    (P.AUTHORIZED, P.EXPIRED), (P.EXPIRED, P.CAPTURED), (P.CAPTURED, P.PARTLY_REFUNDED), (P.CAPTURED, P.REFUNDED),
    (P.PARTLY_REFUNDED, P.PARTLY_REFUNDED), (P.PARTLY_REFUNDED, P.REFUNDED),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(PaymentStatus, PaymentStatus)))
def test_every_move_is_allowed_or_refused_as_listed(current, target):
    if (current, target) in ALLOWED:
        check_move(current, target)
    else:
        with pytest.raises(IllegalPaymentMove):
            check_move(current, target)


def test_the_table_is_what_this_test_lists():
    assert set(TRANSITIONS) == ALLOWED


def test_nothing_leaves_refunded():
    assert not [pair for pair in TRANSITIONS if pair[0] == P.REFUNDED]


@pytest.mark.parametrize(("refunded", "state"), [(0, P.CAPTURED), (1, P.PARTLY_REFUNDED), (999, P.PARTLY_REFUNDED),
                                                 (1000, P.REFUNDED)])
def test_state_after_a_refund(refunded, state):
    assert after_refund(1000, refunded) == state
