#!/usr/bin/python3
"""Reference for ecomml.train_clv: a BG/NBD + Gamma-Gamma simulator, and the
maximum-likelihood fit of the published formulas with numpy/scipy (the
lifetimes library's BetaGeoFitter and GammaGammaFitter, rewritten here because
lifetimes is not packaged in Debian).

  clv_reference.py simulate CUSTOMERS SEED OUT.csv   orders: customer_id,ordered_at,amount
  clv_reference.py simulate-large CUSTOMERS SEED OUT.csv
        the same process vectorized (numpy), orders as customer_id,epoch_seconds,amount
  clv_reference.py fit IN.csv [UNIT [PENALIZER]]     JSON: parameters, standard errors, ...

The generator (doc/customers.md, "Validation"): time in weeks, calibration
window 2024-01-01 .. +104 weeks.  Customer i joins at a uniform time in the
first 78 weeks and buys then.  Each customer draws a purchase rate
lambda ~ Gamma(shape r, rate alpha) per week and a dropout probability
p ~ Beta(a, b); repeat purchases follow a Poisson process of rate lambda, and
after each repeat purchase the customer leaves for good with probability p
(Fader, Hardie & Lee 2005, section 2).  Spend: nu ~ Gamma(shape q, rate v) per
customer and each purchase's amount ~ Gamma(shape p, rate nu) (the
Gamma-Gamma model).  Purchase times are rounded down to the second; two
purchases on one UTC day count once (their amounts add), as in train_clv.
TRUE holds the parameters (those of CDNOW, Fader et al.).

The fit: summaries exactly as train_clv builds them (distinct UTC days,
x = days - 1, t_x and T in the unit from the first day, end = the latest
order's day), then on the log-parameters of the mean negative log-likelihood
plus penalizer * sum(par^2): scipy's BFGS on finite-difference gradients,
Nelder-Mead restarted around that point until it no longer moves, a BFGS
polish; standard errors from a finite-difference Hessian of the total
negative log-likelihood.  No gradient is shared with the C code.
"""
import json
import sys
import time

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1

TRUE = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "p": 6.25, "q": 3.74, "v": 15.44}
EPOCH_2024 = 1704067200  # 2024-01-01 00:00:00 UTC
UNIT_DAYS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12}


def simulate(n, seed, out):
    rng = np.random.default_rng(seed)
    t = TRUE
    weeks = 104.0
    with open(out, "w") as f:
        for cid in range(1, n + 1):
            birth = rng.uniform(0, 78)
            lam = rng.gamma(t["r"], 1 / t["alpha"])
            p = rng.beta(t["a"], t["b"])
            nu = rng.gamma(t["q"], 1 / t["v"])
            times = [birth]
            now = birth
            while True:
                now += rng.exponential(1 / lam) if lam > 0 else np.inf
                if now >= weeks:
                    break
                times.append(now)
                if rng.uniform() < p:
                    break
            for w in times:
                sec = EPOCH_2024 + int(w * 7 * 86400)
                amount = round(rng.gamma(t["p"], 1 / nu), 2)
                f.write("%d,%s,%.2f\n" % (cid, time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime(sec)), amount))


def simulate_large(n, seed, out):
    """simulate() for many customers at once: one round of inter-purchase
    draws for every still-active customer at a time"""
    rng = np.random.default_rng(seed)
    t = TRUE
    weeks = 104.0
    birth = rng.uniform(0, 78, n)
    lam = rng.gamma(t["r"], 1 / t["alpha"], n)
    p = rng.beta(t["a"], t["b"], n)
    nu = rng.gamma(t["q"], 1 / t["v"], n)
    cust, when = [np.arange(n)], [birth]
    now = birth.copy()
    active = np.arange(n)
    while active.size:
        now[active] += rng.exponential(1, active.size) / np.maximum(lam[active], 1e-300)
        active = active[now[active] < weeks]
        cust.append(active)
        when.append(now[active].copy())
        active = active[rng.uniform(size=active.size) >= p[active]]
    cust = np.concatenate(cust)
    when = np.concatenate(when)
    amount = np.round(rng.gamma(t["p"], 1, cust.size) / nu[cust], 2)
    sec = EPOCH_2024 + (when * 7 * 86400).astype(np.int64)
    with open(out, "w") as f:
        for c, s_, a in zip((cust + 1).tolist(), sec.tolist(), amount.tolist()):
            f.write("%d,%d,%.2f\n" % (c, s_, a))


def parse_time(ts):
    if ts.isdigit():
        return int(ts)
    return int(time.mktime(time.strptime(ts[:19], "%Y-%m-%d %H:%M:%S")) - time.timezone)


def summaries(path, unit):
    cid, secs, amt = [], [], []
    for line in open(path):
        c, ts, a = line.rstrip("\n").split(",")
        cid.append(int(c))
        secs.append(parse_time(ts))
        amt.append(float(a))
    cid = np.array(cid)
    day = np.floor_divide(np.array(secs), 86400)
    amt = np.array(amt)
    end_day = day.max()
    order = np.lexsort((day, cid))
    cid, day, amt = cid[order], day[order], amt[order]
    # one purchase per customer-day
    key_change = np.r_[True, (cid[1:] != cid[:-1]) | (day[1:] != day[:-1])]
    idx = np.cumsum(key_change) - 1
    pd_amt = np.bincount(idx, weights=amt)
    pd_cid, pd_day = cid[key_change], day[key_change]
    first = np.r_[True, pd_cid[1:] != pd_cid[:-1]]
    cust = np.cumsum(first) - 1
    ncust = cust[-1] + 1
    days = np.bincount(cust)
    first_day = pd_day[first]
    last_day = np.zeros(ncust, dtype=np.int64)
    last_day[cust] = pd_day  # the last write per customer wins: its latest day
    total = np.bincount(cust, weights=pd_amt)
    first_amt = pd_amt[first]
    x = days - 1.0
    ud = UNIT_DAYS[unit]
    tx = (last_day - first_day) / ud
    T = (end_day - first_day) / ud
    m = np.where(x > 0, (total - first_amt) / np.maximum(x, 1), 0.0)
    return x, tx, T, m


