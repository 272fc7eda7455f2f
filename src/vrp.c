/*
 * vrp.c - ecomml.solve_vrp: capacitated vehicle routing with time windows
 *
 * Orders (index 1..n; 0 is the global depot, n + 1.. the vehicles' own
 * depots) have a demand, a service time and a window [open, close] for the
 * start of service; vehicles have a capacity, a shift [start, end] (back at
 * their end depot by end; max_route_duration tightens end), a start and an
 * end depot, max_stops, and a cost: fixed_cost + cost_per_distance *
 * distance when used.  Travel time equals travel cost (Euclidean distance,
 * or road cost from a graph model).  The objective: serve the most orders,
 * then the least total cost.
 *
 * Constraints are kept hard: every route the solver holds is feasible.
 *   1. Orders no vehicle can serve alone are unassigned.
 *   2. Clarke-Wright savings (parallel version), merging two routes only if
 *      the merged route is feasible for some vehicle; routes are then given
 *      to vehicles, biggest load first, each to the free vehicle that drives
 *      it cheapest; orders left over are inserted at their cheapest feasible
 *      position, or stay unassigned.
 *   3. Local search (vrp_local.c) with candidate lists: relocate, swap,
 *      2-opt* (tail exchange between routes), cross-exchange (segments of up
 *      to three orders) and intra-route 2-opt, first improvement; SWAP*
 *      between routes with overlapping sectors (vrp_swapstar.c); with a
 *      mixed fleet also routes trading vehicles.
 *   4. Ruin and recreate (vrp_ruin.c) until time_limit_ms or max_iterations:
 *      string removals around a random order, reinsertion with blinks,
 *      simulated-annealing acceptance; with fixed costs, first a phase that
 *      takes short routes off the road (up to 80 % of the run, or until
 *      the vans' capacities leave no van to spare), then the annealing's
 *      whole schedule; the best plan found gets the local search of step 3.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "arrays.h"
#include "heap.h"
#include "idmap.h"
#include "knn2d.h"
#include "model_cache.h"
#include "options.h"
#include "rng.h"
#include "routes.h"
#include "vrp.h"
#include "vrp_input.h"

#define VRP_MAX_ORDERS 100000	/* about 4 MB per 10 000 orders, see doc/routing.md */
#define VRP_ROUTE_ROOM 32		/* orders a route holds before its array grows */
#define VRP_MAX_VEHICLES 1000
#define VRP_MAX_MATRIX 5000		/* orders and depots of a dense road cost matrix */
#define VRP_EUCLID_CACHE 1500	/* nodes up to which Euclidean distances are kept (18 MB) */
#define VRP_ROAD_K 24			/* nearest stops by road per stop without a matrix */

/* distance of route r on vehicle v, or -1 if infeasible */
double
eval_route(const Vrp *p, int32 v, const int32 *r, int32 len)
{
	double		t = p->vstart[v],
				load = 0,
				dist = 0;
	int32		prev = p->vs[v],
				end = p->ve[v];

	if (len > p->maxstops[v])
		return -1;
	for (int32 i = 0; i < len; i++)
	{
		int32		c = r[i];
		double		d = VD(p, prev, c);

		if (isinf(d))
			return -1;			/* unreachable on the graph */
		dist += d;
		t += d;
		if (t > p->close[c] + VEPS)
			return -1;
		if (t < p->open[c])
			t = p->open[c];
		t += p->service[c];
		load += p->demand[c];
		if (load > p->cap[v] + VEPS)
			return -1;
		prev = c;
	}
	if (isinf(VD(p, prev, end)))
		return -1;
	dist += VD(p, prev, end);
	t += VD(p, prev, end);
	if (t > p->vend[v] + VEPS)
		return -1;
	return dist;
}

/* some vehicle can drive r; returns its distance (on that vehicle) or -1 */
static double
eval_any(const Vrp *p, const int32 *r, int32 len, int32 *which)
{
	for (int32 v = 0; v < p->nv; v++)
	{
		double		d;

		if (p->vtype[v] != v)
			continue;			/* a vehicle alike an earlier one drives r alike */
		d = eval_route(p, v, r, len);

		if (d >= 0)
		{
			if (which)
				*which = v;
			return d;
		}
	}
	return -1;
}

/*
 * Room for len orders on route v.  Routes start small and double: n orders
 * per vehicle up front would be nv * n ints (400 MB for 1 000 vans and
 * 100 000 orders), while all routes together hold at most n orders.
 */
void
route_reserve(Vrp *p, int32 v, int32 len)
{
	int32		room = p->rcap[v];

	if (len <= room)
		return;
	while (room < len)
		room = (int32) Min((int64) room * 2, (int64) p->n + 1);
	p->route[v] = repalloc(p->route[v], (Size) room * sizeof(int32));
	p->rcap[v] = room;
}

