/*
 * vrp_swapstar.c - SWAP* between two routes (Vidal 2022, "Hybrid genetic
 * search for the CVRP: open-source implementation and SWAP* neighborhood")
 *
 * Orders u of route r1 and v of route r2 trade routes, each going to its best
 * position in the other route rather than into the other's place.  Vidal
 * shows the best position of u in r2 without v is among u's three cheapest
 * insertions into r2 as it is, or v's place: caching those three per order
 * prices all |r1| x |r2| exchanges of a pair in O(|r1| |r2|).  Only pairs of
 * routes whose polar sectors around the depot overlap are tried (on a graph,
 * without coordinates: routes holding each other's candidate neighbours).
 *
 * Prices are distance deltas; the best exchange of a pair is then checked
 * exactly (time windows, stops, the graph's reachability) by eval_route and
 * made only if feasible and cheaper, so routes stay feasible.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"

#include "routes.h"
#include "vrp.h"

typedef struct Insertion
{
	double		cost;
	int32		pos;			/* before this index of the other route (its length: at the end) */
} Insertion;

/* a circular sector of angles around the depot: [start, start + width] */
typedef struct Sector
{
	double		start,
				width;
} Sector;

typedef struct SwapStar
{
	Vrp		   *p;
	Insertion (*top)[3];		/* per order: three cheapest insertions into the other route */
	double	   *gain;			/* per order: what removing it from its route saves */
	Sector	   *sector;			/* per vehicle */
	int32	   *linked;			/* graph form: stamp of routes near the route tried */
} SwapStar;

static double
angle_from(double a, double b)
{
	double		d = fmod(b - a, 2 * M_PI);

	return d < 0 ? d + 2 * M_PI : d;
}

static void
sector_of(const Vrp *p, int32 v, Sector *s)
{
	for (int32 i = 0; i < p->len[v]; i++)
	{
		int32		c = p->route[v][i];
		double		a = atan2(p->y[c] - p->y[0], p->x[c] - p->x[0]);

		if (i == 0)
		{
			s->start = a;
			s->width = 0;
		}
		else if (angle_from(s->start, a) > s->width)
		{
			/* grow on the side that needs the smaller turn */
			double		ahead = angle_from(s->start, a) - s->width,
						behind = angle_from(a, s->start);

			if (ahead <= behind)
				s->width += ahead;
			else
			{
				s->start = a;
				s->width += behind;
			}
		}
	}
}

static bool
sectors_overlap(const Sector *a, const Sector *b)
{
	return angle_from(a->start, b->start) <= a->width || angle_from(b->start, a->start) <= b->width;
}

/* node before / after index i of route v */
static inline int32
node_before(const Vrp *p, int32 v, int32 i)
{
	return i == 0 ? p->vs[v] : p->route[v][i - 1];
}

static inline int32
node_after(const Vrp *p, int32 v, int32 i)
{
	return i >= p->len[v] - 1 ? p->ve[v] : p->route[v][i + 1];
}

/* removal savings of route a's orders, their three best insertions into route b */
static void
price_into(SwapStar *ss, int32 a, int32 b)
{
	Vrp		   *p = ss->p;
	int32		Lb = p->len[b];

	for (int32 i = 0; i < p->len[a]; i++)
	{
		int32		u = p->route[a][i],
					pu = node_before(p, a, i),
					nu = node_after(p, a, i);
		Insertion  *t = ss->top[u];

		ss->gain[u] = p->cpd[a] * (VD(p, pu, u) + VD(p, u, nu) - VD(p, pu, nu));
		t[0].cost = t[1].cost = t[2].cost = INFINITY;
		t[0].pos = t[1].pos = t[2].pos = -1;
		for (int32 j = 0; j <= Lb; j++)
		{
			int32		x = j == 0 ? p->vs[b] : p->route[b][j - 1],
						y = j == Lb ? p->ve[b] : p->route[b][j];
			double		c = p->cpd[b] * (VD(p, x, u) + VD(p, u, y) - VD(p, x, y));

			if (!(c < t[2].cost))
				continue;		/* also drops NaN from unreachable legs */
			if (c < t[1].cost)
			{
				t[2] = t[1];
				if (c < t[0].cost)
				{
					t[1] = t[0];
					t[0] = (Insertion) {c, j};
				}
				else
					t[1] = (Insertion) {c, j};
			}
			else
				t[2] = (Insertion) {c, j};
		}
	}
}

/* cheapest insertion of u into route b once b's order at index k is out */
static Insertion
insert_without(const SwapStar *ss, int32 u, int32 b, int32 k)
{
	const Vrp  *p = ss->p;
	int32		pw = node_before(p, b, k),
				nw = node_after(p, b, k);
	Insertion	best = {p->cpd[b] * (VD(p, pw, u) + VD(p, u, nw) - VD(p, pw, nw)), k};

	for (int32 q = 0; q < 3; q++)
	{
		const Insertion *t = &ss->top[u][q];

		/* a position beside the order at k is gone once it leaves */
		if (t->pos >= 0 && t->pos != k && t->pos != k + 1 && t->cost < best.cost)
		{
			best = *t;
			break;				/* sorted: the first one that fits is the cheapest */
		}
	}
	return best;
}