def bgnbd_ll(par, x, tx, T):
    r, alpha, a, b = par
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b)
    a3 = -(r + x) * np.log(alpha + T)
    xp = np.maximum(x, 1)
    a4 = np.where(x > 0, np.log(a) - np.log(b + xp - 1) - (r + x) * np.log(alpha + tx), -np.inf)
    return a1 + a2 + np.logaddexp(a3, a4)


def gamma_gamma_ll(par, x, m):
    p, q, v = par
    return (gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(v)
            + (p * x - 1) * np.log(m) + p * x * np.log(x) - (p * x + q) * np.log(x * m + v))


def fit(ll, start, n, penalizer):
    def obj(th):
        par = np.exp(th)
        v = -ll(par).sum() / n + penalizer * np.sum(par ** 2)
        return v if np.isfinite(v) else 1e300
    # BFGS on finite-difference gradients gets close; Nelder-Mead restarted from
    # a small simplex around the point until it no longer moves; BFGS polishes
    th = minimize(obj, np.log(start), method="BFGS", options={"gtol": 1e-9}).x
    for _ in range(20):
        simplex = np.vstack([th] + [th + 1e-3 * np.eye(len(th))[i] for i in range(len(th))])
        res = minimize(obj, th, method="Nelder-Mead",
                       options={"xatol": 1e-11, "fatol": 1e-15, "maxiter": 20000, "maxfev": 40000,
                                "initial_simplex": simplex})
        moved = np.max(np.abs(res.x - th))
        th = res.x
        if moved < 1e-10:
            break
    th = minimize(obj, th, method="BFGS", options={"gtol": 1e-12}).x
    par = np.exp(th)
    # Hessian of the total objective in log-parameters, central differences
    k = len(th)
    h = np.zeros((k, k))
    step = 1e-4
    for i in range(k):
        for j in range(k):
            ei, ej = np.eye(k)[i] * step, np.eye(k)[j] * step
            h[i, j] = (obj(th + ei + ej) - obj(th + ei - ej) - obj(th - ei + ej) + obj(th - ei - ej)) / (4 * step * step)
    cov = np.linalg.inv(h * n)
    se = par * np.sqrt(np.diag(cov))
    return par, se, float(ll(par).sum())


def p_alive(par, x, tx, T):
    r, alpha, a, b = par
    if x == 0:
        return 1.0
    return 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x))


def expected_purchases(par, x, tx, T, t):
    """E[Y(t) | x, t_x, T], Fader, Hardie & Lee 2005 eq. 10 (lifetimes'
    conditional_expected_number_of_purchases_up_to_time)"""
    r, alpha, a, b = par
    num = (a + b + x - 1) / (a - 1) * (1 - hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
                                       * ((alpha + T) / (alpha + T + t)) ** (r + x))
    den = 1 + (x > 0) * a / (b + max(x, 1) - 1) * ((alpha + T) / (alpha + tx)) ** (r + x)
    return num / den


def main():
    if sys.argv[1] == "simulate":
        simulate(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
        return
    if sys.argv[1] == "simulate-large":
        simulate_large(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
        return
    unit = sys.argv[3] if len(sys.argv) > 3 else "week"
    penalizer = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
    t0 = time.time()
    x, tx, T, m = summaries(sys.argv[2], unit)
    t1 = time.time()
    # BG/NBD on distinct (x, t_x, T) with weights, as the C code does
    trip, w = np.unique(np.c_[x, tx, T], axis=0, return_counts=True)
    bg, bg_se, bg_ll = fit(lambda par: w * bgnbd_ll(par, trip[:, 0], trip[:, 1], trip[:, 2]),
                           np.array([1.0, max(T.mean(), 1e-3), 1.0, 1.0]), len(x), penalizer)
    rep = (x > 0) & (m > 0)
    gg, gg_se, gg_ll = fit(lambda par: gamma_gamma_ll(par, x[rep], m[rep]),
                           np.array([1.0, 1.0, m[rep].mean()]), rep.sum(), penalizer)
    t2 = time.time()
    out = {"customers": int(len(x)), "repeat_customers": int((x > 0).sum()),
           "gamma_gamma_customers": int(rep.sum()),
           "frequency_spend_correlation": float(np.corrcoef(x[rep], m[rep])[0, 1]),
           "bgnbd_log_likelihood": bg_ll, "gamma_gamma_log_likelihood": gg_ll,
           "summary_seconds": t1 - t0, "fit_seconds": t2 - t1}
    for name, val, se in zip(["r", "alpha", "a", "b"], bg, bg_se):
        out[name], out[name + "_se"] = float(val), float(se)
    for name, val, se in zip(["p", "q", "v"], gg, gg_se):
        out[name], out[name + "_se"] = float(val), float(se)
    # predictions for the first three customers (customer_id order), horizon 52 units
    out["predictions"] = [{"x": x[i], "p_alive": p_alive(bg, x[i], tx[i], T[i]),
                           "expected_purchases": expected_purchases(bg, x[i], tx[i], T[i], 52.0),
                           "expected_spend": gg[0] * (gg[2] + x[i] * m[i]) / (gg[0] * x[i] + gg[1] - 1)}
                          for i in range(3)]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
