-- Tables of the BigQuery warehouse; they mirror the CSV dataset contract (docs/dataset.md) and the embedded
-- DuckDB schema (bot/warehouse/schema.py). `{dataset}` stands for the configured `project.dataset`, validated
-- before it is substituted. Every statement is idempotent: `persona-bot warehouse init` can run any time.
-- Arrays cannot be NOT NULL in BigQuery; an empty array stands for "no aliases".
-- Contract v2 added columns to tables a v1 deployment already has: the ALTER statements at the end add them there
-- (and do nothing on tables created by this file).

CREATE TABLE IF NOT EXISTS `{dataset}.apps` (
    app_id   STRING NOT NULL,
    name     STRING NOT NULL,
    category STRING NOT NULL,
    aliases  ARRAY<STRING>,
    reach    FLOAT64,
    -- Markets where the app is used (TW, CN, HK, global).
    market   ARRAY<STRING>
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
    aliases     ARRAY<STRING>,
    market      STRING,
    name_zh_tw  STRING,
    name_zh_cn  STRING,
    description_zh_tw STRING,
    description_zh_cn STRING
)
OPTIONS (description = 'Audience segments a salesperson can pick.');

CREATE TABLE IF NOT EXISTS `{dataset}.segment_apps` (
    segment_id  STRING NOT NULL,
    app_id      STRING NOT NULL,
    confidence  FLOAT64 NOT NULL,
    -- Share of the segment that uses the app.
    penetration FLOAT64
)
OPTIONS (description = 'App preference list of each segment, with confidence scores.');

CREATE TABLE IF NOT EXISTS `{dataset}.segment_audience` (
    segment_id STRING NOT NULL,
    dimension  STRING NOT NULL,
    bucket     STRING NOT NULL,
    share      FLOAT64 NOT NULL,
    -- People the measurement rests on.
    n          INT64 NOT NULL,
    ord        INT64 NOT NULL
)
OPTIONS (description = 'Measured age and gender of each segment, with its sample size.');

CREATE TABLE IF NOT EXISTS `{dataset}.categories` (
    category    STRING NOT NULL,
    label_en    STRING NOT NULL,
    label_zh_tw STRING,
    label_zh_cn STRING
)
OPTIONS (description = 'Display labels of the app categories.');

CREATE TABLE IF NOT EXISTS `{dataset}.app_reach` (
    app_id STRING NOT NULL,
    market STRING NOT NULL,
    reach  FLOAT64 NOT NULL
)
OPTIONS (description = 'Share of each market that uses the app.');

ALTER TABLE `{dataset}.apps` ADD COLUMN IF NOT EXISTS market ARRAY<STRING>;
ALTER TABLE `{dataset}.segments` ADD COLUMN IF NOT EXISTS market STRING;
ALTER TABLE `{dataset}.segments` ADD COLUMN IF NOT EXISTS name_zh_tw STRING;
ALTER TABLE `{dataset}.segments` ADD COLUMN IF NOT EXISTS name_zh_cn STRING;
ALTER TABLE `{dataset}.segments` ADD COLUMN IF NOT EXISTS description_zh_tw STRING;
ALTER TABLE `{dataset}.segments` ADD COLUMN IF NOT EXISTS description_zh_cn STRING;
ALTER TABLE `{dataset}.segment_apps` ADD COLUMN IF NOT EXISTS penetration FLOAT64;
