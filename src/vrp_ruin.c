/*
 * vrp_ruin.c - the improvement phase of ecomml.solve_vrp: ruin and recreate
 * by slack induction through string removals (SISR, Christiaens & Vanden
 * Berghe 2020), accepted by simulated annealing.
 *
 * One iteration removes a few strings (runs of consecutive orders) from
 * routes near a random order, reinserts the removed orders one by one at
 * their cheapest feasible position while skipping each position with a small
 * probability ("blinks"), and keeps the result if it serves as many orders
 * and costs less than the current solution plus a random allowance that
 * shrinks with the temperature.  Taking strings from neighbouring routes
 * frees room where the orders are, so a recreate can move whole stretches
 * between routes, which single-order moves cannot do.
 *
 * Iterations are cheap, tens of thousands a second: the recreate only
 * looks at routes holding one of the order's nearest neighbours and at one
 * empty vehicle of each kind (all routes only if none of those can take it);
 * insertion is checked in O(1) per position from slack cached per order, and
 * places outside the order's time window are passed over unchecked; a
 * recreate ends as soon as its cost passes the annealing's bar; a rejected
 * iteration restores only the routes it changed.  Constraints stay hard: a
 * route is only ever changed into a feasible one.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/memutils.h"

#include "rng.h"
#include "vrp.h"

#define SISR_AVG_REMOVED 10		/* mean number of orders removed */
#define SISR_MAX_STRING 10		/* longest string removed from one route */
#define SISR_BLINK 0.01			/* probability of skipping an insertion position */
#define SA_START 1.0			/* temperatures, in units of the mean leg cost */
#define SA_END 0.01
#define SA_START_AFTER_FLEET 5.0	/* the distance's annealing after a fleet phase */
#define FINAL_SEARCH_SHARE 0.05 /* of the time budget, for the local search of the best, */
#define FINAL_SEARCH_MAX 0.25	/* but at most this many seconds: it rarely takes longer */
#define POLISH_EVERY 0.01		/* of the run at least between two polishings of a new best */
#define POLISH_SHARE 0.1		/* of the time at most for them */
#define FLEET_SHARE 0.8			/* of the run at most for taking vans off the road when they cost */
#define FLEET_PATIENCE 0.05		/* of the run without placing more orders: try another route */
#define FLEET_INTERLUDE 0.01	/* of the run annealing the distance after each failed attempt */
#define FLEET_HOPELESS_LEFT 3	/* a failed attempt with this many orders out, */
#define FLEET_HOPELESS_SHARE 0.1	/* and this share of those the dropped route had, */
#define FLEET_HOPELESS_TRIES 2	/* this many times in a row: the fleet phase ends, */
#define FLEET_HOPELESS_MS 50	/* but only in runs of at most this per order, */
#define FLEET_HOPELESS_ITERS 1750	/* or this many iterations (about as long here) */
#define EJECT_SCAN_MAX 16		/* longest route whose every place an ejection tries */

typedef struct VrpSol
{
	int32	   *flat;			/* routes concatenated */
	int32	   *len;
	double		cost;
	int32		unassigned;
} VrpSol;

typedef struct SortKey
{
	double		key;
	int32		c;
} SortKey;

typedef struct Rr
{
	Vrp		   *p;
	Rng			rng;
	const bool *servable;
	/* routes changed by this iteration and what they held before */
	bool	   *touched;
	int32	   *tlist;
	int32		nt;
	int32	   *bflat,
			   *boff,
			   *blen;
	double	   *bdist;
	int32		bused;
	int32		used;			/* routes with an order */
	int32		served;			/* orders on a route */
	double		delta;			/* cost change of this iteration's removals and insertions */
	/* departure from and latest arrival at each order, valid where slack_ok */
	double	   *dep_o,
			   *lat_o;
	bool	   *slack_ok;
	int32	   *removed;
	int32		nrem;
	bool	   *ruined;			/* per vehicle: lost a string this iteration */
	bool		no_new_routes;	/* the recreate may not use an empty vehicle */
	int64	   *absent;			/* per order: iterations it spent unassigned */
	int64		absent_sum;		/* over the orders unassigned now */
	int32	   *seen;			/* per vehicle: stamp of the last order priced on it */
	int32	   *type_seen;
	int32		stamp;
	SortKey    *keys;
	double		cost;			/* of the current solution */
	int32		unassigned;		/* servable orders left out of it */
} Rr;

