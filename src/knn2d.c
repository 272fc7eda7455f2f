/*
 * knn2d.c - k nearest neighbours of planar points with a k-d tree
 *
 * The tree is implicit: a node is a range [lo, hi) of idx, split at
 * mid = (lo + hi) / 2 by a quickselect on (coordinate, index), so the left
 * part holds coordinates <= the median's and the right part >= it.  Ranges of
 * at most KNN_LEAF points are scanned.  Each median slot belongs to exactly
 * one node, so axis[mid] and split[mid] record that node's split.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/memutils.h"

#include "knn2d.h"

#define KNN_LEAF 8

static inline double
coord(const Knn2d *t, int32 p, int axis)
{
	return axis == 0 ? t->x[p] : t->y[p];
}

static inline void
swap_idx(int32 *v, int32 a, int32 b)
{
	int32		tmp = v[a];

	v[a] = v[b];
	v[b] = tmp;
}

static inline bool
before(const Knn2d *t, int32 a, int32 b, int axis)
{
	double		ca = coord(t, a, axis),
				cb = coord(t, b, axis);

	return ca < cb || (ca == cb && a < b);
}

/* put the element of rank kth (by (coordinate, index)) at idx[kth] */
static void
quickselect(const Knn2d *t, int32 lo, int32 hi, int32 kth, int axis)
{
	int32	   *v = t->idx;

	while (hi - lo > 1)
	{
		int32		m = lo + (hi - lo) / 2,
					pivot,
					i,
					store;

		/* median of three as the pivot, moved to the end */
		if (before(t, v[m], v[lo], axis))
			swap_idx(v, m, lo);
		if (before(t, v[hi - 1], v[lo], axis))
			swap_idx(v, hi - 1, lo);
		if (before(t, v[m], v[hi - 1], axis))
			swap_idx(v, m, hi - 1);
		pivot = v[hi - 1];
		store = lo;
		for (i = lo; i < hi - 1; i++)
			if (before(t, v[i], pivot, axis))
			{
				swap_idx(v, i, store);
				store++;
			}
		swap_idx(v, store, hi - 1);
		if (store == kth)
			return;
		if (kth < store)
			hi = store;
		else
			lo = store + 1;
	}
}

static void
build(Knn2d *t, int32 lo, int32 hi)
{
	double		minx = INFINITY,
				maxx = -INFINITY,
				miny = INFINITY,
				maxy = -INFINITY;
	int32		mid = lo + (hi - lo) / 2;
	int			axis;

	if (hi - lo <= KNN_LEAF)
		return;
	CHECK_FOR_INTERRUPTS();
	for (int32 i = lo; i < hi; i++)
	{
		int32		p = t->idx[i];

		minx = Min(minx, t->x[p]);
		maxx = Max(maxx, t->x[p]);
		miny = Min(miny, t->y[p]);
		maxy = Max(maxy, t->y[p]);
	}
	axis = (maxy - miny > maxx - minx) ? 1 : 0;
	t->axis[mid] = (uint8) axis;
	quickselect(t, lo, hi, mid, axis);
	t->split[mid] = coord(t, t->idx[mid], axis);
	build(t, lo, mid);
	build(t, mid, hi);
}

Knn2d *
knn2d_build(const double *x, const double *y, int32 n)
{
	Knn2d	   *t = palloc(sizeof(Knn2d));

	t->n = n;
	t->x = x;
	t->y = y;
	t->idx = palloc(Max(n, 1) * sizeof(int32));
	t->axis = palloc0(Max(n, 1));
	t->split = palloc0(Max(n, 1) * sizeof(double));
	for (int32 i = 0; i < n; i++)
		t->idx[i] = i;
	build(t, 0, n);
	return t;
}

typedef struct Query
{
	const Knn2d *t;
	double		qx,
				qy;
	int32		self;
	int32		k;
	Heap	   *h;
	bool		done;			/* k points at distance 0: nothing can be nearer */
} Query;

/* distance of the k-th kept point, or Infinity while fewer are kept */
static inline double
worst(const Query *q)
{
	return (int32) q->h->count < q->k ? INFINITY : -q->h->items[0].key;
}

static void
search(Query *q, int32 lo, int32 hi)
{
	const Knn2d *t = q->t;

	if (q->done)
		return;
	if (hi - lo <= KNN_LEAF)
	{
		for (int32 i = lo; i < hi; i++)
		{
			int32		p = t->idx[i];

			if (p == q->self)
				continue;
			heap_offer(q->h, q->k, -hypot(t->x[p] - q->qx, t->y[p] - q->qy), p);
		}
		q->done = worst(q) == 0;
		return;
	}
	{
		int32		mid = lo + (hi - lo) / 2;
		int			axis = t->axis[mid];
		double		diff = (axis == 0 ? q->qx : q->qy) - t->split[mid];

		/*
		 * The far side is at least |diff| away; visit it unless that exceeds
		 * the k-th distance (equal may still win on a lower index).
		 */
		if (diff < 0)
		{
			search(q, lo, mid);
			if (-diff <= worst(q))
				search(q, mid, hi);
		}
		else
		{
			search(q, mid, hi);
			if (diff <= worst(q))
				search(q, lo, mid);
		}
	}
}

void
knn2d_query(const Knn2d *t, double qx, double qy, int32 self, int32 k, Heap *h)
{
	Query		q = {t, qx, qy, self, k, h, false};

	if (k <= 0)
		return;
	search(&q, 0, t->n);
}
