"""Every transition of the order state machine, allowed and refused, for every actor and delivery method."""

import itertools

import pytest

from orders.status import (
    ONLY_FOR,
    TRANSITIONS,
    Actor,
    IllegalTransition,
    Method,
    OrderStatus,
    can_move,
    check_move,
    next_moves,
)

S, A, M = OrderStatus, Actor, Method
EVERY = {M.PICKUP, M.LOCAL, M.COURIER}
# (from, to) -> (who, which delivery methods)
ALLOWED = {
    (S.PLACED, S.CONFIRMED): ({A.SELLER, A.ADMIN}, EVERY),
    (S.CONFIRMED, S.PACKED): ({A.SELLER, A.ADMIN}, EVERY),
    (S.PACKED, S.READY_FOR_PICKUP): ({A.SELLER, A.ADMIN}, {M.PICKUP}),
    (S.READY_FOR_PICKUP, S.COLLECTED): ({A.SELLER, A.BUYER, A.ADMIN}, {M.PICKUP}),
    (S.PACKED, S.OUT_FOR_DELIVERY): ({A.SELLER, A.ADMIN}, {M.LOCAL}),
    (S.OUT_FOR_DELIVERY, S.DELIVERED): ({A.SELLER, A.BUYER, A.ADMIN}, {M.LOCAL}),
    (S.PACKED, S.SHIPPED): ({A.SELLER, A.ADMIN}, {M.COURIER}),
    (S.SHIPPED, S.DELIVERED): ({A.SELLER, A.BUYER, A.ADMIN}, {M.COURIER}),
    (S.COLLECTED, S.COMPLETED): ({A.BUYER, A.ADMIN, A.SYSTEM}, {M.PICKUP}),
    (S.DELIVERED, S.COMPLETED): ({A.BUYER, A.ADMIN, A.SYSTEM}, {M.LOCAL, M.COURIER}),
    (S.PLACED, S.CANCELLED): ({A.BUYER, A.SELLER, A.ADMIN, A.SYSTEM}, EVERY),
    (S.CONFIRMED, S.CANCELLED): ({A.BUYER, A.SELLER, A.ADMIN, A.SYSTEM}, EVERY),  # refunded in full at the gateway
    (S.PACKED, S.CANCELLED): ({A.SELLER, A.ADMIN, A.SYSTEM}, EVERY),
    (S.COLLECTED, S.REFUND_REQUESTED): ({A.BUYER, A.ADMIN}, {M.PICKUP}),
    (S.DELIVERED, S.REFUND_REQUESTED): ({A.BUYER, A.ADMIN}, {M.LOCAL, M.COURIER}),
    (S.REFUND_REQUESTED, S.REFUNDED): ({A.SELLER, A.ADMIN, A.SYSTEM}, EVERY),
    (S.REFUND_REQUESTED, S.COMPLETED): ({A.ADMIN}, EVERY),
    (S.CANCELLED, S.REFUNDED): ({A.ADMIN, A.SYSTEM}, EVERY),
}
EVERY_MOVE = [(a, b, who, how) for a, b in itertools.product(S, S) for who in A for how in M]
# Each method's whole path, as its seller and buyer walk it.
PATHS = {
    M.PICKUP: [S.PLACED, S.CONFIRMED, S.PACKED, S.READY_FOR_PICKUP, S.COLLECTED, S.COMPLETED],
    M.LOCAL: [S.PLACED, S.CONFIRMED, S.PACKED, S.OUT_FOR_DELIVERY, S.DELIVERED, S.COMPLETED],
    M.COURIER: [S.PLACED, S.CONFIRMED, S.PACKED, S.SHIPPED, S.DELIVERED, S.COMPLETED],
}


def test_the_table_is_exactly_the_documented_one():
    assert {k: set(v) for k, v in TRANSITIONS.items()} == {k: who for k, (who, _how) in ALLOWED.items()}
    assert {k: set(v) for k, v in ONLY_FOR.items()} == {k: how for k, (_who, how) in ALLOWED.items() if how != EVERY}


@pytest.mark.parametrize(("current", "target", "actor", "method"), EVERY_MOVE)
def test_each_move_is_allowed_or_refused(current, target, actor, method):
    who, how = ALLOWED.get((current, target), (set(), set()))
    if actor in who and method in how:
        check_move(current, target, actor, method)
    else:
        with pytest.raises(IllegalTransition):
            check_move(current, target, actor, method)


@pytest.mark.parametrize("method", list(M))
def test_each_method_walks_its_own_path_and_no_other(method):
    path = PATHS[method]
    for before, after in itertools.pairwise(path):
        assert can_move(before, after, Actor.SELLER if after != S.COMPLETED else Actor.BUYER, method)
    for other_path in PATHS.values():
        for before, after in itertools.pairwise(other_path):
            if (before, after) not in itertools.pairwise(path):
                assert not any(can_move(before, after, who, method) for who in A), (method, before, after)


def test_the_seller_sees_only_her_order_s_method_s_next_step():
    assert next_moves(S.PACKED, A.SELLER, M.PICKUP) == [S.READY_FOR_PICKUP, S.CANCELLED]
    assert next_moves(S.PACKED, A.SELLER, M.LOCAL) == [S.OUT_FOR_DELIVERY, S.CANCELLED]
    assert next_moves(S.PACKED, A.SELLER, M.COURIER) == [S.SHIPPED, S.CANCELLED]
    assert next_moves(S.READY_FOR_PICKUP, A.SELLER, M.PICKUP) == [S.COLLECTED]
    assert next_moves(S.OUT_FOR_DELIVERY, A.BUYER, M.LOCAL) == [S.DELIVERED]
    assert next_moves(S.SHIPPED, A.BUYER, M.COURIER) == [S.DELIVERED]
    assert next_moves(S.COLLECTED, A.BUYER, M.PICKUP) == [S.COMPLETED, S.REFUND_REQUESTED]
    assert next_moves(S.PLACED, A.BUYER, M.COURIER) == [S.CANCELLED]


def test_without_a_method_only_the_moves_every_method_makes():
    assert next_moves(S.PACKED, A.SELLER) == [S.CANCELLED]
    assert not can_move(S.SHIPPED, S.DELIVERED, A.BUYER)


@pytest.mark.parametrize("final", [S.COMPLETED, S.REFUNDED])
def test_final_states_go_nowhere(final):
    for actor in A:
        for method in M:
            assert next_moves(final, actor, method) == []


def test_unknown_states_are_refused():
    with pytest.raises(IllegalTransition):
        check_move("teleported", "placed", "admin", "pickup")
