"""Which language to answer a Slack user in: their choice, else their Slack locale, else the default setting."""

from __future__ import annotations

import logging
import threading
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import LANGS, Lang
from bot.languages import claimed_by
from bot.store import PersonaStore

log = logging.getLogger(__name__)

# Locales change rarely; asking Slack once an hour per user keeps users.info far below its rate limit.
LOCALE_TTL_SECONDS = 3600.0


def lang_from_locale(locale: str | None) -> Lang | None:
    """The language whose file claims the Slack locale (zh-TW / zh-HK → zh-TW, other Chinese → zh-CN, English →
    en); any other locale says nothing."""
    return claimed_by(locale)


class UserLangs:
    def __init__(self, store: PersonaStore, default: Lang):
        self.store, self.default = store, default
        self._locales: dict[str, tuple[float, Lang | None]] = {}
        self._lock = threading.Lock()

    def known(self, user_id: str) -> Lang:
        """Without calling Slack: the user's choice or an already known locale, else the default."""
        chosen = self.store.get_lang(user_id)
        if chosen:
            return chosen
        with self._lock:
            cached = self._locales.get(user_id)
        return (cached[1] if cached else None) or self.default

    def resolve(self, client: WebClient, user_id: str, explicit: str | None = None) -> Lang:
        if explicit in LANGS:
            return explicit  # type: ignore[return-value]
        chosen = self.store.get_lang(user_id)
        if chosen:
            return chosen
        return self._locale(client, user_id) or self.default

    def _locale(self, client: WebClient, user_id: str) -> Lang | None:
        now = time.monotonic()
        with self._lock:
            cached = self._locales.get(user_id)
        if cached and now - cached[0] < LOCALE_TTL_SECONDS:
            return cached[1]
        try:
            user = client.users_info(user=user_id, include_locale=True).get("user") or {}
            lang = lang_from_locale(user.get("locale"))
        except SlackApiError as exc:
            # Missing users:read or a deleted user must not stop the answer; the default language will do.
            log.warning("users_info_failed", extra={"error": exc.response.get("error")})
            lang = None
        with self._lock:
            self._locales[user_id] = (now, lang)
        return lang
