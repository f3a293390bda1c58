"""Back office (Django admin) for devices: the dropout care queue and partners (PP-19, PP-20).

Households and raw telemetry have no admin on purpose: staff see aggregates (the reports page)
and care cases, never a household's raw events.
"""

from hearth.devices import admin_reports  # noqa: F401
