#!/usr/bin/env bash
# Fraud scoring vs scikit-learn on the same 1M x 20 table, in the same run.
# Run by `test/run bench` (PGHOST/PGPORT set, extension created); rows: BENCH_ROWS.
set -euo pipefail
cd "$(dirname "$0")"
OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 /usr/bin/python3 fraud_bench.py "${BENCH_ROWS:-1000000}"
