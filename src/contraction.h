/*
 * contraction.h - contraction hierarchies on graph models
 *
 * ecomml.contract_graph(graph) orders the nodes by importance and adds
 * shortcuts so that every least cost is found by two small searches that
 * only climb the order (Geisberger et al. 2008).  The hierarchy is stored
 * after the graph's own payload (flag bit 1 of the coordinates byte), so
 * models without it, as 0.2.0 made them, decode unchanged.
 *
 * Each node u keeps its "up" arcs u -> w and its "down" arcs w -> u, both to
 * higher-ranked w; an arc is an original one (mid = -1, edge = its canonical
 * edge number) or a shortcut through the lower-ranked node mid.
 */
#ifndef ECOMML_CONTRACTION_H
#define ECOMML_CONTRACTION_H

#include "codec.h"

typedef struct GraphModel GraphModel;
typedef struct SearchSpace SearchSpace;

typedef struct ChArcs
{
	int64	   *off;			/* n + 1 */
	int32	   *head;			/* the higher-ranked end */
	double	   *cost;
	int32	   *mid;			/* -1: original arc */
	int32	   *edge;			/* canonical edge number of an original arc, else 0 */
} ChArcs;

typedef struct GraphCH
{
	int32	   *rank;			/* contraction order, a permutation of 0..n-1 */
	int32	   *by_rank;		/* nodes from the highest rank down (decoding builds it) */
	ChArcs		up;				/* u -> head */
	ChArcs		down;			/* head -> u */
	int64		shortcuts;
	/*
	 * The down arcs again in sweep order, for PHAST (decoding builds them):
	 * node by_rank[r]'s arcs at sweep_off[r] .., tails as positions in
	 * by_rank, so that a sweep reads memory in order.
	 */
	int64	   *sweep_off;
	int32	   *sweep_tail;
	double	   *sweep_cost;
} GraphCH;

#define GRAPH_FLAG_COORDS 1
#define GRAPH_FLAG_CH 2

extern GraphCH *ch_read(ByteReader *r, const GraphModel *g);
extern void ch_write(const GraphCH *ch, int32 n, ByteWriter *w);

/* queries (ch_query.c) */
/* position of the arc of node at with head h in a; an error if there is none */
extern int64 ch_find_arc(const ChArcs *a, int32 at, int32 h);
/*
 * Least cost s -> t, or Infinity; when path is not NULL, the original arcs
 * of a least-cost path: *len nodes into path[], the arc leaving each node in
 * out_edge[] / out_cost[] (path arrays sized n + 1).
 */
extern double ch_path(const GraphModel *g, SearchSpace *fw, SearchSpace *bw, int32 s, int32 t,
					  int32 *path, int64 *out_edge, double *out_cost, int32 *len);

/* many-to-many by buckets: targets once, then one row per source */
typedef struct ChBuckets ChBuckets;
extern ChBuckets *ch_buckets(const GraphModel *g, const int32 *targets, int32 k);
extern void ch_row(const GraphModel *g, const ChBuckets *b, SearchSpace *fw, int32 src, double *row);

/*
 * For each of n stops (distinct graph nodes), the k cheapest other stops
 * reached from it (forward) or reaching it (!forward), cheapest first:
 * nbr[i * k + c], their costs in nbr_cost; -1 / Infinity when fewer.
 */
extern void ch_nearest(const GraphModel *g, const int32 *stops, int32 n, int32 k, bool forward,
					   int32 *nbr, double *nbr_cost);

/*
 * The whole upward search space of s (forward: over up arcs; else the
 * backward one over down arcs), stalled nodes left out, sorted by node.  A
 * least cost s -> t is then ch_meet(space of s forward, space of t
 * backward): a merge instead of a search, for callers asking many pairs.
 */
typedef struct ChLabel
{
	int32		node;
	double		dist;
} ChLabel;
extern ChLabel *ch_upward(const GraphModel *g, SearchSpace *ss, int32 s, bool forward, int32 *len);
extern double ch_meet(const ChLabel *fw, int32 nf, const ChLabel *bw, int32 nb);

/*
 * Shortest-path tree (ch_tree.c): every node within max_cost of s, in order
 * of cost, with its parent and the original arc from it; costs summed along
 * the tree as Dijkstra sums them.  False when ties of zero-cost arcs keep
 * the tree from being rebuilt (the caller then runs Dijkstra).
 */
typedef struct ChTree
{
	int32		count;
	int32	   *node;			/* count nodes in order of cost ... */
	double	   *agg;			/* ... and their costs */
	int32	   *parent;			/* by node: -1 for s */
	int32	   *edge;			/* by node: the original arc from the parent */
	double	   *cost;			/* by node: its cost */
} ChTree;
extern bool ch_tree(const GraphModel *g, int32 s, double max_cost, ChTree *out);

#endif
