#!/usr/bin/env bash
# Gradient-boosted trees vs XGBoost (hist, one thread) and scikit-learn's
# HistGradientBoosting on the same generated tables, in the same run.
# Run by `test/run bench gbdt` (PGHOST/PGPORT set, extension created); rows: BENCH_ROWS.
set -euo pipefail
cd "$(dirname "$0")"
OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 /usr/bin/python3 gbdt_bench.py "${BENCH_ROWS:-1000000}"
