"""Warehouse stock kept in an in-memory SQLite database.

This folder holds the tools and the Domain class in :mod:`.domain`, the warehouse world and its
task generator in :mod:`.tasks`; their public names are importable from the package too.
"""

from __future__ import annotations

from nexgym.envs.domains.inventory.domain import (
    InventoryDomain,
    adjust_stock,
    cancel_order,
    create_purchase_order,
    get_product,
    list_orders,
    list_products,
    list_suppliers,
    receive_order,
    run_query,
    set_location,
    suspend_supplier,
    transfer_bin,
)
from nexgym.envs.domains.inventory.tasks import InventoryWorld

__all__ = [
    "InventoryDomain",
    "InventoryWorld",
    "adjust_stock",
    "cancel_order",
    "create_purchase_order",
    "get_product",
    "list_orders",
    "list_products",
    "list_suppliers",
    "receive_order",
    "run_query",
    "set_location",
    "suspend_supplier",
    "transfer_bin",
]
