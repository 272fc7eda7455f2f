/*
 * tsp.c - ecomml.solve_tsp: Euclidean points or stops on a graph model
 *
 * Construction: greedy edge (symmetric costs) or nearest neighbour from the
 * start (asymmetric), over K-nearest-neighbour candidate lists (k-d tree
 * for points, partial sort for a cost matrix).
 * Local search: 2-opt and Or-opt (segments of 1-3 stops, both orientations)
 * over the candidate lists, driven by a queue of "active" stops (don't-look
 * bits).  Asymmetric costs are handled exactly: reversing a segment is
 * priced with prefix sums of the forward and backward arc costs.  Then
 * iterated local search: a random segment-swap (double-bridge) kick, local
 * search around its endpoints, keep if shorter, until time_limit_ms or
 * max_kicks.  The start stop stays at position 0 throughout.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "arrays.h"
#include "heap.h"
#include "idmap.h"
#include "knn2d.h"
#include "model_cache.h"
#include "options.h"
#include "rng.h"
#include "routes.h"
#include "stop_costs.h"

#define TSP_MAX_STOPS 100000
#define TSP_MAX_MATRIX_STOPS 5000	/* "matrix": true keeps an n x n matrix */
#define TSP_MATRIX_DEFAULT_MAX 1000	/* beyond: sparse costs unless asked */
#define TSP_K 8
#define EPS 1e-9
#define EXACT_MAX 9			/* up to this many stops: exhaustive search */

typedef struct Tsp
{
	int32		n;
	bool		symmetric;
	const double *x;
	const double *y;
	const double *mat;			/* n x n, row-major, or NULL for points */
	StopCosts  *sc;				/* sparse road costs instead of mat, or NULL */
	int32		k;				/* candidates per stop */
	int32	   *nbr;			/* n * k */
	int32	   *tour;			/* position -> stop */
	int32	   *pos;			/* stop -> position */
	double	   *pf;				/* asymmetric: prefix of forward arc costs */
	double	   *pr;				/* asymmetric: prefix of backward arc costs */
	double	   *fc;				/* asymmetric: arc leaving position p, forward */
	double	   *rc;				/* ... and driven backwards */
	double		len;			/* tour length, kept up to date with sparse costs */
	int32	   *queue;
	bool	   *queued;
	int32		qhead;
	int32		qlen;
	double		deadline;		/* monotonic seconds */
	bool		timed_out;
	int64		moves;
} Tsp;

static inline double
D(const Tsp *t, int32 a, int32 b)
{
	if (t->mat)
		return t->mat[(Size) a * t->n + b];
	if (t->sc)
		return stop_costs_get(t->sc, a, b);
	return hypot(t->x[a] - t->x[b], t->y[a] - t->y[b]);
}

/*
 * A lower bound of D(a, b) that never searches the road graph (D itself for
 * points and matrices): moves are priced with it first, and only a move that
 * could pay asks for exact costs.  So pruning loses no improving move.
 */
static inline double
L(const Tsp *t, int32 a, int32 b)
{
	return t->sc ? stop_costs_lower(t->sc, a, b) : D(t, a, b);
}

/*
 * Cost used only to pick among far candidates (joining greedy fragments,
 * nearest neighbour without a listed candidate): with sparse costs the
 * straight line when the graph has coordinates, else 0 (the first one
 * found), never a road search per candidate.
 */
static inline double
scan_cost(const Tsp *t, int32 a, int32 b)
{
	const GraphModel *g;
	int32		u,
				v;

	if (!t->sc)
		return D(t, a, b);
	g = t->sc->g;
	if (!g->has_coords)
		return 0;
	u = t->sc->node[a];
	v = t->sc->node[b];
	return hypot(g->x[u] - g->x[v], g->y[u] - g->y[v]);
}

static inline int32
at(const Tsp *t, int32 p)
{
	return t->tour[((p % t->n) + t->n) % t->n];
}

/* ---------------------------------------------------------------------------
 * Candidate lists
 */
static void
neighbours_matrix(Tsp *t)
{
	Heap	   *h = heap_create(t->k + 1);
	HeapItem   *out = palloc((t->k + 1) * sizeof(HeapItem));

	for (int32 i = 0; i < t->n; i++)
	{
		Size		got;

		h->count = 0;
		for (int32 j = 0; j < t->n; j++)
			if (j != i)
				heap_offer(h, t->k, -Min(D(t, i, j), D(t, j, i)), j);
		got = heap_drain_descending(h, out);
		for (int32 c = 0; c < t->k; c++)
			t->nbr[(Size) i * t->k + c] = c < (int32) got ? (int32) out[c].value : -1;
		if ((i & 255) == 0)
			CHECK_FOR_INTERRUPTS();
	}
}

