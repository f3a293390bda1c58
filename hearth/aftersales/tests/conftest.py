"""Fixtures shared by the after-sales tests: the warehouse's set-up (frozen clock at T0,
immediate tasks, policies loaded) and staff clients of a role past the second factor."""

from hearth.fulfilment.tests.conftest import staff_client, warehouse_setup

__all__ = ["staff_client", "warehouse_setup"]
