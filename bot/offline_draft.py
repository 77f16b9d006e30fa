"""The choices that make one offline persona its own: which apps set the audience apart, which sentence frame each
field uses, and which statements the segment rules out.

- **Signature apps.** Apps are ranked by how distinctive they are (confidence × index, where the data has an
  index), so a fitness audience is described by Strava rather than by the LINE and YouTube everyone uses.
- **Frames.** Each language has several wordings per sentence (`bot/data/locales/`); a persona's choice is a
  stable hash of its segment (or its apps) and the field, so the same request always gets the same draft while
  different segments read differently.
- **Contradictions.** Phrases holding a term the contradiction list rules out for this segment are left out.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.app_matching import english_names, normalize_name
from bot.app_words import load_contradictions, load_descriptors
from bot.lexicon import load_lexicon
from bot.models import GroundingApp, WriterRequest
from bot.offline_words import Context, weight
from bot.text_keys import fold

SIGNATURE_APPS = 3
# Index 100 is the average person; the lift is capped so one tiny niche app cannot outweigh the whole list.
_MIN_LIFT, _MAX_LIFT = 0.25, 6.0
# A category is described next to the leading one when it is at least this distinctive relative to it.
_SECONDARY_SHARE = 0.2
_MAX_NAME = 40
_UNSAFE_NAME = re.compile(r"[<>&@*_~`%\n\r\t]|https?:")


def distinctiveness(app: GroundingApp) -> float:
    """An app's weight times the square of how much more than average the audience uses it (1 where the index is
    unknown): squared, so the apps everyone uses (LINE, YouTube) give way to the ones that set this audience apart."""
    lift = 1.0
    if app.index is not None and math.isfinite(app.index) and app.index > 0:
        lift = min(max(app.index / 100.0, _MIN_LIFT), _MAX_LIFT)
    return weight(app) * lift * lift


def focused(ctx: Context) -> Context:
    """Only the categories that set the audience apart: a category far less distinctive than the leading one
    (the social apps everyone has) would make every persona share its words."""
    if not ctx.groups:
        return ctx
    bar = ctx.groups[0].weight * _SECONDARY_SHARE
    keep = [i for i, group in enumerate(ctx.groups) if i == 0 or group.weight >= bar]
    return replace(
        ctx,
        groups=[ctx.groups[i] for i in keep],
        words=[ctx.words[i] for i in keep],
        zh_tag_words=[ctx.zh_tag_words[i] for i in keep],
        en_tag_words=[ctx.en_tag_words[i] for i in keep],
    )


def _nameable(app: GroundingApp) -> bool:
    """Whether the prose may name the app: a catalog app of a known category whose name is a plain short name. A
    name with markup or a percentage (a hostile dataset, a forged paste) is only ever cited, never written into a
    sentence, so it cannot pose as a statement or a figure."""
    name = app.name.strip()
    return (
        bool(app.app_id and name)
        and load_lexicon().resolve(app.category) is not None
        and len(name) <= _MAX_NAME
        and not _UNSAFE_NAME.search(name)
    )


def frame_of(frames: Sequence[str], seed: int) -> str:
    return frames[seed % len(frames)]


@dataclass(frozen=True)
class Writing:
    """One request's signature apps, frame seed and ruled-out terms."""

    request: WriterRequest
    signature: list[GroundingApp]
    avoided: list[str]
    key: str

    @classmethod
    def of(cls, request: WriterRequest) -> Writing:
        apps = [app for app in request.grounding.apps if _nameable(app) and weight(app) > 0]
        ranked = sorted(apps, key=lambda app: -distinctiveness(app))  # stable: input order breaks ties
        segment = request.grounding.segment
        key = segment.id if segment else "|".join(app.name for app in request.grounding.apps)
        return cls(
            request=request,
            signature=ranked[:SIGNATURE_APPS],
            avoided=[fold(term) for term in load_contradictions().avoided(segment, request.lang)],
            key=key,
        )

    def seed(self, field: str) -> int:
        return zlib.crc32(f"{self.key}\x1f{field}".encode())

    def frame(self, frames: Sequence[str], field: str) -> str:
        return frame_of(frames, self.seed(field))

    def allowed(self, text: str) -> bool:
        folded = fold(text)
        return not any(term in folded for term in self.avoided)

    def keep(self, items: Sequence[str]) -> list[str]:
        """The items that say nothing the segment rules out."""
        return [item for item in items if self.allowed(item)]

    def name(self, app: GroundingApp) -> str:
        """The app as the reader knows it: its common English name in English prose (王者荣耀 is Honour of Kings)."""
        if self.request.lang == "en":
            known = english_names().get(normalize_name(app.name))
            if known:
                return known[-1]
        return app.name

    def describe(self, app: GroundingApp) -> str:
        return load_descriptors().of(app.app_id, app.category, self.request.lang)

    def described_pair(self) -> tuple[tuple[GroundingApp, str], tuple[GroundingApp, str]] | None:
        """The two most distinctive apps that do different things, each with what people use it for."""
        described = [(app, self.describe(app)) for app in self.signature]
        described += [(app, self.describe(app)) for app in self.request.grounding.apps
                      if _nameable(app) and app not in self.signature]
        described = [(app, text) for app, text in described if self.allowed(text)]
        if not described:
            return None
        first = described[0]
        second = next((pair for pair in described[1:] if pair[1] != first[1] and pair[0].name != first[0].name), None)
        return (first, second) if second else None
