#!/usr/bin/python3
"""ecomml train_logreg / train_iforest vs scikit-learn, same data, same run.

The table is generated in PostgreSQL (20 uniform features, 2% fraud shifted
by +1 on the first ten, 0.5% of the labels flipped), then copied to numpy for
scikit-learn.  Both
sides run on one core: max_parallel_workers_per_gather = 0 and
OPENBLAS_NUM_THREADS = 1.  Times are wall-clock seconds and, for logistic
regression, CPU seconds (the backend's from /proc, Python's process time);
ecomml's include reading the rows from the table, scikit-learn's start from
arrays in memory.
"""
import json
import subprocess
import sys
import time

import numpy as np
import sklearn
from sklearn.ensemble import IsolationForest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
SERIAL = "SET max_parallel_workers_per_gather = 0; SET ecomml.blas_threads = 1; "


def psql(sql):
    t = time.perf_counter()
    r = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", "ecomml", "-c", SERIAL + sql],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("psql failed: " + r.stderr)
    out = r.stdout
    # session_time's NOTICE comes on stderr
    for line in r.stderr.splitlines():
        if "NOTICE:  best " in line:
            out = line.split("best ")[1]
    return time.perf_counter() - t, out.strip()


def best_of(k, f):
    """Best wall-clock and best CPU time (seconds) of k calls of f, and f's last result."""
    best, best_cpu = float("inf"), float("inf")
    for _ in range(k):
        t, c = time.perf_counter(), time.process_time()
        r = f()
        best = min(best, time.perf_counter() - t)
        best_cpu = min(best_cpu, time.process_time() - c)
    return best, best_cpu, r


# the backend's CPU time in ms (utime + stime of /proc/<pid>/stat, 100 ticks a second)
BACKEND_CPU_MS = ("(SELECT (split_part(s, ' ', 12)::bigint + split_part(s, ' ', 13)::bigint) * 10 "
                  "FROM (SELECT split_part(pg_read_file('/proc/' || pg_backend_pid() || '/stat'), ') ', 2) AS s) z)")


def session_time(query, reps):
    """Best of reps server-side wall times of query and best backend CPU times
    (seconds), in one session: no connection start or library load in the
    figures, as scikit-learn's timing has no interpreter start.  On a shared
    machine the CPU time is the fairer figure."""
    _, out = psql("""
DO $$
DECLARE t0 timestamptz; c0 bigint; best float8 := 'Infinity'; best_cpu float8 := 'Infinity';
BEGIN
    FOR rep IN 1..%d LOOP
        c0 := %s;
        t0 := clock_timestamp();
        PERFORM (%s);
        best := least(best, extract(epoch FROM clock_timestamp() - t0));
        best_cpu := least(best_cpu, (%s - c0) / 1000.0);
    END LOOP;
    RAISE NOTICE 'best %% %%', best, best_cpu;
END $$""" % (reps, BACKEND_CPU_MS, query, BACKEND_CPU_MS))
    wall, cpu = out.split()
    return float(wall), float(cpu)


def make_table(name, rows, d, shifted, fraud_rate):
    return psql("""
SELECT setseed(0.1);
DROP TABLE IF EXISTS %s;
CREATE TABLE %s AS
SELECT i AS id, f <> (random() < 0.005) AS y,
       ARRAY(SELECT random() * 2 - 1 + CASE WHEN f AND j <= %d THEN 1.0 ELSE 0 END
             FROM generate_series(1, %d) j)::float8[] AS x
FROM (SELECT i, random() < %g AS f FROM generate_series(1, %d) i) s;
ANALYZE %s""" % (name, name, shifted, d, fraud_rate, rows, name))[0]


def load(name, d):
    raw = subprocess.run(["psql", "-X", "-q", "-d", "ecomml", "-c",
                          "COPY (SELECT array_to_string(x, ','), y::int FROM %s ORDER BY id) TO STDOUT (FORMAT csv)" % name],
                         check=True, capture_output=True).stdout
    data = np.fromstring(raw.replace(b'"', b"").replace(b"\n", b","), sep=",").reshape(-1, d + 1)
    return data[:, :d], data[:, d].astype(bool)


