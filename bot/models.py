"""The data that flows through the pipeline: catalog and segments in, persona result out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from bot.config import Lang

# dimension ("age" | "gender") -> bucket -> share (0–1) or percent (0–100), as the field says.
Distribution = dict[str, float]
Audience = dict[str, Distribution]

DIMENSIONS: tuple[str, ...] = ("age", "gender")
PROFILE_FIELDS: tuple[str, ...] = (
    "basic_attributes",
    "personality",
    "psychological_state",
    "interests",
    "lifestyle",
)
# Where the age and gender figures come from: the segment's own measured audience, or pooled from its apps
# (`data`, `mixed`, `ai_estimate` by how much of the input has audience data).
Source = Literal["measured", "data", "ai_estimate", "mixed"]
PooledSource = Literal["data", "ai_estimate", "mixed"]
# Why a segment's measured audience is not shown: too few people behind it, or a dimension not measured.
FallbackReason = Literal["small_sample", "incomplete"]


def _lang_key(lang: str) -> str:
    """'zh-TW' -> 'zh_tw', the suffix of the localized columns; anything else reads the English one."""
    return lang.replace("-", "_").lower()


class NamedSegment(BaseModel):
    """A segment's id and its name in every language the dataset gives it (empty falls back to `name`)."""

    id: str
    name: str
    name_zh_tw: str = ""
    name_zh_cn: str = ""

    def localized_name(self, lang: str) -> str:
        """The name in `lang` where the dataset has one, else the name as given."""
        return getattr(self, f"name_{_lang_key(lang)}", "") or self.name


class ClosestSegment(NamedSegment):
    """A warehouse segment close to a pasted list, by weighted app overlap (see bot/nearest_segments.py)."""

    # How many of the paste's catalog apps the segment lists, out of how many the paste has.
    shared: int
    of: int
    # Cosine similarity of the two weight vectors over apps, 0–1.
    similarity: float


class CatalogApp(BaseModel):
    """An app as the warehouse knows it."""

    app_id: str
    name: str
    category: str
    aliases: list[str] = Field(default_factory=list)
    # Share (0–1) of the whole population that uses the app.
    reach: float | None = None
    # Markets where the app is used ("TW", "CN", "HK", "global"), as the dataset gives them.
    market: list[str] = Field(default_factory=list)


class CategoryLabels(BaseModel):
    """A category's display names; a missing translation falls back to English, then to the category key."""

    category: str
    label_en: str = ""
    label_zh_tw: str = ""
    label_zh_cn: str = ""

    def label(self, lang: str) -> str:
        return getattr(self, f"label_{_lang_key(lang)}", "") or self.label_en or self.category


class ParsedApp(BaseModel):
    """One entry of a pasted app list: the text as given, its score, and the catalog match if any."""

    name: str
    score: float | None = None
    app_id: str | None = None
    # Other pasted names for the same catalog app ("小紅書" after "RED"), folded into this entry.
    merged_from: list[str] = Field(default_factory=list)


class SegmentInfo(NamedSegment):
    description: str = ""
    size: int | None = None
    aliases: list[str] = Field(default_factory=list)
    # The market the segment lives in ("TW", "CN", "HK"); None for a segment across markets.
    market: str | None = None
    description_zh_tw: str = ""
    description_zh_cn: str = ""

    def localized_description(self, lang: str) -> str:
        return getattr(self, f"description_{_lang_key(lang)}", "") or self.description


class SegmentSummary(SegmentInfo):
    top_apps: list[str] = Field(default_factory=list)


class SegmentApp(BaseModel):
    """A segment's app with its confidence and whatever audience data the warehouse holds for it."""

    app: CatalogApp
    confidence: float
    audience: Audience = Field(default_factory=dict)
    # Share (0–1) of the segment that uses the app, where measured.
    penetration: float | None = None
    # The app's reach (0–1) in the segment's market: what "average" means for this segment's index.
    market_reach: float | None = None


class MeasuredAudience(BaseModel):
    """A segment's own measured age and gender (shares 0–1), and on how many people each dimension rests."""

    shares: Audience = Field(default_factory=dict)
    n: dict[str, int] = Field(default_factory=dict)


class GroundingApp(BaseModel):
    """An input app as it grounds the persona (also the `apps` entries of the result)."""

    name: str
    app_id: str | None = None
    score: float | None = None
    category: str | None = None
    # Normalized weight used for pooling: the score, or a rank-based weight when no score was given.
    weight: float = 0.0
    has_audience: bool = False
    # Share (0–1) of the segment using the app, the app's reach in the segment's market, and their ratio × 100
    # (100 = as often as the average person there). None where the data does not say.
    penetration: float | None = None
    reach: float | None = None
    index: float | None = None
    # Other pasted names for the same app, merged into this one (the card says so).
    merged_from: list[str] = Field(default_factory=list)


