"""Benchmarks (not tests): ``python -m bench`` — see bench/README.md."""
