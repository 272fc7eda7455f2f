#!/usr/bin/python3
"""Forecasting benchmark: series generator, statsmodels anchor, scorer.

  forecast.py gen  DIR N       write DIR/series.csv (N series per frequency);
                               with FC_BENCH_DATA=PATH the tourism competition's
                               series from PATH instead of simulated ones
  forecast.py sm   DIR SUBSET  statsmodels Holt-Winters on the first SUBSET
                               series per frequency -> DIR/fc_statsmodels.csv
  forecast.py score DIR        score every DIR/fc_*.csv against the holdout

Series are simulated (never the M3 competition's data, which the product
keeps as its blind acceptance set) from three families in equal shares, with
parameters drawn per series:
  - ETS: additive or multiplicative error, none / additive / damped trend,
    none / additive / multiplicative season (seasonal only for m > 1);
  - ARIMA: (p,d,q)(P,D,Q)_m with p, q <= 2, d <= 1 (+ drift), P, Q, D <= 1;
  - Theta: SES plus drift (the Theta method's model), seasonalized by
    a multiplicative pattern when m > 1.
Monthly: m 12, 60-144 training periods, horizon 18; quarterly: m 4, 24-72,
horizon 8; yearly: 20-45, horizon 6.  Series are shifted to stay positive.
FC_BENCH_DATA names a directory, kept outside the repository, holding the
tourism competition's files (Athanasopoulos et al. 2011: monthly, quarterly,
yearly; {freq}_in.csv and {freq}_oos.csv, one series a column: length, start
year, start period - absent for yearly - then the values), for instance
source-data/ of the Tcomp R package's repository.  The competition's horizons
apply (24, 8, 4).
Forecast CSV rows: method,id,step,mean,lo80,hi80,lo95,hi95 (+ a seconds row
"method,-1,0,<seconds>,<series>,0,0,0" per method).
"""
import csv
import os
import sys
import time
import warnings

import numpy as np

FREQS = [("month", 12, (60, 144), 18), ("quarter", 4, (24, 72), 8), ("year", 1, (20, 45), 6)]


def sim_ets(rng, n, m):
    err = rng.choice(["A", "M"])
    trend = rng.choice(["N", "A", "Ad"])
    season = rng.choice(["N", "A", "M"]) if m > 1 else "N"
    alpha = rng.uniform(0.05, 0.6)
    beta = rng.uniform(0.01, 0.15) * alpha if trend != "N" else 0
    gamma = rng.uniform(0.01, 0.2) * (1 - alpha) if season != "N" else 0
    phi = rng.uniform(0.85, 0.98) if trend == "Ad" else 1
    level = rng.uniform(100, 5000)
    slope = level * rng.normal(0.003, 0.005) if trend != "N" else 0
    amp = rng.uniform(0.05, 0.35)
    pattern = 1 + amp * np.sin(2 * np.pi * np.arange(m) / m + rng.uniform(0, 2 * np.pi)) if m > 1 else np.ones(1)
    pattern = pattern / pattern.mean()
    s = list(pattern if season == "M" else (pattern - 1) * level)
    sd = rng.uniform(0.02, 0.10)
    y = np.empty(n)
    for t in range(n):
        q = level + phi * slope
        so = s[t % m] if season != "N" else (1.0 if season == "M" else 0.0)
        yhat = q * so if season == "M" else q + (so if season == "A" else 0)
        e = rng.normal(0, sd)
        yt = yhat * (1 + e) if err == "M" else yhat + e * max(abs(level), 1)
        y[t] = yt
        p = yt / so if season == "M" else yt - (so if season == "A" else 0)
        level = q + alpha * (p - q)
        slope = phi * slope + beta * (p - q)
        if season == "A":
            s[t % m] = so + gamma * (yt - q - so)
        elif season == "M":
            s[t % m] = max(so + gamma * (yt / max(q, 1e-9) - so), 0.05)
        level = max(level, 1.0)
    return y


def sim_arima(rng, n, m):
    p, q = rng.integers(0, 3), rng.integers(0, 3)
    d = rng.integers(0, 2)
    P, Q, D = (rng.integers(0, 2), rng.integers(0, 2), rng.integers(0, 2)) if m > 1 else (0, 0, 0)
    ar = rng.uniform(-0.6, 0.6, p) / max(1, p)
    ma = rng.uniform(-0.6, 0.6, q)
    sar = rng.uniform(-0.5, 0.5, P)
    sma = rng.uniform(-0.6, 0.3, Q)
    burn = 50 + 2 * m
    e = rng.normal(0, 1, n + burn)
    w = np.zeros(n + burn)
    for t in range(n + burn):
        v = e[t]
        for i in range(p):
            v += ar[i] * w[t - 1 - i] if t - 1 - i >= 0 else 0
        for j in range(q):
            v += ma[j] * e[t - 1 - j] if t - 1 - j >= 0 else 0
        if P and t - m >= 0:
            v += sar[0] * w[t - m]
        if Q and t - m >= 0:
            v += sma[0] * e[t - m]
        w[t] = v
    w = w[burn:]
    drift = rng.normal(0.05, 0.1) if d + D == 1 else 0
    if D:
        for t in range(m, n):
            w[t] += w[t - m]
    if d:
        w = np.cumsum(w)
    y = w + drift * np.arange(n)
    scale = rng.uniform(5, 50)
    return 1000 + scale * (y - y.min()) + scale * 5