class Grounding(BaseModel):
    """Everything retrieved for one request: the facts the persona must rest on."""

    segment: SegmentInfo | None = None
    apps: list[GroundingApp]
    # app_id -> dimension -> bucket -> share (0–1)
    audience: dict[str, Audience] = Field(default_factory=dict)
    population: Audience = Field(default_factory=dict)
    # The segment's own measured audience, when the warehouse has one.
    measured: MeasuredAudience | None = None
    # Display names of the apps' categories, by category key (only those the dataset labels).
    categories: dict[str, CategoryLabels] = Field(default_factory=dict)
    # Input was longer than the caps and was cut; the card tells the user.
    truncated: bool = False
    # For a pasted list: the warehouse segments that share most of its apps, closest first.
    closest_segments: list[ClosestSegment] = Field(default_factory=list)


class PooledEstimate(BaseModel):
    """The figures pooled from the apps' audiences, kept beside a measured audience for comparison."""

    age: Distribution = Field(default_factory=dict)
    gender: Distribution = Field(default_factory=dict)
    source: PooledSource = "data"
    coverage: float = 0.0


class Demographics(BaseModel):
    """Age and gender in percent (bucket -> percent, summing to 100), plus where the figures come from."""

    age: Distribution = Field(default_factory=dict)
    gender: Distribution = Field(default_factory=dict)
    source: Source = "data"
    # Share of the input's confidence mass that has audience data (0–1).
    coverage: float = 0.0
    # People behind the segment's measured audience (the smallest dimension), whether it is shown or not.
    n: int | None = None
    # With a measured audience shown: the pooled estimate, for comparison.
    pooled: PooledEstimate | None = None
    # Why a measured audience exists but the figures are pooled instead.
    fallback_reason: FallbackReason | None = None


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    basic_attributes: str
    personality: str
    psychological_state: str
    interests: str
    lifestyle: str


class Hashtags(BaseModel):
    model_config = ConfigDict(extra="forbid")

    zh: list[str]
    en: list[str]


class Citations(BaseModel):
    """Which input apps (by name, as given) each profile field rests on."""

    model_config = ConfigDict(extra="forbid")

    basic_attributes: list[str] = Field(default_factory=list)
    personality: list[str] = Field(default_factory=list)
    psychological_state: list[str] = Field(default_factory=list)
    interests: list[str] = Field(default_factory=list)
    lifestyle: list[str] = Field(default_factory=list)


class DemographicsEstimate(BaseModel):
    """Only asked of the writer when data coverage is too low: percent per bucket."""

    model_config = ConfigDict(extra="forbid")

    age: Distribution
    gender: Distribution


class PersonaDraft(BaseModel):
    """What a writer (LLM or offline) produces: words, never figures the data covers."""

    model_config = ConfigDict(extra="forbid")

    profile: Profile
    hashtags: Hashtags
    citations: Citations
    demographics_estimate: DemographicsEstimate | None = None


class WriterRequest(BaseModel):
    """The grounding handed to a writer, already reduced to what it needs."""

    grounding: Grounding
    demographics: Demographics
    lang: Lang
    # True when coverage is below the threshold: the writer must estimate age and gender.
    needs_estimate: bool = False
    # Buckets the estimate must use, per dimension, as in the data.
    buckets: dict[str, list[str]] = Field(default_factory=dict)


class Meta(BaseModel):
    model: str
    prompt_version: str
    generated_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    cached: bool = False
    writer: Literal["llm", "offline"] = "offline"
    lang: Lang = "en"
    # Citations the writer made of apps that were not in the input, removed in post-processing.
    dropped_citations: int = 0
    # Figures the model wrote that the data does not back, still there after its repair: taken out of the prose.
    removed_figures: int = 0
    # Why the card is an offline draft when an LLM was configured (failure, timeout), for the user.
    note: str | None = None
    truncated_input: bool = False
    # Token usage as the API reported it (0 for the offline writer): the basis of cost figures.
    prompt_tokens: int = 0
    completion_tokens: int = 0


class PersonaResult(BaseModel):
    id: str
    segment: SegmentInfo | None
    apps: list[GroundingApp]
    profile: Profile
    hashtags: Hashtags
    demographics: Demographics
    citations: Citations
    meta: Meta
    # For a pasted list: the closest warehouse segments (empty for a segment's own persona).
    closest_segments: list[ClosestSegment] = Field(default_factory=list)
    # The dataset's display labels of the apps' categories, so every surface names a category in the reader's
    # language rather than by its id.
    categories: dict[str, CategoryLabels] = Field(default_factory=dict)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def source(self) -> Source:
        return self.demographics.source

    @computed_field  # type: ignore[prop-decorator]
    @property
    def coverage(self) -> float:
        return self.demographics.coverage


class WrittenAnswer(BaseModel):
    """What every written answer besides the persona itself (a follow-up, a reply) says about how it was written.

    `WriteOnce.followup` caches any such answer: `note` marks a degraded one (kept briefly), `cached` is set on hits.
    """

    writer: Literal["llm", "offline"] = "offline"
    note: str | None = None
    cached: bool = False
