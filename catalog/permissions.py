"""Who may change which product or shop: pure predicates."""

from __future__ import annotations

from catalog.models import Product
from market.core.models import Role, User
from vendors.models import Business


def owns_business(user: User, business: Business) -> bool:
    """An entrepreneur who is one of the shop's owners (alone or with her group)."""
    return user.is_authenticated and user.role == Role.ENTREPRENEUR and any(
        owner.user_id == user.id for owner in business.owners)


def can_edit_product(user: User, product: Product) -> bool:
    """Only the shop's owners list, edit, publish and archive its products."""
    return owns_business(user, product.business)
