/*
 * ch_query.c - least costs and paths over a contraction hierarchy
 *
 * One-to-one: Dijkstra upward from the source over up arcs and from the
 * target over down arcs, alternating by the smaller key; a node settled by
 * one side and labelled by the other offers a path; each side stops when its
 * key reaches the best offer.  The path's shortcuts are then unpacked into
 * original arcs (each shortcut u -> w through m is u -> m, stored as a down
 * arc of m, followed by m -> w, an up arc of m).
 *
 * Many-to-many (Knopp et al. 2007, as OSRM's table service): an upward
 * search from every target leaves (target, cost) in a bucket at each node it
 * settles; an upward search from a source then meets every target at the
 * nodes of its search space, reading their buckets.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/memutils.h"

#include "contraction.h"
#include "routes.h"

static inline void
label(SearchSpace *ss, int32 v, double d, int32 pred, int32 arc)
{
	ss_label(ss, v, d, pred, arc, 0, d);
}

/* relax the arcs of u in a (up arcs forward, down arcs backward) */
static inline void
relax(SearchSpace *ss, const ChArcs *a, int32 u)
{
	double		du = ss->dist[u];

	for (int64 p = a->off[u]; p < a->off[u + 1]; p++)
	{
		int32		w = a->head[p];
		double		nd = du + a->cost[p];

		if (nd < ss->dist[w])
			label(ss, w, nd, u, (int32) p);
	}
}

/*
 * Stall on demand: u was reached at a cost that a higher-ranked node already
 * labelled beats (through an arc of the other direction into u), so no least
 * cost path climbs through u; its arcs need not be relaxed.
 */
static inline bool
stalled(const SearchSpace *ss, const ChArcs *other, int32 u)
{
	double		du = ss->dist[u];

	for (int64 p = other->off[u]; p < other->off[u + 1]; p++)
		if (ss->dist[other->head[p]] + other->cost[p] < du)
			return true;
	return false;
}

/* position of the arc of node at with head h in a (it exists by construction) */
int64
ch_find_arc(const ChArcs *a, int32 at, int32 h)
{
	for (int64 p = a->off[at]; p < a->off[at + 1]; p++)
		if (a->head[p] == h)
			return p;
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("invalid ecomml model"),
			 errdetail("A shortcut of the contraction hierarchy has no arc between nodes %d and %d.", at, h)));
	return -1;					/* keep compiler quiet */
}

typedef struct PathOut
{
	int32	   *path;
	int64	   *out_edge;
	double	   *out_cost;
	int32		len;
	int32		cap;			/* n + 1: a least-cost path visits a node once */
} PathOut;

/* append the original arcs of u -> w (cost, through mid or original edge) */
static void
unpack(const GraphCH *ch, int32 u, int32 w, double cost, int32 mid, int32 edge, PathOut *o)
{
	check_stack_depth();
	if (mid < 0)
	{
		if (o->len >= o->cap)	/* only a damaged hierarchy unpacks this long */
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("invalid ecomml model"),
					 errdetail("A path of the contraction hierarchy unpacks to more arcs than the graph has nodes.")));
		o->out_edge[o->len - 1] = edge;
		o->out_cost[o->len - 1] = cost;
		o->path[o->len++] = w;
		return;
	}
	{
		int64		p = ch_find_arc(&ch->down, mid, u);	/* u -> mid */
		int64		q = ch_find_arc(&ch->up, mid, w);	/* mid -> w */

		unpack(ch, u, mid, ch->down.cost[p], ch->down.mid[p], ch->down.edge[p], o);
		unpack(ch, mid, w, ch->up.cost[q], ch->up.mid[q], ch->up.edge[q], o);
	}
}

