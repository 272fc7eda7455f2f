#!/usr/bin/python3
"""Generate the forecasting benchmark's monthly series and time the anchor.

Writes id,month,y rows (training and holdout) to argv[1]; fits statsmodels'
Holt-Winters (additive damped trend, multiplicative season, one fixed model per
series, fit + 18-step forecast) and prints "statsmodels <seconds> <sMAPE> <MASE>".
"""
import sys
import time
import warnings

import numpy as np
from statsmodels.tsa.holtwinters import ExponentialSmoothing

H = 18
N_SERIES = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
rng = np.random.default_rng(20261125)
series = []
for i in range(N_SERIES):
    n = int(rng.integers(60, 141)) + H
    t = np.arange(n)
    level = rng.uniform(50, 2000)
    slope = rng.normal(0.003, 0.004)
    amp = rng.uniform(0.0, 0.35)
    phase = rng.uniform(0, 2 * np.pi)
    season = 1 + amp * np.sin(2 * np.pi * t / 12 + phase) + 0.5 * amp * rng.normal(0, 0.3, 12)[t % 12]
    walk = np.cumsum(rng.normal(0, rng.uniform(0.0, 0.03), n))
    noise = rng.normal(0, rng.uniform(0.02, 0.12), n)
    y = level * (1 + slope * t + walk) * season * (1 + noise)
    y = np.maximum(y, 1.0)
    series.append(y)

with open(sys.argv[1], "w") as f:
    for i, y in enumerate(series):
        for k, v in enumerate(y):
            f.write(f"{i},{2000 + k // 12}-{k % 12 + 1:02d}-01,{v:.6f}\n")

def smape(f, a):
    return np.mean(200 * np.abs(f - a) / (np.abs(f) + np.abs(a)))

def mase(f, a, train, m=12):
    return np.mean(np.abs(f - a)) / np.mean(np.abs(train[m:] - train[:-m]))

warnings.simplefilter("ignore")
t0 = time.perf_counter()
fcs = []
for y in series:
    train = y[:-H]
    fit = ExponentialSmoothing(train, trend="add", damped_trend=True, seasonal="mul",
                               seasonal_periods=12).fit()
    fcs.append(fit.forecast(H))
elapsed = time.perf_counter() - t0
s = np.mean([smape(f, y[-H:]) for f, y in zip(fcs, series)])
m = np.mean([mase(f, y[-H:], y[:-H]) for f, y in zip(fcs, series)])
print(f"statsmodels {elapsed:.3f} {s:.3f} {m:.4f}")
