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

typedef struct Vrp
{
	int32		n;				/* orders; nodes are 0 (depot) .. n, then own depots */
	int32		m;				/* nodes: n + 1 + own depots */
	const double *x,
			   *y;
	const double *mat;			/* m^2 or NULL */
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

static inline double
VD(const Vrp *p, int32 a, int32 b)
{
	double		dx,
				dy;

	if (p->mat)
		return p->mat[(Size) a * p->m + b];
	dx = p->x[a] - p->x[b];
	dy = p->y[a] - p->y[b];
	/* not hypot(), several times slower: coordinates are at most 1e150, squares do not overflow */
	return sqrt(dx * dx + dy * dy);
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
