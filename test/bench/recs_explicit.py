"""Anchors for the explicit-ALS part of test/bench/recs.sh on a public
ratings set: held-out RMSE of a biases-only baseline (damped means, item then
user, shrinkage 10 and 15 ratings: the usual baseline predictor) and of numpy
biased ALS (recs_numpy.explicit_solve, the algorithm of src/recs.c) at the
lambda and number of iterations ecomml chose.

Prints one line: baseline_rmse als_rmse
usage: recs_explicit.py train.csv test.csv factors lambda iterations"""
import sys

import numpy as np

from recs_numpy import csr, explicit_solve


def main():
    train, test, k, lam, iters = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
    d = np.loadtxt(train, delimiter=",", ndmin=2)
    t = np.loadtxt(test, delimiter=",", ndmin=2)
    uid, u = np.unique(d[:, 0].astype(np.int64), return_inverse=True)
    iid, i = np.unique(d[:, 1].astype(np.int64), return_inverse=True)
    r = d[:, 2]
    nu, ni = len(uid), len(iid)
    mu = r.mean()

    # test rows: index of a known user / item, or -1 (then no bias, no factor)
    def index_of(ids, x):
        pos = np.clip(np.searchsorted(ids, x), 0, len(ids) - 1)
        return np.where(ids[pos] == x, pos, -1)

    tu, ti, tr = index_of(uid, t[:, 0].astype(np.int64)), index_of(iid, t[:, 1].astype(np.int64)), t[:, 2]

    def rmse(bu, bi, P=None, Q=None):
        pred = mu + np.where(tu >= 0, bu[tu], 0) + np.where(ti >= 0, bi[ti], 0)
        if P is not None:
            both = (tu >= 0) & (ti >= 0)
            pred[both] += np.einsum("ij,ij->i", P[tu[both]], Q[ti[both]])
        return float(np.sqrt(np.mean((tr - pred) ** 2)))

    bi = np.bincount(i, r - mu, ni) / (np.bincount(i, None, ni) + 10.0)
    bu = np.bincount(u, r - mu - bi[i], nu) / (np.bincount(u, None, nu) + 15.0)
    baseline = rmse(bu, bi)

    uptr, ucol, uval = csr(u, i, r, nu)
    iptr, irow, ival = csr(i, u, r, ni)
    rng = np.random.default_rng(42)
    P = rng.normal(0, 0.1, (nu, k))
    Q = rng.normal(0, 0.1, (ni, k))
    bu, bi = np.zeros(nu), np.zeros(ni)
    for _ in range(iters):
        explicit_solve(uptr, ucol, uval, P, bu, Q, bi, lam, mu)
        explicit_solve(iptr, irow, ival, Q, bi, P, bu, lam, mu)
    print(f"{baseline:.4f} {rmse(bu, bi, P, Q):.4f}")


if __name__ == "__main__":
    main()