static int
cmp_key(const void *a, const void *b)
{
	const SortKey *x = a,
			   *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->c < y->c ? -1 : (x->c > y->c ? 1 : 0);
}

static void
sol_save(const Vrp *p, VrpSol *s, double cost, int32 unassigned)
{
	int32		off = 0;

	for (int32 v = 0; v < p->nv; v++)
	{
		memcpy(s->flat + off, p->route[v], p->len[v] * sizeof(int32));
		off += p->len[v];
		s->len[v] = p->len[v];
	}
	s->cost = cost;
	s->unassigned = unassigned;
}

static void
sol_load(Vrp *p, const VrpSol *s)
{
	int32		off = 0;

	for (int32 c = 1; c <= p->n; c++)
		p->where[c] = -1;
	for (int32 v = 0; v < p->nv; v++)
	{
		set_route(p, v, s->flat + off, s->len[v], 0);
		p->rdist[v] = s->len[v] == 0 ? 0 : eval_route(p, v, p->route[v], s->len[v]);
		p->rcost[v] = route_cost(p, v, s->len[v], p->rdist[v]);
		off += s->len[v];
	}
}

/* remember route v as it is before this iteration changes it */
static void
touch(Rr *rr, int32 v)
{
	Vrp		   *p = rr->p;

	if (rr->touched[v])
		return;
	rr->touched[v] = true;
	rr->tlist[rr->nt++] = v;
	rr->boff[v] = rr->bused;
	rr->blen[v] = p->len[v];
	rr->bdist[v] = p->rdist[v];
	memcpy(rr->bflat + rr->bused, p->route[v], p->len[v] * sizeof(int32));
	rr->bused += p->len[v];		/* routes are saved before any change: at most n in all */
}

static void
forget_changes(Rr *rr)
{
	for (int32 i = 0; i < rr->nt; i++)
	{
		rr->touched[rr->tlist[i]] = false;
		rr->ruined[rr->tlist[i]] = false;
	}
	rr->nt = 0;
	rr->bused = 0;
}

/* put the changed routes back as they were */
static void
undo_changes(Rr *rr)
{
	Vrp		   *p = rr->p;

	for (int32 i = 0; i < rr->nt; i++)
	{
		int32		v = rr->tlist[i];

		for (int32 j = 0; j < p->len[v]; j++)
			p->where[p->route[v][j]] = -1;
	}
	for (int32 i = 0; i < rr->nt; i++)
	{
		int32		v = rr->tlist[i];

		rr->used += (rr->blen[v] > 0) - (p->len[v] > 0);
		rr->served += rr->blen[v] - p->len[v];
		set_route(p, v, rr->bflat + rr->boff[v], rr->blen[v], rr->bdist[v]);
		rr->slack_ok[v] = false;
	}
	forget_changes(rr);
}

/* what order r[i] adds to the cost of route v of L orders */
static double
stop_cost(const Vrp *p, int32 v, const int32 *r, int32 L, int32 i)
{
	int32		a = i == 0 ? p->vs[v] : r[i - 1],
				c = r[i],
				b = i == L - 1 ? p->ve[v] : r[i + 1];

	return stop_between(p, v, L - 1, a, b, VD(p, a, c) + VD(p, c, b));
}

static void
remove_at(Rr *rr, int32 v, int32 i)
{
	Vrp		   *p = rr->p;
	int32	   *r = p->route[v];
	int32		c = r[i];

	touch(rr, v);
	rr->delta -= stop_cost(p, v, r, p->len[v], i);
	memmove(r + i, r + i + 1, (p->len[v] - i - 1) * sizeof(int32));
	p->len[v]--;
	rr->used -= p->len[v] == 0;
	rr->served--;
	for (int32 j = i; j < p->len[v]; j++)
		p->pos[r[j]] = j;
	p->where[c] = -1;
	p->rload[v] -= p->demand[c];
	rr->slack_ok[v] = false;
	rr->removed[rr->nrem++] = c;
}

static void
insert_at(Rr *rr, int32 v, int32 i, int32 c)
{
	Vrp		   *p = rr->p;
	int32	   *r;

	touch(rr, v);
	route_reserve(p, v, p->len[v] + 1);
	r = p->route[v];
	memmove(r + i + 1, r + i, (p->len[v] - i) * sizeof(int32));
	r[i] = c;
	p->len[v]++;
	rr->used += p->len[v] == 1;
	rr->served++;
	rr->delta += stop_cost(p, v, r, p->len[v], i);
	for (int32 j = i; j < p->len[v]; j++)
		p->pos[r[j]] = j;
	p->where[c] = v;
	p->rload[v] += p->demand[c];
	rr->slack_ok[v] = false;
}

