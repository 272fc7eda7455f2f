/*
 * routes.c - ecomml.build_graph, shortest_path, shortest_path_tree, cost_matrix
 *
 * build_graph is a training aggregate: the state is the list of input edges
 * (parallel workers' lists are concatenated by combine), and the final
 * function sorts them into a canonical order, so a parallel and a serial
 * build give the same model byte for byte apart from the header.  Negative
 * cost or reverse_cost means "no arc in that direction" (pgRouting's rule).
 *
 * Searches use the shared binary heap with lazy deletion: a node may sit in
 * the heap several times, stale entries are skipped when popped.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "arrays.h"
#include "contraction.h"
#include "kinds.h"
#include "model_cache.h"
#include "options.h"
#include "routes.h"

#define GRAPH_MAX_ARCS ((int64) PG_INT32_MAX - 1)
/* buckets hold one entry per target per node of its upward search space */
#define CH_BUCKET_MAX_TARGETS 10000

/* ---------------------------------------------------------------------------
 * Training state: the edge list
 */
typedef struct GraphState
{
	bool		directed;
	bool		has_coords;
	int64		count;
	int64		cap;
	int64	   *src;
	int64	   *tgt;
	double	   *cost;
	double	   *rcost;
	double	   *xy;				/* 4 per edge (x1, y1, x2, y2) if has_coords */
} GraphState;

static const char *const graph_options[] = {"directed", NULL};

static void
graph_state_reserve(GraphState *s, int64 need)
{
	int64		cap;

	if (need <= s->cap)
		return;
	if (need > GRAPH_MAX_ARCS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many edges for one graph (more than " INT64_FORMAT ")",
						GRAPH_MAX_ARCS)));
	cap = Max(s->cap * 2, Max(need, 64));
	if (s->cap == 0)
	{
		MemoryContext cxt = CurrentMemoryContext;

		s->src = MemoryContextAllocHuge(cxt, cap * sizeof(int64));
		s->tgt = MemoryContextAllocHuge(cxt, cap * sizeof(int64));
		s->cost = MemoryContextAllocHuge(cxt, cap * sizeof(double));
		s->rcost = MemoryContextAllocHuge(cxt, cap * sizeof(double));
		if (s->has_coords)
			s->xy = MemoryContextAllocHuge(cxt, cap * 4 * sizeof(double));
	}
	else
	{
		s->src = repalloc_huge(s->src, cap * sizeof(int64));
		s->tgt = repalloc_huge(s->tgt, cap * sizeof(int64));
		s->cost = repalloc_huge(s->cost, cap * sizeof(double));
		s->rcost = repalloc_huge(s->rcost, cap * sizeof(double));
		if (s->has_coords)
			s->xy = repalloc_huge(s->xy, cap * 4 * sizeof(double));
	}
	s->cap = cap;
}

static void
graph_write(const void *data, ByteWriter *w)
{
	const GraphState *s = data;

	write_u8(w, s->directed);
	write_u8(w, s->has_coords);
	write_i64(w, s->count);
	write_i64_array(w, s->src, s->count);
	write_i64_array(w, s->tgt, s->count);
	write_f64_array(w, s->cost, s->count);
	write_f64_array(w, s->rcost, s->count);
	if (s->has_coords)
		write_f64_array(w, s->xy, s->count * 4);
}

static void *
graph_read(ByteReader *r)
{
	GraphState *s = palloc0(sizeof(GraphState));
	uint8		d = read_u8(r);
	uint8		c = read_u8(r);

	if (d > 1 || c > 1)
		reader_corrupt(r, "The graph state holds impossible flags");
	s->directed = d;
	s->has_coords = c;
	s->count = read_count(r, GRAPH_MAX_ARCS, 4 * sizeof(int64));
	s->cap = s->count;
	if (s->count == 0)
		return s;
	s->src = read_i64_array(r, s->count);
	s->tgt = read_i64_array(r, s->count);
	s->cost = read_f64_array(r, s->count);
	s->rcost = read_f64_array(r, s->count);
	if (s->has_coords)
		s->xy = read_f64_array(r, s->count * 4);
	for (int64 i = 0; i < s->count; i++)
		if (isnan(s->cost[i]) || isnan(s->rcost[i]) || isinf(s->cost[i]) || isinf(s->rcost[i]))
			reader_corrupt(r, "The graph state holds a non-finite cost");
	return s;
}

static void
graph_combine(void *into, const void *from)
{
	GraphState *a = into;
	const GraphState *b = from;
	int64		base = a->count;

	if (b->count == 0)
		return;
	graph_state_reserve(a, a->count + b->count);
	memcpy(a->src + base, b->src, b->count * sizeof(int64));
	memcpy(a->tgt + base, b->tgt, b->count * sizeof(int64));
	memcpy(a->cost + base, b->cost, b->count * sizeof(double));
	memcpy(a->rcost + base, b->rcost, b->count * sizeof(double));
	if (a->has_coords && b->has_coords)
		memcpy(a->xy + base * 4, b->xy, b->count * 4 * sizeof(double));
	else if (a->has_coords != b->has_coords)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine graph states with and without coordinates")));
	a->count += b->count;
}

const TrainStateOps graph_state_ops = {
	MODEL_GRAPH, graph_write, graph_read, graph_combine
};

