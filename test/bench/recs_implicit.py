"""Anchor for test/bench/recs.sh: implicit ALS of the `implicit` library
(a hand build on PYTHONPATH) or the same algorithm in numpy (recs_numpy.py's
conjugate-gradient ALS), on the benchmark's CSV files.

Prints one line: name version cpu_seconds_per_iteration precision@10 ndcg@10
recommend_all_cpu_seconds.  Times are CPU seconds of this process
(time.process_time), one thread, so other load on the machine counts less.
`implicit`'s time per iteration is (fit of 1 + n iterations - fit of 1) / n,
as ecomml's in recs.sh; numpy's is its iteration loop divided by iterations.

Quality is the mean over RECS_BENCH_SEEDS seeds (default 1: seed 42).

usage: recs_implicit.py train.csv test.csv factors iterations cg_steps n anchor
  anchor: implicit (exit status 3 when it cannot be imported), numpy, or auto
          (`implicit` when it can be imported, else numpy)"""
import os
import sys
import time

import numpy as np

ALPHA, LAMBDA = 40.0, 0.1


def load(path):
    d = np.loadtxt(path, delimiter=",", ndmin=2)
    return d[:, 0].astype(np.int64), d[:, 1].astype(np.int64), d[:, 2] if d.shape[1] > 2 else None


def metrics(top, uid_of_row, test_sets, k=10):
    """precision@k and ndcg@k over users with held-out items (binary gains)."""
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    p = n = 0.0
    users = 0
    for row, items in enumerate(top):
        rel = test_sets.get(uid_of_row[row])
        if not rel:
            continue
        hits = np.array([it in rel for it in items[:k]], dtype=float)
        p += hits.sum() / k
        n += (hits * disc[: len(hits)]).sum() / disc[: min(k, len(rel))].sum()
        users += 1
    return p / users, n / users


def main():
    train, test, k, iters, steps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    timing_n, anchor = int(sys.argv[6]), sys.argv[7]
    from scipy.sparse import csr_matrix

    u, i, w = load(train)
    tu, ti, _ = load(test)
    uid, ur = np.unique(u, return_inverse=True)
    iid, ir = np.unique(i, return_inverse=True)
    ui = csr_matrix((w, (ur, ir)), shape=(len(uid), len(iid)))
    ui.sum_duplicates()
    item_index = {v: j for j, v in enumerate(iid)}
    test_sets = {}
    for a, b in zip(tu, ti):
        if b in item_index:
            test_sets.setdefault(a, set()).add(item_index[b])

    # quality over several seeds (RECS_BENCH_SEEDS, 42, 43, ...): one seed's
    # precision@10 on a few hundred users moves by about its standard error
    seeds = [42 + s for s in range(int(os.environ.get("RECS_BENCH_SEEDS", "1")))]
    scores = []
    try:
        if anchor == "numpy":
            raise ImportError("numpy asked for")
        import implicit
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        name, version = "implicit", implicit.__version__
        # implicit's confidence is alpha * data: data = 1 + 40 w gives ecomml's 1 + alpha w
        conf = ui.copy()
        conf.data = (1.0 + ALPHA * conf.data).astype(np.float32)

        def fit(n, seed=42):
            m = AlternatingLeastSquares(factors=k, regularization=LAMBDA, alpha=1.0, iterations=n,
                                        use_cg=True, num_threads=1, random_state=seed,
                                        calculate_training_loss=False)
            m.cg_steps = steps  # an attribute, not a constructor argument, in 0.7
            with threadpool_limits(1):
                t0 = time.process_time()
                m.fit(conf, show_progress=False)
                return m, time.process_time() - t0

        fit(1)  # warm-up: the first fit pays for imports and first touches
        _, t1 = fit(1)
        _, tn = fit(1 + timing_n)
        per_iter = (tn - t1) / timing_n
        users = np.arange(len(uid))
        for seed in seeds:
            model, _ = fit(iters, seed)
            t0 = time.process_time()
            with threadpool_limits(1):
                ids, _ = model.recommend(users, ui[users], N=10, filter_already_liked_items=True)
            if seed == seeds[0]:
                rec_all = time.process_time() - t0
            scores.append(metrics(ids, uid, test_sets))
    except ImportError:
        if anchor == "implicit":
            print("the implicit library cannot be imported", file=sys.stderr)
            sys.exit(3)
        from recs_numpy import implicit_cg

        name, version = "numpy", np.__version__
        uptr, ucol, uval = ui.indptr, ui.indices, ui.data
        iu = ui.T.tocsr()
        iptr, irow, ival = iu.indptr, iu.indices, iu.data
        for seed in seeds:
            rng = np.random.default_rng(seed)
            X = rng.normal(0, 0.01, (len(uid), k))
            Y = rng.normal(0, 0.01, (len(iid), k))

            t0 = time.process_time()
            for _ in range(iters):
                implicit_cg(uptr, ucol, uval, X, Y, LAMBDA, ALPHA, steps)
                implicit_cg(iptr, irow, ival, Y, X, LAMBDA, ALPHA, steps)
            if seed == seeds[0]:
                per_iter = (time.process_time() - t0) / iters
            t0 = time.process_time()
            top = []
            for b in range(0, len(uid), 1024):
                sc = X[b:b + 1024] @ Y.T
                for j in range(sc.shape[0]):
                    sc[j, ucol[uptr[b + j]:uptr[b + j + 1]]] = -np.inf
                part = np.argpartition(-sc, 10, axis=1)[:, :10]
                order = np.argsort(-np.take_along_axis(sc, part, 1), axis=1)
                top.extend(np.take_along_axis(part, order, 1))
            if seed == seeds[0]:
                rec_all = time.process_time() - t0
            scores.append(metrics(top, uid, test_sets))
    p10, ndcg10 = np.mean(scores, axis=0)
    print(f"{name} {version} {per_iter:.3f} {p10:.4f} {ndcg10:.4f} {rec_all:.2f}")


if __name__ == "__main__":
    main()
