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
	ChArcs		up;				/* u -> head */
	ChArcs		down;			/* head -> u */
	int64		shortcuts;
} GraphCH;

#define GRAPH_FLAG_COORDS 1
#define GRAPH_FLAG_CH 2

extern GraphCH *ch_read(ByteReader *r, const GraphModel *g);
extern void ch_write(const GraphCH *ch, int32 n, ByteWriter *w);

/* queries (ch_query.c) */
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

#endif
