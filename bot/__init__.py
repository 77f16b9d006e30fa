"""persona-bot: grounded audience personas from app preference lists."""

__version__ = "0.1.0"