def logreg_case(name, rows, d):
    """train_logreg vs StandardScaler + LogisticRegression(lbfgs), same penalty."""
    X, y = load(name, d)
    # ecomml: train (scan + fit) best of 5, then score every row from the table
    t_train, c_train = session_time("SELECT length(ecomml.train_logreg(x, y)) FROM %s" % name, 5)
    psql("DROP TABLE IF EXISTS bench_lr_model; CREATE TABLE bench_lr_model AS SELECT ecomml.train_logreg(x, y) AS m FROM %s" % name)
    _, info = psql("SELECT ecomml.model_info(m)->>'iterations', ecomml.model_info(m)->>'coef', "
                   "ecomml.model_info(m)->>'intercept' FROM bench_lr_model")
    iters, coef, icpt = info.split("|")
    coef = np.array(json.loads(coef) + [float(icpt)])
    # the model as README.md passes it, a scalar subquery (a join with the unanalyzed one-row
    # table looked like 1,360 rows to the planner, whose JIT compilation then cost more than scoring)
    score_q = "SELECT ecomml.roc_auc(ecomml.score((SELECT m FROM bench_lr_model), x), y) FROM %s" % name
    _, auc = psql(score_q)
    t_score, c_score = session_time(score_q, 3)
    # scikit-learn: lambda = 1e-4 n  <=>  C = 1 / (1e-4 n)
    def fit():
        scaler = StandardScaler().fit(X)
        return scaler, LogisticRegression(C=1.0 / (1e-4 * rows)).fit(scaler.transform(X), y)
    t_fit, c_fit, (scaler, sk) = best_of(5, fit)
    t_pred, c_pred, p = best_of(3, lambda: sk.predict_proba(scaler.transform(X))[:, 1])
    sk_coef = np.concatenate([sk.coef_[0], sk.intercept_])
    print("logreg %d x %d: train %.3f s (%s Newton iterations) vs fit %.3f s (%d lbfgs iterations): %.2fx wall; "
          "CPU %.3f s vs %.3f s: %.2fx; train+score %.2f s vs fit+predict %.2f s: %.2fx wall, "
          "CPU %.3f s vs %.3f s: %.2fx; AUC %.4f vs %.4f; max |coef difference| %.1e"
          % (rows, d, t_train, iters, t_fit, sk.n_iter_[0], t_fit / t_train, c_train, c_fit, c_fit / c_train,
             t_train + t_score, t_fit + t_pred, (t_fit + t_pred) / (t_train + t_score),
             c_train + c_score, c_fit + c_pred, (c_fit + c_pred) / (c_train + c_score), float(auc),
             roc_auc_score(y, p), np.abs(coef - sk_coef).max()))
    psql("DROP TABLE bench_lr_model")
    return X, y, t_train, t_score, float(auc), t_fit + t_pred, roc_auc_score(y, p)


t_gen = make_table("bench_lr12", 200000, 12, 6, 0.05)
logreg_case("bench_lr12", 200000, 12)
psql("DROP TABLE bench_lr12")
psql("DROP TABLE IF EXISTS bench_fraud_models")
t_gen = make_table("bench_fraud", n, 20, 10, 0.02)
X, y, t_lr_train, t_lr_score, auc_lr, t_sk_lr, sk_auc_lr = logreg_case("bench_fraud", n, 20)
print("fraud bench: %d rows x 20 features, %d fraud; scikit-learn %s; table generated in %.1f s"
      % (n, y.sum(), sklearn.__version__, t_gen))

# where ecomml's time goes
t_scan, _ = psql("SELECT count(*) FROM bench_fraud")
t_decode, _ = psql("SELECT sum(x[20]) FROM bench_fraud")
psql("CREATE TABLE bench_fraud_models AS SELECT NULL::bytea AS lr")

# isolation forest: 100 trees of 256 rows
t_if_train, _ = psql("ALTER TABLE bench_fraud_models ADD iso bytea; "
                     "UPDATE bench_fraud_models SET iso = (SELECT ecomml.train_iforest(x, '{\"seed\": 1}') FROM bench_fraud)")
t_if_score, auc_if = psql("SELECT ecomml.roc_auc(ecomml.score(iso, x), y) FROM bench_fraud, bench_fraud_models")
auc_if = float(auc_if)

t = time.perf_counter()
sk_if = IsolationForest(n_estimators=100, max_samples=256, random_state=1).fit(X)
s = -sk_if.score_samples(X)
t_sk_if = time.perf_counter() - t
sk_auc_if = roc_auc_score(y, s)

print("%-22s %10s %10s %10s %9s %9s" % ("", "ecomml s", "sklearn s", "speedup", "AUC ec", "AUC sk"))
print("%-22s %10.2f %10.2f %9.2fx %9.4f %9.4f" % ("logreg train+score", t_lr_train + t_lr_score, t_sk_lr,
                                                   t_sk_lr / (t_lr_train + t_lr_score), auc_lr, sk_auc_lr))
print("%-22s %10.2f %10.2f %9.2fx %9.4f %9.4f" % ("iforest train+score", t_if_train + t_if_score, t_sk_if,
                                                   t_sk_if / (t_if_train + t_if_score), auc_if, sk_auc_if))
print("ecomml logreg: train %.2f s, score+roc_auc %.2f s; table scan %.2f s, scan + array access %.2f s"
      % (t_lr_train, t_lr_score, t_scan, t_decode))
print("ecomml iforest: train %.2f s, score+roc_auc %.2f s" % (t_if_train, t_if_score))
psql("DROP TABLE bench_fraud, bench_fraud_models")