void
set_route(Vrp *p, int32 v, const int32 *r, int32 len, double dist)
{
	/* r is never route[v] itself when it grows: growing may move route[v] */
	route_reserve(p, v, len);
	if (r != p->route[v])
		memmove(p->route[v], r, len * sizeof(int32));
	p->len[v] = len;
	p->rdist[v] = dist;
	p->rcost[v] = route_cost(p, v, len, dist);
	p->rload[v] = 0;
	for (int32 i = 0; i < len; i++)
	{
		p->where[r[i]] = v;
		p->pos[r[i]] = i;
		p->rload[v] += p->demand[r[i]];
	}
}

/* ---------------------------------------------------------------------------
 * Insertion
 */

/*
 * Slack of route r (L orders) on vehicle v, so that inserting an order
 * anywhere is priced and checked in O(1): dep[i] is the departure from stop i
 * (0 = the depot at shift start, 1..L the orders), latest[i] the latest
 * arrival at stop i (L + 1 = the depot at shift end) that keeps the rest of
 * the route on time.  Arriving earlier never hurts (a van may wait), so an
 * insertion between stops i and i + 1 is feasible iff the new order is
 * reached by its close and stop i + 1 is then reached by latest[i + 1].
 */
void
route_slack(const Vrp *p, int32 v, const int32 *r, int32 L, double *dep, double *latest)
{
	double		t = p->vstart[v];

	dep[0] = t;
	for (int32 i = 1; i <= L; i++)
	{
		int32		c = r[i - 1];

		t += VD(p, i == 1 ? p->vs[v] : r[i - 2], c);
		t = Max(t, p->open[c]) + p->service[c];
		dep[i] = t;
	}
	latest[L + 1] = p->vend[v];
	for (int32 i = L; i >= 1; i--)
	{
		int32		c = r[i - 1];

		latest[i] = Min(p->close[c], latest[i + 1] - VD(p, c, i == L ? p->ve[v] : r[i]) - p->service[c]);
	}
}

/* cheapest feasible position of order c on vehicle v, if cheaper than *best */
static void
price_insert(Vrp *p, int32 c, int32 v, double *best, int32 *best_v, int32 *best_pos)
{
	int32		L = p->len[v];
	const int32 *r = p->route[v];

	if (p->rload[v] + p->demand[c] > p->cap[v] + VEPS || L + 1 > p->maxstops[v])
		return;
	route_slack(p, v, p->route[v], L, p->dep, p->latest);
	for (int32 pos = 0; pos <= L; pos++)
	{
		int32		a = pos == 0 ? p->vs[v] : r[pos - 1],
					b = pos == L ? p->ve[v] : r[pos];
		double		dac,
					dcb,
					delta;

		if (!insertion_legs(p, v, L, a, c, b, *best, &dac, &dcb) ||
			!fits_between(p, p->dep[pos], dac, c, dcb, p->latest[pos + 1]))
			continue;
		delta = stop_between(p, v, L, a, b, dac + dcb);
		if (delta < *best - VEPS)
		{
			*best = delta;
			*best_v = v;
			*best_pos = pos;
		}
	}
}

/* scratch of the granular insertion (road costs on demand) */
typedef struct NearWalk
{
	int32		stamp;
	int32	   *route_seen;		/* nv: stamp when priced */
	int32	   *order_seen;		/* n + 1: stamp when walked */
	int32	   *queue;			/* n + 1 */
} NearWalk;

/*
 * With road costs on demand, the routes near c only: a walk outward over the
 * neighbour lists, layer by layer (c's neighbours, theirs, ...), pricing the
 * route of each order met, until a layer's routes take c.  Pricing every
 * route instead searched the road for most positions: a lower bound knows
 * nothing of where a stop outside the lists lies.
 */
static void
price_near(Vrp *p, int32 c, NearWalk *w, double *best, int32 *best_v, int32 *best_pos)
{
	int32		head = 0,
				tail = 0,
				layer_end = 1;

	w->stamp++;
	w->queue[tail++] = c;
	w->order_seen[c] = w->stamp;
	while (head < tail)
	{
		int32		o = w->queue[head++];

		for (int32 q = 0; q < p->kadj; q++)
		{
			int32		nb = p->adj[(Size) o * p->kadj + q],
						v;

			if (nb < 0)
				break;
			if (nb == 0 || w->order_seen[nb] == w->stamp)
				continue;
			w->order_seen[nb] = w->stamp;
			w->queue[tail++] = nb;
			v = p->where[nb];
			if (v >= 0 && w->route_seen[v] != w->stamp)
			{
				w->route_seen[v] = w->stamp;
				price_insert(p, c, v, best, best_v, best_pos);
			}
		}
		if (head == layer_end)
		{
			if (*best_v >= 0 && p->len[*best_v] > 0)
				break;
			CHECK_FOR_INTERRUPTS();
			layer_end = tail;
		}
	}
}

/*
 * Cheapest feasible insertion of order c; true if inserted.  An empty
 * vehicle of each kind and the routes near c: on a matrix the routes of c's
 * nearest neighbours, then, only if none of those takes it, every route
 * (pricing every route for every order left over by the savings is
 * O(orders x routes), seconds at 100 000 orders); with road costs on demand
 * (w) the walk of price_near.
 */