static double
arg_cost(FunctionCallInfo fcinfo, int argno, const char *what)
{
	double		v;

	if (PG_ARGISNULL(argno))
		return -1.0;			/* no arc */
	v = PG_GETARG_FLOAT8(argno);
	if (isnan(v) || isinf(v))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("build_graph %s must be finite, not %g", what, v),
				 errhint("Use a negative cost (or NULL) for a direction that cannot be driven.")));
	return check_value(v, what);
}

/*
 * build_graph(state, source, target, cost, reverse_cost [, options])
 * build_graph(state, source, target, cost, reverse_cost, x1, y1, x2, y2 [, options])
 */
PG_FUNCTION_INFO_V1(build_graph_transfn);
Datum
build_graph_transfn(PG_FUNCTION_ARGS)
{
	TrainState *st = train_state_for_update(fcinfo, &graph_state_ops);
	GraphState *s = st->data;
	bool		coords = PG_NARGS() >= 9;
	Jsonb	   *opts = train_state_options(st, fcinfo, coords ? 9 : 5);
	int64		i;

	if (s == NULL)
	{
		options_check_keys(opts, graph_options);
		s = MemoryContextAllocZero(st->hdr.eoh_context, sizeof(GraphState));
		s->directed = options_bool(opts, "directed", true);
		s->has_coords = coords;
		st->data = s;
	}
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_AGG_STATE(st);
	{
		MemoryContext old = MemoryContextSwitchTo(st->hdr.eoh_context);

		graph_state_reserve(s, s->count + 1);
		MemoryContextSwitchTo(old);
	}
	i = s->count;
	s->src[i] = PG_GETARG_INT64(1);
	s->tgt[i] = PG_GETARG_INT64(2);
	s->cost[i] = arg_cost(fcinfo, 3, "cost");
	s->rcost[i] = arg_cost(fcinfo, 4, "reverse_cost");
	if (coords)
	{
		for (int k = 0; k < 4; k++)
		{
			double		v;

			if (PG_ARGISNULL(5 + k))
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("build_graph coordinates must not be null"),
						 errdetail("Edge " INT64_FORMAT " -> " INT64_FORMAT " has a null coordinate.",
								   s->src[i], s->tgt[i])));
			v = PG_GETARG_FLOAT8(5 + k);
			if (isnan(v) || isinf(v))
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("build_graph coordinates must be finite, not %g", v)));
			s->xy[i * 4 + k] = check_value(v, "build_graph coordinate");
		}
	}
	s->count++;
	PG_RETURN_AGG_STATE(st);
}

/* canonical edge order: by source, target, cost, reverse cost, coordinates */
static int
cmp_edge(const void *pa, const void *pb, void *arg)
{
	int64		a = *(const int64 *) pa;
	int64		b = *(const int64 *) pb;
	const GraphState *s = arg;

	if (s->src[a] != s->src[b])
		return s->src[a] < s->src[b] ? -1 : 1;
	if (s->tgt[a] != s->tgt[b])
		return s->tgt[a] < s->tgt[b] ? -1 : 1;
	if (s->cost[a] != s->cost[b])
		return s->cost[a] < s->cost[b] ? -1 : 1;
	if (s->rcost[a] != s->rcost[b])
		return s->rcost[a] < s->rcost[b] ? -1 : 1;
	if (s->has_coords)
		for (int k = 0; k < 4; k++)
			if (s->xy[a * 4 + k] != s->xy[b * 4 + k])
				return s->xy[a * 4 + k] < s->xy[b * 4 + k] ? -1 : 1;
	return 0;
}

static int
cmp_i64(const void *pa, const void *pb)
{
	int64		a = *(const int64 *) pa;
	int64		b = *(const int64 *) pb;

	return a < b ? -1 : (a > b ? 1 : 0);
}

typedef struct Arc
{
	int32		from;
	int32		to;
	int32		edge;
	double		cost;
} Arc;