static void
ensure_slack(Rr *rr, int32 v)
{
	Vrp		   *p = rr->p;
	const int32 *r = p->route[v];

	if (rr->slack_ok[v])
		return;
	route_slack(p, v, r, p->len[v], p->dep, p->latest);
	for (int32 i = 1; i <= p->len[v]; i++)
	{
		rr->dep_o[r[i - 1]] = p->dep[i];
		rr->lat_o[r[i - 1]] = p->latest[i];
	}
	rr->slack_ok[v] = true;
}

/* cheapest feasible position of c on vehicle v, if cheaper than *best */
static void
price_route(Rr *rr, int32 c, int32 v, double *best, int32 *bv, int32 *bi)
{
	Vrp		   *p = rr->p;
	int32		L = p->len[v];
	const int32 *r = p->route[v];

	if (p->rload[v] + p->demand[c] > p->cap[v] + VEPS || L + 1 > p->maxstops[v])
		return;
	if (L > 0)
		ensure_slack(rr, v);
	for (int32 i = 0; i <= L; i++)
	{
		int32		a = i == 0 ? p->vs[v] : r[i - 1],
					b = i == L ? p->ve[v] : r[i];
		double		dep = i == 0 ? p->vstart[v] : rr->dep_o[a],
					latest = i == L ? p->vend[v] : rr->lat_o[b],
					dac,
					dcb,
					delta;

		/*
		 * departures and latest arrivals only grow along a route (legs and
		 * service are never negative): past c's close no later place is in
		 * time, and where c's service would end after b's latest arrival
		 * this place is not, without a look at the legs (most places on
		 * Solomon's routes)
		 */
		if (dep > p->close[c] + VEPS)
			break;
		if (p->open[c] + p->service[c] > latest + VEPS ||
			!insertion_legs(p, v, L, a, c, b, *best, &dac, &dcb))
			continue;
		delta = stop_between(p, v, L, a, b, dac + dcb);
		if (delta >= *best - VEPS || (L > 0 && rng_uniform(&rr->rng) < SISR_BLINK))
			continue;
		if (!fits_between(p, dep, dac, c, dcb, latest))
			continue;
		*best = delta;
		*bv = v;
		*bi = i;
	}
}

/* reinsert c at its cheapest feasible position; false if none */
static bool
recreate_one(Rr *rr, int32 c)
{
	Vrp		   *p = rr->p;
	double		best = INFINITY;
	int32		bv = -1,
				bi = -1;
	const int32 *adj = p->adj + (Size) c * p->kadj;

	rr->stamp++;
	/* until every route is priced: on a few long routes, soon */
	for (int32 k = 0, priced = 0; k < p->kadj && adj[k] >= 0 && priced < rr->used; k++)
	{
		int32		v = adj[k] > 0 ? p->where[adj[k]] : -1;

		if (v < 0 || rr->seen[v] == rr->stamp)
			continue;
		rr->seen[v] = rr->stamp;
		priced++;
		price_route(rr, c, v, &best, &bv, &bi);
	}
	for (int32 v = 0; v < p->nv && !rr->no_new_routes; v++)
		if (p->len[v] == 0 && rr->type_seen[p->vtype[v]] != rr->stamp)
		{
			rr->type_seen[p->vtype[v]] = rr->stamp;
			price_route(rr, c, v, &best, &bv, &bi);
		}
	/* no neighbour's route takes it: every route before opening a new one */
	if (bv < 0 || p->len[bv] == 0)
		for (int32 v = 0; v < p->nv; v++)
			if (p->len[v] > 0 && rr->seen[v] != rr->stamp)
			{
				rr->seen[v] = rr->stamp;
				price_route(rr, c, v, &best, &bv, &bi);
			}
	if (bv < 0)
		return false;
	insert_at(rr, bv, bi, c);
	return true;
}