def sim_theta(rng, n, m):
    alpha = rng.uniform(0.1, 0.8)
    drift = rng.normal(0.5, 1.0)
    level = rng.uniform(200, 2000)
    sd = level * rng.uniform(0.01, 0.06)
    y = np.empty(n)
    for t in range(n):
        yt = level + rng.normal(0, sd)
        y[t] = yt
        level = level + alpha * (yt - level) + drift * sd / 10
    if m > 1:
        amp = rng.uniform(0.0, 0.3)
        y = y * (1 + amp * np.sin(2 * np.pi * np.arange(n) / m + rng.uniform(0, 2 * np.pi)))
    return y


def simulated(per_freq):
    """(freq, m, h, start year, start period, values) per series; h last values held out"""
    rng = np.random.default_rng(20261202)
    for name, m, (lo, hi), h in FREQS:
        for k in range(per_freq):
            n = int(rng.integers(lo, hi + 1)) + h
            y = (sim_ets, sim_arima, sim_theta)[k % 3](rng, n, m)
            if not np.all(np.isfinite(y)):
                y = np.nan_to_num(y, nan=1.0, posinf=1e6, neginf=1.0)
            yield name, m, h, {"month": 2000, "quarter": 1980, "year": 1900}[name], 1, np.maximum(y, 1.0)


def tourism(path, per_freq):
    """the tourism competition's series (FC_BENCH_DATA), first per_freq per frequency"""
    for name, m, file in (("month", 12, "monthly"), ("quarter", 4, "quarterly"), ("year", 1, "yearly")):
        cols = []
        for part in ("in", "oos"):
            with open(os.path.join(path, f"{file}_{part}.csv")) as f:
                rows = list(csv.reader(f))[1:]
            cols.append([[r[i] for r in rows if i < len(r)] for i in range(len(rows[0]))])
        for fit, hold in list(zip(*cols))[:per_freq]:
            meta = 2 if m == 1 else 3            # length, start year[, start period]
            n = int(fit[0])
            y = [float(v) for v in fit[meta:meta + n]] + [float(v) for v in hold[meta:meta + int(hold[0])]]
            yield name, m, int(hold[0]), int(fit[1]), int(fit[2]) if m > 1 else 1, np.array(y)


def gen(out, per_freq):
    data = os.environ.get("FC_BENCH_DATA")
    with open(os.path.join(out, "series.csv"), "w") as f:
        for sid, (name, m, h, year, start, y) in enumerate(tourism(data, per_freq) if data else simulated(per_freq)):
            n = len(y)
            for t, v in enumerate(y):
                k = start - 1 + t           # periods since January / the first quarter of year
                if name == "month":
                    period = f"{year + k // 12}-{k % 12 + 1:02d}-01"
                elif name == "quarter":
                    period = f"{year + k // 4}-{3 * (k % 4) + 1:02d}-01"
                else:
                    period = f"{year + t}-01-01"
                # id, freq, m, horizon, index, period, value, in holdout
                f.write(f"{sid},{name},{m},{h},{t},{period},{v:.6f},{int(t >= n - h)}\n")


def load(path):
    series = {}
    with open(path) as f:
        for r in csv.reader(f):
            sid = int(r[0])
            s = series.setdefault(sid, {"freq": r[1], "m": int(r[2]), "h": int(r[3]), "y": [], "test": []})
            s["y"].append(float(r[6]))
            s["test"].append(r[7] == "1")
    for s in series.values():
        y = np.array(s["y"])
        mask = np.array(s["test"])
        s["train"], s["hold"] = y[~mask], y[mask]
    return series


def subset_ids(series, k):
    ids, per = [], {}
    for sid in sorted(series):
        fq = series[sid]["freq"]
        if per.get(fq, 0) < k:
            ids.append(sid)
            per[fq] = per.get(fq, 0) + 1
    return ids


def statsmodels_run(d, k):
    from statsmodels.tsa.holtwinters import ExponentialSmoothing
    series = load(os.path.join(d, "series.csv"))
    ids = subset_ids(series, k)
    warnings.simplefilter("ignore")
    rows = []
    t0, c0 = time.perf_counter(), time.process_time()
    for sid in ids:
        s = series[sid]
        m = s["m"]
        seasonal = "mul" if m > 1 and len(s["train"]) >= 2 * m + 2 else None
        fit = ExponentialSmoothing(s["train"], trend="add", damped_trend=True, seasonal=seasonal,
                                   seasonal_periods=m if seasonal else None).fit()
        fc = fit.forecast(s["h"])
        # statsmodels' Holt-Winters gives no intervals: normal bounds from the residual sd
        sd = np.std(s["train"] - fit.fittedvalues)
        for j, v in enumerate(fc):
            w = sd * np.sqrt(j + 1)
            rows.append(("statsmodels_hw", sid, j + 1, v, v - 1.2816 * w, v + 1.2816 * w, v - 1.96 * w, v + 1.96 * w))
    sec, cpu = time.perf_counter() - t0, time.process_time() - c0
    with open(os.path.join(d, "fc_statsmodels.csv"), "w") as f:
        w = csv.writer(f)
        w.writerow(("statsmodels_hw", -1, 0, sec, len(ids), cpu, 0, 0))
        w.writerows(rows)


