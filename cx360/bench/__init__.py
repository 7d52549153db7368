"""`cx360 bench`: how fast the pipeline is, against a hand-written lower bound.

runner.py runs it (generate, full refresh, lower bound, incremental day); stages.py times the
pipeline's steps; memory.py samples the process tree's memory; dbt_timings.py reads dbt's
per-model timings; lower_bound.py runs and checks benchmarks/lower_bound.sql; report.py writes
docs/benchmarks.md. The method and the results are described there.
"""

from cx360.bench.runner import BenchConfig, BenchResult, run_benchmark

__all__ = ["BenchConfig", "BenchResult", "run_benchmark"]