static bool
insert_cheapest(Vrp *p, int32 c, NearWalk *w)
{
	int32		best_v = -1,
				best_pos = -1;
	double		best_delta = INFINITY,
				best_dist;

	memset(p->type_tried, 0, p->nv * sizeof(bool));
	if (p->road)
	{
		for (int32 v = 0; v < p->nv; v++)
		{
			if (p->len[v] > 0 || p->type_tried[p->vtype[v]])
				continue;
			p->type_tried[p->vtype[v]] = true;
			price_insert(p, c, v, &best_delta, &best_v, &best_pos);
		}
		price_near(p, c, w, &best_delta, &best_v, &best_pos);
	}
	else
	{
		bool	   *priced = palloc0(p->nv * sizeof(bool));

		for (int32 k = 0; k < p->kadj; k++)
		{
			int32		o = p->adj[(Size) c * p->kadj + k],
						v;

			if (o < 0)
				break;
			if (o == 0 || (v = p->where[o]) < 0 || priced[v])
				continue;
			priced[v] = true;
			price_insert(p, c, v, &best_delta, &best_v, &best_pos);
		}
		for (int32 pass = 0; pass < 2; pass++)
		{
			for (int32 v = 0; v < p->nv; v++)
			{
				/* pass 0: empty vehicles alike in every attribute, one each; pass 1: the rest */
				if (priced[v] || (pass == 0) != (p->len[v] == 0))
					continue;
				if (p->len[v] == 0)
				{
					if (p->type_tried[p->vtype[v]])
						continue;
					p->type_tried[p->vtype[v]] = true;
				}
				priced[v] = true;
				price_insert(p, c, v, &best_delta, &best_v, &best_pos);
			}
			if (best_v >= 0 && p->len[best_v] > 0)
				break;			/* a route near c takes it: no need to look further */
		}
		pfree(priced);
	}
	if (best_v < 0)
		return false;
	{
		int32		L = p->len[best_v];
		int32	   *r = p->route[best_v];

		memcpy(p->tmp1, r, best_pos * sizeof(int32));
		p->tmp1[best_pos] = c;
		memcpy(p->tmp1 + best_pos + 1, r + best_pos, (L - best_pos) * sizeof(int32));
		/* the exact check decides (the slack test allows rounding of VEPS per stop) */
		best_dist = eval_route(p, best_v, p->tmp1, L + 1);
		if (best_dist < 0)
			return false;
		set_route(p, best_v, p->tmp1, L + 1, best_dist);
	}
	return true;
}

/* ---------------------------------------------------------------------------
 * Construction: Clarke-Wright savings
 */
typedef struct Saving
{
	double		s;
	int32		i,
				j;
} Saving;

/*
 * Savings, largest first.  Sorting 1.2 million of them (100 000 orders) takes
 * a fifth of a second: the comparison checks for interrupts now and then,
 * which is safe, as qsort holds nothing an error would leak.
 */
static int
cmp_saving(const void *a, const void *b, void *arg)
{
	const Saving *x = a,
			   *y = b;
	uint32	   *calls = arg;

	if ((++*calls & 0xFFFF) == 0)
		CHECK_FOR_INTERRUPTS();

	if (x->s != y->s)
		return x->s > y->s ? -1 : 1;
	if (x->i != y->i)
		return x->i < y->i ? -1 : 1;
	return x->j < y->j ? -1 : (x->j > y->j ? 1 : 0);
}

/* routes biggest load first, ties by first order */
typedef struct RouteLoad
{
	double		load;
	int32		head;
} RouteLoad;

static int
cmp_route_load(const void *a, const void *b)
{
	const RouteLoad *x = a,
			   *y = b;

	if (x->load != y->load)
		return x->load > y->load ? -1 : 1;
	return x->head < y->head ? -1 : (x->head > y->head ? 1 : 0);
}

/* copy the route whose first order is h (linked by nxt) into buf */
static int32
chain(const int32 *nxt, int32 h, int32 *buf)
{
	int32		len = 0;

	for (int32 c = h; c > 0; c = nxt[c])
		buf[len++] = c;
	return len;
}

