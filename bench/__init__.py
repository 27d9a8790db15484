"""Benchmarks: `make bench` runs every `bench/bench_*.py` module's `main()`.

Each prints its figures one per line as `figure <name> <value> <unit>`;
comparisons are measured side by side in the same run (a ratio).
"""
