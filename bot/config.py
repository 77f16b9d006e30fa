"""Settings from the environment (and an optional `.env`), with embedded defaults that work offline."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Lang = Literal["en", "zh-TW", "zh-CN"]
LANGS: tuple[Lang, ...] = ("en", "zh-TW", "zh-CN")


def default_duckdb_path() -> Path:
    # A per-user data directory keeps the warehouse out of the source tree and survives reinstalls.
    base = Path.home() / ".local" / "share" / "persona-bot"
    return base / "warehouse.duckdb"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    # Language of the card when neither the user nor their Slack locale says otherwise.
    default_lang: Lang = Field("en", validation_alias="PERSONA_DEFAULT_LANG")

    # Warehouse
    warehouse: Literal["duckdb", "bigquery"] = Field("duckdb", validation_alias="PERSONA_WAREHOUSE")
    duckdb_path: Path = Field(default_factory=default_duckdb_path, validation_alias="PERSONA_DUCKDB_PATH")
    # BigQuery (PERSONA_WAREHOUSE=bigquery); credentials come from Google's usual lookup (ADC, or a service
    # account key file named by GOOGLE_APPLICATION_CREDENTIALS).
    bigquery_project: str | None = Field(None, validation_alias="PERSONA_BIGQUERY_PROJECT")
    bigquery_dataset: str | None = Field(None, validation_alias="PERSONA_BIGQUERY_DATASET")
    bigquery_location: str | None = Field(None, validation_alias="PERSONA_BIGQUERY_LOCATION")
    # Cost guard: BigQuery refuses to run a query that would bill more bytes than this.
    bigquery_max_bytes_billed: int = Field(1_000_000_000, gt=0, validation_alias="PERSONA_BIGQUERY_MAX_BYTES_BILLED")
    bigquery_timeout: float = Field(30.0, gt=0, validation_alias="PERSONA_BIGQUERY_TIMEOUT")
    # The REST endpoint of a local BigQuery emulator (e.g. http://127.0.0.1:9050), for development without Google.
    bigquery_emulator: str | None = Field(None, validation_alias="PERSONA_BIGQUERY_EMULATOR")

    # LLM (any OpenAI-compatible server). No key means the offline writer.
    openai_api_key: SecretStr | None = Field(None, validation_alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(None, validation_alias="OPENAI_BASE_URL")
    llm_model: str = Field("gpt-4.1-mini", validation_alias="PERSONA_LLM_MODEL")
    llm_timeout: float = Field(30.0, validation_alias="PERSONA_LLM_TIMEOUT")
    llm_max_retries: int = Field(2, validation_alias="PERSONA_LLM_MAX_RETRIES")
    llm_max_tokens: int = Field(1200, validation_alias="PERSONA_LLM_MAX_TOKENS")
    llm_temperature: float = Field(0.3, validation_alias="PERSONA_LLM_TEMPERATURE")
    # Which kind of server OPENAI_BASE_URL is. `auto` recognises it from /v1/models and from its answers; naming
    # it saves that probe and, for llamacpp, starts on its grammar-constrained JSON at once (docs/llm.md).
    llm_server: Literal["auto", "openai", "llamacpp", "vllm", "ollama"] = Field(
        "auto", validation_alias="PERSONA_LLM_SERVER"
    )
    # Sent as reasoning_effort to the models that take it (o-series, gpt-5, gpt-oss); unset sends nothing.
    llm_reasoning_effort: Literal["none", "minimal", "low", "medium", "high", "xhigh"] | None = Field(
        None, validation_alias="PERSONA_LLM_REASONING_EFFORT"
    )

    # Below this share of confidence mass with audience data, the demographics are an AI estimate.
    min_coverage: float = Field(0.5, validation_alias="PERSONA_MIN_COVERAGE")
    # A segment's measured audience is shown only when it rests on at least this many people; below it the card
    # shows the estimate pooled from the apps and says why.
    min_sample: int = Field(100, ge=1, validation_alias="PERSONA_MIN_SAMPLE")

    # Pasted input is capped so a runaway paste cannot blow up prompts or cards.
    max_input_chars: int = Field(4000, validation_alias="PERSONA_MAX_INPUT_CHARS")
    max_input_apps: int = Field(30, validation_alias="PERSONA_MAX_INPUT_APPS")

    # Shared state for replicas (cache, single-flight, rate limits, persona store); unset means in-process.
    redis_url: SecretStr | None = Field(None, validation_alias="REDIS_URL")
    cache_ttl: int = Field(7 * 24 * 3600, validation_alias="PERSONA_CACHE_TTL")
    store_ttl: int = Field(30 * 24 * 3600, validation_alias="PERSONA_STORE_TTL")
    generation_lock_ttl: float = Field(15.0, validation_alias="PERSONA_GENERATION_LOCK_TTL")
    generation_wait: float = Field(120.0, validation_alias="PERSONA_GENERATION_WAIT")
    # LLM generations per user and per workspace within the window; cache hits are free. 0 turns a limit off.
    rate_limit_user: int = Field(20, validation_alias="PERSONA_RATE_LIMIT_USER")
    rate_limit_team: int = Field(200, validation_alias="PERSONA_RATE_LIMIT_TEAM")
    rate_limit_window: int = Field(3600, validation_alias="PERSONA_RATE_LIMIT_WINDOW")

    # Durable work (with REDIS_URL): `serve` and `run` ack and enqueue, `persona-bot worker` processes do the work.
    # "in-process" keeps the work in the process that received the request, as without Redis.
    jobs: Literal["queue", "in-process"] = Field("queue", validation_alias="PERSONA_JOBS")
    # A job whose worker stopped sending heartbeats this long ago is delivered to another worker.
    job_redelivery_after: float = Field(60.0, gt=0, validation_alias="PERSONA_JOB_REDELIVERY_AFTER")
    # Tries of a job that raises before it is failed for good (the user then gets "try again"); a worker that dies
    # with the job in hand counts as a try too, so a job that kills its worker cannot loop forever.
    job_max_tries: int = Field(3, ge=1, validation_alias="PERSONA_JOB_MAX_TRIES")
    # First pause before a retry, doubled at each further try.
    job_retry_backoff: float = Field(2.0, gt=0, validation_alias="PERSONA_JOB_RETRY_BACKOFF")
    # A job still running after this long is interrupted and counts as a failed try.
    job_time_limit: float = Field(300.0, gt=0, validation_alias="PERSONA_JOB_TIME_LIMIT")
    # On SIGTERM a worker finishes the jobs in hand for up to this long, then hands the rest back to the queue.
    worker_shutdown_timeout: float = Field(30.0, gt=0, validation_alias="PERSONA_WORKER_SHUTDOWN_TIMEOUT")
    # Failed jobs are kept this long for `persona-bot jobs` (seconds).
    failed_job_ttl: int = Field(7 * 24 * 3600, gt=0, validation_alias="PERSONA_FAILED_JOB_TTL")

    # Slack. The API URL can point at a local stand-in; nothing else changes.
    slack_bot_token: SecretStr | None = Field(None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, validation_alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field("https://slack.com/api/", validation_alias="SLACK_API_URL")
    # Listeners wait on the warehouse and the LLM; Bolt's default pool of 5 would queue users behind each other.
    slack_workers: int = Field(32, validation_alias="PERSONA_SLACK_WORKERS")
    # Retries of Slack's 429 answers, honouring Retry-After.
    slack_rate_limit_retries: int = Field(3, validation_alias="PERSONA_SLACK_RATE_LIMIT_RETRIES")
    # Who is served: workspace (team or Enterprise Grid org) ids and channel ids, comma-separated. Empty serves
    # every workspace the token works in and every channel; DMs with the bot are always served.
    allowed_teams: Annotated[frozenset[str], NoDecode] = Field(frozenset(), validation_alias="PERSONA_ALLOWED_TEAMS")
    allowed_channels: Annotated[frozenset[str], NoDecode] = Field(
        frozenset(), validation_alias="PERSONA_ALLOWED_CHANNELS"
    )

    # HTTP mode (`serve`). Slack's payloads are a few KB (a modal's state at most tens); anything larger is refused
    # before it is read, so an unsigned client cannot make the bot buffer it.
    max_body_bytes: int = Field(1024 * 1024, gt=0, validation_alias="PERSONA_MAX_BODY_BYTES")
    # Where /metrics is served: unset serves it on the Slack port; "127.0.0.1:9100" (or ":9100") serves it there
    # instead, so the public port never answers it.
    metrics_bind: str | None = Field(None, validation_alias="PERSONA_METRICS_BIND")
    # Several workers without REDIS_URL each remember seen signatures on their own, so a replay landing on another
    # worker is accepted; `serve` refuses that unless this says the operator knows.
    allow_unshared_workers: bool = Field(False, validation_alias="PERSONA_ALLOW_UNSHARED_WORKERS")

    # Logs of the long-running app (serve, run): one JSON object per line for log pipelines, or text for humans.
    log_format: Literal["json", "text"] = Field("json", validation_alias="PERSONA_LOG_FORMAT")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", validation_alias="PERSONA_LOG_LEVEL")

    @field_validator("allowed_teams", "allowed_channels", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("llm_server", "llm_reasoning_effort", mode="before")
    @classmethod
    def _lower(cls, value: object, info: ValidationInfo) -> object:
        # An empty value (PERSONA_LLM_REASONING_EFFORT=) means unset: the default.
        if isinstance(value, str):
            return value.strip().lower() or ("auto" if info.field_name == "llm_server" else None)
        return value

    @property
    def queue_enabled(self) -> bool:
        """True when requests are handed to worker processes: REDIS_URL is set and the queue is not turned off."""
        return self.redis_url is not None and bool(self.redis_url.get_secret_value()) and self.jobs == "queue"

    @property
    def llm_enabled(self) -> bool:
        return self.openai_api_key is not None and bool(self.openai_api_key.get_secret_value())


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