static void
construct_savings(Vrp *p, bool *servable)
{
	int32		n = p->n;
	int32	   *nxt = palloc0((n + 1) * sizeof(int32));	/* 0 ends a route */
	int32	   *head = palloc((n + 1) * sizeof(int32));	/* order -> first order of its route */
	int32	   *tail = palloc((n + 1) * sizeof(int32));	/* first order -> last order */
	double	   *load = palloc((n + 1) * sizeof(double));	/* first order -> route load */
	Saving	   *sv = MemoryContextAllocHuge(CurrentMemoryContext, (Size) (n + 1) * Max(p->k, 1) * sizeof(Saving));
	Size		ns = 0;
	int32	   *order = palloc((n + 1) * sizeof(int32));
	int32		nroutes = 0;
	int32	   *buf = palloc((n + 1) * sizeof(int32));
	NearWalk	walk = {0};
	double		maxcap = 0;
	uint32		calls = 0;

	for (int32 v = 0; v < p->nv; v++)
		maxcap = Max(maxcap, p->cap[v]);
	if (p->road)
	{
		walk.route_seen = palloc0(p->nv * sizeof(int32));
		walk.order_seen = palloc0((n + 1) * sizeof(int32));
		walk.queue = palloc((n + 1) * sizeof(int32));
	}
	for (int32 i = 1; i <= n; i++)
	{
		head[i] = i;
		tail[i] = i;
		load[i] = p->demand[i];
	}
	for (int32 i = 1; i <= n; i++)
		for (int32 c = 0; c < p->k; c++)
		{
			int32		j = p->nbr[(Size) i * p->k + c];

			if (j <= 0 || !servable[i] || !servable[j])
				continue;
			sv[ns].s = VD(p, i, 0) + VD(p, 0, j) - VD(p, i, j);
			sv[ns].i = i;
			sv[ns].j = j;
			ns++;
		}
	qsort_arg(sv, ns, sizeof(Saving), cmp_saving, &calls);
	for (Size q = 0; q < ns; q++)
	{
		int32		i = sv[q].i,
					j = sv[q].j,
					a = head[i],
					b = head[j],
					len;

		if (!(sv[q].s > 0))
			break;
		/*
		 * no deadline here: merging is cheap, while routes cut short by one
		 * cost their orders an insertion each into every route (a minute at
		 * 100 000 orders)
		 */
		CHECK_FOR_INTERRUPTS();
		/* i must end one route and j start another */
		if (a == b || tail[a] != i || b != j || load[a] + load[b] > maxcap + VEPS)
			continue;
		nxt[i] = j;
		len = chain(nxt, a, buf);
		if (eval_any(p, buf, len, NULL) < 0)
		{
			nxt[i] = 0;
			continue;
		}
		for (int32 c = j; c > 0; c = nxt[c])
			head[c] = a;
		tail[a] = tail[b];
		load[a] += load[b];
	}

	/* routes to vehicles: biggest load first, each to a free vehicle that can drive it */
	for (int32 i = 1; i <= n; i++)
		if (servable[i] && head[i] == i)
			order[nroutes++] = i;
	{
		RouteLoad  *rl = palloc(Max(nroutes, 1) * sizeof(RouteLoad));

		for (int32 q = 0; q < nroutes; q++)
			rl[q] = (RouteLoad) {load[order[q]], order[q]};
		qsort(rl, nroutes, sizeof(RouteLoad), cmp_route_load);
		for (int32 q = 0; q < nroutes; q++)
			order[q] = rl[q].head;
		pfree(rl);
	}
	for (int32 q = 0; q < nroutes; q++)
	{
		int32		len = chain(nxt, order[q], buf),
					best_v = -1;
		double		best_cost = INFINITY,
					best_d = 0;

		CHECK_FOR_INTERRUPTS();

		/*
		 * the free vehicle that drives it cheapest; free means empty: the
		 * leftovers of a route no vehicle could take may already have been
		 * inserted into a vehicle that no route took yet (overwriting it lost
		 * orders that were still marked served: a crash in local search)
		 */
		memset(p->type_tried, 0, p->nv * sizeof(bool));
		for (int32 v = 0; v < p->nv; v++)
		{
			double		d;

			/* of empty vehicles alike in every attribute the first decides */
			if (p->len[v] > 0 || p->type_tried[p->vtype[v]])
				continue;
			p->type_tried[p->vtype[v]] = true;
			d = eval_route(p, v, buf, len);
			if (d >= 0 && route_cost(p, v, len, d) < best_cost - VEPS)
			{
				best_cost = route_cost(p, v, len, d);
				best_v = v;
				best_d = d;
			}
		}
		if (best_v >= 0)
			set_route(p, best_v, buf, len, best_d);
		else
			for (int32 t = 0; t < len; t++)
			{
				CHECK_FOR_INTERRUPTS();
				insert_cheapest(p, buf[t], &walk);
			}
	}
}

/*
 * The kadj nearest orders of every node, nearest first: the ruin walks them
 * (adj), the local search reads the first k of each (nbr).
 */
