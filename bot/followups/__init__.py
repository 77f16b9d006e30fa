"""Follow-up analyses of a persona, one module per kind, listed in `registry.KINDS` (see `docs/extending.md`)."""

from bot.followups.kind import FollowUpAsk, FollowUpKind, UnknownFollowUpKind
from bot.followups.registry import get_kind, kinds
from bot.followups.service import FollowUpDraft, FollowUpReport, FollowUpService

__all__ = [
    "FollowUpAsk",
    "FollowUpDraft",
    "FollowUpKind",
    "FollowUpReport",
    "FollowUpService",
    "UnknownFollowUpKind",
    "get_kind",
    "kinds",
]
