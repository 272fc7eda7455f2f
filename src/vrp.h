/*
 * vrp.h - the state of ecomml.solve_vrp shared by its construction (vrp.c),
 * local search (vrp_local.c, vrp_swapstar.c) and ruin and recreate (vrp_ruin.c)
 */
#ifndef ECOMML_VRP_H
#define ECOMML_VRP_H

#include <math.h>

#include "routes.h"

#define VRP_K 12				/* candidate neighbours of the local search */
#define VRP_KADJ 48				/* neighbours the ruin walks and the recreate looks at */
#define VEPS 1e-9

/* road costs without a matrix (vrp_road.c) */
typedef struct VrpRoad VrpRoad;

extern VrpRoad *vrp_road_create(const GraphModel *g, const int32 *idx, int32 m, int32 n, int32 k);
/* least cost a -> b (Vrp nodes), Infinity if unreachable: a search when not known */
extern double vrp_road_cost(VrpRoad *r, int32 a, int32 b);
/* a lower bound of it, without a search */
extern double vrp_road_lower(const VrpRoad *r, int32 a, int32 b);
extern void vrp_road_neighbours(const VrpRoad *r, int32 n, int32 K, int32 *adj);
extern Size vrp_road_memory(const VrpRoad *r);
extern int64 vrp_road_queries(const VrpRoad *r);

typedef struct Vrp
{
	int32		n;				/* orders; nodes are 0 (depot) .. n, then own depots */
	int32		m;				/* nodes: n + 1 + own depots */
	const double *x,
			   *y;
	const double *mat;			/* m^2 or NULL */
	double	   *emat;			/* Euclidean distances cached, m^2, on small instances */
	VrpRoad    *road;			/* on a graph without mat */
	double	   *demand,
			   *service,
			   *open,
			   *close;
	int32		nv;
	double	   *cap,
			   *vstart,
			   *vend;			/* min(shift_end, shift_start + max_route_duration) */
	int32	   *vs,				/* start and end node of each vehicle */
			   *ve,
			   *maxstops,
			   *vtype;			/* first vehicle alike in every attribute */
	double	   *cpd,			/* cost per distance, fixed cost per use */
			   *fixed;
	int32	  **route;			/* route[v][0..len[v]-1], orders only */
	int32	   *len;
	int32	   *rcap;			/* room of route[v]: grows with the route, not n per vehicle */
	double	   *rdist;			/* distance of each route */
	double	   *rload;			/* load of each route */
	double	   *rcost;			/* cost of each route: 0 if unused */
	int32	   *where;			/* order -> vehicle, -1 unassigned */
	int32	   *pos;			/* order -> index in its route */
	int32	   *nbr;			/* (n+1) * k */
	int32		k;
	int32	   *adj;			/* (n+1) * kadj */
	int32		kadj;
	int32	   *tmp1,
			   *tmp2;
	bool	   *type_tried;		/* nv, insert_cheapest's scratch */
	double	   *dep,			/* route_slack's output, n + 2 each */
			   *latest;
	double		deadline;
	bool		timed_out;
	bool		mixed_fleet;	/* vehicles differ in more than capacity and shift */
} Vrp;

/* the Euclidean distance, exactly as VD computes it: the cache holds the same doubles */
static inline double
euclid(const Vrp *p, int32 a, int32 b)
{
	double		dx = p->x[a] - p->x[b],
				dy = p->y[a] - p->y[b];

	/* not hypot(), several times slower: coordinates are at most 1e150, squares do not overflow */
	return sqrt(dx * dx + dy * dy);
}

static inline double
VD(const Vrp *p, int32 a, int32 b)
{
	if (p->emat)
		return p->emat[(Size) a * p->m + b];
	if (p->mat)
		return p->mat[(Size) a * p->m + b];
	if (p->road)
		return vrp_road_cost(p->road, a, b);
	return euclid(p, a, b);
}

/*
 * What a stop between a and b, reached and left over legs of total length
 * legs, adds to route v of L other orders: an empty vehicle costs nothing
 * until used, so the first order also brings the fixed cost.
 */
static inline double
stop_between(const Vrp *p, int32 v, int32 L, int32 a, int32 b, double legs)
{
	return L == 0 ? p->fixed[v] + p->cpd[v] * legs : p->cpd[v] * (legs - VD(p, a, b));
}

/*
 * The legs a -> c -> b of inserting order c between a and b on route v of L
 * orders; false if c cannot reach or be left, or (without a matrix, where an
 * unknown cost is a search) if a lower bound of the insertion's cost already
 * reaches best: such positions are skipped unsearched.
 */
static inline bool
insertion_legs(const Vrp *p, int32 v, int32 L, int32 a, int32 c, int32 b, double best,
			   double *dac, double *dcb)
{
	if (p->road)
	{
		double		lo = vrp_road_lower(p->road, a, c) + vrp_road_lower(p->road, c, b);

		if (stop_between(p, v, L, a, b, lo) >= best - VEPS)
			return false;
	}
	*dac = VD(p, a, c);
	*dcb = VD(p, c, b);
	return !isinf(*dac) && !isinf(*dcb);	/* unreachable on the graph */
}

/*
 * Order c fits between a stop left at dep and the next one, whose latest
 * arrival is latest (route_slack's), over legs dac and dcb: reached by its
 * close, and the next stop then in time (arriving early never hurts: a van
 * may wait).
 */
static inline bool
fits_between(const Vrp *p, double dep, double dac, int32 c, double dcb, double latest)
{
	double		t = dep + dac;

	return t <= p->close[c] + VEPS && Max(t, p->open[c]) + p->service[c] + dcb <= latest + VEPS;
}

/* what route v costs with len orders driving dist: nothing if unused */
static inline double
route_cost(const Vrp *p, int32 v, int32 len, double dist)
{
	return len == 0 ? 0 : p->fixed[v] + p->cpd[v] * dist;
}

extern double eval_route(const Vrp *p, int32 v, const int32 *r, int32 len);
extern void route_reserve(Vrp *p, int32 v, int32 len);
extern void set_route(Vrp *p, int32 v, const int32 *r, int32 len, double dist);
extern void route_slack(const Vrp *p, int32 v, const int32 *r, int32 L, double *dep, double *latest);
extern void vrp_local_search(Vrp *p);
extern bool vrp_swap_star(Vrp *p);

/* ruin and recreate from the current routes until the deadline or max_iter
 * iterations (-1: no limit); leaves the best solution found in p */
extern void vrp_ruin_recreate(Vrp *p, const bool *servable, int64 max_iter, uint64 seed);

#endif