def score(d):
    series = load(os.path.join(d, "series.csv"))
    fcs = {}
    secs = {}
    for name in sorted(os.listdir(d)):
        if not name.startswith("fc_"):
            continue
        with open(os.path.join(d, name)) as f:
            for r in csv.reader(f):
                meth, sid, step = r[0], int(r[1]), int(r[2])
                if sid < 0:
                    # wall seconds, series, CPU seconds of the fitting process (0: not measured)
                    secs[meth] = (float(r[3]), int(float(r[4])), float(r[5]) or np.nan)
                    continue
                fcs.setdefault(meth, {}).setdefault(sid, {})[step] = [float(x) for x in r[3:8]]
    # the simulating family of each series: gen() cycles ETS, ARIMA, Theta within a frequency
    family, seen, rank = {}, {}, {}
    for sid in sorted(series):
        k = seen.get(series[sid]["freq"], 0)
        seen[series[sid]["freq"]] = k + 1
        family[sid] = "all" if os.environ.get("FC_BENCH_DATA") else ("sim-ets", "sim-arima", "sim-theta")[k % 3]
        rank[sid] = k
    # FC_SCORE_FIRST=K scores every method on the first K series per frequency only
    # (the anchors' subset), so that methods run on all series compare with them
    first = int(os.environ.get("FC_SCORE_FIRST", "0"))
    if first > 0:
        for meth in fcs:
            fcs[meth] = {sid: v for sid, v in fcs[meth].items() if rank[sid] < first}
    out = []
    for meth in sorted(fcs):
        per = {}
        for sid, steps in fcs[meth].items():
            s = series[sid]
            m = s["m"]
            tr, ho = s["train"], s["hold"]
            lag = m if m > 1 and len(tr) > m else 1
            scale = np.mean(np.abs(tr[lag:] - tr[:-lag]))
            f = np.array([steps[j + 1] for j in range(s["h"])])
            mean = f[:, 0]
            smape = np.mean(200 * np.abs(mean - ho) / (np.abs(mean) + np.abs(ho)))
            mase = np.mean(np.abs(mean - ho)) / scale if scale > 0 else np.nan
            c80 = np.mean((ho >= f[:, 1]) & (ho <= f[:, 2]))
            c95 = np.mean((ho >= f[:, 3]) & (ho <= f[:, 4]))
            for key in {s["freq"], "all", family[sid]}:
                per.setdefault(key, []).append((smape, mase, c80, c95))
        sec, n, cpu = secs.get(meth, (np.nan, 1, np.nan))
        for key in ("all", "month", "quarter", "year", "sim-ets", "sim-arima", "sim-theta"):
            if key in per:
                a = np.array(per[key])
                out.append((meth, key, len(a), np.nanmean(a[:, 0]), np.nanmean(a[:, 1]),
                            100 * np.mean(a[:, 2]), 100 * np.mean(a[:, 3]), 1000 * sec / n, 1000 * cpu / n))
    # s/1000: wall clock per 1,000 series; cpu/1000: CPU time of the fitting process (on a
    # shared machine the wall clock of runs made minutes apart is not comparable)
    print(f"{'method':<22}{'freq':<9}{'series':>7}{'sMAPE':>9}{'MASE':>9}{'cov80':>8}{'cov95':>8}{'s/1000':>10}{'cpu/1000':>10}")
    for r in out:
        print(f"{r[0]:<22}{r[1]:<9}{r[2]:>7}{r[3]:>9.3f}{r[4]:>9.4f}{r[5]:>8.1f}{r[6]:>8.1f}{r[7]:>10.2f}{r[8]:>10.2f}")
    # the speed goals of issue 13 as CPU ratios: ecomml auto against each anchor's fit + forecast
    cpu = {meth: 1000 * c / n for meth, (_, n, c) in secs.items() if np.isfinite(c)}
    if "ecomml_auto" in cpu:
        for anchor in ("statsmodels_hw", "r_ets", "r_thetaf", "r_auto_arima"):
            if anchor in cpu:
                print(f"cpu ratio: {anchor} / ecomml_auto = {cpu[anchor]:.2f} / {cpu['ecomml_auto']:.3f}"
                      f" = {cpu[anchor] / cpu['ecomml_auto']:.1f}x")


if __name__ == "__main__":
    cmd, d = sys.argv[1], sys.argv[2]
    if cmd == "gen":
        gen(d, int(sys.argv[3]))
    elif cmd == "sm":
        statsmodels_run(d, int(sys.argv[3]))
    else:
        score(d)
