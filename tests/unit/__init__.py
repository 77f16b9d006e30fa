"""Tests of single modules in one process: pure functions, and in-process servers where a test needs one."""
