"""Table definitions of the embedded warehouse; they mirror the CSV dataset contract (docs/dataset.md)."""

from __future__ import annotations

_DUCKDB_DDL = """
CREATE TABLE apps (
    app_id   VARCHAR PRIMARY KEY,
    name     VARCHAR NOT NULL,
    category VARCHAR NOT NULL,
    aliases  VARCHAR[] NOT NULL,
    reach    DOUBLE
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
    aliases     VARCHAR[] NOT NULL
);
CREATE TABLE segment_apps (
    segment_id VARCHAR NOT NULL,
    app_id     VARCHAR NOT NULL,
    confidence DOUBLE NOT NULL
);
"""


def duckdb_ddl() -> str:
    return _DUCKDB_DDL
