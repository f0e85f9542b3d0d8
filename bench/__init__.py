"""Benchmarks: run by hand, their figures recorded in bench/README.md (not tests)."""