/*
 * c's cheapest feasible position in route v without its j-th order, or -1;
 * *delta its cost.  On long routes only that order's own place is tried, in
 * O(1) from the route's cached slack: every place needs the slack of the
 * route without the order, O(L^2) per route, which took most of the fleet
 * phase's time on Solomon's R2 and RC2 (routes of 25-50 orders; runs at
 * 1 s at the best-known vans and within 2 %: 14 of 33 and 9 of 24, were 10
 * and 5).
 */
static int32
place_without(Rr *rr, int32 v, int32 j, int32 c, double *delta)
{
	Vrp		   *p = rr->p;
	int32		L = p->len[v],
				at = -1;
	int32	   *r = p->tmp1;

	*delta = INFINITY;
	if (L > EJECT_SCAN_MAX)
	{
		int32		a = j == 0 ? p->vs[v] : p->route[v][j - 1],
					b = j == L - 1 ? p->ve[v] : p->route[v][j + 1];
		double		dac = VD(p, a, c),
					dcb = VD(p, c, b);

		ensure_slack(rr, v);
		if (isinf(dac) || isinf(dcb) ||
			!fits_between(p, j == 0 ? p->vstart[v] : rr->dep_o[a], dac, c, dcb,
						  j == L - 1 ? p->vend[v] : rr->lat_o[b]))
			return -1;
		*delta = p->cpd[v] * (dac + dcb - VD(p, a, b));
		return j;
	}
	memcpy(r, p->route[v], j * sizeof(int32));
	memcpy(r + j, p->route[v] + j + 1, (L - 1 - j) * sizeof(int32));
	route_slack(p, v, r, L - 1, p->dep, p->latest);
	for (int32 i = 0; i < L; i++)
	{
		int32		a = i == 0 ? p->vs[v] : r[i - 1],
					b = i == L - 1 ? p->ve[v] : r[i];
		double		dac = VD(p, a, c),
					dcb = VD(p, c, b),
					d = p->cpd[v] * (dac + dcb - VD(p, a, b));

		if (isinf(dac) || isinf(dcb) || !fits_between(p, p->dep[i], dac, c, dcb, p->latest[i + 1]))
			continue;			/* unreachable on the graph, or late */
		if (d < *delta - VEPS)
		{
			*delta = d;
			at = i;
		}
	}
	return at;
}

/*
 * Taking vans off the road, c fits nowhere: put it in place of an order w of
 * a route near c that has been left out for fewer iterations than c (an
 * ejection, as in Nagata and Braysy's ejection pool), at c's cheapest
 * feasible position in that route without w (see place_without).  w joins the removed orders and
 * gets its turn later in this recreate.  Prefers the w left out least, then
 * the cheapest.  Absences only fall along a chain of ejections, so it ends.
 */
static bool
eject_for(Rr *rr, int32 c)
{
	Vrp		   *p = rr->p;
	const int32 *nbr = p->nbr + (Size) c * p->k;
	int64		best_absent = rr->absent[c];
	double		best = INFINITY;
	int32		bv = -1,
				bj = -1,
				bi = -1;

	rr->stamp++;
	for (int32 k = 0; k < p->k && nbr[k] >= 0; k++)
	{
		int32		v = nbr[k] > 0 ? p->where[nbr[k]] : -1;

		if (v < 0 || rr->seen[v] == rr->stamp)
			continue;
		rr->seen[v] = rr->stamp;
		for (int32 j = 0; j < p->len[v]; j++)
		{
			int32		w = p->route[v][j],
						i;
			double		delta;

			if (rr->absent[w] > best_absent ||
				p->rload[v] - p->demand[w] + p->demand[c] > p->cap[v] + VEPS)
				continue;
			i = place_without(rr, v, j, c, &delta);
			if (i >= 0 && (rr->absent[w] < best_absent || delta < best - VEPS))
			{
				best_absent = rr->absent[w];
				best = delta;
				bv = v;
				bj = j;
				bi = i;
			}
		}
	}
	if (bv < 0 || best_absent >= rr->absent[c])
		return false;
	remove_at(rr, bv, bj);
	insert_at(rr, bv, bi, c);
	return true;
}

