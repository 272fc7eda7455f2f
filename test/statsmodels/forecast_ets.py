#!/usr/bin/python3
"""Expected ETS figures for test/pgtap/forecast.sql, from statsmodels' ETSModel.

Run with Debian's python3-statsmodels:  /usr/bin/python3 test/statsmodels/forecast_ets.py
The series is deterministic (no random numbers), the same formula as the
pgTAP test's generate_series query.  The printed numbers are pasted into
the test as expected values.
"""
import math
import numpy as np
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

n = 80
# a random-walk-like level (running sum of a deterministic wiggle) plus noise
w = [2.5 * math.sin(1.3 * t) + 1.5 * math.cos(2.1 * t * t) for t in range(n)]
y = np.array([100 + 0.8 * t + sum(w[:t + 1]) + 3 * math.cos(0.7 * t * t) for t in range(n)])

for error, trend, damped, name in [("add", None, False, "ANN"),
                                   ("add", "add", False, "AAN"),
                                   ("add", "add", True, "AAdN"),
                                   ("mul", "add", True, "MAdN")]:
    res = ETSModel(y, error=error, trend=trend, damped_trend=damped).fit(disp=False, maxiter=10000)
    p = dict(zip(res.param_names, res.params))
    fc = res.forecast(5)
    print(f"{name}: llf={res.llf:.4f} alpha={p['smoothing_level']:.4f} "
          f"beta={p.get('smoothing_trend', float('nan')):.4f} phi={p.get('damping_trend', float('nan')):.4f} "
          f"l0={p['initial_level']:.4f} b0={p.get('initial_trend', float('nan')):.4f} "
          f"f5={fc[4]:.4f}")