PG_FUNCTION_INFO_V1(build_graph_finalfn);
Datum
build_graph_finalfn(PG_FUNCTION_ARGS)
{
	const GraphState *s = train_state_get_data(fcinfo, 0, &graph_state_ops);
	int64	   *order;
	int64	   *allids;
	int64		nid = 0;
	IdMap	   *map;
	Arc		   *arcs;
	int64		m = 0;
	int64	   *off;
	int32	   *head,
			   *edge;
	double	   *cost;
	int32		n;
	double	   *x = NULL,
			   *y = NULL;
	double		scale = 0;
	ByteWriter	w;

	if (s == NULL || s->count == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot build a graph from zero edges"),
				 errdetail("Every row had a null source or target, or there were no rows.")));

	/* canonical edge order, so parallel and serial builds agree */
	order = MemoryContextAllocHuge(CurrentMemoryContext, s->count * sizeof(int64));
	for (int64 i = 0; i < s->count; i++)
		order[i] = i;
	qsort_arg(order, s->count, sizeof(int64), cmp_edge, (void *) s);

	/* node ids, sorted */
	allids = MemoryContextAllocHuge(CurrentMemoryContext, s->count * 2 * sizeof(int64));
	for (int64 i = 0; i < s->count; i++)
	{
		allids[2 * i] = s->src[i];
		allids[2 * i + 1] = s->tgt[i];
	}
	qsort(allids, s->count * 2, sizeof(int64), cmp_i64);
	map = idmap_create((int32) Min(s->count * 2, PG_INT32_MAX / 4));
	for (int64 i = 0; i < s->count * 2; i++)
		if (i == 0 || allids[i] != allids[i - 1])
		{
			idmap_insert(map, allids[i]);
			nid++;
		}
	n = map->count;
	pfree(allids);

	/* arcs */
	arcs = MemoryContextAllocHuge(CurrentMemoryContext, s->count * 4 * sizeof(Arc));
	for (int64 k = 0; k < s->count; k++)
	{
		int64		e = order[k];
		int32		a = idmap_lookup(map, s->src[e]);
		int32		b = idmap_lookup(map, s->tgt[e]);
		int32		num = (int32) (k + 1);

		if (s->cost[e] >= 0)
		{
			arcs[m++] = (Arc) {a, b, num, s->cost[e]};
			if (!s->directed)
				arcs[m++] = (Arc) {b, a, num, s->cost[e]};
		}
		if (s->rcost[e] >= 0)
		{
			arcs[m++] = (Arc) {b, a, num, s->rcost[e]};
			if (!s->directed)
				arcs[m++] = (Arc) {a, b, num, s->rcost[e]};
		}
		if (m > GRAPH_MAX_ARCS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many arcs for one graph (more than " INT64_FORMAT ")",
							GRAPH_MAX_ARCS)));
	}

	/* CSR by a stable counting sort on the tail */
	off = MemoryContextAllocHuge(CurrentMemoryContext, ((Size) n + 1) * sizeof(int64));
	memset(off, 0, ((Size) n + 1) * sizeof(int64));
	for (int64 i = 0; i < m; i++)
		off[arcs[i].from + 1]++;
	for (int32 v = 0; v < n; v++)
		off[v + 1] += off[v];
	head = MemoryContextAllocHuge(CurrentMemoryContext, Max(m, 1) * sizeof(int32));
	edge = MemoryContextAllocHuge(CurrentMemoryContext, Max(m, 1) * sizeof(int32));
	cost = MemoryContextAllocHuge(CurrentMemoryContext, Max(m, 1) * sizeof(double));
	{
		int64	   *fill = palloc_extended(((Size) n + 1) * sizeof(int64), MCXT_ALLOC_HUGE);

		memcpy(fill, off, ((Size) n + 1) * sizeof(int64));
		for (int64 i = 0; i < m; i++)
		{
			int64		p = fill[arcs[i].from]++;

			head[p] = arcs[i].to;
			edge[p] = arcs[i].edge;
			cost[p] = arcs[i].cost;
		}
		pfree(fill);
	}

	/* coordinates: each node takes the first position the canonical order gives it */
	if (s->has_coords)
	{
		bool	   *seen = palloc_extended(((Size) n) * sizeof(bool), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);

		x = MemoryContextAllocHuge(CurrentMemoryContext, (Size) n * sizeof(double));
		y = MemoryContextAllocHuge(CurrentMemoryContext, (Size) n * sizeof(double));
		for (int64 k = 0; k < s->count; k++)
		{
			int64		e = order[k];
			int32		a = idmap_lookup(map, s->src[e]);
			int32		b = idmap_lookup(map, s->tgt[e]);

			if (!seen[a])
			{
				x[a] = s->xy[e * 4];
				y[a] = s->xy[e * 4 + 1];
				seen[a] = true;
			}
			if (!seen[b])
			{
				x[b] = s->xy[e * 4 + 2];
				y[b] = s->xy[e * 4 + 3];
				seen[b] = true;
			}
		}
		/* admissible A*: no arc is cheaper per unit of straight-line distance */
		scale = INFINITY;
		for (int32 v = 0; v < n; v++)
			for (int64 p = off[v]; p < off[v + 1]; p++)
			{
				double		d = hypot(x[v] - x[head[p]], y[v] - y[head[p]]);

				if (d > 0)
					scale = Min(scale, cost[p] / d);
			}
		if (isinf(scale))
			scale = 0;
	}

	writer_init(&w, 1024);
	write_u8(&w, s->directed);
	write_u8(&w, s->has_coords);
	idmap_write(map, &w);
	write_i64(&w, s->count);
	write_i64(&w, m);
	write_i64_array(&w, off, (Size) n + 1);
	write_i32_array(&w, head, m);
	write_i32_array(&w, edge, m);
	write_f64_array(&w, cost, m);
	if (s->has_coords)
	{
		write_f64_array(&w, x, n);
		write_f64_array(&w, y, n);
		write_f64(&w, scale);
	}
	PG_RETURN_BYTEA_P(model_build(MODEL_GRAPH, &w));
}

/* ---------------------------------------------------------------------------
 * The decoded model
 */
