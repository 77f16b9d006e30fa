"""Benchmarks of persona-bot: `.venv/bin/python -m bench` (see bench/README.md)."""
