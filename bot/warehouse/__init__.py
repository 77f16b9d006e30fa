"""Retrieval of segments, apps and audience data. `open_warehouse` picks the implementation from settings."""

from bot.warehouse.base import Warehouse, open_warehouse

__all__ = ["Warehouse", "open_warehouse"]