void *
graph_decode(ByteReader *r)
{
	GraphModel *g = palloc0(sizeof(GraphModel));
	Size		start = r->pos;
	uint8		d = read_u8(r);
	uint8		c = read_u8(r);
	int64	   *fill;

	if (d > 1 || c > (GRAPH_FLAG_COORDS | GRAPH_FLAG_CH))
		reader_corrupt(r, "The graph model holds impossible flags");
	g->directed = d;
	g->has_coords = (c & GRAPH_FLAG_COORDS) != 0;
	g->ids = idmap_read(r);
	g->n = g->ids->count;
	g->n_edges = read_i64(r);
	g->m = read_count(r, GRAPH_MAX_ARCS, sizeof(int32) * 2 + sizeof(double));
	if (g->n < 1 || g->n_edges < 1)
		reader_corrupt(r, "The graph model has no nodes");
	g->fwd_off = read_i64_array(r, (Size) g->n + 1);
	g->fwd_head = read_i32_array(r, g->m);
	g->fwd_edge = read_i32_array(r, g->m);
	g->fwd_cost = read_f64_array(r, g->m);
	if (g->fwd_off[0] != 0 || g->fwd_off[g->n] != g->m)
		reader_corrupt(r, "The graph model's offsets are inconsistent");
	for (int32 v = 0; v < g->n; v++)
		if (g->fwd_off[v + 1] < g->fwd_off[v])
			reader_corrupt(r, "The graph model's offsets are inconsistent");
	for (int64 p = 0; p < g->m; p++)
		if (g->fwd_head[p] < 0 || g->fwd_head[p] >= g->n || !(g->fwd_cost[p] >= 0) ||
			isinf(g->fwd_cost[p]) || g->fwd_edge[p] < 1 || g->fwd_edge[p] > g->n_edges)
			reader_corrupt(r, "The graph model holds an impossible arc");
	if (g->has_coords)
	{
		g->x = read_f64_array(r, g->n);
		g->y = read_f64_array(r, g->n);
		g->scale = read_f64(r);
		if (!(g->scale >= 0) || isinf(g->scale))
			reader_corrupt(r, "The graph model holds an impossible heuristic scale");
	}
	g->base_len = r->pos - start;
	if (c & GRAPH_FLAG_CH)
		g->ch = ch_read(r, g);

	/* reverse adjacency */
	g->rev_off = MemoryContextAllocHuge(CurrentMemoryContext, ((Size) g->n + 1) * sizeof(int64));
	memset(g->rev_off, 0, ((Size) g->n + 1) * sizeof(int64));
	for (int64 p = 0; p < g->m; p++)
		g->rev_off[g->fwd_head[p] + 1]++;
	for (int32 v = 0; v < g->n; v++)
		g->rev_off[v + 1] += g->rev_off[v];
	g->rev_head = MemoryContextAllocHuge(CurrentMemoryContext, Max(g->m, 1) * sizeof(int32));
	g->rev_edge = MemoryContextAllocHuge(CurrentMemoryContext, Max(g->m, 1) * sizeof(int32));
	g->rev_cost = MemoryContextAllocHuge(CurrentMemoryContext, Max(g->m, 1) * sizeof(double));
	fill = palloc_extended(((Size) g->n + 1) * sizeof(int64), MCXT_ALLOC_HUGE);
	memcpy(fill, g->rev_off, ((Size) g->n + 1) * sizeof(int64));
	for (int32 u = 0; u < g->n; u++)
		for (int64 p = g->fwd_off[u]; p < g->fwd_off[u + 1]; p++)
		{
			int64		q = fill[g->fwd_head[p]]++;

			g->rev_head[q] = u;
			g->rev_edge[q] = g->fwd_edge[p];
			g->rev_cost[q] = g->fwd_cost[p];
		}
	pfree(fill);
	return g;
}

void
graph_describe(const void *decoded, StringInfo buf)
{
	const GraphModel *g = decoded;

	json_append_int(buf, "nodes", g->n);
	json_append_int(buf, "edges", g->n_edges);
	json_append_int(buf, "arcs", g->m);
	appendStringInfo(buf, ",\"directed\":%s", g->directed ? "true" : "false");
	appendStringInfo(buf, ",\"has_coordinates\":%s", g->has_coords ? "true" : "false");
	if (g->has_coords)
		json_append_double(buf, "heuristic_scale", g->scale);
	if (g->ch)					/* only then: 0.2.0 models describe as before */
	{
		appendStringInfoString(buf, ",\"contracted\":true");
		json_append_int(buf, "shortcuts", g->ch->shortcuts);
	}
}

/* ---------------------------------------------------------------------------
 * Searches
 */
SearchSpace *
search_space_create(int32 n)
{
	SearchSpace *ss = palloc0(sizeof(SearchSpace));

	ss->n = n;
	ss->dist = MemoryContextAllocHuge(CurrentMemoryContext, (Size) n * sizeof(double));
	ss->pred = MemoryContextAllocHuge(CurrentMemoryContext, (Size) n * sizeof(int32));
	ss->pred_edge = MemoryContextAllocHuge(CurrentMemoryContext, (Size) n * sizeof(int32));
	ss->pred_cost = MemoryContextAllocHuge(CurrentMemoryContext, (Size) n * sizeof(double));
	ss->settled = MemoryContextAllocHuge(CurrentMemoryContext, (Size) n);
	ss->touched = MemoryContextAllocHuge(CurrentMemoryContext, (Size) n * sizeof(int32));
	for (int32 v = 0; v < n; v++)
		ss->dist[v] = INFINITY;
	memset(ss->settled, 0, n);
	ss->ntouched = 0;
	ss->heap = heap_create(1024);
	return ss;
}

void
search_space_reset(SearchSpace *ss)
{
	for (int32 i = 0; i < ss->ntouched; i++)
	{
		ss->dist[ss->touched[i]] = INFINITY;
		ss->settled[ss->touched[i]] = 0;
	}
	ss->ntouched = 0;
	ss->heap->count = 0;
}

