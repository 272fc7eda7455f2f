#!/usr/bin/python3
"""Reference for ecomml.train_association_rules: a level-wise Apriori
(Agrawal & Srikant 1994) in plain Python, and basket sets to run it on.

  apriori_reference.py generate BASKETS ITEMS SEED OUT.csv
        a synthetic basket set, rows transaction_id,item_id (see below)
  apriori_reference.py groceries groceries.csv OUT.csv
        arules' Groceries data (one basket of item names per line) as
        transaction_id,item_id with items numbered by name (1 = first name)
  apriori_reference.py rules IN.csv MIN_SUPPORT MIN_CONFIDENCE MAX_LENGTH [MIN_LIFT]
        every rule, one line each: "antecedent ids|consequent|count|support|confidence|lift"
        (shortest round-trip decimals, as PostgreSQL prints float8),
        antecedent ascending, lines sorted; then a summary line "# ..."

Apriori, not Eclat: candidates of size k are joined from frequent (k-1)-itemsets
sharing their first k-2 items and pruned unless every (k-1)-subset is frequent;
their counts come from intersecting per-item transaction bitsets (Python ints).
Thresholds as arules' apriori: an itemset is frequent when its count is at
least ceil(min_support * N - 1e-9); a rule X => y (X not empty, y one item,
|X| + 1 <= max_length) is kept when count(X+y)/count(X) >= min_confidence and
that confidence / (count(y)/N) >= min_lift, in double precision.

The synthetic set: item i (1..ITEMS) has popularity proportional to
1/i^1.1 (a long tail); a basket has 1 + Poisson(3.4) items (mean 4.4, as
Groceries) drawn without replacement by popularity; 25 planted co-purchases
(a random item A, then B, or B and C, join A's baskets with probability
0.3..0.7) give rules well above chance.
"""
import itertools
import math
import sys

import numpy as np


def generate(nbaskets, nitems, seed, out):
    rng = np.random.default_rng(seed)
    pop = 1.0 / np.arange(1, nitems + 1) ** 1.1
    pop /= pop.sum()
    planted = []
    for _ in range(25):
        a = int(rng.integers(1, nitems + 1))
        size = int(rng.integers(1, 3))
        others = [int(b) for b in rng.choice(np.arange(1, nitems + 1), size=size, replace=False) if b != a]
        planted.append((a, others, float(rng.uniform(0.3, 0.7))))
    with open(out, "w") as f:
        for t in range(1, nbaskets + 1):
            size = min(1 + rng.poisson(3.4), nitems)
            basket = set(int(i) + 1 for i in rng.choice(nitems, size=size, replace=False, p=pop))
            for a, others, prob in planted:
                if a in basket and rng.uniform() < prob:
                    basket.update(others)
            for i in sorted(basket):
                f.write("%d,%d\n" % (t, i))


def groceries(src, out):
    baskets = [[w.strip() for w in line.rstrip("\n").split(",") if w.strip()] for line in open(src)]
    names = sorted(set(w for b in baskets for w in b))
    ids = {n: i + 1 for i, n in enumerate(names)}
    with open(out, "w") as f:
        for t, b in enumerate(baskets, 1):
            for i in sorted(set(ids[w] for w in b)):
                f.write("%d,%d\n" % (t, i))


def pg_float(x):
    """float8 as PostgreSQL prints it: shortest round-trip digits, no trailing .0"""
    return str(int(x)) if x.is_integer() else repr(x)


def rules(path, min_support, min_confidence, max_length, min_lift=0.0):
    trans = {}
    for line in open(path):
        t, i = line.split(",")
        trans.setdefault(int(t), set()).add(int(i))
    n = len(trans)
    min_count = max(1, math.ceil(min_support * n - 1e-9))
    bits = {}
    for k, t in enumerate(sorted(trans)):
        for i in trans[t]:
            bits[i] = bits.get(i, 0) | (1 << k)
    count = {}
    level = {}
    for i, b in bits.items():
        c = b.bit_count()
        if c >= min_count:
            level[(i,)] = b
            count[(i,)] = c
    size = 1
    while level and size < max_length:
        keys = sorted(level)
        nxt = {}
        for x, y in itertools.combinations(keys, 2):
            if x[:-1] != y[:-1]:
                continue
            cand = x + (y[-1],)
            if any(sub not in level for sub in itertools.combinations(cand, size)):
                continue
            b = level[x] & bits[y[-1]]
            c = b.bit_count()
            if c >= min_count:
                nxt[cand] = b
                count[cand] = c
        level = nxt
        size += 1
    out = []
    for items, c in count.items():
        if len(items) < 2:
            continue
        for j, y in enumerate(items):
            ante = items[:j] + items[j + 1:]
            conf = c / count[ante]
            if not conf >= min_confidence:
                continue
            lift = conf / (count[(y,)] / n)
            if not lift >= min_lift:
                continue
            out.append("%s|%d|%d|%s|%s|%s" % (" ".join(map(str, ante)), y, c, pg_float(c / n), pg_float(conf),
                                                pg_float(lift)))
    out.sort()
    by_len = [sum(1 for s in count if len(s) == k) for k in range(1, max_length + 1)]
    return out, n, len(count), by_len


def main():
    if sys.argv[1] == "generate":
        generate(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    elif sys.argv[1] == "groceries":
        groceries(sys.argv[2], sys.argv[3])
    else:
        lift = float(sys.argv[6]) if len(sys.argv) > 6 else 0.0
        out, n, nsets, by_len = rules(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), lift)
        for line in out:
            print(line)
        print("# transactions %d itemsets %d by length %s rules %d" % (n, nsets, by_len, len(out)))


if __name__ == "__main__":
    main()
