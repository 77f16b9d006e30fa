"""Table definitions of the embedded warehouse; they mirror the CSV dataset contract (docs/dataset.md)."""

from __future__ import annotations

_DUCKDB_DDL = """
CREATE TABLE apps (
    app_id   VARCHAR PRIMARY KEY,
    name     VARCHAR NOT NULL,
    category VARCHAR NOT NULL,
    aliases  VARCHAR[] NOT NULL,
    reach    DOUBLE,
    market   VARCHAR[] NOT NULL
);
CREATE TABLE app_audience (
    app_id    VARCHAR NOT NULL,
    dimension VARCHAR NOT NULL,
    bucket    VARCHAR NOT NULL,
    share     DOUBLE NOT NULL,
    ord       INTEGER NOT NULL  -- bucket order as the data gives it
);
CREATE TABLE population (
    dimension VARCHAR NOT NULL,
    bucket    VARCHAR NOT NULL,
    share     DOUBLE NOT NULL,
    ord       INTEGER NOT NULL
);
CREATE TABLE segments (
    segment_id  VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    description VARCHAR,
    size        BIGINT,
    aliases     VARCHAR[] NOT NULL,
    market      VARCHAR,
    name_zh_tw  VARCHAR NOT NULL,
    name_zh_cn  VARCHAR NOT NULL,
    description_zh_tw VARCHAR NOT NULL,
    description_zh_cn VARCHAR NOT NULL
);
CREATE TABLE segment_apps (
    segment_id  VARCHAR NOT NULL,
    app_id      VARCHAR NOT NULL,
    confidence  DOUBLE NOT NULL,
    penetration DOUBLE
);
CREATE TABLE segment_audience (
    segment_id VARCHAR NOT NULL,
    dimension  VARCHAR NOT NULL,
    bucket     VARCHAR NOT NULL,
    share      DOUBLE NOT NULL,
    n          BIGINT NOT NULL,
    ord        INTEGER NOT NULL
);
CREATE TABLE categories (
    category    VARCHAR PRIMARY KEY,
    label_en    VARCHAR NOT NULL,
    label_zh_tw VARCHAR NOT NULL,
    label_zh_cn VARCHAR NOT NULL
);
CREATE TABLE app_reach (
    app_id VARCHAR NOT NULL,
    market VARCHAR NOT NULL,
    reach  DOUBLE NOT NULL
);
"""


def duckdb_ddl() -> str:
    return _DUCKDB_DDL