/* k nearest points by a k-d tree */
static void
neighbours_points(Tsp *t)
{
	Knn2d	   *tree = knn2d_build(t->x, t->y, t->n);
	Heap	   *h = heap_create(t->k + 1);
	HeapItem   *out = palloc((t->k + 1) * sizeof(HeapItem));

	for (int32 i = 0; i < t->n; i++)
	{
		Size		got;

		h->count = 0;
		knn2d_query(tree, t->x[i], t->y[i], i, t->k, h);
		got = heap_drain_descending(h, out);
		for (int32 c = 0; c < t->k; c++)
			t->nbr[(Size) i * t->k + c] = c < (int32) got ? (int32) out[c].value : -1;
		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
}

/* ---------------------------------------------------------------------------
 * Tour bookkeeping
 */
/* cost of the arc leaving position p, both ways */
static inline void
set_arc(Tsp *t, int32 p)
{
	int32		a = t->tour[p],
				b = at(t, p + 1);

	t->fc[p] = D(t, a, b);
	t->rc[p] = D(t, b, a);
}

/*
 * Positions from..to hold new stops: update pos and, for asymmetric costs,
 * the costs of the arcs around them, then the prefix sums (a plain array
 * pass: arc costs are looked up only where the tour changed).
 */
static void
refresh(Tsp *t, int32 from, int32 to)
{
	for (int32 p = from; p <= to; p++)
		t->pos[t->tour[p]] = p;
	if (!t->symmetric)
	{
		int32		first = Max(from - 1, 0);

		for (int32 p = first; p <= to; p++)
			set_arc(t, p);
		if (from == 0 && to < t->n - 1)
			set_arc(t, t->n - 1);	/* the closing arc */
		t->pf[0] = t->pr[0] = 0;
		for (int32 p = first; p < t->n; p++)
		{
			t->pf[p + 1] = t->pf[p] + t->fc[p];
			t->pr[p + 1] = t->pr[p] + t->rc[p];
		}
	}
}

static double
tour_length(const Tsp *t, const int32 *tour)
{
	double		len = 0;

	for (int32 p = 0; p < t->n; p++)
		len += D(t, tour[p], tour[(p + 1) % t->n]);
	return len;
}

static void
activate(Tsp *t, int32 c)
{
	if (t->queued[c])
		return;
	t->queued[c] = true;
	t->queue[(t->qhead + t->qlen) % t->n] = c;
	t->qlen++;
}

/* internal cost of positions i..j (i <= j) forward / backward */
static inline double
seg_fwd(const Tsp *t, int32 i, int32 j)
{
	return t->pf[j] - t->pf[i];
}

static inline double
seg_bwd(const Tsp *t, int32 i, int32 j)
{
	return t->pr[j] - t->pr[i];
}

/*
 * 2-opt: reverse positions i+1..j (0 <= i, i+1 < j <= n-1).  Returns the gain
 * (old - new length).
 */
static double
two_opt_gain(const Tsp *t, int32 i, int32 j)
{
	int32		a = t->tour[i],
				b = t->tour[i + 1],
				c = t->tour[j],
				d = at(t, j + 1);
	double		seg = t->symmetric ? 0 : seg_fwd(t, i + 1, j) - seg_bwd(t, i + 1, j);
	double		gain;

	if (t->sc && D(t, a, b) + D(t, c, d) - L(t, a, c) - L(t, b, d) + seg <= EPS)
		return 0;				/* cannot pay even at the bound */
	gain = D(t, a, b) + D(t, c, d) - D(t, a, c) - D(t, b, d);
	return gain + seg;
}

static void
two_opt_apply(Tsp *t, int32 i, int32 j)
{
	activate(t, t->tour[i]);
	activate(t, t->tour[i + 1]);
	activate(t, t->tour[j]);
	activate(t, at(t, j + 1));
	for (int32 l = i + 1, r = j; l < r; l++, r--)
	{
		int32		tmp = t->tour[l];

		t->tour[l] = t->tour[r];
		t->tour[r] = tmp;
	}
	refresh(t, i + 1, j);
	t->moves++;
}

static bool
try_two_opt(Tsp *t, int32 a)
{
	int32		p = t->pos[a];

	for (int32 c = 0; c < t->k; c++)
	{
		int32		b = t->nbr[(Size) a * t->k + c];
		int32		q,
					i,
					j;
		double		gain;

		if (b < 0)
			break;
		q = t->pos[b];
		/* new arc between a and b, with their successors joined */
		i = Min(p, q);
		j = Max(p, q);
		if (j > i + 1 && (gain = two_opt_gain(t, i, j)) > EPS)
		{
			t->len -= gain;
			two_opt_apply(t, i, j);
			return true;
		}
		/* new arc between a and b, with their predecessors joined */
		if (p > 0 && q > 0)
		{
			i = Min(p, q) - 1;
			j = Max(p, q) - 1;
			if (j > i + 1 && (gain = two_opt_gain(t, i, j)) > EPS)
			{
				t->len -= gain;
				two_opt_apply(t, i, j);
				return true;
			}
		}
	}
	return false;
}

/*
 * Or-opt: move the segment at positions i..i+L-1 (1 <= i, i+L-1 <= n-1) to
 * sit between the stop at position q and its successor, reversed or not.
 */
static void
or_opt_apply(Tsp *t, int32 i, int32 L, int32 q, bool rev)
{
	int32		seg[3];

	for (int32 k = 0; k < L; k++)
		seg[k] = t->tour[i + (rev ? L - 1 - k : k)];
	activate(t, at(t, i - 1));
	activate(t, at(t, i + L));
	activate(t, t->tour[q]);
	activate(t, at(t, q + 1));
	for (int32 k = 0; k < L; k++)
		activate(t, seg[k]);
	if (q > i)
	{
		memmove(t->tour + i, t->tour + i + L, (q - i - L + 1) * sizeof(int32));
		memcpy(t->tour + q - L + 1, seg, L * sizeof(int32));
		refresh(t, i, q);
	}
	else
	{
		memmove(t->tour + q + 1 + L, t->tour + q + 1, (i - q - 1) * sizeof(int32));
		memcpy(t->tour + q + 1, seg, L * sizeof(int32));
		refresh(t, q + 1, i + L - 1);
	}
	t->moves++;
}

static bool
try_or_opt_segment(Tsp *t, int32 i, int32 len)
{
	int32		s1 = t->tour[i],
				sL = t->tour[i + len - 1],
				pv = t->tour[i - 1],
				nx = at(t, i + len);
	double		fwd = 0,
				bwd = 0,
				removal;
	bool		exact_removal = t->sc == NULL;

	for (int32 k = i; k < i + len - 1; k++)
	{
		fwd += D(t, t->tour[k], t->tour[k + 1]);
		bwd += D(t, t->tour[k + 1], t->tour[k]);
	}
	/* with sparse costs: bounds first, exact costs once a move could pay */
	removal = D(t, pv, s1) + D(t, sL, nx) - L(t, pv, nx);
	if (removal <= EPS)
		return false;
	for (int32 side = 0; side < 2; side++)
	{
		int32		end = side == 0 ? s1 : sL;

		for (int32 c = 0; c < t->k; c++)
		{
			int32		x = t->nbr[(Size) end * t->k + c];

			if (x < 0)
				break;
			/* insertion after x, and after x's predecessor */
			for (int32 w = 0; w < 2; w++)
			{
				int32		q = w == 0 ? t->pos[x] : (t->pos[x] - 1 + t->n) % t->n;
				int32		cc = t->tour[q],
							e = at(t, q + 1);
				double		add_f,
							add_r;

				if ((q >= i && q <= i + len - 1) || q == i - 1)
					continue;
				if (t->sc)
				{
					add_f = L(t, cc, s1) + fwd + L(t, sL, e) - D(t, cc, e);
					add_r = L(t, cc, sL) + bwd + L(t, s1, e) - D(t, cc, e);
					if (removal - (Min(add_f, add_r) - fwd) <= EPS)
						continue;
					if (!exact_removal)
					{
						removal = D(t, pv, s1) + D(t, sL, nx) - D(t, pv, nx);
						exact_removal = true;
						if (removal <= EPS)
							return false;
					}
				}
				add_f = D(t, cc, s1) + fwd + D(t, sL, e) - D(t, cc, e);
				add_r = D(t, cc, sL) + bwd + D(t, s1, e) - D(t, cc, e);
				if (removal - (add_f - fwd) > EPS && add_f <= add_r)
				{
					t->len -= removal - (add_f - fwd);
					or_opt_apply(t, i, len, q, false);
					return true;
				}
				if (removal - (add_r - fwd) > EPS)
				{
					t->len -= removal - (add_r - fwd);
					or_opt_apply(t, i, len, q, true);
					return true;
				}
			}
		}
	}
	return false;
}

static bool
try_or_opt(Tsp *t, int32 a)
{
	int32		p = t->pos[a];

	for (int32 len = 1; len <= 3 && len < t->n - 2; len++)
	{
		/* segments starting or ending at a, never containing position 0 */
		if (p >= 1 && p + len - 1 <= t->n - 1 && try_or_opt_segment(t, p, len))
			return true;
		if (len > 1 && p - len + 1 >= 1 && try_or_opt_segment(t, p - len + 1, len))
			return true;
	}
	return false;
}

static void
local_search(Tsp *t)
{
	int64		steps = 0;

	while (t->qlen > 0)
	{
		int32		a = t->queue[t->qhead];

		t->qhead = (t->qhead + 1) % t->n;
		t->qlen--;
		t->queued[a] = false;
		if ((++steps & 63) == 0)
		{
			CHECK_FOR_INTERRUPTS();
			if (monotonic_seconds() > t->deadline)
			{
				t->timed_out = true;
				return;
			}
		}
		/*
		 * Check here too: with huge costs rounding can make a move and its
		 * undo both look improving, and only the deadline ends that cycle.
		 */
		while (try_two_opt(t, a) || try_or_opt(t, a))
		{
			if ((t->moves & 63) == 0)
			{
				CHECK_FOR_INTERRUPTS();
				if (monotonic_seconds() > t->deadline)
				{
					t->timed_out = true;
					return;
				}
			}
		}
	}
}

typedef struct CandEdge
{
	double		d;
	int32		a,
				b;
} CandEdge;

static int
cmp_cand(const void *x, const void *y)
{
	const CandEdge *p = x,
			   *q = y;

	if (p->d != q->d)
		return p->d < q->d ? -1 : 1;
	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	return p->b < q->b ? -1 : (p->b > q->b ? 1 : 0);
}

static int32
uf_find(int32 *parent, int32 x)
{
	while (parent[x] != x)
	{
		parent[x] = parent[parent[x]];
		x = parent[x];
	}
	return x;
}

/* greedy-edge key: the cost (with sparse costs, the cheaper known direction) */
static inline double
edge_key(const Tsp *t, int32 i, int32 j)
{
	return t->sc ? Min(L(t, i, j), L(t, j, i)) : D(t, i, j);
}

/*
 * Greedy-edge tour (symmetric costs): take candidate edges shortest first
 * while no stop gets degree 3 and no cycle closes, then chain the fragments,
 * each time jumping to the nearest free fragment end; rotate to the start.
 */
static void
construct_greedy(Tsp *t, int32 start)
{
	int32		n = t->n;
	CandEdge   *ce = MemoryContextAllocHuge(CurrentMemoryContext, (Size) n * t->k * sizeof(CandEdge));
	Size		nce = 0;
	int32	   *adj = palloc(2 * (Size) n * sizeof(int32));
	int32	   *deg = palloc0(n * sizeof(int32));
	int32	   *parent = palloc(n * sizeof(int32));
	bool	   *used = palloc0(n * sizeof(bool));
	int32	   *ends = palloc(n * sizeof(int32));
	int32		nends = 0;
	int32	   *order = palloc(n * sizeof(int32));
	int32		len = 0,
				cur,
				s0 = 0;
	bool	   *want = NULL;	/* free fragment ends, with sparse costs */

	for (int32 i = 0; i < n; i++)
	{
		parent[i] = i;
		for (int32 c = 0; c < t->k; c++)
		{
			int32		j = t->nbr[(Size) i * t->k + c];

			if (j > i)
				ce[nce++] = (CandEdge) {edge_key(t, i, j), i, j};
			else if (j >= 0 && j < i)
			{
				/* keep (j, i) once: only if i is not in j's list */
				bool		dup = false;

				for (int32 c2 = 0; c2 < t->k; c2++)
					if (t->nbr[(Size) j * t->k + c2] == i)
						dup = true;
				if (!dup)
					ce[nce++] = (CandEdge) {edge_key(t, i, j), j, i};
			}
		}
	}
	qsort(ce, nce, sizeof(CandEdge), cmp_cand);
	for (Size e = 0; e < nce; e++)
	{
		int32		a = ce[e].a,
					b = ce[e].b,
					ra,
					rb;

		if (deg[a] >= 2 || deg[b] >= 2)
			continue;
		ra = uf_find(parent, a);
		rb = uf_find(parent, b);
		if (ra == rb)
			continue;
		parent[ra] = rb;
		adj[2 * a + deg[a]++] = b;
		adj[2 * b + deg[b]++] = a;
	}
	pfree(ce);
	for (int32 i = 0; i < n; i++)
		if (deg[i] < 2)
			ends[nends++] = i;
	/* sparse costs: the nearest free end by a Dijkstra on the graph */
	if (t->sc)
	{
		want = palloc(n * sizeof(bool));
		for (int32 i = 0; i < n; i++)
			want[i] = deg[i] < 2;
	}

	/* walk fragments: from an end, to the other end, then the nearest free end */
	cur = ends[0];
	for (;;)
	{
		int32		prev = -1,
					v = cur,
					best = -1;
		double		bd = INFINITY;

		/* traverse the fragment starting at end 'cur' */
		for (;;)
		{
			int32		nx = -1;

			used[v] = true;
			if (want)
				want[v] = false;
			order[len++] = v;
			for (int32 d = 0; d < deg[v]; d++)
				if (adj[2 * v + d] != prev && !used[adj[2 * v + d]])
					nx = adj[2 * v + d];
			if (nx < 0)
				break;
			prev = v;
			v = nx;
		}
		if (len == n)
			break;
		/* nearest free fragment end from v: candidates first, then a scan */
		for (int32 c = 0; c < t->k; c++)
		{
			int32		x = t->nbr[(Size) v * t->k + c];

			if (x >= 0 && !used[x] && deg[x] < 2 && D(t, v, x) < bd)
			{
				bd = D(t, v, x);
				best = x;
			}
		}
		if (best < 0 && want)
			best = stop_costs_nearest(t->sc, v, want);
		if (best < 0)
		{
			int32		w = 0,
						q;

			/* compact the list of free ends while scanning it */
			for (q = 0; q < nends; q++)
			{
				int32		x = ends[q];

				if (used[x])
					continue;
				ends[w++] = x;
				if (scan_cost(t, v, x) < bd)
				{
					bd = scan_cost(t, v, x);
					best = x;
					if (bd == 0)
						break;	/* co-located: nothing nearer */
				}
			}
			/* keep the ends not scanned (after an early stop) */
			if (q < nends)
			{
				memmove(ends + w, ends + q + 1, (nends - q - 1) * sizeof(int32));
				w += nends - q - 1;
			}
			nends = w;
		}
		cur = best;
		CHECK_FOR_INTERRUPTS();	/* cheap: a flag test per fragment */
	}
	for (int32 p = 0; p < n; p++)
		if (order[p] == start)
			s0 = p;
	for (int32 p = 0; p < n; p++)
		t->tour[p] = order[(s0 + p) % n];
	if (want)
		pfree(want);
	pfree(order);
	pfree(adj);
	pfree(deg);
	pfree(parent);
	pfree(used);
	pfree(ends);
}

/* nearest-neighbour tour from stop 'start' */
static void
construct(Tsp *t, int32 start)
{
	bool	   *used = palloc0(t->n * sizeof(bool));
	int32		cur = start;

	t->tour[0] = start;
	used[start] = true;
	for (int32 p = 1; p < t->n; p++)
	{
		int32		best = -1;
		double		bd = INFINITY;

		for (int32 c = 0; c < t->k; c++)
		{
			int32		x = t->nbr[(Size) cur * t->k + c];

			if (x >= 0 && !used[x] && L(t, cur, x) < bd)
			{
				bd = L(t, cur, x);
				best = x;
			}
		}
		if (best < 0)
			for (int32 x = 0; x < t->n; x++)
				if (!used[x] && scan_cost(t, cur, x) < bd)
				{
					bd = scan_cost(t, cur, x);
					best = x;
					if (bd == 0)
						break;
				}
		t->tour[p] = best;
		used[best] = true;
		cur = best;
		if ((p & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	pfree(used);
}

/* exhaustive search for tiny instances: depth-first with bound */
static void
exact_rec(const Tsp *t, int32 *cur, bool *used, int32 depth, double len,
		  int32 *best, double *best_len)
{
	if (len >= *best_len - EPS)
		return;
	if (depth == t->n)
	{
		double		total = len + D(t, cur[t->n - 1], cur[0]);

		if (total < *best_len - EPS)
		{
			*best_len = total;
			memcpy(best, cur, t->n * sizeof(int32));
		}
		return;
	}
	for (int32 c = 0; c < t->n; c++)
		if (!used[c])
		{
			used[c] = true;
			cur[depth] = c;
			exact_rec(t, cur, used, depth + 1, len + D(t, cur[depth - 1], c), best, best_len);
			used[c] = false;
		}
}

static void
exact(Tsp *t)
{
	int32		cur[EXACT_MAX];
	bool		used[EXACT_MAX] = {0};
	double		best_len = tour_length(t, t->tour) + EPS * 2;

	cur[0] = t->tour[0];
	used[cur[0]] = true;
	exact_rec(t, cur, used, 1, 0, t->tour, &best_len);
}

/* solve in place; t->tour holds the result with the start at position 0 */
static void
tsp_solve(Tsp *t, int32 start, double time_limit_ms, int64 max_kicks, uint64 seed)
{
	int32	   *best;
	double	   *best_fc = NULL,
			   *best_rc = NULL;
	double		best_len;
	Rng			rng;
	int32		n = t->n;

	t->deadline = monotonic_seconds() + time_limit_ms / 1000.0;
	t->k = Min(TSP_K, n - 1);
	t->tour = palloc(n * sizeof(int32));
	t->pos = palloc(n * sizeof(int32));
	if (n <= 2)
	{
		t->tour[0] = start;
		if (n == 2)
			t->tour[1] = 1 - start;
		return;
	}
	t->nbr = MemoryContextAllocHuge(CurrentMemoryContext, (Size) n * t->k * sizeof(int32));
	if (t->mat)
		neighbours_matrix(t);
	else if (t->sc)
		stop_costs_candidates(t->sc, t->nbr);
	else
		neighbours_points(t);
	t->pf = palloc((n + 1) * sizeof(double));
	t->pr = palloc((n + 1) * sizeof(double));
	t->fc = palloc(n * sizeof(double));
	t->rc = palloc(n * sizeof(double));
	best_fc = palloc(n * sizeof(double));
	best_rc = palloc(n * sizeof(double));
	t->queue = palloc(n * sizeof(int32));
	t->queued = palloc0(n * sizeof(bool));
	/*
	 * Sparse asymmetric costs too: a nearest-neighbour tour runs out of
	 * candidates and jumps blindly; greedy fragments do so far less often.
	 */
	if (t->symmetric || t->sc)
		construct_greedy(t, start);
	else
		construct(t, start);
	refresh(t, 0, n - 1);
	for (int32 p = 0; p < n; p++)
		activate(t, t->tour[p]);
	t->len = tour_length(t, t->tour);
	local_search(t);

	best = palloc(n * sizeof(int32));
	memcpy(best, t->tour, n * sizeof(int32));
	/* sparse costs: the length kept by the moves (a full pass asks for every arc) */
	best_len = t->sc ? t->len : tour_length(t, best);
	if (!t->symmetric)
	{
		memcpy(best_fc, t->fc, n * sizeof(double));
		memcpy(best_rc, t->rc, n * sizeof(double));
	}
	elog(DEBUG1, "solve_tsp: %d stops, local optimum %.1f after %lld moves, %.0f ms left",
		 n, best_len, (long long) t->moves, (t->deadline - monotonic_seconds()) * 1000);
	rng_seed(&rng, seed);
	for (int64 kick = 0; kick < max_kicks && !t->timed_out && n >= 5; kick++)
	{
		int32		maxlen = Max(1, Min(30, (n - 1) / 3));
		int32		l1 = 1 + (int32) rng_below(&rng, maxlen);
		int32		l2 = 1 + (int32) rng_below(&rng, maxlen);
		int32		a1 = 1 + (int32) rng_below(&rng, n - l1 - l2);
		int32		a2 = a1 + l1;
		int32	   *tmp = palloc(l1 * sizeof(int32));
		double		len;

		if (monotonic_seconds() > t->deadline)
			break;
		CHECK_FOR_INTERRUPTS();
		if (t->sc)
		{
			int32		pa = t->tour[a1 - 1],
						b1 = t->tour[a1],
						bl = t->tour[a2 - 1],
						c1 = t->tour[a2],
						cl = t->tour[a2 + l2 - 1],
						d1 = at(t, a2 + l2);

			t->len += D(t, pa, c1) + D(t, cl, b1) + D(t, bl, d1) -
				D(t, pa, b1) - D(t, bl, c1) - D(t, cl, d1);
		}
		/* double bridge: A B C D -> A C B D with B, C short */
		memcpy(tmp, t->tour + a1, l1 * sizeof(int32));
		memmove(t->tour + a1, t->tour + a2, l2 * sizeof(int32));
		memcpy(t->tour + a1 + l2, tmp, l1 * sizeof(int32));
		pfree(tmp);
		refresh(t, a1, a1 + l1 + l2 - 1);
		activate(t, t->tour[a1 - 1]);
		activate(t, t->tour[a1]);
		activate(t, t->tour[a1 + l2 - 1]);
		activate(t, t->tour[a1 + l2]);
		activate(t, t->tour[a1 + l1 + l2 - 1]);
		activate(t, at(t, a1 + l1 + l2));
		local_search(t);
		len = t->sc ? t->len : tour_length(t, t->tour);
		if (len < best_len - EPS)
		{
			best_len = len;
			memcpy(best, t->tour, n * sizeof(int32));
			if (!t->symmetric)
			{
				memcpy(best_fc, t->fc, n * sizeof(double));
				memcpy(best_rc, t->rc, n * sizeof(double));
			}
		}
		else
		{
			/* back to the best tour: its arc costs are saved, not looked up */
			memcpy(t->tour, best, n * sizeof(int32));
			t->len = best_len;
			for (int32 p = 0; p < n; p++)
				t->pos[t->tour[p]] = p;
			if (!t->symmetric)
			{
				memcpy(t->fc, best_fc, n * sizeof(double));
				memcpy(t->rc, best_rc, n * sizeof(double));
				for (int32 p = 0; p < n; p++)
				{
					t->pf[p + 1] = t->pf[p] + t->fc[p];
					t->pr[p + 1] = t->pr[p] + t->rc[p];
				}
			}
			/* drop pending work: the tour it referred to is gone */
			while (t->qlen > 0)
			{
				t->queued[t->queue[t->qhead]] = false;
				t->qhead = (t->qhead + 1) % n;
				t->qlen--;
			}
		}
	}
	memcpy(t->tour, best, n * sizeof(int32));
	elog(DEBUG1, "solve_tsp: best %.1f after %lld moves", best_len, (long long) t->moves);
	if (n <= EXACT_MAX)
		exact(t);
}

/* ---------------------------------------------------------------------------
 * SQL wrappers
 */
static const char *const tsp_options[] = {"start", "time_limit_ms", "max_kicks", "seed", NULL};
static const char *const tsp_graph_options[] = {"start", "time_limit_ms", "max_kicks", "seed",
"matrix", NULL};

static int64 *
ids_array(ArrayType *arr, int *count, const char *what)
{
	int64	   *out = array_int64(arr, count, false, what);

	if (*count == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("solve_tsp needs at least one stop")));
	if (*count > TSP_MAX_STOPS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("solve_tsp takes at most %d stops, not %d", TSP_MAX_STOPS, *count)));
	return out;
}

/* distinct ids -> start index from options; errors on duplicates */
static int32
tsp_setup(const int64 *ids, int n, Jsonb *opts, const char *const *keys, double *time_limit_ms,
		  int64 *max_kicks, uint64 *seed)
{
	IdMap	   *map = idmap_create(n);
	int32		start = 0;

	options_check_keys(opts, keys);
	for (int i = 0; i < n; i++)
	{
		int32		before = map->count;

		idmap_insert(map, ids[i]);
		if (map->count == before)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("stop " INT64_FORMAT " appears more than once", ids[i])));
	}
	{
		int64		s = options_int64(opts, "start", ids[0], PG_INT64_MIN, PG_INT64_MAX);

		start = idmap_lookup(map, s);
		if (start < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("start stop " INT64_FORMAT " is not among the stops", s)));
	}
	*time_limit_ms = options_double(opts, "time_limit_ms", 1000, 0, 3600000);
	*max_kicks = options_int64(opts, "max_kicks", 2000 + 50 * (int64) n, 0, PG_INT64_MAX);
	*seed = (uint64) options_int64(opts, "seed", 0, 0, PG_INT64_MAX);
	return start;
}