static void
vrp_neighbours(Vrp *p)
{
	int32		m = p->n + 1,
				K = p->kadj;
	Heap	   *h = heap_create(K + 1);
	HeapItem   *out = palloc((K + 1) * sizeof(HeapItem));
	Knn2d	   *tree = p->mat || p->road ? NULL : knn2d_build(p->x + 1, p->y + 1, p->n);

	if (p->road)
		vrp_road_neighbours(p->road, p->n, K, p->adj);
	for (int32 i = 0; i < m && !p->road; i++)
	{
		Size		got;

		h->count = 0;
		if (tree)				/* orders are points 1..n, tree indexes 0..n-1 */
			knn2d_query(tree, p->x[i], p->y[i], i - 1, K, h);
		else
			for (int32 j = 1; j <= p->n; j++)
				if (j != i)
					heap_offer(h, K, -Min(VD(p, i, j), VD(p, j, i)), j);
		got = heap_drain_descending(h, out);
		for (int32 c = 0; c < K; c++)
			p->adj[(Size) i * K + c] = c < (int32) got ? (int32) out[c].value + (tree ? 1 : 0) : -1;
		if ((i & 255) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	for (int32 i = 0; i < m; i++)
		memcpy(p->nbr + (Size) i * p->k, p->adj + (Size) i * K, p->k * sizeof(int32));
}

static void
vrp_solve(Vrp *p, double time_limit_ms, int64 max_iter, uint64 seed)
{
	int32		n = p->n;
	bool	   *servable = palloc0((n + 1) * sizeof(bool));

	p->deadline = monotonic_seconds() + time_limit_ms / 1000.0;
	/*
	 * Euclidean distances looked up instead of computed: the ruin and
	 * recreate prices three legs per position, and a square root costs
	 * several loads (Solomon RC1 at 35 000 iterations: 790 ms of CPU per
	 * solve, was 1 230; CVRP A, B, X up to 256 orders at 300 iterations per
	 * order: 8.9 s, was 11.4; the same plans, the doubles being the same)
	 */
	if (!p->mat && !p->road && p->m <= VRP_EUCLID_CACHE)
	{
		p->emat = palloc((Size) p->m * p->m * sizeof(double));
		for (int32 a = 0; a < p->m; a++)
			for (int32 b = 0; b < p->m; b++)
				p->emat[(Size) a * p->m + b] = euclid(p, a, b);
	}
	p->k = Min(VRP_K, n);
	p->kadj = Min(VRP_KADJ, n);
	p->nbr = MemoryContextAllocHuge(CurrentMemoryContext, (Size) (n + 1) * Max(p->k, 1) * sizeof(int32));
	p->adj = MemoryContextAllocHuge(CurrentMemoryContext, (Size) (n + 1) * Max(p->kadj, 1) * sizeof(int32));
	p->route = palloc(p->nv * sizeof(int32 *));
	p->rcap = palloc(p->nv * sizeof(int32));
	for (int32 v = 0; v < p->nv; v++)
	{
		p->rcap[v] = Min(n + 1, VRP_ROUTE_ROOM);
		p->route[v] = palloc(p->rcap[v] * sizeof(int32));
	}
	p->len = palloc0(p->nv * sizeof(int32));
	p->rdist = palloc0(p->nv * sizeof(double));
	p->rload = palloc0(p->nv * sizeof(double));
	p->rcost = palloc0(p->nv * sizeof(double));
	p->type_tried = palloc(p->nv * sizeof(bool));
	p->where = palloc((n + 1) * sizeof(int32));
	p->pos = palloc0((n + 1) * sizeof(int32));
	p->tmp1 = palloc((n + 2) * sizeof(int32));
	p->tmp2 = palloc((n + 2) * sizeof(int32));
	p->dep = palloc((n + 2) * sizeof(double));
	p->latest = palloc((n + 2) * sizeof(double));
	for (int32 c = 0; c <= n; c++)
		p->where[c] = -1;
	if (p->k > 0)
		vrp_neighbours(p);

	/* orders some vehicle can serve on its own */
	for (int32 c = 1; c <= n; c++)
	{
		if ((c & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		servable[c] = eval_any(p, &c, 1, NULL) >= 0;
	}
	construct_savings(p, servable);
	vrp_local_search(p);

	if (n >= 2 && !p->timed_out)
		vrp_ruin_recreate(p, servable, max_iter, seed);
}

/* ---------------------------------------------------------------------------
 * SQL: ecomml.solve_vrp (jsonb, 0.3.0) and solve_vrp_internal (arrays, the
 * 0.1.0 and 0.2.0 SQL wrappers)
 */
static const char *const vrp_point_options[] = {"depot_x", "depot_y", "time_limit_ms",
"max_iterations", "seed", NULL};
static const char *const vrp_graph_options[] = {"depot", "time_limit_ms",
"max_iterations", "seed", "matrix", NULL};
static const char *const vrp_any_options[] = {"depot_x", "depot_y", "depot", "time_limit_ms",
"max_iterations", "seed", "matrix", NULL};

static void
vrp_check_options(Jsonb *opts, bool graph, bool strict)
{
	if (!strict)
	{
		options_check_keys(opts, vrp_any_options);
		return;
	}
	/* the depot of the other overload: say which form it belongs to */
	if (!graph && options_has(opts, "depot"))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"depot\" needs a graph"),
				 errhint("Without a graph, give the depot as \"depot_x\" and \"depot_y\".")));
	if (graph && (options_has(opts, "depot_x") || options_has(opts, "depot_y")))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options \"depot_x\" and \"depot_y\" are for Euclidean routing"),
				 errhint("On a graph, give the depot node as \"depot\".")));
	options_check_keys(opts, graph ? vrp_graph_options : vrp_point_options);
}

/* the ids of in must be distinct (orders), or distinct where given (vehicles) */
static void
check_distinct(const int64 *ids, int32 n, const char *what)
{
	IdMap	   *seen = idmap_create(n);

	for (int32 i = 0; i < n; i++)
	{
		int32		before = seen->count;

		if (ids[i] == VRP_ABSENT_ID)
			continue;
		idmap_insert(seen, ids[i]);
		if (seen->count == before)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s \"id\" " INT64_FORMAT " appears more than once", what, ids[i])));
	}
}