/* route v without order `out`, with order `in` placed before index pos */
static int32
build_exchanged(const Vrp *p, int32 v, int32 out, int32 in, int32 pos, int32 *buf)
{
	int32		len = 0;

	for (int32 i = 0; i <= p->len[v]; i++)
	{
		if (i == pos)
			buf[len++] = in;
		if (i < p->len[v] && p->route[v][i] != out)
			buf[len++] = p->route[v][i];
	}
	return len;
}

/* the best SWAP* of routes a and b, made if feasible and cheaper */
static bool
swap_star_pair(SwapStar *ss, int32 a, int32 b)
{
	Vrp		   *p = ss->p;
	double		best = -VEPS,
				da,
				db;
	int32		bu = -1,
				bv = -1,
				pu = -1,
				pv = -1,
				la,
				lb;

	price_into(ss, a, b);
	price_into(ss, b, a);
	for (int32 i = 0; i < p->len[a]; i++)
	{
		int32		u = p->route[a][i];

		for (int32 j = 0; j < p->len[b]; j++)
		{
			int32		v = p->route[b][j];
			Insertion	iu,
						iv;
			double		delta;

			if (p->rload[a] - p->demand[u] + p->demand[v] > p->cap[a] + VEPS ||
				p->rload[b] - p->demand[v] + p->demand[u] > p->cap[b] + VEPS)
				continue;
			iu = insert_without(ss, u, b, j);
			iv = insert_without(ss, v, a, i);
			delta = iu.cost + iv.cost - ss->gain[u] - ss->gain[v];
			if (delta < best)
			{
				best = delta;
				bu = u;
				bv = v;
				pu = iu.pos;
				pv = iv.pos;
			}
		}
	}
	if (bu < 0)
		return false;
	la = build_exchanged(p, a, bu, bv, pv, p->tmp1);
	lb = build_exchanged(p, b, bv, bu, pu, p->tmp2);
	da = eval_route(p, a, p->tmp1, la);
	if (da < 0)
		return false;
	db = eval_route(p, b, p->tmp2, lb);
	if (db < 0 || p->rcost[a] + p->rcost[b] - route_cost(p, a, la, da) - route_cost(p, b, lb, db) <= VEPS)
		return false;
	set_route(p, a, p->tmp1, la, da);
	set_route(p, b, p->tmp2, lb, db);
	return true;
}

/* graph form: mark the routes holding a candidate neighbour of one of route a's orders */
static void
link_routes(SwapStar *ss, int32 a)
{
	Vrp		   *p = ss->p;

	for (int32 i = 0; i < p->len[a]; i++)
	{
		const int32 *nb = p->nbr + (Size) p->route[a][i] * p->k;

		for (int32 q = 0; q < p->k && nb[q] >= 0; q++)
			if (nb[q] > 0 && p->where[nb[q]] >= 0)
				ss->linked[p->where[nb[q]]] = a + 1;
	}
}

/*
 * One pass of SWAP* over the pairs of used routes near each other; true if
 * some exchange was made.
 */
bool
vrp_swap_star(Vrp *p)
{
	SwapStar	ss = {0};
	bool		improved = false,
				polar = p->mat == NULL && p->road == NULL;	/* coordinates only in the Euclidean form */

	ss.p = p;
	ss.top = palloc((p->n + 1) * sizeof(Insertion[3]));
	ss.gain = palloc((p->n + 1) * sizeof(double));
	if (polar)
	{
		ss.sector = palloc(p->nv * sizeof(Sector));
		for (int32 v = 0; v < p->nv; v++)
			sector_of(p, v, &ss.sector[v]);
	}
	else
		ss.linked = palloc0(p->nv * sizeof(int32));

	for (int32 a = 0; a < p->nv && !p->timed_out; a++)
	{
		if (p->len[a] == 0)
			continue;
		CHECK_FOR_INTERRUPTS();
		if (monotonic_seconds() > p->deadline)
		{
			p->timed_out = true;
			break;
		}
		if (!polar)
			link_routes(&ss, a);
		for (int32 b = a + 1; b < p->nv; b++)
		{
			if (p->len[b] == 0 || p->len[a] == 0)
				continue;
			if (polar ? !sectors_overlap(&ss.sector[a], &ss.sector[b]) : ss.linked[b] != a + 1)
				continue;
			if (swap_star_pair(&ss, a, b))
			{
				improved = true;
				if (polar)
				{
					sector_of(p, a, &ss.sector[a]);
					sector_of(p, b, &ss.sector[b]);
				}
			}
		}
	}
	pfree(ss.top);
	pfree(ss.gain);
	if (polar)
		pfree(ss.sector);
	else
		pfree(ss.linked);
	return improved;
}
