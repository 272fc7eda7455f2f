/*
 * routes.h - road graphs as models (MODEL_GRAPH): shortest paths, cost
 * matrices, and the travelling-salesman solver built on them
 *
 * A graph model stores the forward adjacency in CSR form (offsets, heads,
 * costs, the canonical edge number of every arc) plus the sorted node ids
 * and, optionally, node coordinates with an admissible A* scale.  Decoding
 * also builds the reverse adjacency, used by bidirectional searches.
 */
#ifndef ECOMML_ROUTES_H
#define ECOMML_ROUTES_H

#include <math.h>
#include <time.h>

#include "lib/stringinfo.h"
#include "heap.h"
#include "idmap.h"
#include "train_state.h"

/* seconds on the monotonic clock: the time limits of the TSP and VRP solvers */
static inline double
monotonic_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct GraphModel
{
	int32		n;				/* nodes */
	int64		n_edges;		/* input edges kept (rows with a source and target) */
	int64		m;				/* directed arcs */
	bool		directed;
	bool		has_coords;
	IdMap	   *ids;			/* sorted node ids */
	int64	   *fwd_off;		/* n + 1 */
	int32	   *fwd_head;
	int32	   *fwd_edge;		/* canonical edge number, 1-based */
	double	   *fwd_cost;
	int64	   *rev_off;		/* incoming arcs: rev_head is the tail */
	int32	   *rev_head;
	int32	   *rev_edge;
	double	   *rev_cost;
	double	   *x;				/* coordinates, if has_coords */
	double	   *y;
	double		scale;			/* min cost per unit distance over all arcs */
	struct GraphCH *ch;			/* contraction hierarchy, or NULL */
	Size		base_len;		/* payload bytes before the hierarchy */
	struct PathWork *scratch;	/* CH query work spaces, made on first use */
} GraphModel;

/* One-to-many search workspace, reusable across searches on one graph. */
typedef struct SearchSpace
{
	int32		n;
	double	   *dist;
	int32	   *pred;			/* previous node (forward) or next node (backward), -1 */
	int32	   *pred_edge;
	double	   *pred_cost;
	uint8	   *settled;
	int32	   *touched;
	int32		ntouched;
	Heap	   *heap;
} SearchSpace;

extern const TrainStateOps graph_state_ops;
extern void *graph_decode(ByteReader *r);
extern void graph_describe(const void *decoded, StringInfo buf);

extern SearchSpace *search_space_create(int32 n);

/* label v with cost d (heap key: key) reached from pred by edge at cost c */
static inline void
ss_label(SearchSpace *ss, int32 v, double d, int32 pred, int32 edge, double c, double key)
{
	if (isinf(ss->dist[v]))
		ss->touched[ss->ntouched++] = v;
	ss->dist[v] = d;
	ss->pred[v] = pred;
	ss->pred_edge[v] = edge;
	ss->pred_cost[v] = c;
	heap_push(ss->heap, key, v);
}

/* pop the next unsettled node, or -1 */
static inline int32
ss_pop(SearchSpace *ss)
{
	while (ss->heap->count > 0)
	{
		HeapItem	it = heap_pop(ss->heap);
		int32		u = (int32) it.value;

		if (!ss->settled[u])
		{
			ss->settled[u] = 1;
			return u;
		}
	}
	return -1;
}

/* smallest key in the heap, skipping settled entries */
static inline double
ss_top(SearchSpace *ss)
{
	while (ss->heap->count > 0 && ss->settled[ss->heap->items[0].value])
		(void) heap_pop(ss->heap);
	return ss->heap->count > 0 ? ss->heap->items[0].key : INFINITY;
}

extern void search_space_reset(SearchSpace *ss);

/* work spaces of path queries (GraphModel.scratch), made on first use */
typedef struct PathWork
{
	SearchSpace *fw,
			   *bw;
	int32	   *path;
	int64	   *out_edge;
	double	   *out_cost;
} PathWork;
extern PathWork *graph_path_work(const GraphModel *g);
/* least cost s -> t summed along its path as Dijkstra sums it; Infinity: unreachable */
extern double graph_path_cost(const GraphModel *g, int32 s, int32 t);
/* the same cost, or on a hierarchy within rounding of it, without the path */
extern double graph_least_cost(const GraphModel *g, int32 s, int32 t);
/* node index of an id, or an error naming what (e.g. "source") */
extern int32 graph_node(const GraphModel *g, int64 id, const char *what);
/*
 * Dense matrix of least costs between the given node indexes (row-major,
 * k x k, Infinity when unreachable, 0 on the diagonal).
 */
extern double *graph_cost_matrix(const GraphModel *g, const int32 *nodes, int32 k);

#endif
