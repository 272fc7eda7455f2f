/*
 * ch_tree.c - shortest-path trees (isochrones) on a contraction hierarchy
 *
 * PHAST (Delling, Goldberg, Nowatzyk & Werneck 2011): an upward Dijkstra
 * from the source over up arcs, then one sweep over every node from the
 * highest rank down, each taking the best of its down arcs (whose tails
 * rank higher, so are final).  No heap in the sweep, and labels indexed by
 * rank position over arcs stored in sweep order (GraphCH.sweep_*): it reads
 * memory in order, which beats Dijkstra's heap once the tree covers a good
 * part of the graph.
 *
 * The hierarchy's labels are sums of shortcut costs; the tree a user sees
 * is made of original arcs with Dijkstra's sums.  So each node's label arc
 * is unpacked to its last original arc (parent and edge), the tree is put
 * in breadth-first order from the source, and costs are summed from the
 * source along it, in path order, exactly as Dijkstra sums them.  A node is
 * kept when that sum is within max_cost; the sweep's bound has a little
 * slack so rounding in the labels drops no such node.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/memutils.h"

#include "contraction.h"
#include "routes.h"

/* labels are within ~1e-12 relative of the path sums: look a bit further */
#define BOUND_SLACK 1e-9

#define HUGE_ALLOC(n, type) ((type *) palloc_extended((Size) (n) * sizeof(type), MCXT_ALLOC_HUGE))

/* the last original arc of the hierarchy arc into v from u (cost, through mid) */
static void
last_arc(const GraphCH *ch, int32 u, int32 v, double cost, int32 mid, int32 edge,
		 int32 *parent, int32 *out_edge, double *out_cost)
{
	/* u -> v through mid is u -> mid, then mid -> v: an up arc of mid */
	while (mid >= 0)
	{
		int64		q = ch_find_arc(&ch->up, mid, v);

		u = mid;
		cost = ch->up.cost[q];
		edge = ch->up.edge[q];
		mid = ch->up.mid[q];
	}
	*parent = u;
	*out_edge = edge;
	*out_cost = cost;
}

/* stable LSD radix sort of (key, item) by key: non-negative doubles order as their bits */
static void
sort_by_cost(double *key, int32 *item, int32 n)
{
	uint64	   *k1 = HUGE_ALLOC(n, uint64),
			   *k2 = HUGE_ALLOC(n, uint64);
	int32	   *i2 = HUGE_ALLOC(n, int32);

	for (int32 i = 0; i < n; i++)
		memcpy(&k1[i], &key[i], sizeof(double));
	for (int shift = 0; shift < 64; shift += 8)
	{
		Size		count[257] = {0};

		for (int32 i = 0; i < n; i++)
			count[((k1[i] >> shift) & 255) + 1]++;
		for (int b = 0; b < 256; b++)
			count[b + 1] += count[b];
		for (int32 i = 0; i < n; i++)
		{
			Size		q = count[(k1[i] >> shift) & 255]++;

			k2[q] = k1[i];
			i2[q] = item[i];
		}
		memcpy(k1, k2, (Size) n * sizeof(uint64));
		memcpy(item, i2, (Size) n * sizeof(int32));
	}
	for (int32 i = 0; i < n; i++)
		memcpy(&key[i], &k1[i], sizeof(double));
	pfree(k1);
	pfree(k2);
	pfree(i2);
}

