"""How two spellings of one name compare: the one folding every lookup, cache key and de-duplication uses."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """NFKC (full-width to half-width), case folded, whitespace collapsed: "ＫＥＥＰ  App" and "keep app" agree."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())
