"""Follow-up analyses of a persona, one module per kind, listed in `registry.KINDS` (see `docs/extending.md`)."""

from bot.followups.draft import FollowUpDraft, draft_from_text
from bot.followups.kind import FollowUpAsk, FollowUpKind, UnknownFollowUpKind
from bot.followups.registry import get_kind, kinds
from bot.followups.service import FollowUpReport, FollowUpService, asked_product, streamed_as_is

__all__ = [
    "FollowUpAsk",
    "FollowUpDraft",
    "FollowUpKind",
    "FollowUpReport",
    "FollowUpService",
    "UnknownFollowUpKind",
    "asked_product",
    "draft_from_text",
    "get_kind",
    "kinds",
    "streamed_as_is",
]