/*
 * Vehicles: their limits checked, max_route_duration folded into the shift
 * end (a route leaves at shift_start, so its duration, waiting included, is
 * its return time less shift_start), max_stops as an int.
 */
static void
vrp_fleet(Vrp *p, const VrpInput *in)
{
	int32		nv = in->nv;

	p->nv = nv;
	p->cap = in->cap;
	p->vstart = in->vstart;
	p->cpd = in->cpd;
	p->fixed = in->fixed;
	p->vend = palloc(nv * sizeof(double));
	p->maxstops = palloc(nv * sizeof(int32));
	p->vs = palloc(nv * sizeof(int32));
	p->ve = palloc(nv * sizeof(int32));
	p->vtype = palloc(nv * sizeof(int32));
	for (int v = 0; v < nv; v++)
	{
		double		ms = in->maxstops[v];

		if (in->cap[v] < 0 || in->vend[v] < in->vstart[v])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("vehicle %d has a negative capacity or a shift that ends before it starts", v + 1)));
		if (in->cpd[v] < 0 || in->fixed[v] < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("vehicle %d has a negative cost_per_distance or fixed_cost", v + 1)));
		if (in->maxdur[v] < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("vehicle %d has a negative max_route_duration", v + 1)));
		if (ms < 1 || (isfinite(ms) && ms != floor(ms)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("max_stops of vehicle %d must be a whole number of at least 1, not %g", v + 1, ms),
					 errhint("Leave a vehicle out of the list to keep it at the depot.")));
		p->vend[v] = Min(in->vend[v], in->vstart[v] + in->maxdur[v]);
		p->maxstops[v] = (int32) Min(ms, (double) p->n + 1);
	}
}

/* after the depots are known: vehicles alike, and whether they differ in cost or depot */
static void
vrp_fleet_types(Vrp *p)
{
	p->mixed_fleet = false;
	for (int32 v = 0; v < p->nv; v++)
	{
		int32		u;

		for (u = 0; u < v; u++)
			if (p->vtype[u] == u && p->cap[u] == p->cap[v] && p->vstart[u] == p->vstart[v] &&
				p->vend[u] == p->vend[v] && p->vs[u] == p->vs[v] && p->ve[u] == p->ve[v] &&
				p->cpd[u] == p->cpd[v] && p->fixed[u] == p->fixed[v] &&
				p->maxstops[u] == p->maxstops[v])
				break;
		p->vtype[v] = u;
		if (p->vs[v] != p->vs[0] || p->ve[v] != p->ve[0] || p->cpd[v] != p->cpd[0] ||
			p->fixed[v] != p->fixed[0])
			p->mixed_fleet = true;
	}
}

/* node of a vehicle's own depot at (x, y): 0 if absent, shared when equal */
static int32
depot_point(Vrp *p, double *x, double *y, double px, double py, int v, const char *which)
{
	if (isnan(px) != isnan(py))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("vehicle %d gives only one of \"%s_x\" and \"%s_y\"", v + 1, which, which)));
	if (isnan(px))
		return 0;
	if (px == x[0] && py == y[0])
		return 0;
	for (int32 i = p->n + 1; i < p->m; i++)
		if (x[i] == px && y[i] == py)
			return i;
	x[p->m] = px;
	y[p->m] = py;
	return p->m++;
}

/* node of a vehicle's own depot on the graph: 0 if absent, shared when equal */
static int32
depot_node(Vrp *p, const GraphModel *g, int32 *idx, int64 node, const char *what)
{
	int32		gi;

	if (node == VRP_ABSENT_ID)
		return 0;
	gi = graph_node(g, node, what);
	if (gi == idx[0])
		return 0;
	for (int32 i = p->n + 1; i < p->m; i++)
		if (idx[i] == gi)
			return i;
	idx[p->m] = gi;
	return p->m++;
}

/*
 * Road costs between the m nodes at graph nodes idx: a dense matrix up to
 * VRP_MAX_MATRIX nodes, else (or with "matrix": false) costs on demand,
 * which need a contraction hierarchy (on a plain graph every pair outside
 * the lists would be a Dijkstra).  Infinity where unreachable: such orders
 * are unassigned.
 */
static void
vrp_graph_costs(Vrp *p, const GraphModel *g, const int32 *idx, Jsonb *opts)
{
	bool		use_matrix = options_bool(opts, "matrix", p->m <= VRP_MAX_MATRIX);

	if (use_matrix && p->m > VRP_MAX_MATRIX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("solve_vrp with \"matrix\": true takes at most %d orders and depots, not %d",
						VRP_MAX_MATRIX, p->m),
				 errdetail("%d orders and %d depots.", p->n, p->m - p->n),
				 errhint("Leave \"matrix\" out: road costs on demand have no such limit.")));
	if (!use_matrix && !g->ch)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("solve_vrp without a cost matrix needs a contracted graph"),
				 errdetail("%d orders and depots; a graph without a contraction hierarchy takes at most %d.",
						   p->m, VRP_MAX_MATRIX),
				 errhint("Contract the graph once: SELECT ecomml.model_save('roads', ecomml.contract_graph(ecomml.model('roads'))).")));
	if (use_matrix)
		p->mat = graph_cost_matrix(g, idx, p->m);
	else
	{
		double		t0 = monotonic_seconds();

		p->road = vrp_road_create(g, idx, p->m, p->n, Min(VRP_ROAD_K, p->m - 1));
		elog(DEBUG1, "solve_vrp: nearest stops and depot rows in %.0f ms", 1000 * (monotonic_seconds() - t0));
	}
}

