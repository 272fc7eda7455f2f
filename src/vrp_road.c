/*
 * vrp_road.c - road costs of ecomml.solve_vrp on a graph without an n x n
 * matrix (the form beyond 5 000 orders and depots, or "matrix": false)
 *
 * The costs are those of src/stop_costs.c (the nearest stops by road, other
 * pairs on demand from the contraction hierarchy's upward spaces), over the
 * distinct graph nodes of the plan: orders at one address share a stop, and
 * cost 0 between them.  The depots' costs to and from every stop are pinned
 * up front by a Dijkstra each way: savings, the check that a van can serve an
 * order alone and the ruin's removal order ask them for every order, which
 * on demand would make every order's upward spaces before the search starts.
 */
#include "postgres.h"

#include "miscadmin.h"

#include "stop_costs.h"
#include "vrp.h"

#define VRP_ROAD_PINNED 32		/* depots pinned at most (2 rows of n doubles each) */

struct VrpRoad
{
	StopCosts  *sc;
	int32	   *stop;			/* Vrp node (0 .. m - 1) -> stop */
	int32	   *at_off;			/* stop s holds orders at_order[at_off[s] .. at_off[s + 1]) */
	int32	   *at_order;
};

VrpRoad *
vrp_road_create(const GraphModel *g, const int32 *idx, int32 m, int32 n, int32 k)
{
	VrpRoad    *r = palloc0(sizeof(VrpRoad));
	int32	   *stop_of = palloc_extended((Size) g->n * sizeof(int32), MCXT_ALLOC_HUGE);
	int32	   *node = palloc(m * sizeof(int32));
	int64	   *ids = palloc(m * sizeof(int64));
	int32		nstops = 0,
				pinned = 0;

	memset(stop_of, -1, (Size) g->n * sizeof(int32));
	r->stop = palloc(m * sizeof(int32));
	for (int32 i = 0; i < m; i++)
	{
		int32		gi = idx[i];

		if (stop_of[gi] < 0)
		{
			stop_of[gi] = nstops;
			node[nstops] = gi;
			ids[nstops++] = g->ids->ids[gi];
		}
		r->stop[i] = stop_of[gi];
	}
	pfree(stop_of);
	r->sc = stop_costs_create(g, node, ids, nstops, Max(1, Min(k, nstops - 1)));

	/* orders by stop, in index order */
	r->at_off = palloc0((nstops + 1) * sizeof(int32));
	r->at_order = palloc(Max(n, 1) * sizeof(int32));
	for (int32 c = 1; c <= n; c++)
		r->at_off[r->stop[c] + 1]++;
	for (int32 s = 0; s < nstops; s++)
		r->at_off[s + 1] += r->at_off[s];
	{
		int32	   *fill = palloc(nstops * sizeof(int32));

		memcpy(fill, r->at_off, nstops * sizeof(int32));
		for (int32 c = 1; c <= n; c++)
			r->at_order[fill[r->stop[c]]++] = c;
		pfree(fill);
	}

	/* depots: node 0 and n + 1 .. m - 1 */
	for (int32 i = 0; i < m && pinned < VRP_ROAD_PINNED; i = (i == 0 ? n + 1 : i + 1))
	{
		StopCosts  *sc = r->sc;

		if (sc->row[0] == NULL || sc->row[0][r->stop[i]] == NULL)
		{
			stop_costs_pin(sc, r->stop[i]);
			pinned++;
		}
	}
	return r;
}

double
vrp_road_cost(VrpRoad *r, int32 a, int32 b)
{
	return stop_costs_cost(r->sc, r->stop[a], r->stop[b]);
}

double
vrp_road_lower(const VrpRoad *r, int32 a, int32 b)
{
	return stop_costs_lower(r->sc, r->stop[a], r->stop[b]);
}

/*
 * The K nearest orders of every node 0 .. n, nearest first, -1 padded:
 * the other orders at its stop, then those at the stops of its list.
 */
void
vrp_road_neighbours(const VrpRoad *r, int32 n, int32 K, int32 *adj)
{
	const StopCosts *sc = r->sc;
	int32	   *cand = MemoryContextAllocHuge(CurrentMemoryContext, (Size) sc->n * sc->k * sizeof(int32));

	stop_costs_candidates(sc, cand);
	for (int32 i = 0; i <= n; i++)
	{
		int32		s = r->stop[i],
					got = 0;
		int32	   *out = adj + (Size) i * K;

		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		for (int32 c = -1; c < sc->k && got < K; c++)
		{
			int32		t = c < 0 ? s : cand[(Size) s * sc->k + c];

			if (t < 0)
				break;
			for (int32 q = r->at_off[t]; q < r->at_off[t + 1] && got < K; q++)
				if (r->at_order[q] != i)
					out[got++] = r->at_order[q];
		}
		for (; got < K; got++)
			out[got] = -1;
	}
	pfree(cand);
}

Size
vrp_road_memory(const VrpRoad *r)
{
	return stop_costs_memory(r->sc);
}

int64
vrp_road_queries(const VrpRoad *r)
{
	return r->sc->queries;
}
