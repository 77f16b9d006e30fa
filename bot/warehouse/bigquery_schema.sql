-- Tables of the BigQuery warehouse; they mirror the CSV dataset contract (docs/dataset.md) and the embedded
-- DuckDB schema (bot/warehouse/schema.py). `{dataset}` stands for the configured `project.dataset`, validated
-- before it is substituted. Every statement is idempotent: `persona-bot warehouse init` can run any time.
-- Arrays cannot be NOT NULL in BigQuery; an empty array stands for "no aliases".

CREATE TABLE IF NOT EXISTS `{dataset}.apps` (
    app_id   STRING NOT NULL,
    name     STRING NOT NULL,
    category STRING NOT NULL,
    aliases  ARRAY<STRING>,
    reach    FLOAT64
)
OPTIONS (description = 'App catalog: one row per app, with the names it is known by.');

CREATE TABLE IF NOT EXISTS `{dataset}.app_audience` (
    app_id    STRING NOT NULL,
    dimension STRING NOT NULL,
    bucket    STRING NOT NULL,
    share     FLOAT64 NOT NULL,
    -- Bucket order as the data gives it ("18-24" before "25-34"), not alphabetical.
    ord       INT64 NOT NULL
)
OPTIONS (description = 'Audience shares per app, dimension (age, gender) and bucket.');

CREATE TABLE IF NOT EXISTS `{dataset}.population` (
    dimension STRING NOT NULL,
    bucket    STRING NOT NULL,
    share     FLOAT64 NOT NULL,
    ord       INT64 NOT NULL
)
OPTIONS (description = 'Baseline audience of the whole population.');

CREATE TABLE IF NOT EXISTS `{dataset}.segments` (
    segment_id  STRING NOT NULL,
    name        STRING NOT NULL,
    description STRING,
    size        INT64,
    aliases     ARRAY<STRING>
)
OPTIONS (description = 'Audience segments a salesperson can pick.');

CREATE TABLE IF NOT EXISTS `{dataset}.segment_apps` (
    segment_id STRING NOT NULL,
    app_id     STRING NOT NULL,
    confidence FLOAT64 NOT NULL
)
OPTIONS (description = 'App preference list of each segment, with confidence scores.');