/*
 * Solve and emit.  vehicle_bigint: the 0.3.0 result type (the 0.1.0/0.2.0
 * one is int; their catalogs still call solve_vrp_internal).
 */
static Datum
vrp_run(FunctionCallInfo fcinfo, const GraphModel *g, VrpInput *in, Jsonb *opts,
		bool vehicle_bigint)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Vrp			p = {0};
	int32		n = in->n,
				nv = in->nv;
	const int64 *ids = in->ids;
	double		limit;
	int64		max_iter;
	uint64		seed;

	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("solve_vrp needs at least one order")));
	if (nv == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("solve_vrp needs at least one vehicle")));
	if (n > VRP_MAX_ORDERS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("solve_vrp takes at most %d orders, not %d", VRP_MAX_ORDERS, n)));
	if (nv > VRP_MAX_VEHICLES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("solve_vrp takes at most %d vehicles, not %d", VRP_MAX_VEHICLES, nv)));
	check_distinct(ids, n, "order");
	check_distinct(in->vids, nv, "vehicle");
	limit = options_double(opts, "time_limit_ms", 1000, 0, 3600000);
	max_iter = options_int64(opts, "max_iterations", -1, 0, PG_INT64_MAX);
	seed = (uint64) options_int64(opts, "seed", 0, 0, PG_INT64_MAX);

	/* orders: index 0 is the depot, so shift the arrays by one */
	p.n = n;
	p.demand = palloc((n + 1) * sizeof(double));
	p.service = palloc((n + 1) * sizeof(double));
	p.open = palloc((n + 1) * sizeof(double));
	p.close = palloc((n + 1) * sizeof(double));
	p.demand[0] = p.service[0] = p.open[0] = 0;
	p.close[0] = INFINITY;
	for (int i = 0; i < n; i++)
	{
		if (in->demand[i] < 0 || in->service[i] < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("order " INT64_FORMAT " has a negative demand or service time", ids[i])));
		if (in->open[i] > in->close[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("order " INT64_FORMAT " has a time window that opens after it closes", ids[i]),
					 errdetail("open %g, close %g.", in->open[i], in->close[i])));
		if (isinf(in->close[i]) && in->close[i] < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("order " INT64_FORMAT " has a time window closing at -Infinity", ids[i])));
		p.demand[i + 1] = in->demand[i];
		p.service[i + 1] = in->service[i];
		p.open[i + 1] = in->open[i];
		p.close[i + 1] = in->close[i];
	}
	vrp_fleet(&p, in);

	/* costs */
	if (g == NULL)
	{
		double	   *x = palloc((n + 1 + 2 * nv) * sizeof(double));	/* orders, own depots */
		double	   *y = palloc((n + 1 + 2 * nv) * sizeof(double));

		x[0] = options_double(opts, "depot_x", 0, -VALUE_MAX, VALUE_MAX);
		y[0] = options_double(opts, "depot_y", 0, -VALUE_MAX, VALUE_MAX);
		for (int i = 0; i < n; i++)
		{
			if (isnan(in->x[i]) || isnan(in->y[i]))
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("order " INT64_FORMAT " has no x/y coordinates", ids[i])));
			x[i + 1] = in->x[i];
			y[i + 1] = in->y[i];
		}
		p.m = n + 1;
		for (int v = 0; v < nv; v++)
		{
			p.vs[v] = depot_point(&p, x, y, in->sx[v], in->sy[v], v, "start");
			p.ve[v] = depot_point(&p, x, y, in->ex[v], in->ey[v], v, "end");
		}
		p.x = x;
		p.y = y;
	}
	else
	{
		int32	   *idx = palloc((n + 1 + 2 * nv) * sizeof(int32));
		int64		depot = options_int64(opts, "depot", PG_INT64_MIN, PG_INT64_MIN, PG_INT64_MAX);
		bool		own_depots = true;

		for (int v = 0; v < nv; v++)
			if (in->snode[v] == VRP_ABSENT_ID || in->enode[v] == VRP_ABSENT_ID)
				own_depots = false;
		if (depot == PG_INT64_MIN && !own_depots)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("solve_vrp on a graph needs the depot node in option \"depot\""),
					 errhint("Or give every vehicle its own \"start_node\" and \"end_node\".")));
		/* every vehicle has its own depots: node 0 only anchors the savings */
		idx[0] = graph_node(g, depot == PG_INT64_MIN ? in->snode[0] : depot, "depot");
		for (int i = 0; i < n; i++)
		{
			if (in->node[i] == VRP_ABSENT_ID)
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("order " INT64_FORMAT " has no node", ids[i])));
			idx[i + 1] = graph_node(g, in->node[i], "order");
		}
		p.m = n + 1;
		for (int v = 0; v < nv; v++)
		{
			p.vs[v] = depot_node(&p, g, idx, in->snode[v], "vehicle start_node");
			p.ve[v] = depot_node(&p, g, idx, in->enode[v], "vehicle end_node");
		}
		vrp_graph_costs(&p, g, idx, opts);
	}

	vrp_fleet_types(&p);
	vrp_solve(&p, limit, max_iter, seed);
	/* what the call holds, input included: the scale figures of doc/routing.md */
	elog(DEBUG1, "solve_vrp: %d orders, %d vehicles, %zu kB held",
		 n, nv, MemoryContextMemAllocated(CurrentMemoryContext, true) / 1024);
	if (p.road)
		elog(DEBUG1, "solve_vrp: road costs without a matrix: %.1f MB (lists, pairs, upward spaces, depot rows), "
			 INT64_FORMAT " pairs on demand", vrp_road_memory(p.road) / 1e6, vrp_road_queries(p.road));

	InitMaterializedSRF(fcinfo, 0);
	for (int32 v = 0; v < p.nv; v++)
	{
		double		t = p.vstart[v],
					load = 0,
					dist = 0;
		int32		prev = p.vs[v];
		int64		vid = in->vids[v] == VRP_ABSENT_ID ? v + 1 : in->vids[v];

		if (p.len[v] == 0)
			continue;
		for (int32 i = 0; i <= p.len[v] + 1; i++)
		{
			Datum		values[7];
			bool		nulls[7] = {false, false, false, false, false, false, false};
			double		arrival,
						departure;

			if (i == 0)
			{
				arrival = t;
				departure = t;
				nulls[2] = true;
				values[2] = (Datum) 0;
			}
			else
			{
				int32		c = i <= p.len[v] ? p.route[v][i - 1] : p.ve[v];
				double		d = VD(&p, prev, c);

				dist += d;
				t += d;
				arrival = t;
				if (i > p.len[v])
				{
					departure = t;
					nulls[2] = true;
					values[2] = (Datum) 0;
				}
				else
				{
					t = Max(t, p.open[c]) + p.service[c];
					departure = t;
					load += p.demand[c];
					values[2] = Int64GetDatum(ids[c - 1]);
				}
				prev = c;
			}
			values[0] = vehicle_bigint ? Int64GetDatum(vid) : Int32GetDatum((int32) vid);
			values[1] = Int32GetDatum(i);
			values[3] = Float8GetDatum(arrival);
			values[4] = Float8GetDatum(departure);
			values[5] = Float8GetDatum(load);
			values[6] = Float8GetDatum(dist);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	for (int32 c = 1; c <= p.n; c++)
		if (p.where[c] < 0)
		{
			Datum		values[7] = {0};
			bool		nulls[7] = {true, true, false, true, true, true, true};

			values[2] = Int64GetDatum(ids[c - 1]);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	PG_RETURN_NULL();
}

/* ecomml.solve_vrp(orders jsonb, vehicles jsonb, options jsonb): Euclidean */
PG_FUNCTION_INFO_V1(solve_vrp_points);
Datum
solve_vrp_points(PG_FUNCTION_ARGS)
{
	Jsonb	   *opts = PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2);
	VrpInput	in;

	vrp_check_options(opts, false, true);
	vrp_input_from_jsonb(PG_ARGISNULL(0) ? NULL : PG_GETARG_JSONB_P(0),
						 PG_ARGISNULL(1) ? NULL : PG_GETARG_JSONB_P(1), false, &in);
	return vrp_run(fcinfo, NULL, &in, opts, true);
}

/* ecomml.solve_vrp(graph bytea, orders jsonb, vehicles jsonb, options jsonb) */
PG_FUNCTION_INFO_V1(solve_vrp_graph);
Datum
solve_vrp_graph(PG_FUNCTION_ARGS)
{
	Jsonb	   *opts = PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3);
	const GraphModel *g;
	VrpInput	in;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("graph must not be NULL"),
				 errhint("For Euclidean routing call solve_vrp(orders, vehicles, options).")));
	vrp_check_options(opts, true, true);
	g = model_cache_get(fcinfo, 0, MODEL_GRAPH, NULL);
	vrp_input_from_jsonb(PG_ARGISNULL(1) ? NULL : PG_GETARG_JSONB_P(1),
						 PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2), true, &in);
	return vrp_run(fcinfo, g, &in, opts, true);
}

/* the 0.1.0 and 0.2.0 catalogs: arrays unpacked by their SQL wrapper */
PG_FUNCTION_INFO_V1(solve_vrp_internal);
Datum
solve_vrp_internal(PG_FUNCTION_ARGS)
{
	Jsonb	   *opts = PG_ARGISNULL(13) ? NULL : PG_GETARG_JSONB_P(13);
	const GraphModel *g = NULL;
	VrpInput	in;

	vrp_check_options(opts, !PG_ARGISNULL(0), false);
	if (!PG_ARGISNULL(0))
		g = model_cache_get(fcinfo, 0, MODEL_GRAPH, NULL);
	vrp_input_from_arrays(fcinfo, &in);
	return vrp_run(fcinfo, g, &in, opts, false);
}