/* SISR's ruin: strings from up to ks routes around a random order */
static void
ruin(Rr *rr)
{
	Vrp		   *p = rr->p;
	double		ls_max = Min((double) SISR_MAX_STRING, (double) rr->served / Max(rr->used, 1)),
				ks_max = 4.0 * SISR_AVG_REMOVED / (1 + ls_max) - 1;
	int32		ks = 1 + (int32) (rng_uniform(&rr->rng) * Max(ks_max, 1)),
				seed,
				done = 0;

	/* orders left out (removed[] holds them so far): make room around one of them */
	if (rr->nrem > 0)
		seed = rr->removed[rng_below(&rr->rng, rr->nrem)];
	else
		do
			seed = 1 + (int32) rng_below(&rr->rng, p->n);
		while (p->where[seed] < 0);
	for (int32 k = -1; k < p->kadj && done < ks; k++)
	{
		int32		o = k < 0 ? seed : p->adj[(Size) seed * p->kadj + k],
					v,
					L,
					l,
					keep = 0,
					span,
					start,
					kept_at;

		if (o < 0)
			break;
		if (o == 0 || (v = p->where[o]) < 0 || rr->ruined[v])
			continue;
		touch(rr, v);
		rr->ruined[v] = true;
		done++;
		L = p->len[v];
		l = 1 + (int32) (rng_uniform(&rr->rng) * Min(ls_max, (double) L));
		l = Min(l, L);
		/* half the time a split string: a run of orders is kept inside it */
		if (l < L && rng_uniform(&rr->rng) < 0.5)
		{
			keep = 1;
			while (l + keep < L && rng_uniform(&rr->rng) < 0.5)
				keep++;
		}
		span = l + keep;
		start = Max(0, p->pos[o] - span + 1) +
			(int32) rng_below(&rr->rng, Min(p->pos[o], L - span) - Max(0, p->pos[o] - span + 1) + 1);
		kept_at = keep > 0 ? start + (int32) rng_below(&rr->rng, l + 1) : -1;
		/* from the end, so that the positions still to remove do not move */
		for (int32 i = start + span - 1; i >= start; i--)
			if (keep == 0 || i < kept_at || i >= kept_at + keep)
				remove_at(rr, v, i);
	}
}

/* order the removed orders: random, largest demand, farthest or nearest first (4:4:2:1) */
static void
order_removed(Rr *rr)
{
	Vrp		   *p = rr->p;
	int32		how = (int32) rng_below(&rr->rng, 11);

	for (int32 i = 0; i < rr->nrem; i++)
	{
		int32		c = rr->removed[i];

		rr->keys[i].c = c;
		rr->keys[i].key = how < 4 ? rng_uniform(&rr->rng)
			: how < 8 ? -p->demand[c]
			: how < 10 ? -VD(p, 0, c)
			: VD(p, 0, c);
		/* taking vans off the road: the orders left out longest go in first */
		if (rr->no_new_routes && rr->absent[c] > 0)
			rr->keys[i].key = -1e200 * (double) rr->absent[c];	/* below any distance */
	}
	qsort(rr->keys, rr->nrem, sizeof(SortKey), cmp_key);
	for (int32 i = 0; i < rr->nrem; i++)
		rr->removed[i] = rr->keys[i].c;
}

/*
 * Fleet minimisation (SISR's, simplified): take a short route off the road;
 * its orders stay unassigned until ruin and recreate, without opening a
 * route, fit them in elsewhere (or, after a while without progress, back to
 * the best plan, its distance annealed for a while, and another route).
 * Meanwhile a result is accepted with fewer orders left out, or as many
 * whose count of iterations spent out is lower, so that the orders hard to
 * place are placed first.
 */
static void
drop_short_route(Rr *rr)
{
	Vrp		   *p = rr->p;
	int32		pick[2] = {-1, -1};

	/* the shorter of two routes drawn at random: short ones mostly, not always the same */
	for (int32 k = 0; k < 2; k++)
	{
		int32		nth = (int32) rng_below(&rr->rng, p->nv),
					v = nth;

		while (p->len[v] == 0)
			v = (v + 1) % p->nv;
		pick[k] = v;
	}
	if (p->len[pick[1]] < p->len[pick[0]])
		pick[0] = pick[1];
	rr->nrem = 0;
	while (p->len[pick[0]] > 0)
		remove_at(rr, pick[0], p->len[pick[0]] - 1);
	rr->cost -= p->rcost[pick[0]];
	rr->unassigned += rr->nrem;
	p->rdist[pick[0]] = 0;
	p->rcost[pick[0]] = 0;
	forget_changes(rr);
}

