"""`make bench`: side-by-side benchmarks; each `bench_*.py` module runs in its own process."""