bool
ch_tree(const GraphModel *g, int32 s, double max_cost, ChTree *out)
{
	const GraphCH *ch = g->ch;
	int32		n = g->n;
	double		bound = max_cost + fabs(max_cost) * BOUND_SLACK;
	double	   *d = HUGE_ALLOC(n, double);	/* by node (upward), then by rank position */
	int32	   *from = HUGE_ALLOC(n, int32);
	int64	   *via = HUGE_ALLOC(n, int64);	/* >= 0: up arc of from; < 0: -1 - down arc of v */
	Heap	   *h = heap_create(1024);
	int32		m = 0,
				visited = 0;
	int64		popped = 0;
	int32	   *reached,
			   *parent,
			   *edge,
			   *child_off,
			   *child,
			   *order,
			   *fill;
	double	   *cost,
			   *agg;

	for (int32 v = 0; v < n; v++)
		d[v] = INFINITY;
	d[s] = 0;
	from[s] = -1;
	heap_push(h, 0, s);
	/* upward search */
	while (h->count > 0)
	{
		HeapItem	it = heap_pop(h);
		int32		u = (int32) it.value;

		if ((++popped & 1023) == 0)
			CHECK_FOR_INTERRUPTS();

		if (it.key > d[u])
			continue;
		for (int64 p = ch->up.off[u]; p < ch->up.off[u + 1]; p++)
		{
			int32		w = ch->up.head[p];
			double		nd = d[u] + ch->up.cost[p];

			if (nd < d[w] && nd <= bound)
			{
				d[w] = nd;
				from[w] = u;
				via[w] = p;
				heap_push(h, nd, w);
			}
		}
	}
	/* labels by rank position: the upward search's, then the sweep */
	{
		double	   *dr = HUGE_ALLOC(n, double);

		for (int32 r = 0; r < n; r++)
			dr[r] = d[ch->by_rank[r]];
		pfree(d);
		d = dr;
	}
	for (int32 r = 0; r < n; r++)
	{
		double		best = d[r];
		int64		bp = -1;

		for (int64 q = ch->sweep_off[r]; q < ch->sweep_off[r + 1]; q++)
		{
			double		nd = d[ch->sweep_tail[q]] + ch->sweep_cost[q];

			if (nd < best && nd <= bound)
			{
				best = nd;
				bp = q;
			}
		}
		if (bp >= 0)
		{
			int32		v = ch->by_rank[r];

			d[r] = best;
			from[v] = ch->by_rank[ch->sweep_tail[bp]];
			via[v] = -1 - (ch->down.off[v] + (bp - ch->sweep_off[r]));
		}
		if ((r & 65535) == 0)
			CHECK_FOR_INTERRUPTS();
	}

	/* original parents */
	reached = HUGE_ALLOC(n, int32);
	for (int32 r = 0; r < n; r++)
		if (d[r] <= bound)
			reached[m++] = ch->by_rank[r];
	parent = HUGE_ALLOC(n, int32);
	edge = HUGE_ALLOC(n, int32);
	cost = HUGE_ALLOC(n, double);
	for (int32 i = 0; i < m; i++)
	{
		int32		v = reached[i];

		if (v == s)
		{
			parent[v] = -1;
			continue;
		}
		if (via[v] >= 0)
			last_arc(ch, from[v], v, ch->up.cost[via[v]], ch->up.mid[via[v]], ch->up.edge[via[v]],
					 &parent[v], &edge[v], &cost[v]);
		else
		{
			int64		p = -1 - via[v];

			last_arc(ch, from[v], v, ch->down.cost[p], ch->down.mid[p], ch->down.edge[p],
					 &parent[v], &edge[v], &cost[v]);
		}
	}
	CHECK_FOR_INTERRUPTS();

	/* breadth-first from s over the parent tree (children in CSR form) */
	child_off = palloc_extended(((Size) n + 1) * sizeof(int32), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	for (int32 i = 0; i < m; i++)
		if (reached[i] != s)
			child_off[parent[reached[i]] + 1]++;
	for (int32 v = 0; v < n; v++)
		child_off[v + 1] += child_off[v];
	fill = HUGE_ALLOC(n, int32);
	memcpy(fill, child_off, (Size) n * sizeof(int32));
	child = HUGE_ALLOC(Max(m, 1), int32);
	for (int32 i = 0; i < m; i++)
		if (reached[i] != s)
			child[fill[parent[reached[i]]]++] = reached[i];
	order = reached;			/* reused: BFS order */
	agg = HUGE_ALLOC(n, double);
	order[visited++] = s;
	agg[s] = 0;
	for (int32 q = 0; q < visited; q++)
	{
		int32		u = order[q];

		for (int32 c = child_off[u]; c < child_off[u + 1]; c++)
		{
			int32		v = child[c];

			agg[v] = agg[u] + cost[v];
			order[visited++] = v;
		}
	}
	pfree(fill);
	pfree(child);
	pfree(child_off);
	pfree(from);
	pfree(via);
	if (visited < m)
		return false;			/* a cycle of zero-cost ties: not a tree */

	/* within max_cost, by cost (BFS order among equal costs: parents first) */
	out->count = 0;
	out->node = order;
	out->agg = d;				/* reused: the sort keys */
	for (int32 q = 0; q < visited; q++)
		if (agg[order[q]] <= max_cost)
		{
			order[out->count] = order[q];
			d[out->count++] = agg[order[q]];
		}
	sort_by_cost(d, order, out->count);
	out->parent = parent;
	out->edge = edge;
	out->cost = cost;
	pfree(agg);
	return true;
}
