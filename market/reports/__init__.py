"""Read models: the programme dashboards' monthly rollups, the dashboards and their exports.

They read the features' tables and are fed by domain events; no feature imports them."""

from market.reports import rollups  # noqa: F401  (connects the read models' receivers to the domain events)