int32
graph_node(const GraphModel *g, int64 id, const char *what)
{
	int32		v = idmap_lookup(g->ids, id);

	if (v < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s node " INT64_FORMAT " is not in the graph", what, id)));
	return v;
}

/*
 * Plain Dijkstra from s; stops once 'stop' is settled (-1: run until the heap
 * is empty or the next label exceeds max_cost).
 */
static void
dijkstra(const GraphModel *g, SearchSpace *ss, int32 s, int32 stop, double max_cost)
{
	int64		steps = 0;

	ss_label(ss, s, 0, -1, -1, 0, 0);
	for (;;)
	{
		int32		u = ss_pop(ss);
		double		du;

		if (u < 0 || u == stop)
			break;
		du = ss->dist[u];
		if (du > max_cost)
		{
			ss->settled[u] = 0;
			break;
		}
		if ((++steps & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		for (int64 p = g->fwd_off[u]; p < g->fwd_off[u + 1]; p++)
		{
			int32		v = g->fwd_head[p];
			double		nd = du + g->fwd_cost[p];

			if (nd < ss->dist[v])
				ss_label(ss, v, nd, u, g->fwd_edge[p], g->fwd_cost[p], nd);
		}
	}
}

/* A* towards t with h(v) = scale * straight-line distance: consistent */
static void
astar(const GraphModel *g, SearchSpace *ss, int32 s, int32 t)
{
	int64		steps = 0;
	double		tx = g->x[t],
				ty = g->y[t],
				sc = g->scale;

	ss_label(ss, s, 0, -1, -1, 0, sc * hypot(g->x[s] - tx, g->y[s] - ty));
	for (;;)
	{
		int32		u = ss_pop(ss);
		double		du;

		if (u < 0 || u == t)
			break;
		du = ss->dist[u];
		if ((++steps & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		for (int64 p = g->fwd_off[u]; p < g->fwd_off[u + 1]; p++)
		{
			int32		v = g->fwd_head[p];
			double		nd = du + g->fwd_cost[p];

			if (nd < ss->dist[v] && !ss->settled[v])
				ss_label(ss, v, nd, u, g->fwd_edge[p], g->fwd_cost[p],
						 nd + sc * hypot(g->x[v] - tx, g->y[v] - ty));
		}
	}
}

/*
 * Bidirectional Dijkstra; returns the meeting node (-1: unreachable).  The
 * forward space's pred chain leads back to s, the backward space's to t.
 */
static int32
bidijkstra(const GraphModel *g, SearchSpace *fw, SearchSpace *bw, int32 s, int32 t)
{
	double		mu = INFINITY;
	int32		meet = -1;
	int64		steps = 0;

	ss_label(fw, s, 0, -1, -1, 0, 0);
	ss_label(bw, t, 0, -1, -1, 0, 0);
	if (s == t)
		return s;
	for (;;)
	{
		double		tf = ss_top(fw),
					tb = ss_top(bw);
		bool		forward;
		int32		u;
		double		du;

		if (isinf(tf) || isinf(tb) || tf + tb >= mu)
			break;
		if ((++steps & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		forward = tf <= tb;
		if (forward)
		{
			u = ss_pop(fw);
			du = fw->dist[u];
			for (int64 p = g->fwd_off[u]; p < g->fwd_off[u + 1]; p++)
			{
				int32		v = g->fwd_head[p];
				double		nd = du + g->fwd_cost[p];

				if (nd < fw->dist[v])
					ss_label(fw, v, nd, u, g->fwd_edge[p], g->fwd_cost[p], nd);
				if (nd + bw->dist[v] < mu)
				{
					mu = nd + bw->dist[v];
					meet = v;
				}
			}
		}
		else
		{
			u = ss_pop(bw);
			du = bw->dist[u];
			for (int64 p = g->rev_off[u]; p < g->rev_off[u + 1]; p++)
			{
				int32		v = g->rev_head[p];
				double		nd = du + g->rev_cost[p];

				if (nd < bw->dist[v])
					ss_label(bw, v, nd, u, g->rev_edge[p], g->rev_cost[p], nd);
				if (nd + fw->dist[v] < mu)
				{
					mu = nd + fw->dist[v];
					meet = v;
				}
			}
		}
	}
	return meet;
}

static void
emit_row(Tuplestorestate *ts, TupleDesc td, int32 seq, int64 node, int64 edge,
		 double cost, double agg)
{
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};

	values[0] = Int32GetDatum(seq);
	values[1] = Int64GetDatum(node);
	values[2] = Int64GetDatum(edge);
	values[3] = Float8GetDatum(cost);
	values[4] = Float8GetDatum(agg);
	tuplestore_putvalues(ts, td, values, nulls);
}

static const char *const path_options[] = {"algorithm", NULL};

/*
 * A query on a hierarchy touches a few hundred nodes: its O(n) work spaces
 * live with the decoded model (freed with it) and are reset by what the last
 * query touched, even one cut short by an error.  Nothing of one query's
 * result is kept in them.
 */
PathWork *
graph_path_work(const GraphModel *g)
{
	PathWork   *pw = g->scratch;

	if (pw == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(GetMemoryChunkContext((void *) g));

		pw = palloc(sizeof(PathWork));
		pw->fw = search_space_create(g->n);
		pw->bw = search_space_create(g->n);
		pw->path = palloc_extended(((Size) g->n + 1) * sizeof(int32), MCXT_ALLOC_HUGE);
		pw->out_edge = palloc_extended(((Size) g->n + 1) * sizeof(int64), MCXT_ALLOC_HUGE);
		pw->out_cost = palloc_extended(((Size) g->n + 1) * sizeof(double), MCXT_ALLOC_HUGE);
		MemoryContextSwitchTo(old);
		((GraphModel *) g)->scratch = pw;
	}
	return pw;
}

/*
 * Least cost s -> t, as fast as the model allows: on a hierarchy the two
 * upward searches' sum (within rounding of Dijkstra's), else graph_path_cost.
 */
double
graph_least_cost(const GraphModel *g, int32 s, int32 t)
{
	PathWork   *pw;

	if (!g->ch)
		return graph_path_cost(g, s, t);
	if (s == t)
		return 0;
	pw = graph_path_work(g);
	return ch_path(g, pw->fw, pw->bw, s, t, NULL, NULL, NULL, NULL);
}

/*
 * Least cost s -> t summed along a least-cost path in its order, exactly as
 * Dijkstra and shortest_path sum it (Infinity: unreachable).  On a hierarchy
 * the path's shortcuts are unpacked first, so the sum never depends on how
 * shortcut costs were formed.
 */
double
graph_path_cost(const GraphModel *g, int32 s, int32 t)
{
	PathWork   *pw = graph_path_work(g);
	double		sum = 0;
	int32		meet;

	if (s == t)
		return 0;
	if (g->ch)
	{
		int32		len = 0;

		if (isinf(ch_path(g, pw->fw, pw->bw, s, t, pw->path, pw->out_edge, pw->out_cost, &len)))
			return INFINITY;
		for (int32 i = 0; i + 1 < len; i++)
			sum += pw->out_cost[i];
		return sum;
	}
	search_space_reset(pw->fw);
	search_space_reset(pw->bw);
	meet = bidijkstra(g, pw->fw, pw->bw, s, t);
	if (meet < 0)
		return INFINITY;
	/* forward chain s .. meet (collected backwards), then meet .. t */
	{
		int32		len = 0;

		for (int32 v = meet; pw->fw->pred[v] >= 0; v = pw->fw->pred[v])
			pw->out_cost[len++] = pw->fw->pred_cost[v];
		while (len > 0)
			sum += pw->out_cost[--len];
		for (int32 v = meet; pw->bw->pred[v] >= 0; v = pw->bw->pred[v])
			sum += pw->bw->pred_cost[v];
	}
	return sum;
}

static const char *const path_algorithms[] = {"bidirectional", "dijkstra", "astar", "ch", NULL};

/* shortest_path(graph, source, target, options) */
PG_FUNCTION_INFO_V1(graph_shortest_path);
Datum
graph_shortest_path(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const GraphModel *g;
	Jsonb	   *opts;
	const char *alg;
	int32		s,
				t,
				meet;
	SearchSpace *fw,
			   *bw = NULL;
	int32	   *path;
	int64	   *out_edge;
	double	   *out_cost;
	int32		len = 0;
	double		agg = 0;

	options_require_args(fcinfo, 3);
	g = model_cache_get(fcinfo, 0, MODEL_GRAPH, NULL);
	opts = PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3);
	options_check_keys(opts, path_options);
	alg = options_choice(opts, "algorithm", g->ch ? "ch" : "bidirectional", path_algorithms);
	s = graph_node(g, PG_GETARG_INT64(1), "source");
	t = graph_node(g, PG_GETARG_INT64(2), "target");
	if (strcmp(alg, "astar") == 0 && !g->has_coords)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("algorithm \"astar\" needs a graph built with coordinates"),
				 errhint("Build the graph with ecomml.build_graph(source, target, cost, reverse_cost, x1, y1, x2, y2, options).")));

	if (strcmp(alg, "ch") == 0 && !g->ch)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("algorithm \"ch\" needs a contracted graph"),
				 errhint("Contract it once with ecomml.contract_graph(graph).")));

	InitMaterializedSRF(fcinfo, 0);
	if (strcmp(alg, "ch") == 0)
	{
		PathWork   *pw = graph_path_work(g);

		path = pw->path;
		out_edge = pw->out_edge;
		out_cost = pw->out_cost;
		if (isinf(ch_path(g, pw->fw, pw->bw, s, t, path, out_edge, out_cost, &len)))
			PG_RETURN_NULL();	/* unreachable: empty result */
		/* costs summed along the path, in its order, as Dijkstra sums them */
		for (int32 i = 0; i < len; i++)
		{
			emit_row(rsinfo->setResult, rsinfo->setDesc, i + 1, g->ids->ids[path[i]],
					 out_edge[i], out_cost[i], agg);
			agg += out_cost[i];
		}
		PG_RETURN_NULL();
	}
	fw = search_space_create(g->n);
	if (strcmp(alg, "bidirectional") == 0)
	{
		bw = search_space_create(g->n);
		meet = bidijkstra(g, fw, bw, s, t);
	}
	else
	{
		if (strcmp(alg, "astar") == 0)
			astar(g, fw, s, t);
		else
			dijkstra(g, fw, s, t, INFINITY);
		meet = isinf(fw->dist[t]) ? -1 : t;
	}
	if (meet < 0)
		PG_RETURN_NULL();		/* unreachable: empty result */

	/*
	 * nodes s .. meet from the forward chain, then meet .. t from the
	 * backward one; out_edge/out_cost describe the arc leaving each node
	 */
	path = palloc_extended(((Size) g->n + 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	out_edge = palloc_extended(((Size) g->n + 1) * sizeof(int64), MCXT_ALLOC_HUGE);
	out_cost = palloc_extended(((Size) g->n + 1) * sizeof(double), MCXT_ALLOC_HUGE);
	for (int32 v = meet; v >= 0; v = fw->pred[v])
		path[len++] = v;
	for (int32 i = 0; i < len / 2; i++)
	{
		int32		tmp = path[i];

		path[i] = path[len - 1 - i];
		path[len - 1 - i] = tmp;
	}
	for (int32 i = 0; i + 1 < len; i++)
	{
		out_edge[i] = fw->pred_edge[path[i + 1]];
		out_cost[i] = fw->pred_cost[path[i + 1]];
	}
	if (bw)
		for (int32 v = meet; bw->pred[v] >= 0; v = bw->pred[v])
		{
			out_edge[len - 1] = bw->pred_edge[v];
			out_cost[len - 1] = bw->pred_cost[v];
			path[len++] = bw->pred[v];
		}
	out_edge[len - 1] = -1;
	out_cost[len - 1] = 0;
	for (int32 i = 0; i < len; i++)
	{
		emit_row(rsinfo->setResult, rsinfo->setDesc, i + 1, g->ids->ids[path[i]],
				 out_edge[i], out_cost[i], agg);
		agg += out_cost[i];
	}
	PG_RETURN_NULL();
}

/*
 * Dijkstra for a tree: settle nodes within max_cost in cost order into
 * order[], until the heap runs out or *count reaches limit (false: stopped
 * there; calling again with a higher limit carries on).
 */
static bool
tree_dijkstra(const GraphModel *g, SearchSpace *ss, double max_cost, int32 *order,
			  int32 *count, int32 limit)
{
	for (;;)
	{
		int32		u;

		if (*count >= limit)
			return false;
		u = ss_pop(ss);
		if (u < 0 || ss->dist[u] > max_cost)
			return true;
		order[(*count)++] = u;
		if ((*count & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		for (int64 p = g->fwd_off[u]; p < g->fwd_off[u + 1]; p++)
		{
			int32		v = g->fwd_head[p];
			double		nd = ss->dist[u] + g->fwd_cost[p];

			if (nd < ss->dist[v] && nd <= max_cost)
				ss_label(ss, v, nd, u, g->fwd_edge[p], g->fwd_cost[p], nd);
		}
	}
}

static void
emit_tree_row(ReturnSetInfo *rsinfo, const GraphModel *g, int32 v, int32 parent, int32 edge,
			  double cost, double agg)
{
	Datum		values[5];
	bool		nulls[5] = {false, parent < 0, parent < 0, false, false};

	values[0] = Int64GetDatum(g->ids->ids[v]);
	values[1] = parent < 0 ? (Datum) 0 : Int64GetDatum(g->ids->ids[parent]);
	values[2] = parent < 0 ? (Datum) 0 : Int64GetDatum(edge);
	values[3] = Float8GetDatum(cost);
	values[4] = Float8GetDatum(agg);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * shortest_path_tree(graph, source, max_cost) -> (node, parent, edge_index, cost, agg_cost)
 *
 * Dijkstra settles nodes in cost order.  On a contracted graph it gives up
 * after half the nodes (at once without a budget) for PHAST (ch_tree.c),
 * whose sweep costs O(nodes) whatever the budget: on the 100 000-node grid
 * it matches Dijkstra on whole trees and loses on a third of the graph.
 */
PG_FUNCTION_INFO_V1(graph_shortest_path_tree);
Datum
graph_shortest_path_tree(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const GraphModel *g;
	int32		s;
	double		max_cost;
	SearchSpace *ss;
	int32	   *order;
	int32		count = 0;
	instr_time	t_start,
				t2;

	options_require_args(fcinfo, 2);	/* NULL max_cost: no limit */
	g = model_cache_get(fcinfo, 0, MODEL_GRAPH, NULL);
	s = graph_node(g, PG_GETARG_INT64(1), "source");
	max_cost = PG_ARGISNULL(2) ? INFINITY : PG_GETARG_FLOAT8(2);
	if (isnan(max_cost) || max_cost < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_cost must be a non-negative number, not %g", max_cost)));
	InitMaterializedSRF(fcinfo, 0);
	INSTR_TIME_SET_CURRENT(t_start);
	ss = search_space_create(g->n);
	order = palloc_extended((Size) g->n * sizeof(int32), MCXT_ALLOC_HUGE);
	ss_label(ss, s, 0, -1, -1, 0, 0);
	/* no budget: the tree is everything reachable, PHAST from the start */
	if (!tree_dijkstra(g, ss, max_cost, order, &count,
					   !g->ch ? g->n : isinf(max_cost) ? 0 : g->n / 2) && g->ch)
	{
		ChTree		tr;
		instr_time	t0,
					t1;

		INSTR_TIME_SET_CURRENT(t0);
		if (ch_tree(g, s, max_cost, &tr))
		{
			INSTR_TIME_SET_CURRENT(t1);
			INSTR_TIME_SUBTRACT(t1, t0);
			elog(DEBUG1, "shortest_path_tree: %d nodes by PHAST in %.1f ms", tr.count,
				 INSTR_TIME_GET_MILLISEC(t1));
			for (int32 i = 0; i < tr.count; i++)
			{
				int32		v = tr.node[i];

				emit_tree_row(rsinfo, g, v, tr.parent[v], tr.edge[v], v == s ? 0 : tr.cost[v], tr.agg[i]);
			}
			PG_RETURN_NULL();
		}
		(void) tree_dijkstra(g, ss, max_cost, order, &count, g->n);
	}
	INSTR_TIME_SET_CURRENT(t2);
	INSTR_TIME_SUBTRACT(t2, t_start);
	elog(DEBUG1, "shortest_path_tree: %d nodes by Dijkstra in %.1f ms", count, INSTR_TIME_GET_MILLISEC(t2));
	for (int32 i = 0; i < count; i++)
	{
		int32		u = order[i];

		emit_tree_row(rsinfo, g, u, ss->pred[u], ss->pred_edge[u], ss->pred_cost[u], ss->dist[u]);
	}
	PG_RETURN_NULL();
}

/*
 * Many-to-many: one Dijkstra per source, stopping once every target is
 * settled.  Row-major k x k result.
 */
static int32 *
cost_targets(const GraphModel *g, const int32 *nodes, int32 k, int32 *nwant)
{
	int32	   *want = palloc_extended((Size) g->n * sizeof(int32), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);

	*nwant = 0;
	for (int32 j = 0; j < k; j++)
		if (want[nodes[j]]++ == 0)
			(*nwant)++;
	return want;
}

/* least costs from src to every nodes[j] into row[j] (Infinity: unreachable) */
static void
cost_row(const GraphModel *g, SearchSpace *ss, const int32 *want, int32 nwant,
		 int32 src, const int32 *nodes, int32 k, double *row)
{
	int32		left = nwant;
	int64		steps = 0;

	search_space_reset(ss);
	ss_label(ss, src, 0, -1, -1, 0, 0);
	for (;;)
	{
		int32		u = ss_pop(ss);
		double		du;

		if (u < 0)
			break;
		if (want[u] && --left == 0)
			break;
		if ((++steps & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		du = ss->dist[u];
		for (int64 p = g->fwd_off[u]; p < g->fwd_off[u + 1]; p++)
		{
			int32		v = g->fwd_head[p];
			double		nd = du + g->fwd_cost[p];

			if (nd < ss->dist[v])
				ss_label(ss, v, nd, u, g->fwd_edge[p], g->fwd_cost[p], nd);
		}
	}
	for (int32 j = 0; j < k; j++)
		row[j] = nodes[j] == src ? 0 : ss->dist[nodes[j]];
}

double *
graph_cost_matrix(const GraphModel *g, const int32 *nodes, int32 k)
{
	double	   *mat = MemoryContextAllocHuge(CurrentMemoryContext, (Size) k * k * sizeof(double));
	SearchSpace *ss = search_space_create(g->n);
	int32		nwant;
	int32	   *want;

	if (g->ch && k <= CH_BUCKET_MAX_TARGETS)
	{
		ChBuckets  *b = ch_buckets(g, nodes, k);

		for (int32 i = 0; i < k; i++)
			ch_row(g, b, ss, nodes[i], mat + (Size) i * k);
		return mat;
	}
	want = cost_targets(g, nodes, k, &nwant);
	for (int32 i = 0; i < k; i++)
		cost_row(g, ss, want, nwant, nodes[i], nodes, k, mat + (Size) i * k);
	pfree(want);
	return mat;
}

/* cost_matrix(graph, nodes) -> (from_node, to_node, cost), reachable pairs, no diagonal */
PG_FUNCTION_INFO_V1(graph_cost_matrix_srf);
Datum
graph_cost_matrix_srf(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const GraphModel *g;
	int64	   *ids;
	int			n;
	int32	   *nodes;
	int32		k = 0;
	double	   *row;
	IdMap	   *seen;
	SearchSpace *ss;
	int32	   *want = NULL;
	int32		nwant = 0;
	ChBuckets  *buckets = NULL;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	g = model_cache_get(fcinfo, 0, MODEL_GRAPH, NULL);
	ids = array_int64(PG_GETARG_ARRAYTYPE_P(1), &n, false, "nodes");
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cost_matrix needs at least one node")));
	if (n > 100000)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("cost_matrix takes at most 100000 nodes, not %d", n)));
	/* duplicates are dropped: the first occurrence keeps its place */
	seen = idmap_create(n);
	nodes = palloc(n * sizeof(int32));
	for (int i = 0; i < n; i++)
	{
		int32		before = seen->count;

		idmap_insert(seen, ids[i]);
		if (seen->count > before)
			nodes[k++] = graph_node(g, ids[i], "cost_matrix");
	}
	InitMaterializedSRF(fcinfo, 0);
	/* one row of the matrix at a time: k can be large */
	ss = search_space_create(g->n);
	if (g->ch && k <= CH_BUCKET_MAX_TARGETS)
		buckets = ch_buckets(g, nodes, k);
	else
		want = cost_targets(g, nodes, k, &nwant);
	row = palloc_extended((Size) k * sizeof(double), MCXT_ALLOC_HUGE);
	for (int32 i = 0; i < k; i++)
	{
		if (buckets)
			ch_row(g, buckets, ss, nodes[i], row);
		else
			cost_row(g, ss, want, nwant, nodes[i], nodes, k, row);
		for (int32 j = 0; j < k; j++)
		{
			Datum		values[3];
			bool		nulls[3] = {false, false, false};

			if (i == j || isinf(row[j]))
				continue;
			values[0] = Int64GetDatum(g->ids->ids[nodes[i]]);
			values[1] = Int64GetDatum(g->ids->ids[nodes[j]]);
			values[2] = Float8GetDatum(row[j]);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	PG_RETURN_NULL();
}
