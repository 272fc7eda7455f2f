"""Reference ALS in numpy (Debian python3-numpy, OpenBLAS): the same
algorithms as src/recs.c, row by row.  Prints seconds per iteration for
explicit and implicit ALS, the explicit train RMSE and the implicit
own-group share of the top 10 for users 1..2000.
usage: recs_numpy.py ratings.csv factors iterations"""
import sys
import time

import numpy as np


def csr(rows, cols, vals, n):
    order = np.argsort(rows, kind="stable")
    ptr = np.searchsorted(rows[order], np.arange(n + 1))
    return ptr, cols[order], vals[order]


def implicit_cg(ptr, idx, w, X, Y, lam, alpha, steps):
    """One half-iteration of implicit ALS: conjugate-gradient steps per row of
    X against fixed Y, confidence 1 + alpha w, preference w > 0."""
    k = X.shape[1]
    YtY = Y.T @ Y + lam * np.eye(k)
    for a in range(len(ptr) - 1):
        s, e = ptr[a], ptr[a + 1]
        Ya = Y[idx[s:e]]
        c = 1.0 + alpha * w[s:e]
        pref = (w[s:e] > 0).astype(float)
        x = X[a]
        rr = -YtY @ x + Ya.T @ (c * pref - (c - 1.0) * (Ya @ x))
        p = rr.copy()
        rs = rr @ rr
        for _ in range(steps):
            if rs < 1e-20:
                break
            Ap = YtY @ p + Ya.T @ ((c - 1.0) * (Ya @ p))
            step = rs / (p @ Ap)
            x = x + step * p
            rr = rr - step * Ap
            rsn = rr @ rr
            p = rr + (rsn / rs) * p
            rs = rsn
        X[a] = x


def explicit_solve(ptr, idx, val, X, bx, Y, by, lam, mu):
    """One half-iteration of explicit biased ALS: every row of X (and its bias
    bx) solved exactly against fixed Y, by, the bias as a (k+1)-th factor,
    ridge lam times the row's number of ratings."""
    k = X.shape[1]
    eye = np.eye(k + 1)
    for a in range(len(ptr) - 1):
        s, e = ptr[a], ptr[a + 1]
        n = e - s
        if n == 0:
            X[a], bx[a] = 0, 0
            continue
        cols = idx[s:e]
        Ya = np.empty((n, k + 1))
        Ya[:, :k] = Y[cols]
        Ya[:, k] = 1.0
        A = Ya.T @ Ya + lam * n * eye
        x = np.linalg.solve(A, Ya.T @ (val[s:e] - mu - by[cols]))
        X[a], bx[a] = x[:k], x[k]


def main():
    path, k, iters = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    d = np.loadtxt(path, delimiter=",")
    uid, u = np.unique(d[:, 0].astype(np.int64), return_inverse=True)
    iid, i = np.unique(d[:, 1].astype(np.int64), return_inverse=True)
    r = d[:, 2]
    nu, ni = len(uid), len(iid)
    uptr, ucol, uval = csr(u, i, r, nu)
    iptr, irow, ival = csr(i, u, r, ni)
    rng = np.random.default_rng(42)

    # explicit: weighted-lambda biased ALS, one (k+1)x(k+1) solve per row
    lam, mu = 0.05, r.mean()
    P = rng.normal(0, 0.1, (nu, k))
    Q = rng.normal(0, 0.1, (ni, k))
    bu, bi = np.zeros(nu), np.zeros(ni)

    t0 = time.time()
    for _ in range(iters):
        explicit_solve(uptr, ucol, uval, P, bu, Q, bi, lam, mu)
        explicit_solve(iptr, irow, ival, Q, bi, P, bu, lam, mu)
    exp_s = (time.time() - t0) / iters
    pred = mu + bu[u] + bi[i] + np.einsum("ij,ij->i", P[u], Q[i])
    rmse = float(np.sqrt(np.mean((r - pred) ** 2)))

    # implicit: Hu-Koren-Volinsky with conjugate gradient (3 steps),
    # weight max(rating - 3, 0), preference weight > 0
    alpha, lam_i, steps = 40.0, 0.1, 3
    X = rng.normal(0, 0.01, (nu, k))
    Y = rng.normal(0, 0.01, (ni, k))
    wu, wi = np.maximum(uval - 3, 0), np.maximum(ival - 3, 0)

    t0 = time.time()
    for _ in range(iters):
        implicit_cg(uptr, ucol, wu, X, Y, lam_i, alpha, steps)
        implicit_cg(iptr, irow, wi, Y, X, lam_i, alpha, steps)
    imp_s = (time.time() - t0) / iters

    # own-group share of the top 10 unseen items for users 1..2000
    hits = total = 0
    for a in range(min(2000, nu)):
        sc = Y @ X[a]
        sc[ucol[uptr[a]:uptr[a + 1]]] = -np.inf
        top = np.argpartition(-sc, 10)[:10]
        hits += int(np.sum(iid[top] % 10 == uid[a] % 10))
        total += 10
    print(f"{exp_s:.4f} {imp_s:.4f} {rmse:.4f} {hits / total:.4f}")


if __name__ == "__main__":
    main()
