"""Every transition of the order state machine, allowed and refused, for every actor."""

import itertools

import pytest

from orders.status import TRANSITIONS, Actor, IllegalTransition, OrderStatus, check_move, next_moves

S, A = OrderStatus, Actor
ALLOWED = {
    (S.PLACED, S.CONFIRMED): {A.SELLER, A.ADMIN},
    (S.CONFIRMED, S.PACKED): {A.SELLER, A.ADMIN},
    (S.PACKED, S.READY_FOR_PICKUP): {A.SELLER, A.ADMIN},
    (S.PACKED, S.SHIPPED): {A.SELLER, A.ADMIN},
    (S.READY_FOR_PICKUP, S.DELIVERED): {A.SELLER, A.BUYER, A.ADMIN},
    (S.SHIPPED, S.DELIVERED): {A.SELLER, A.BUYER, A.ADMIN},
    (S.DELIVERED, S.COMPLETED): {A.BUYER, A.ADMIN, A.SYSTEM},
    (S.PLACED, S.CANCELLED): {A.BUYER, A.SELLER, A.ADMIN, A.SYSTEM},
    (S.CONFIRMED, S.CANCELLED): {A.BUYER, A.SELLER, A.ADMIN, A.SYSTEM},  # refunded in full at the gateway
    (S.PACKED, S.CANCELLED): {A.SELLER, A.ADMIN, A.SYSTEM},
    (S.DELIVERED, S.REFUND_REQUESTED): {A.BUYER, A.ADMIN},
    (S.REFUND_REQUESTED, S.REFUNDED): {A.SELLER, A.ADMIN, A.SYSTEM},
    (S.REFUND_REQUESTED, S.COMPLETED): {A.ADMIN},
    (S.CANCELLED, S.REFUNDED): {A.ADMIN, A.SYSTEM},
}
EVERY_MOVE = [(a, b, who) for a, b in itertools.product(S, S) for who in A]


def test_the_table_is_exactly_the_documented_one():
    assert {k: set(v) for k, v in TRANSITIONS.items()} == ALLOWED


@pytest.mark.parametrize(("current", "target", "actor"), EVERY_MOVE)
def test_each_move_is_allowed_or_refused(current, target, actor):
    if actor in ALLOWED.get((current, target), set()):
        check_move(current, target, actor)
    else:
        with pytest.raises(IllegalTransition):
            check_move(current, target, actor)


@pytest.mark.parametrize("final", [S.COMPLETED, S.REFUNDED])
def test_final_states_go_nowhere(final):
    for actor in A:
        assert next_moves(final, actor) == []


def test_next_moves_in_lifecycle_order():
    assert next_moves(S.PACKED, A.SELLER) == [S.READY_FOR_PICKUP, S.SHIPPED, S.CANCELLED]
    assert next_moves(S.PLACED, A.BUYER) == [S.CANCELLED]
    assert next_moves(S.SHIPPED, A.BUYER) == [S.DELIVERED]


def test_unknown_states_are_refused():
    with pytest.raises(IllegalTransition):
        check_move("teleported", "placed", "admin")