static void
tsp_emit(FunctionCallInfo fcinfo, const Tsp *t, const int64 *ids)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	double		agg = 0;

	InitMaterializedSRF(fcinfo, 0);
	for (int32 p = 0; p <= t->n; p++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};
		int32		c = t->tour[p % t->n];
		double		cost = p == 0 ? 0 :
			t->sc ? stop_costs_exact(t->sc, t->tour[p - 1], c) : D(t, t->tour[p - 1], c);

		agg += cost;
		values[0] = Int32GetDatum(p + 1);
		values[1] = Int64GetDatum(ids[c]);
		values[2] = Float8GetDatum(cost);
		values[3] = Float8GetDatum(agg);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

/* solve_tsp(ids bigint[], x float8[], y float8[], options jsonb) */
PG_FUNCTION_INFO_V1(solve_tsp_points);
Datum
solve_tsp_points(PG_FUNCTION_ARGS)
{
	Tsp			t = {0};
	int64	   *ids;
	double	   *x,
			   *y,
				limit;
	int			n,
				nx,
				ny;
	int64		kicks;
	uint64		seed;
	int32		start;

	options_require_args(fcinfo, 3);
	ids = ids_array(PG_GETARG_ARRAYTYPE_P(0), &n, "ids");
	x = array_float8(PG_GETARG_ARRAYTYPE_P(1), &nx, "x");
	y = array_float8(PG_GETARG_ARRAYTYPE_P(2), &ny, "y");
	if (nx != n || ny != n)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("ids, x and y must have the same length"),
				 errdetail("ids has %d elements, x %d, y %d.", n, nx, ny)));
	start = tsp_setup(ids, n, PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3), tsp_options,
					  &limit, &kicks, &seed);
	t.n = n;
	t.symmetric = true;
	t.x = x;
	t.y = y;
	tsp_solve(&t, start, limit, kicks, seed);
	tsp_emit(fcinfo, &t, ids);
	PG_RETURN_NULL();
}