/* count an iteration of absence for each order left out; their sum */
static int64
count_absences(Rr *rr)
{
	Vrp		   *p = rr->p;
	int64		sum = 0;

	if (rr->unassigned == 0)
		return 0;
	for (int32 c = 1; c <= p->n; c++)
		if (p->where[c] < 0 && rr->servable[c])
			sum += ++rr->absent[c];
	return sum;
}

static void
count_routes(Rr *rr)
{
	rr->served = 0;
	rr->used = 0;
	for (int32 v = 0; v < rr->p->nv; v++)
	{
		rr->served += rr->p->len[v];
		rr->used += rr->p->len[v] > 0;
	}
}

/* the search goes on from the best plan */
static void
back_to_best(Rr *rr, const VrpSol *best)
{
	sol_load(rr->p, best);
	memset(rr->slack_ok, 0, rr->p->nv * sizeof(bool));
	rr->cost = best->cost;
	rr->unassigned = best->unassigned;
	count_routes(rr);
}

static int
cmp_desc(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x > y ? -1 : (x < y ? 1 : 0);
}

/*
 * The fewest vans whose capacities hold every servable order: no plan uses
 * fewer, so the fleet phase stops there (Solomon's C1: 10 vans, reached at
 * once, the rest of the time is the annealing's).
 */
static int32
vans_lower_bound(const Vrp *p, const bool *servable)
{
	double		total = 0,
				left;
	double	   *cap = palloc(p->nv * sizeof(double));
	int32		k = 0;

	for (int32 c = 1; c <= p->n; c++)
		if (servable[c])
			total += p->demand[c];
	memcpy(cap, p->cap, p->nv * sizeof(double));
	qsort(cap, p->nv, sizeof(double), cmp_desc);
	/* a relative tolerance: a bound one too high would end the phase a van early */
	for (left = total; k < p->nv && left > 1e-9 * total; k++)
		left -= cap[k];
	pfree(cap);
	return Max(k, 1);
}

