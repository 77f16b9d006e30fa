"""UI strings of the card and the bot's messages, in every language of `bot/data/locales/` (see `bot.languages`)."""

from __future__ import annotations

from bot.config import LANGS
from bot.languages import language, normalize_lang

__all__ = ["bucket_label", "has", "keys", "normalize_lang", "t"]


def t(key: str, lang: str, /, **kw: object) -> str:
    """The UI string `key` in `lang`, formatted with `kw`. Unknown keys raise KeyError.

    A count `n` of 1 picks the `<key>.one` variant where there is one ("1 app", not "1 apps").
    """
    strings = language(normalize_lang(lang)).strings
    if kw.get("n") == 1 and f"{key}.one" in strings:
        key = f"{key}.one"
    return strings[key].format(**kw)


def has(key: str) -> bool:
    """Whether `key` is a UI string (every language has the same keys, checked on load)."""
    return key in language(LANGS[0]).strings


def bucket_label(bucket: str, lang: str) -> str:
    """A demographic bucket as shown to the user: known ones translated, age ranges as in the data."""
    key = f"bucket.{bucket.strip().lower()}"
    return t(key, lang) if has(key) else bucket


def keys() -> list[str]:
    # Every language has the same keys (checked on load), so the first one lists them.
    return list(language(LANGS[0]).strings)
