"""Test infrastructure shared by test modules and benchmarks (real servers, no mocks)."""