void
vrp_ruin_recreate(Vrp *p, const bool *servable, int64 max_iter, uint64 seed)
{
	int32		n = p->n,
				nv = p->nv,
				fewest;
	bool		fleet_phase = false,
				had_fleet;
	double		polish_time = 0,
				anneal_from = 0,	/* when the fleet phase ended */
				progress = 0,	/* when the fleet phase last placed more orders */
				interlude_until = -1,	/* the fleet phase anneals the distance until then */
				polished = -1,
				polish_every = POLISH_EVERY * Max(1.0, p->n / 200.0);
	double		t0_after,
				start = monotonic_seconds(),
				stop = p->deadline - Min(FINAL_SEARCH_SHARE * (p->deadline - start), FINAL_SEARCH_MAX),
				legs = 0,
				t0,
				t1;
	Rr			rr = {0};
	VrpSol		best;
	int32		dropped = 0,	/* orders out right after the last route went */
				hopeless = 0;	/* attempts in a row that failed badly */
	bool		short_run = max_iter > 0 ? max_iter <= (int64) FLEET_HOPELESS_ITERS * n
		: (stop - start) * 1000 <= (double) FLEET_HOPELESS_MS * n;

	rr.p = p;
	rr.servable = servable;
	rng_seed(&rr.rng, seed);
	rr.touched = palloc0(nv * sizeof(bool));
	rr.ruined = palloc0(nv * sizeof(bool));
	rr.slack_ok = palloc0(nv * sizeof(bool));
	rr.tlist = palloc(nv * sizeof(int32));
	rr.boff = palloc(nv * sizeof(int32));
	rr.blen = palloc(nv * sizeof(int32));
	rr.bdist = palloc(nv * sizeof(double));
	rr.seen = palloc0(nv * sizeof(int32));
	rr.type_seen = palloc0(nv * sizeof(int32));
	rr.bflat = palloc((n + 1) * sizeof(int32));
	rr.dep_o = palloc((n + 1) * sizeof(double));
	rr.lat_o = palloc((n + 1) * sizeof(double));
	rr.removed = palloc((n + 1) * sizeof(int32));
	rr.keys = palloc((n + 1) * sizeof(SortKey));
	best.flat = palloc((n + 1) * sizeof(int32));
	best.len = palloc(nv * sizeof(int32));

	for (int32 c = 1; c <= n; c++)
	{
		if (servable[c] && p->where[c] < 0)
			rr.unassigned++;
	}
	for (int32 v = 0; v < nv; v++)
	{
		rr.cost += p->rcost[v];
		legs += p->cpd[v] * p->rdist[v];
		fleet_phase |= p->fixed[v] > 0;
	}
	count_routes(&rr);
	if (rr.served == 0)
		return;
	fewest = vans_lower_bound(p, servable);
	rr.absent = palloc0((n + 1) * sizeof(int64));
	sol_save(p, &best, rr.cost, rr.unassigned);
	/* temperatures scale with the mean leg, whatever the unit of cost */
	t0 = SA_START * legs / (rr.served + rr.used);
	t1 = SA_END * legs / (rr.served + rr.used);
	/*
	 * hotter after the fleet phase: with the fewest vans the plans are
	 * packed tight, and a cool start leaves the annealing in the basin the
	 * fleet phase ended in (Solomon at 35 000 iterations, seeds 1-3, all 56
	 * instances, distance above the best known: C2 1.86 -> 0.56 %, R2 3.41 ->
	 * 3.01 %, RC2 5.95 -> 4.03 %, the others unchanged; runs at the
	 * best-known vans and within 2 % 84 -> 91 of 168).  Not for CVRP, which
	 * has no fleet phase: it got worse at short runs (A, B and X at 100
	 * iterations per customer: 1.25 -> 1.45 %).
	 */
	had_fleet = fleet_phase;
	t0_after = SA_START_AFTER_FLEET * t0;

	for (int64 it = 0; max_iter < 0 || it < max_iter; it++)
	{
		double		now = monotonic_seconds(),
					frac,
					temp,
					cost,
					limit;
		int32		unassigned = 0;
		bool		feasible = true,
					over_bar = false,
					accept;

		CHECK_FOR_INTERRUPTS();
		if (now > stop)
			break;
		/* an iteration budget makes the run repeatable: the schedule follows it */
		frac = max_iter > 0 ? (double) it / max_iter : (now - start) / Max(stop - start, 1e-9);
		/*
		 * the annealing's whole schedule after the fleet phase: one over the
		 * whole run would leave it only the coldest end (Solomon R1 at 1 s
		 * of CPU, fleet phase 70 %: 1.05 % over the best-known distance,
		 * 0.51 % with the whole schedule after it; 6 seeds)
		 */
		if (t0 <= 0)
			temp = 0;
		else if (fleet_phase || !had_fleet)
			temp = t0 * pow(t1 / t0, frac);
		else
			temp = t0_after * pow(t1 / t0_after, (frac - anneal_from) / (1 - anneal_from));
		if (fleet_phase && (frac >= FLEET_SHARE || (rr.unassigned == 0 && rr.used <= fewest) ||
							hopeless >= FLEET_HOPELESS_TRIES))
		{
			/* from the best plan on: cost alone decides */
			fleet_phase = false;
			anneal_from = Min(frac, FLEET_SHARE);
			back_to_best(&rr, &best);
		}
		rr.no_new_routes = fleet_phase;
		if (fleet_phase && rr.unassigned > 0 && frac > progress + FLEET_PATIENCE)
		{
			/*
			 * stuck: from the best plan, another route goes, but only after
			 * an interlude of annealing its distance with the vans it has:
			 * when those are as few as the search gets, the annealing after
			 * the phase starts from a shorter plan than the first found with
			 * them, and the next attempt starts from another plan (Solomon
			 * RC1 at 35 000 iterations, 12 seeds: distance at the best-known
			 * vans 1.37 % above the best known, was 3.06 %; one van more in
			 * 2 runs of 36, was 6; with 2 %: 1.46 %, 5 of 36; 5 %: 5 of 18)
			 */
			interlude_until = frac + FLEET_INTERLUDE;

			/*
			 * an attempt that ends with several orders still out rarely
			 * comes closer on the next try: two such in a row end the
			 * phase, the rest of the run anneals the distance (Solomon R1,
			 * R2, RC1 and RC2 at 1 s, seeds 4-6: runs at the best-known
			 * vans and within 2 % 49 -> 65 of 117, vans over the best
			 * known 11 both ways; on the traces of 78 runs of seeds 1-2 it
			 * lost no van and saved 37 % of the phase).  Only in short
			 * runs: with more time the next tries do get there, and the
			 * distance has time enough after them (R207 at 60 s: 3 vans
			 * on 2 seeds of 3 with the stop, 2 in all 5 runs without;
			 * R1 and R2 at 10 s, seeds 1-2: a van over in 2 runs of 46
			 * with it, 0 without; at 3 s alike both ways)
			 */
			if (short_run && rr.unassigned >= Max(FLEET_HOPELESS_LEFT, FLEET_HOPELESS_SHARE * dropped))
				hopeless++;
			else
				hopeless = 0;
			back_to_best(&rr, &best);
		}
		if (fleet_phase && rr.unassigned == 0 && frac >= interlude_until)
		{
			drop_short_route(&rr);
			count_routes(&rr);
			dropped = rr.unassigned;
			rr.absent_sum = count_absences(&rr);
			progress = frac;
		}

		/* after the fleet phase's changes, which move rr.cost */
		cost = rr.cost;
		/* orders left out so far get another chance with the removed ones */
		rr.nrem = 0;
		if (rr.unassigned > 0)
			for (int32 c = 1; c <= n; c++)
				if (p->where[c] < 0 && servable[c])
					rr.removed[rr.nrem++] = c;
		/*
		 * the annealing's bar, drawn first: with legs that obey the
		 * triangle inequality an insertion never lowers the cost, so a
		 * recreate already above the bar ends there, rejected (on Solomon
		 * after the fleet phase, 40-60 % of the iterations open a van; with
		 * legs that do not, the early end only loses an iteration)
		 */
		limit = cost - temp * log(1 - rng_uniform(&rr.rng)) - VEPS;
		rr.delta = 0;
		ruin(&rr);
		order_removed(&rr);
		for (int32 i = 0; i < rr.nrem && !over_bar; i++)
		{
			if (!recreate_one(&rr, rr.removed[i]) &&
				!(fleet_phase && eject_for(&rr, rr.removed[i])))
				unassigned++;
			over_bar = rr.unassigned == 0 && cost + rr.delta >= limit + 1e-9 * fabs(limit);
		}

		/* price the changed routes exactly (and check them once more) */
		for (int32 i = 0; i < rr.nt && feasible && !over_bar; i++)
		{
			int32		v = rr.tlist[i];
			double		d = p->len[v] == 0 ? 0 : eval_route(p, v, p->route[v], p->len[v]);

			feasible = d >= 0;
			cost += route_cost(p, v, p->len[v], d) - route_cost(p, v, rr.blen[v], rr.bdist[v]);
			p->rdist[v] = d;
			p->rcost[v] = route_cost(p, v, p->len[v], d);
		}
		if (!feasible || over_bar)
			accept = false;
		else if (unassigned != rr.unassigned)
			accept = unassigned < rr.unassigned;
		else if (fleet_phase && unassigned > 0)
		{
			int64		absent_sum = 0;

			for (int32 i = 0; i < rr.nrem; i++)
				if (p->where[rr.removed[i]] < 0)
					absent_sum += rr.absent[rr.removed[i]];
			accept = absent_sum < rr.absent_sum;
		}
		else
			accept = cost < limit;
		if (accept)
		{
			forget_changes(&rr);
			if (unassigned < rr.unassigned)
				progress = frac;
			if (fleet_phase && unassigned == 0 && rr.unassigned > 0)
				hopeless = 0;
			rr.cost = cost;
			rr.unassigned = unassigned;
			if (unassigned < best.unassigned || (unassigned == best.unassigned && cost < best.cost - VEPS))
			{
				/*
				 * polish a new best with the local search, at most once per
				 * 1 % of the run; on the clock also only while the polishing
				 * has taken under a tenth of the time (a pass over 1 000
				 * orders costs as much as thousands of iterations); on an
				 * iteration budget, less often on large instances instead
				 */
				if (frac >= polished + (max_iter > 0 ? polish_every : POLISH_EVERY) &&
					(max_iter > 0 || polish_time < POLISH_SHARE * (now - start)))
				{
					double		before = monotonic_seconds();

					polished = frac;
					vrp_local_search(p);
					polish_time += monotonic_seconds() - before;
					memset(rr.slack_ok, 0, nv * sizeof(bool));
					rr.cost = 0;
					for (int32 v = 0; v < nv; v++)
						rr.cost += p->rcost[v];
					cost = rr.cost;
					count_routes(&rr);
				}
				sol_save(p, &best, cost, unassigned);
			}
		}
		else
			undo_changes(&rr);
		if (fleet_phase)
			rr.absent_sum = count_absences(&rr);
	}
	sol_load(p, &best);
	vrp_local_search(p);
}
