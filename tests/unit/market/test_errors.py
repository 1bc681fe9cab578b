"""One error model: what a person can fix is a Refusal (never a ValueError), a provider that cannot be reached is
Unavailable, and a bug is neither."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from catalog.images import PhotoError
from catalog.services import CatalogError
from market.core.accounts import AccountError
from market.core.errors import MessagesUnavailable, Refusal, Unavailable
from market.core.ledger import Unbalanced
from market.core.money import MoneyError
from market.core.security import PublicTextError
from market.core.uploads import UploadError
from orders.invoices.models import GstinError, InvoiceError
from orders.services import OrderError
from orders.status import IllegalTransition, MoveRefused, check_move, refuse_move
from payments.gateways import GatewayUnavailable
from payments.services import PaymentError
from payments.status import IllegalPaymentMove
from vendors.finance import PlanError
from vendors.loans import LoanError
from vendors.onboarding import OnboardingError, RowError, SetupError
from vendors.services import ShopNameError

DOMAIN_ERRORS = (AccountError, MoneyError, UploadError, PublicTextError, ShopNameError, PhotoError, CatalogError,
                 OrderError, InvoiceError, GstinError, PaymentError, LoanError, PlanError, SetupError,
                 OnboardingError, RowError, MoveRefused)
BUGS = (Unbalanced, IllegalTransition, IllegalPaymentMove)
PACKAGES = ("market", "catalog", "orders", "payments", "vendors")
NOT_OURS = {"payments.fakes.razorpay.RazorpayError"}  # the fake gateway's own error, as Razorpay's server has it


@pytest.mark.parametrize("error", DOMAIN_ERRORS, ids=lambda e: e.__name__)
def test_every_domain_error_is_a_refusal_and_not_a_value_error(error):
    assert issubclass(error, Refusal)
    assert not issubclass(error, ValueError | Unavailable)


@pytest.mark.parametrize("bug", BUGS, ids=lambda e: e.__name__)
def test_a_bug_is_neither_a_refusal_nor_a_value_error(bug):
    assert not issubclass(bug, Refusal | ValueError | Unavailable)


@pytest.mark.parametrize("provider", [GatewayUnavailable, MessagesUnavailable])
def test_a_provider_out_of_reach_is_unavailable_not_a_refusal(provider):
    assert issubclass(provider, Unavailable) and not issubclass(provider, Refusal | ValueError)
    assert provider.notice and provider.retry_after > 0


def _our_exception_classes():
    for package in PACKAGES:
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            module = importlib.import_module(info.name)
            for _name, cls in inspect.getmembers(module, inspect.isclass):
                if issubclass(cls, BaseException) and cls.__module__ == info.name:
                    yield cls


def test_no_exception_of_ours_is_a_value_error():
    """A new domain error made a ValueError again would be caught by an int() parse's `except ValueError`."""
    found = {f"{c.__module__}.{c.__qualname__}" for c in _our_exception_classes() if issubclass(c, ValueError)}
    assert found == NOT_OURS


def test_str_of_a_refusal_is_its_message_in_the_current_language(app):
    error = OrderError(_l("Write a message first."))
    with app.test_request_context():
        with force_locale("hi"):
            assert str(error) == "पहले मैसेज लिखें।"
        with force_locale("en_IN"):
            assert str(error) == "Write a message first."
    assert str(Refusal()) == ""


def test_a_stale_request_is_refused_but_a_wrong_move_in_code_is_a_bug(app):
    with app.test_request_context(), force_locale("en_IN"):
        with pytest.raises(MoveRefused, match="That cannot be done to this order now."):
            refuse_move("cancelled", "confirmed", "seller")
        with pytest.raises(MoveRefused):
            refuse_move("placed", "not-a-state", "seller")
    refuse_move("placed", "confirmed", "seller")  # allowed: nothing raised
    with pytest.raises(IllegalTransition):
        check_move("cancelled", "confirmed", "seller")
