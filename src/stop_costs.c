/*
 * stop_costs.c - sparse road costs between stops (see stop_costs.h)
 *
 * Lists: with a contraction hierarchy and stops spread thin, ch_nearest
 * (buckets pruned to k + 1 entries per node); otherwise a Dijkstra from
 * each stop (over reverse arcs for the incoming list) that stops once k
 * other stops are settled, so its cost follows the stops' density, not the
 * graph's size.
 * On demand: graph_least_cost (one hierarchy query, or a bidirectional
 * Dijkstra), kept in a hash map of pairs (idmap of a * n + b).  Lists from plain Dijkstra are
 * Dijkstra's own sums; the hierarchy's bucket sums are within rounding, so
 * stop_costs_exact recomputes those along the path.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/memutils.h"

#include "contraction.h"
#include "stop_costs.h"

/* nodes settled by Dijkstra worth one stop's upward search and buckets on a hierarchy */
#define STOP_COSTS_UPWARD_SETTLES 800

/* upward spaces kept for pairs on demand, at most (bytes) */
#define STOP_COSTS_SPACE_BUDGET ((Size) 256 * 1024 * 1024)

/* memo slots per stop (a power of two in all, at most STOP_COSTS_MEMO_MAX) */
#define STOP_COSTS_MEMO_PER_STOP 16
#define STOP_COSTS_MEMO_MAX (1 << 20)

/* a bound read off a list must not exceed the true cost by rounding */
#define BOUND_SLACK (1 - 1e-9)

/*
 * Dijkstra from graph node src (forward, or backward over reverse arcs)
 * until want stops other than skip are settled: them into found[] in order
 * of cost, their costs into found_cost[]; returns how many.
 */