/* solve_tsp(graph bytea, stops bigint[], options jsonb) */
PG_FUNCTION_INFO_V1(solve_tsp_graph);
Datum
solve_tsp_graph(PG_FUNCTION_ARGS)
{
	Tsp			t = {0};
	const GraphModel *g;
	int64	   *ids;
	int32	   *nodes;
	double	   *mat,
				limit;
	int			n;
	int64		kicks;
	uint64		seed;
	int32		start;
	Jsonb	   *opts;
	bool		use_matrix;

	options_require_args(fcinfo, 2);
	g = model_cache_get(fcinfo, 0, MODEL_GRAPH, NULL);
	ids = ids_array(PG_GETARG_ARRAYTYPE_P(1), &n, "stops");
	opts = PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2);
	start = tsp_setup(ids, n, opts, tsp_graph_options, &limit, &kicks, &seed);
	use_matrix = options_bool(opts, "matrix", n <= TSP_MATRIX_DEFAULT_MAX);
	if (use_matrix && n > TSP_MAX_MATRIX_STOPS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("solve_tsp with \"matrix\": true takes at most %d stops, not %d",
						TSP_MAX_MATRIX_STOPS, n),
				 errhint("Leave \"matrix\" out: sparse road costs have no such limit.")));
	nodes = palloc(n * sizeof(int32));
	for (int i = 0; i < n; i++)
		nodes[i] = graph_node(g, ids[i], "stop");
	t.n = n;
	if (!use_matrix)
	{
		/* k nearest stops by road cost, any other pair on demand */
		double		t0 = monotonic_seconds(),
					t1,
					t2;

		t.sc = stop_costs_create(g, nodes, ids, n, Max(1, Min(TSP_K, n - 1)));
		t.symmetric = t.sc->symmetric;
		t1 = monotonic_seconds();
		tsp_solve(&t, start, limit, kicks, seed);
		t2 = monotonic_seconds();
		tsp_emit(fcinfo, &t, ids);
		elog(DEBUG1, "solve_tsp: sparse costs for %d stops: %.1f MB (%.1f MB held by the call), "
			 "%lld searches on demand; lists %.0f ms, search %.0f ms, exact legs %.0f ms",
			 n, stop_costs_memory(t.sc) / 1e6,
			 MemoryContextMemAllocated(CurrentMemoryContext, true) / 1e6, (long long) t.sc->queries,
			 (t1 - t0) * 1000, (t2 - t1) * 1000, (monotonic_seconds() - t2) * 1000);
		PG_RETURN_NULL();
	}
	mat = graph_cost_matrix(g, nodes, n);
	t.symmetric = true;
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
		{
			double		c = mat[(Size) i * n + j];

			if (isinf(c))
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("stop " INT64_FORMAT " cannot reach stop " INT64_FORMAT " in the graph",
								ids[i], ids[j])));
			if (c != mat[(Size) j * n + i])
				t.symmetric = false;
		}
	t.mat = mat;
	tsp_solve(&t, start, limit, kicks, seed);
	tsp_emit(fcinfo, &t, ids);
	PG_RETURN_NULL();
}
