/*
 * stop_costs.h - road costs between the stops of a plan without an n x n
 * matrix
 *
 * For n stops on a graph model: each stop's k cheapest stops in both
 * directions (from the contraction hierarchy when the model has one, else a
 * Dijkstra per stop that ends after k stops), and the least cost of any
 * other pair on demand, remembered: on a hierarchy a merge of the two
 * stops' upward search spaces (each computed once, up to a memory budget;
 * beyond it one query per pair), else a bidirectional Dijkstra.  Memory grows with
 * n * k plus the pairs actually asked for, not with n * n.  Since a stop
 * absent from a list is at least as far as the list's last entry, callers
 * can price a move by lower bounds first and ask for the exact cost only
 * when the move could pay (stop_costs_lower).  A stop that meets every
 * other (a VRP depot) can have its full rows pinned up front, and a small
 * direct-mapped memo answers the costs read again and again (route legs)
 * before the lists are scanned.
 */
#ifndef ECOMML_STOP_COSTS_H
#define ECOMML_STOP_COSTS_H

#include "contraction.h"
#include "idmap.h"
#include "routes.h"

/* a recently read cost: the lists are scanned and the pairs hashed only on a miss */
typedef struct StopCostSlot
{
	int32		a,
				b;				/* -1: empty */
	double		cost;
} StopCostSlot;

typedef struct StopCosts
{
	const GraphModel *g;
	int32		n;				/* stops */
	const int32 *node;			/* stop -> graph node */
	int32	   *stop_of;		/* graph node -> stop, -1 */
	const int64 *ids;			/* stop ids, for messages */
	int32		k;				/* entries per list */
	bool		symmetric;		/* every arc has a reverse arc of the same cost */
	bool		by_hierarchy;	/* lists from the hierarchy (else Dijkstra's own sums) */
	int32	   *out;			/* n * k: cheapest stops reached from each stop, -1 padded */
	double	   *out_cost;
	int32	   *in;				/* n * k: cheapest stops reaching each stop */
	double	   *in_cost;
	double	   *out_bound;		/* a stop not in out[i] costs at least this from i */
	double	   *in_bound;
	StopCostSlot *memo;			/* direct-mapped, by a hash of (a, b) */
	uint32		memo_mask;
	IdMap	   *asked;			/* pairs computed on demand (a * n + b) ... */
	double	   *asked_cost;		/* ... and their costs, by the map's index */
	int32		asked_cap;
	/* on a hierarchy: each stop's upward spaces, made when first needed */
	ChLabel   **space[2];		/* [0] forward (from the stop), [1] backward */
	int32	   *space_len[2];
	Size		space_bytes;
	double	  **row[2];			/* pinned stops: [0] costs from, [1] to every stop; else NULL */
	Size		row_bytes;
	int64		queries;		/* pairs computed on demand */
} StopCosts;

extern StopCosts *stop_costs_create(const GraphModel *g, const int32 *node, const int64 *ids,
									int32 n, int32 k);
/* least cost a -> b (stops), exact; an error if b cannot be reached */
extern double stop_costs_get(StopCosts *sc, int32 a, int32 b);
/* the same, Infinity if b cannot be reached */
extern double stop_costs_cost(StopCosts *sc, int32 a, int32 b);
/* costs from and to every stop known up front for stop a (a depot) */
extern void stop_costs_pin(StopCosts *sc, int32 a);
/* cost a -> b if known without a search, else a lower bound of it */
extern double stop_costs_lower(const StopCosts *sc, int32 a, int32 b);
/* least cost a -> b summed along its path as shortest_path sums it */
extern double stop_costs_exact(StopCosts *sc, int32 a, int32 b);
/* the stop nearest by road from a among those with want[] set, or -1 (Dijkstra) */
extern int32 stop_costs_nearest(StopCosts *sc, int32 a, const bool *want);
/* the k nearest stops by min(d(i, j), d(j, i)), cheapest first, -1 padded */
extern void stop_costs_candidates(const StopCosts *sc, int32 *nbr);
/* bytes held (lists, remembered pairs, the node -> stop map) */
extern Size stop_costs_memory(const StopCosts *sc);

#endif
