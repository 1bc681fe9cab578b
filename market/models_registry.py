"""Imports every package's models so Base.metadata knows all tables (for Alembic and tests)."""

from catalog import models as _catalog  # noqa: F401
from market.core import jobs as _jobs  # noqa: F401
from market.core import ledger as _ledger  # noqa: F401
from market.core import models as _market  # noqa: F401
from market.core import notifications as _notifications  # noqa: F401
from market.core.db import Base
from market.ondc import models as _ondc  # noqa: F401
from market.reports import rollups as _rollups  # noqa: F401
from orders import models as _orders  # noqa: F401
from orders.invoices import models as _invoices  # noqa: F401
from payments import models as _payments  # noqa: F401
from vendors import models as _vendors  # noqa: F401
from vendors.groupfund import models as _groupfund  # noqa: F401

metadata = Base.metadata
