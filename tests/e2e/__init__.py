"""Tests through real processes: `persona-bot serve`/`run`/`dev`, real Redis, the BigQuery emulator, a browser."""