double
ch_path(const GraphModel *g, SearchSpace *fw, SearchSpace *bw, int32 s, int32 t,
		int32 *path, int64 *out_edge, double *out_cost, int32 *len)
{
	const GraphCH *ch = g->ch;
	double		best = INFINITY;
	int32		meet = -1;
	int64		steps = 0;

	search_space_reset(fw);
	search_space_reset(bw);
	label(fw, s, 0, -1, -1);
	label(bw, t, 0, -1, -1);
	for (;;)
	{
		double		tf = ss_top(fw),
					tb = ss_top(bw);
		SearchSpace *ss,
				   *other;
		int32		u;

		if (Min(tf, tb) >= best || (isinf(tf) && isinf(tb)))
			break;
		if ((++steps & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		ss = tf <= tb ? fw : bw;
		other = tf <= tb ? bw : fw;
		u = ss_pop(ss);
		if (u < 0)
			continue;
		if (!isinf(other->dist[u]) && ss->dist[u] + other->dist[u] < best)
		{
			best = ss->dist[u] + other->dist[u];
			meet = u;
		}
		if (!stalled(ss, ss == fw ? &ch->down : &ch->up, u))
			relax(ss, ss == fw ? &ch->up : &ch->down, u);
	}
	if (meet < 0 || path == NULL)
		return best;

	/* the hierarchy's arcs s .. meet (forward chain), then meet .. t */
	{
		int32		nchain = 0;
		int64	   *chain = palloc_extended(((Size) g->n + 1) * sizeof(int64), MCXT_ALLOC_HUGE);
		PathOut		o = {path, out_edge, out_cost, 1, g->n + 1};

		path[0] = s;
		for (int32 v = meet; v != s; v = fw->pred[v])
			chain[nchain++] = fw->pred_edge[v];
		for (int32 i = nchain - 1; i >= 0; i--)
		{
			int64		p = chain[i];

			unpack(ch, path[o.len - 1], ch->up.head[p], ch->up.cost[p], ch->up.mid[p], ch->up.edge[p], &o);
		}
		for (int32 v = meet; v != t; v = bw->pred[v])
		{
			int64		p = bw->pred_edge[v];	/* down arc v -> pred, stored at pred */

			unpack(ch, v, bw->pred[v], ch->down.cost[p], ch->down.mid[p], ch->down.edge[p], &o);
		}
		out_edge[o.len - 1] = -1;
		out_cost[o.len - 1] = 0;
		*len = o.len;
		pfree(chain);
	}
	return best;
}

/* ---------------------------------------------------------------------------
 * Many-to-many
 */
struct ChBuckets
{
	int32		k;
	int64	   *off;			/* n + 1: entries of node v */
	int32	   *target;			/* index into the targets */
	double	   *cost;			/* node -> target */
	const int32 *targets;
};

ChBuckets *
ch_buckets(const GraphModel *g, const int32 *targets, int32 k)
{
	const GraphCH *ch = g->ch;
	ChBuckets  *b = palloc0(sizeof(ChBuckets));
	SearchSpace *ss = search_space_create(g->n);
	int64		cap = 1024,
				cnt = 0;
	int32	   *at = MemoryContextAllocHuge(CurrentMemoryContext, cap * sizeof(int32));
	int32	   *tg = MemoryContextAllocHuge(CurrentMemoryContext, cap * sizeof(int32));
	double	   *cs = MemoryContextAllocHuge(CurrentMemoryContext, cap * sizeof(double));
	int64	   *fill;

	b->k = k;
	b->targets = targets;
	for (int32 j = 0; j < k; j++)
	{
		int32		u;

		search_space_reset(ss);
		label(ss, targets[j], 0, -1, -1);
		while ((u = ss_pop(ss)) >= 0)
		{
			if (stalled(ss, &ch->up, u))
				continue;
			if (cnt == cap)
			{
				cap *= 2;
				at = repalloc_huge(at, cap * sizeof(int32));
				tg = repalloc_huge(tg, cap * sizeof(int32));
				cs = repalloc_huge(cs, cap * sizeof(double));
			}
			at[cnt] = u;
			tg[cnt] = j;
			cs[cnt] = ss->dist[u];
			cnt++;
			relax(ss, &ch->down, u);
		}
		CHECK_FOR_INTERRUPTS();
	}
	/* by node: counting sort */
	b->off = palloc_extended(((Size) g->n + 1) * sizeof(int64), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	for (int64 i = 0; i < cnt; i++)
		b->off[at[i] + 1]++;
	for (int32 v = 0; v < g->n; v++)
		b->off[v + 1] += b->off[v];
	fill = palloc_extended(((Size) g->n + 1) * sizeof(int64), MCXT_ALLOC_HUGE);
	memcpy(fill, b->off, ((Size) g->n + 1) * sizeof(int64));
	b->target = MemoryContextAllocHuge(CurrentMemoryContext, Max(cnt, 1) * sizeof(int32));
	b->cost = MemoryContextAllocHuge(CurrentMemoryContext, Max(cnt, 1) * sizeof(double));
	for (int64 i = 0; i < cnt; i++)
	{
		int64		q = fill[at[i]]++;

		b->target[q] = tg[i];
		b->cost[q] = cs[i];
	}
	pfree(fill);
	pfree(at);
	pfree(tg);
	pfree(cs);
	return b;
}

void
ch_row(const GraphModel *g, const ChBuckets *b, SearchSpace *fw, int32 src, double *row)
{
	int32		u;

	for (int32 j = 0; j < b->k; j++)
		row[j] = INFINITY;
	search_space_reset(fw);
	label(fw, src, 0, -1, -1);
	while ((u = ss_pop(fw)) >= 0)
	{
		double		du = fw->dist[u];

		if (stalled(fw, &g->ch->down, u))
			continue;
		for (int64 q = b->off[u]; q < b->off[u + 1]; q++)
		{
			double		c = du + b->cost[q];

			if (c < row[b->target[q]])
				row[b->target[q]] = c;
		}
		relax(fw, &g->ch->up, u);
	}
	for (int32 j = 0; j < b->k; j++)
		if (b->targets[j] == src)
			row[j] = 0;
	CHECK_FOR_INTERRUPTS();
}

/* ---------------------------------------------------------------------------
 * k nearest stops (the candidate lists of sparse tours)
 *
 * Buckets as for a matrix, but each node keeps only the keep = k + 1
 * cheapest entries (a stop's own entry, at cost 0, takes one place).  That
 * loses no answer: if stop t is among the k + 1 nearest of s and u is where
 * their searches meet on a least-cost path, any entry t' cheaper than t at u
 * gives d(s, t') <= d(s, u) + b(u, t') < d(s, t); k + 1 of them would push t
 * out.  So memory is at most keep entries per node, whatever the stop count.
 */
void
ch_nearest(const GraphModel *g, const int32 *stops, int32 n, int32 k, bool forward,
		   int32 *nbr, double *nbr_cost)
{
	const GraphCH *ch = g->ch;
	/* the stop's side climbs `up`; the buckets' side climbs `down` */
	const ChArcs *up = forward ? &ch->up : &ch->down;
	const ChArcs *down = forward ? &ch->down : &ch->up;
	int32		keep = k + 1;
	int32	   *slot = palloc_extended((Size) g->n * sizeof(int32), MCXT_ALLOC_HUGE);
	int32	   *bcount;
	int32	   *btarget;
	double	   *bcost;
	int32		nblocks = 0,
				capblocks = 1024;
	SearchSpace *ss = search_space_create(g->n);
	double	   *best = palloc_extended((Size) n * sizeof(double), MCXT_ALLOC_HUGE);
	int32	   *seen = palloc_extended((Size) n * sizeof(int32), MCXT_ALLOC_HUGE);
	Heap	   *h = heap_create(k + 1);
	HeapItem   *out = palloc((k + 1) * sizeof(HeapItem));

	memset(slot, -1, (Size) g->n * sizeof(int32));
	bcount = palloc(capblocks * sizeof(int32));
	btarget = palloc((Size) capblocks * keep * sizeof(int32));
	bcost = palloc((Size) capblocks * keep * sizeof(double));
	for (int32 j = 0; j < n; j++)
	{
		int32		u;

		search_space_reset(ss);
		label(ss, stops[j], 0, -1, -1);
		while ((u = ss_pop(ss)) >= 0)
		{
			double		du = ss->dist[u];
			int32		b;
			Size		base;

			if (stalled(ss, up, u))
				continue;
			if (slot[u] < 0)
			{
				if (nblocks == capblocks)
				{
					capblocks *= 2;
					bcount = repalloc_huge(bcount, capblocks * sizeof(int32));
					btarget = repalloc_huge(btarget, (Size) capblocks * keep * sizeof(int32));
					bcost = repalloc_huge(bcost, (Size) capblocks * keep * sizeof(double));
				}
				bcount[nblocks] = 0;
				slot[u] = nblocks++;
			}
			b = slot[u];
			base = (Size) b * keep;
			if (bcount[b] < keep)
			{
				btarget[base + bcount[b]] = j;
				bcost[base + bcount[b]] = du;
				bcount[b]++;
			}
			else
			{
				int32		worst = 0;

				for (int32 e = 1; e < keep; e++)
					if (bcost[base + e] > bcost[base + worst])
						worst = e;
				if (du < bcost[base + worst])
				{
					btarget[base + worst] = j;
					bcost[base + worst] = du;
				}
			}
			relax(ss, down, u);
		}
		if ((j & 63) == 0)
			CHECK_FOR_INTERRUPTS();
	}

	/* each stop: climb, read the buckets, keep the k cheapest other stops */
	for (int32 j = 0; j < n; j++)
		best[j] = INFINITY;
	for (int32 i = 0; i < n; i++)
	{
		int32		u,
					nseen = 0;
		Size		got;

		search_space_reset(ss);
		label(ss, stops[i], 0, -1, -1);
		while ((u = ss_pop(ss)) >= 0)
		{
			double		du = ss->dist[u];
			int32		b = slot[u];

			if (stalled(ss, down, u))
				continue;
			if (b >= 0)
				for (int32 e = 0; e < bcount[b]; e++)
				{
					Size		q = (Size) b * keep + e;
					int32		t = btarget[q];
					double		c = du + bcost[q];

					if (isinf(best[t]))
						seen[nseen++] = t;
					if (c < best[t])
						best[t] = c;
				}
			relax(ss, up, u);
		}
		h->count = 0;
		for (int32 e = 0; e < nseen; e++)
		{
			if (seen[e] != i)
				heap_offer(h, k, -best[seen[e]], seen[e]);
			best[seen[e]] = INFINITY;
		}
		got = heap_drain_descending(h, out);
		for (int32 c = 0; c < k; c++)
		{
			nbr[(Size) i * k + c] = c < (int32) got ? (int32) out[c].value : -1;
			nbr_cost[(Size) i * k + c] = c < (int32) got ? -out[c].key : INFINITY;
		}
		if ((i & 63) == 0)
			CHECK_FOR_INTERRUPTS();
	}
}

/* ---------------------------------------------------------------------------
 * A whole upward search space, kept by callers that meet many pairs
 */
static int
cmp_node_label(const void *a, const void *b)
{
	int32		x = ((const ChLabel *) a)->node,
				y = ((const ChLabel *) b)->node;

	return x < y ? -1 : x > y;
}

ChLabel *
ch_upward(const GraphModel *g, SearchSpace *ss, int32 s, bool forward, int32 *len)
{
	const ChArcs *up = forward ? &g->ch->up : &g->ch->down;
	const ChArcs *down = forward ? &g->ch->down : &g->ch->up;
	ChLabel    *out;
	int32		u,
				m = 0;

	search_space_reset(ss);
	label(ss, s, 0, -1, -1);
	while ((u = ss_pop(ss)) >= 0)
	{
		/* a stalled node's label is not its least cost: never a meeting point */
		if (stalled(ss, down, u))
		{
			ss->pred[u] = -2;
			continue;
		}
		relax(ss, up, u);
	}
	for (int32 i = 0; i < ss->ntouched; i++)
		if (ss->settled[ss->touched[i]] && ss->pred[ss->touched[i]] != -2)
			m++;
	out = palloc(Max(m, 1) * sizeof(ChLabel));	/* kept by callers: no slack */
	m = 0;
	for (int32 i = 0; i < ss->ntouched; i++)
	{
		int32		v = ss->touched[i];

		if (ss->settled[v] && ss->pred[v] != -2)
			out[m++] = (ChLabel) {v, ss->dist[v]};
	}
	qsort(out, m, sizeof(ChLabel), cmp_node_label);
	*len = m;
	return out;
}

double
ch_meet(const ChLabel *fw, int32 nf, const ChLabel *bw, int32 nb)
{
	double		best = INFINITY;

	for (int32 i = 0, j = 0; i < nf && j < nb;)
	{
		if (fw[i].node < bw[j].node)
			i++;
		else if (fw[i].node > bw[j].node)
			j++;
		else
		{
			if (fw[i].dist + bw[j].dist < best)
				best = fw[i].dist + bw[j].dist;
			i++;
			j++;
		}
	}
	return best;
}