static int32
settle_stops(const GraphModel *g, SearchSpace *ss, const int32 *stop_of, int32 src, int32 skip,
			 bool forward, int32 want, int32 *found, double *found_cost)
{
	const int64 *off = forward ? g->fwd_off : g->rev_off;
	const int32 *head = forward ? g->fwd_head : g->rev_head;
	const double *cost = forward ? g->fwd_cost : g->rev_cost;
	int32		nfound = 0,
				u;
	int64		steps = 0;

	/* a search of a few nodes per stop: so once per search too */
	CHECK_FOR_INTERRUPTS();
	search_space_reset(ss);
	ss_label(ss, src, 0, -1, -1, 0, 0);
	while (nfound < want && (u = ss_pop(ss)) >= 0)
	{
		double		du = ss->dist[u];

		if (stop_of[u] >= 0 && stop_of[u] != skip)
		{
			found[nfound] = stop_of[u];
			found_cost[nfound++] = du;
		}
		if ((++steps & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		for (int64 p = off[u]; p < off[u + 1]; p++)
		{
			double		nd = du + cost[p];

			if (nd < ss->dist[head[p]])
				ss_label(ss, head[p], nd, u, -1, cost[p], nd);
		}
	}
	return nfound;
}

/* k cheapest other stops from each stop by Dijkstra, forward or backward */
static void
nearest_dijkstra(const GraphModel *g, const int32 *node, const int32 *stop_of, int32 n, int32 k,
				 bool forward, int32 *nbr, double *nbr_cost)
{
	SearchSpace *ss = search_space_create(g->n);

	for (int32 i = 0; i < n; i++)
	{
		int32		found = settle_stops(g, ss, stop_of, node[i], i, forward, k,
										 nbr + (Size) i * k, nbr_cost + (Size) i * k);

		for (; found < k; found++)
		{
			nbr[(Size) i * k + found] = -1;
			nbr_cost[(Size) i * k + found] = INFINITY;
		}
	}
}

/*
 * Every arc u -> v has an arc v -> u of the same least cost.  The least
 * costs to and from each neighbour of u are gathered in two arrays indexed
 * by node, so a node of many arcs (a hub, parallel arcs) costs its degree,
 * not its degree squared.
 */
static bool
arcs_symmetric(const GraphModel *g)
{
	double	   *there,
			   *back;
	bool		symmetric = true;

	if (!g->directed)
		return true;
	there = palloc_extended((Size) g->n * sizeof(double), MCXT_ALLOC_HUGE);
	back = palloc_extended((Size) g->n * sizeof(double), MCXT_ALLOC_HUGE);
	for (int32 v = 0; v < g->n; v++)
		there[v] = back[v] = INFINITY;
	for (int32 u = 0; u < g->n && symmetric; u++)
	{
		if ((u & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		for (int64 p = g->fwd_off[u]; p < g->fwd_off[u + 1]; p++)
			there[g->fwd_head[p]] = Min(there[g->fwd_head[p]], g->fwd_cost[p]);
		for (int64 q = g->rev_off[u]; q < g->rev_off[u + 1]; q++)
			back[g->rev_head[q]] = Min(back[g->rev_head[q]], g->rev_cost[q]);
		/* self loops do not matter; a neighbour either way must match */
		there[u] = back[u] = INFINITY;
		for (int64 p = g->fwd_off[u]; p < g->fwd_off[u + 1]; p++)
			if (there[g->fwd_head[p]] != back[g->fwd_head[p]])
				symmetric = false;
		for (int64 q = g->rev_off[u]; q < g->rev_off[u + 1]; q++)
			if (there[g->rev_head[q]] != back[g->rev_head[q]])
				symmetric = false;
		/* reset what u touched */
		for (int64 p = g->fwd_off[u]; p < g->fwd_off[u + 1]; p++)
			there[g->fwd_head[p]] = back[g->fwd_head[p]] = INFINITY;
		for (int64 q = g->rev_off[u]; q < g->rev_off[u + 1]; q++)
			there[g->rev_head[q]] = back[g->rev_head[q]] = INFINITY;
	}
	pfree(there);
	pfree(back);
	return symmetric;
}

StopCosts *
stop_costs_create(const GraphModel *g, const int32 *node, const int64 *ids, int32 n, int32 k)
{
	StopCosts  *sc = palloc0(sizeof(StopCosts));
	MemoryContext work = AllocSetContextCreate(CurrentMemoryContext, "ecomml stop lists",
											   ALLOCSET_DEFAULT_SIZES);
	MemoryContext old;
	Size		nk = (Size) n * k;

	sc->g = g;
	sc->n = n;
	sc->node = node;
	sc->ids = ids;
	sc->k = k;
	sc->symmetric = arcs_symmetric(g);
	sc->stop_of = palloc_extended((Size) g->n * sizeof(int32), MCXT_ALLOC_HUGE);
	memset(sc->stop_of, -1, (Size) g->n * sizeof(int32));
	for (int32 i = 0; i < n; i++)
		sc->stop_of[node[i]] = i;
	/*
	 * A Dijkstra that ends after k stops settles about k * nodes / stops
	 * nodes; a full upward search of a hierarchy, the cost of a bucket
	 * list, is worth about a thousand settled nodes on a road-like grid.
	 */
	sc->by_hierarchy = g->ch && (int64) k * g->n > (int64) STOP_COSTS_UPWARD_SETTLES * n;
	sc->out = MemoryContextAllocHuge(CurrentMemoryContext, nk * sizeof(int32));
	sc->out_cost = MemoryContextAllocHuge(CurrentMemoryContext, nk * sizeof(double));
	sc->out_bound = palloc_extended((Size) n * sizeof(double), MCXT_ALLOC_HUGE);
	sc->in_bound = palloc_extended((Size) n * sizeof(double), MCXT_ALLOC_HUGE);
	/* the searches' O(graph) work spaces go with their context */
	old = MemoryContextSwitchTo(work);
	if (sc->by_hierarchy)
		ch_nearest(g, node, n, k, true, sc->out, sc->out_cost);
	else
		nearest_dijkstra(g, node, sc->stop_of, n, k, true, sc->out, sc->out_cost);
	MemoryContextSwitchTo(old);
	if (sc->symmetric)
	{
		sc->in = sc->out;
		sc->in_cost = sc->out_cost;
	}
	else
	{
		sc->in = MemoryContextAllocHuge(CurrentMemoryContext, nk * sizeof(int32));
		sc->in_cost = MemoryContextAllocHuge(CurrentMemoryContext, nk * sizeof(double));
		MemoryContextSwitchTo(work);
		if (sc->by_hierarchy)
			ch_nearest(g, node, n, k, false, sc->in, sc->in_cost);
		else
			nearest_dijkstra(g, node, sc->stop_of, n, k, false, sc->in, sc->in_cost);
		MemoryContextSwitchTo(old);
	}
	MemoryContextDelete(work);
	for (int32 i = 0; i < n; i++)
	{
		/* a short list means that some stop is out of reach: bound 0 (no pruning) */
		double		ob = sc->out_cost[(Size) i * k + k - 1],
					ib = sc->in_cost[(Size) i * k + k - 1];

		sc->out_bound[i] = isinf(ob) ? 0 : ob * BOUND_SLACK;
		sc->in_bound[i] = isinf(ib) ? 0 : ib * BOUND_SLACK;
	}
	if (g->ch)
		for (int dir = 0; dir < 2; dir++)
		{
			sc->space[dir] = palloc0_array(ChLabel *, n);
			sc->space_len[dir] = palloc0_array(int32, n);
		}
	sc->memo_mask = 1023;
	while (sc->memo_mask + 1 < STOP_COSTS_MEMO_MAX &&
		   (int64) sc->memo_mask + 1 < (int64) STOP_COSTS_MEMO_PER_STOP * n)
		sc->memo_mask = sc->memo_mask * 2 + 1;
	sc->memo = MemoryContextAllocHuge(CurrentMemoryContext, ((Size) sc->memo_mask + 1) * sizeof(StopCostSlot));
	memset(sc->memo, -1, ((Size) sc->memo_mask + 1) * sizeof(StopCostSlot));
	sc->asked = idmap_create(Max(1024, 4 * n));
	sc->asked_cap = Max(1024, 4 * n);
	sc->asked_cost = MemoryContextAllocHuge(CurrentMemoryContext, sc->asked_cap * sizeof(double));
	return sc;
}

/* position of b in a's list, or -1 */
static inline int32
list_find(const int32 *list, int32 k, int32 a, int32 b)
{
	const int32 *l = list + (Size) a * k;

	for (int32 c = 0; c < k; c++)
		if (l[c] == b)
			return c;
	return -1;
}

/* cost from the lists, or NaN */
static inline double
listed(const StopCosts *sc, int32 a, int32 b)
{
	int32		c = list_find(sc->out, sc->k, a, b);

	if (c >= 0)
		return sc->out_cost[(Size) a * sc->k + c];
	c = list_find(sc->in, sc->k, b, a);
	if (c >= 0)
		return sc->in_cost[(Size) b * sc->k + c];
	return NAN;
}

static inline int64
pair_key(const StopCosts *sc, int32 a, int32 b)
{
	if (sc->symmetric && b < a)
		return (int64) b * sc->n + a;
	return (int64) a * sc->n + b;
}

/* remembered cost, or NaN */
static inline double
remembered(const StopCosts *sc, int32 a, int32 b)
{
	int32		i = idmap_lookup(sc->asked, pair_key(sc, a, b));

	return i >= 0 ? sc->asked_cost[i] : NAN;
}

/* the upward space of stop a (dir 0: forward, 1: backward), made on first use */
static const ChLabel *
space_of(StopCosts *sc, int32 a, int dir, int32 *len)
{
	if (sc->space[dir][a] == NULL)
	{
		sc->space[dir][a] = ch_upward(sc->g, graph_path_work(sc->g)->fw, sc->node[a], dir == 0,
									  &sc->space_len[dir][a]);
		sc->space_bytes += Max(sc->space_len[dir][a], 1) * sizeof(ChLabel);
	}
	*len = sc->space_len[dir][a];
	return sc->space[dir][a];
}

/*
 * Least cost a -> b: a merge of upward spaces while they fit the budget (a
 * pair then costs a few microseconds instead of a search).
 */
static double
compute(StopCosts *sc, int32 a, int32 b)
{
	if (sc->space[0] &&
		(sc->space_bytes < STOP_COSTS_SPACE_BUDGET ||
		 (sc->space[0][a] != NULL && sc->space[1][b] != NULL)))
	{
		int32		nf,
					nb;
		const ChLabel *f = space_of(sc, a, 0, &nf);
		const ChLabel *r = space_of(sc, b, 1, &nb);

		return ch_meet(f, nf, r, nb);
	}
	return graph_least_cost(sc->g, sc->node[a], sc->node[b]);
}

static void
unreachable(const StopCosts *sc, int32 a, int32 b)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("stop " INT64_FORMAT " cannot reach stop " INT64_FORMAT " in the graph",
					sc->ids[a], sc->ids[b])));
}

/* search and remember (Infinity too: asking again would search again) */
static double
ask(StopCosts *sc, int32 a, int32 b)
{
	double		c = compute(sc, a, b);
	int32		i;

	sc->queries++;
	i = idmap_insert(sc->asked, pair_key(sc, a, b));
	if (i >= sc->asked_cap)
	{
		sc->asked_cap *= 2;
		sc->asked_cost = repalloc_huge(sc->asked_cost, sc->asked_cap * sizeof(double));
	}
	sc->asked_cost[i] = c;
	return c;
}

static inline StopCostSlot *
memo_slot(const StopCosts *sc, int32 a, int32 b)
{
	uint64		h = (uint64) a * UINT64CONST(0x9E3779B97F4A7C15) ^ (uint64) b * UINT64CONST(0xC2B2AE3D27D4EB4F);

	return &sc->memo[(h >> 32) & sc->memo_mask];
}

/* cost a -> b from a pinned stop's row, or NaN */
static inline double
pinned(const StopCosts *sc, int32 a, int32 b)
{
	if (sc->row[0] == NULL)
		return NAN;
	if (sc->row[0][a])
		return sc->row[0][a][b];
	if (sc->row[1][b])
		return sc->row[1][b][a];
	return NAN;
}

/* cost a -> b from the rows or lists (either way round if symmetric), or NaN */
static inline double
listed_any(const StopCosts *sc, int32 a, int32 b)
{
	double		c;

	if (a == b)
		return 0;
	c = pinned(sc, a, b);
	if (!isnan(c))
		return c;
	c = listed(sc, a, b);
	if (isnan(c) && sc->symmetric)
		c = listed(sc, b, a);
	return c;
}

/* cost a -> b known without a search (lists, remembered pairs), or NaN */
static inline double
known(const StopCosts *sc, int32 a, int32 b)
{
	double		c = listed_any(sc, a, b);

	return isnan(c) ? remembered(sc, a, b) : c;
}

double
stop_costs_cost(StopCosts *sc, int32 a, int32 b)
{
	StopCostSlot *s = memo_slot(sc, a, b);
	double		c;

	if (s->a == a && s->b == b)
		return s->cost;
	c = known(sc, a, b);
	if (isnan(c))
		c = ask(sc, a, b);
	s->a = a;
	s->b = b;
	s->cost = c;
	return c;
}

double
stop_costs_get(StopCosts *sc, int32 a, int32 b)
{
	double		c = stop_costs_cost(sc, a, b);

	if (isinf(c))
		unreachable(sc, a, b);
	return c;
}

/*
 * Full rows by two Dijkstras over the whole graph: for a stop that meets
 * every other (a depot), cheaper than n pairs on demand, each of which
 * would need the other stop's upward space.
 */
void
stop_costs_pin(StopCosts *sc, int32 a)
{
	int32		n = sc->n;
	int32	   *found = palloc_extended((Size) n * sizeof(int32), MCXT_ALLOC_HUGE);
	double	   *found_cost = palloc_extended((Size) n * sizeof(double), MCXT_ALLOC_HUGE);

	if (sc->row[0] == NULL)
	{
		sc->row[0] = palloc0_array(double *, n);
		sc->row[1] = palloc0_array(double *, n);
	}
	for (int dir = 0; dir < (sc->symmetric ? 1 : 2); dir++)
	{
		double	   *row = palloc_extended((Size) n * sizeof(double), MCXT_ALLOC_HUGE);
		int32		got = settle_stops(sc->g, graph_path_work(sc->g)->fw, sc->stop_of, sc->node[a], a,
									   dir == 0, n - 1, found, found_cost);

		for (int32 j = 0; j < n; j++)
			row[j] = INFINITY;
		row[a] = 0;
		for (int32 q = 0; q < got; q++)
			row[found[q]] = found_cost[q];
		sc->row[dir][a] = row;
		sc->row_bytes += (Size) n * sizeof(double);
	}
	if (sc->symmetric)
		sc->row[1][a] = sc->row[0][a];
	pfree(found);
	pfree(found_cost);
}

/*
 * A pair in no list costs at least both lists' bounds, remembered or not:
 * so the remembered pairs need not be looked up here (the hash lookup was
 * half the search's time); a pair in the memo gives its cost itself.
 */
double
stop_costs_lower(const StopCosts *sc, int32 a, int32 b)
{
	const StopCostSlot *s = memo_slot(sc, a, b);
	double		c;

	if (s->a == a && s->b == b)
		return s->cost;
	c = listed_any(sc, a, b);

	if (!isnan(c))
		return c;
	c = Max(sc->out_bound[a], sc->in_bound[b]);
	if (sc->symmetric)
		c = Max(c, Max(sc->out_bound[b], sc->in_bound[a]));
	return c;
}

double
stop_costs_exact(StopCosts *sc, int32 a, int32 b)
{
	double		c;

	if (a == b)
		return 0;
	/* the out list of plain Dijkstra: its own sums, from a */
	if (!sc->by_hierarchy)
	{
		int32		p = list_find(sc->out, sc->k, a, b);

		if (p >= 0)
			return sc->out_cost[(Size) a * sc->k + p];
	}
	/* a directed pair asked for on demand without a hierarchy: already exact */
	if (!sc->symmetric && !sc->g->ch)
	{
		c = remembered(sc, a, b);
		if (!isnan(c))
			return c;
	}
	/* a tour of two stops asks for no cost before its legs are summed */
	c = graph_path_cost(sc->g, sc->node[a], sc->node[b]);
	if (isinf(c))
		unreachable(sc, a, b);
	return c;
}

int32
stop_costs_nearest(StopCosts *sc, int32 a, const bool *want)
{
	const GraphModel *g = sc->g;
	SearchSpace *ss = graph_path_work(g)->fw;
	int32		u;
	int64		steps = 0;

	search_space_reset(ss);
	ss_label(ss, sc->node[a], 0, -1, -1, 0, 0);
	while ((u = ss_pop(ss)) >= 0)
	{
		int32		j = sc->stop_of[u];

		if (j >= 0 && j != a && want[j])
			return j;
		if ((++steps & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		for (int64 p = g->fwd_off[u]; p < g->fwd_off[u + 1]; p++)
		{
			double		nd = ss->dist[u] + g->fwd_cost[p];

			if (nd < ss->dist[g->fwd_head[p]])
				ss_label(ss, g->fwd_head[p], nd, u, -1, g->fwd_cost[p], nd);
		}
	}
	return -1;
}

void
stop_costs_candidates(const StopCosts *sc, int32 *nbr)
{
	int32		k = sc->k;
	int32	   *cand = palloc(2 * k * sizeof(int32));
	double	   *cost = palloc(2 * k * sizeof(double));

	for (int32 i = 0; i < sc->n; i++)
	{
		int32		m = 0;

		/* both lists, each stop once at its cheaper known cost */
		for (int32 side = 0; side < (sc->symmetric ? 1 : 2); side++)
			for (int32 c = 0; c < k; c++)
			{
				Size		q = (Size) i * k + c;
				int32		j = side == 0 ? sc->out[q] : sc->in[q];
				double		d = side == 0 ? sc->out_cost[q] : sc->in_cost[q];
				int32		e;

				if (j < 0)
					break;
				for (e = 0; e < m && cand[e] != j; e++)
					;
				if (e == m)
				{
					cand[m] = j;
					cost[m++] = d;
				}
				else if (d < cost[e])
					cost[e] = d;
			}
		/* insertion sort by (cost, stop): m <= 2k */
		for (int32 e = 1; e < m; e++)
		{
			int32		j = cand[e];
			double		d = cost[e];
			int32		f = e - 1;

			for (; f >= 0 && (cost[f] > d || (cost[f] == d && cand[f] > j)); f--)
			{
				cand[f + 1] = cand[f];
				cost[f + 1] = cost[f];
			}
			cand[f + 1] = j;
			cost[f + 1] = d;
		}
		for (int32 c = 0; c < k; c++)
			nbr[(Size) i * k + c] = c < m ? cand[c] : -1;
	}
	pfree(cand);
	pfree(cost);
}

Size
stop_costs_memory(const StopCosts *sc)
{
	Size		lists = (Size) sc->n * sc->k * (sizeof(int32) + sizeof(double)) + 2 * (Size) sc->n * sizeof(double);

	if (!sc->symmetric)
		lists *= 2;
	if (sc->space[0])
		lists += sc->space_bytes + 2 * (Size) sc->n * (sizeof(ChLabel *) + sizeof(int32));
	if (sc->row[0])
		lists += sc->row_bytes + 2 * (Size) sc->n * sizeof(double *);
	lists += ((Size) sc->memo_mask + 1) * sizeof(StopCostSlot);
	return lists + (Size) sc->g->n * sizeof(int32) + (Size) sc->asked_cap * sizeof(double) +
		(Size) sc->asked->ids_cap * sizeof(int64) + ((Size) sc->asked->mask + 1) * sizeof(int32);
}
