"""`make_result`: a finished persona as the service returns it, for tests of what is made from one (cards, text)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.models import (
    PROFILE_FIELDS,
    Citations,
    Demographics,
    GroundingApp,
    Hashtags,
    Meta,
    PersonaResult,
    Profile,
    SegmentInfo,
)

GENERATED_AT = datetime(2024, 5, 1, 12, 34, tzinfo=UTC)


def make_result(
    *,
    lang: str = "en",
    segment: SegmentInfo | None = None,
    apps: list[GroundingApp] | None = None,
    profile_text: str | None = None,
    source: str = "data",
    coverage: float = 1.0,
    writer: str = "llm",
    note: str | None = None,
    text: str = "",
    **fields: Any,
) -> PersonaResult:
    """A persona as the service returns it. `text` is appended to every free-text field (for hostile input);
    `fields` replace whole fields of the result (`hashtags=...`, `meta=...`) where a test needs other values."""
    apps = (
        apps
        if apps is not None
        else [
            GroundingApp(
                name="Keep" + text,
                app_id="keep",
                score=0.92,
                category="Health & Fitness" + text,
                weight=0.5,
                has_audience=True,
            ),
            GroundingApp(name="Strava" + text, app_id=None, score=0.5, weight=0.3),
            GroundingApp(name="Nike Run Club", app_id="nrc", score=None, category="Sports", weight=0.2),
        ]
    )
    if segment is None:
        segment = SegmentInfo(
            id="fitness_tpe",
            name="Fitness enthusiasts in Taipei" + text,
            description="Runners and gym-goers" + text,
            size=120000,
        )
    profile = {
        field: (profile_text if profile_text is not None else f"About {field}.") + text for field in PROFILE_FIELDS
    }
    values: dict[str, Any] = {
        "id": "p_4f2a9c",
        "segment": segment,
        "apps": apps,
        "profile": Profile(**profile),
        "hashtags": Hashtags(zh=["健身", "#跑步" + text], en=["fitness", "running" + text]),
        "demographics": Demographics(
            age={"18-24": 23.4, "25-34": 40.1, "35-44": 20.0, "45-54": 10.0, "55+": 6.5},
            gender={"female": 55.2, "male": 44.8},
            source=source,
            coverage=coverage,
        ),
        "citations": Citations(basic_attributes=["Keep" + text], interests=["Keep", "Strava" + text]),
        "meta": Meta(
            model="gpt-4.1-mini" + text,
            prompt_version="v3" + text,
            generated_at=GENERATED_AT,
            writer=writer,
            lang=lang,
            note=note,
        ),
    }
    return PersonaResult(**{**values, **fields})
