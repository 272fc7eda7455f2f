/*
 * vrp_local.c - the local search of ecomml.solve_vrp: moves between and
 * within routes over candidate lists, first improvement, until none improves
 *
 * Relocate, swap, 2-opt* (tail exchange between routes), cross-exchange
 * (segments of up to three orders) and intra-route 2-opt, tried around each
 * order with its nearest neighbours; when those settle, SWAP* between routes
 * (vrp_swapstar.c) and, with a mixed fleet, routes trading vehicles.  Every
 * move is checked exactly (eval_route) before it is made: routes stay feasible.
 */
#include "postgres.h"

#include "miscadmin.h"

#include "routes.h"
#include "vrp.h"

static bool
try_relocate(Vrp *p, int32 c)
{
	int32		r = p->where[c];
	int32		L = p->len[r];
	int32		pos = -1;
	double		base_r,
				dr;

	for (int32 i = 0; i < L; i++)
		if (p->route[r][i] == c)
			pos = i;
	/* route r without c */
	memcpy(p->tmp2, p->route[r], pos * sizeof(int32));
	memcpy(p->tmp2 + pos, p->route[r] + pos + 1, (L - pos - 1) * sizeof(int32));
	dr = L == 1 ? 0 : eval_route(p, r, p->tmp2, L - 1);
	if (dr < 0)
		return false;			/* removal breaks nothing in theory; be safe */
	base_r = p->rcost[r];
	for (int32 k = 0; k < p->k; k++)
	{
		int32		nb = p->nbr[(Size) c * p->k + k];
		int32		v,
					at,
					Lv;

		if (nb < 0)
			break;
		if (nb == 0 || p->where[nb] < 0)
			continue;
		v = p->where[nb];
		for (int32 side = 0; side < 2; side++)
		{
			const int32 *src = (v == r) ? p->tmp2 : p->route[v];
			double		d,
						gain;

			Lv = (v == r) ? L - 1 : p->len[v];
			at = -1;
			for (int32 i = 0; i < Lv; i++)
				if (src[i] == nb)
					at = i;
			at += side;			/* before nb, or after it */
			memcpy(p->tmp1, src, at * sizeof(int32));
			p->tmp1[at] = c;
			memcpy(p->tmp1 + at + 1, src + at, (Lv - at) * sizeof(int32));
			d = eval_route(p, v, p->tmp1, Lv + 1);
			if (d < 0)
				continue;
			if (v == r)
				gain = base_r - route_cost(p, r, L, d);
			else
				gain = base_r + p->rcost[v] - route_cost(p, r, L - 1, dr) - route_cost(p, v, Lv + 1, d);
			if (gain > VEPS)
			{
				if (v != r)
					set_route(p, r, p->tmp2, L - 1, dr);
				set_route(p, v, p->tmp1, Lv + 1, d);
				return true;
			}
		}
	}
	return false;
}

/* index of order c in route v */
static inline int32
route_index(const Vrp *p, int32 v, int32 c)
{
	int32		i = 0;

	while (p->route[v][i] != c)
		i++;
	return i;
}

/*
 * Routes r and v become tmp1 (n1 orders) and tmp2 (n2 orders) if both are
 * feasible and cost less together; true if done.
 */
static bool
replace_pair(Vrp *p, int32 r, int32 n1, int32 v, int32 n2)
{
	double		d1 = eval_route(p, r, p->tmp1, n1),
				d2;

	if (d1 < 0)
		return false;
	d2 = n2 == 0 ? 0 : eval_route(p, v, p->tmp2, n2);
	if (d2 < 0 || p->rcost[r] + p->rcost[v] - route_cost(p, r, n1, d1) - route_cost(p, v, n2, d2) <= VEPS)
		return false;
	set_route(p, r, p->tmp1, n1, d1);
	set_route(p, v, p->tmp2, n2, d2);
	return true;
}

static bool
try_swap(Vrp *p, int32 c)
{
	int32		r = p->where[c];

	for (int32 k = 0; k < p->k; k++)
	{
		int32		o = p->nbr[(Size) c * p->k + k];
		int32		v;

		if (o < 0)
			break;
		if (o == 0 || p->where[o] < 0 || p->where[o] == r)
			continue;
		v = p->where[o];
		memcpy(p->tmp1, p->route[r], p->len[r] * sizeof(int32));
		memcpy(p->tmp2, p->route[v], p->len[v] * sizeof(int32));
		for (int32 i = 0; i < p->len[r]; i++)
			if (p->tmp1[i] == c)
				p->tmp1[i] = o;
		for (int32 i = 0; i < p->len[v]; i++)
			if (p->tmp2[i] == o)
				p->tmp2[i] = c;
		if (replace_pair(p, r, p->len[r], v, p->len[v]))
			return true;
	}
	return false;
}

/* 2-opt* (c's route continues with o's tail) and intra-route 2-opt */
static bool
try_two_opt_star(Vrp *p, int32 c)
{
	int32		r = p->where[c];
	int32		a = route_index(p, r, c);

	for (int32 k = 0; k < p->k; k++)
	{
		int32		o = p->nbr[(Size) c * p->k + k];
		int32		v,
					b,
					l1,
					l2;
		double		d1;

		if (o < 0)
			break;
		if (o == 0 || p->where[o] < 0)
			continue;
		v = p->where[o];
		b = route_index(p, v, o);
		if (v == r)
		{
			/* reverse a+1..b so that c is followed by o */
			int32		lo = a + 1,
						hi = b;

			if (hi <= lo)
				continue;
			memcpy(p->tmp1, p->route[r], p->len[r] * sizeof(int32));
			for (int32 s = lo, e = hi; s < e; s++, e--)
			{
				int32		t = p->tmp1[s];

				p->tmp1[s] = p->tmp1[e];
				p->tmp1[e] = t;
			}
			d1 = eval_route(p, r, p->tmp1, p->len[r]);
			if (d1 >= 0 && p->rcost[r] - route_cost(p, r, p->len[r], d1) > VEPS)
			{
				set_route(p, r, p->tmp1, p->len[r], d1);
				return true;
			}
			continue;
		}
		/* r: head up to c, then o and v's tail; v: v's head before o, then r's tail after c */
		l1 = a + 1 + (p->len[v] - b);
		l2 = b + (p->len[r] - a - 1);
		memcpy(p->tmp1, p->route[r], (a + 1) * sizeof(int32));
		memcpy(p->tmp1 + a + 1, p->route[v] + b, (p->len[v] - b) * sizeof(int32));
		memcpy(p->tmp2, p->route[v], b * sizeof(int32));
		memcpy(p->tmp2 + b, p->route[r] + a + 1, (p->len[r] - a - 1) * sizeof(int32));
		if (replace_pair(p, r, l1, v, l2))
			return true;
	}
	return false;
}

/*
 * Cross-exchange: the segment after c (1-3 orders, or none) and a segment of
 * o's route starting at o (1-3 orders, or none) trade places, so that c is
 * followed by o.
 */
static bool
try_cross(Vrp *p, int32 c)
{
	int32		r = p->where[c];
	int32		a = route_index(p, r, c);

	for (int32 k = 0; k < p->k; k++)
	{
		int32		o = p->nbr[(Size) c * p->k + k];
		int32		v,
					b;

		if (o < 0)
			break;
		if (o == 0 || p->where[o] < 0 || p->where[o] == r)
			continue;
		v = p->where[o];
		b = route_index(p, v, o);
		for (int32 l1 = 0; l1 <= 3; l1++)
			for (int32 l2 = 1; l2 <= 3; l2++)
			{
				int32		Lr = p->len[r],
							Lv = p->len[v],
							n1,
							n2;

				if (a + 1 + l1 > Lr || b + l2 > Lv || (l1 <= 1 && l2 <= 1))
					continue;	/* single orders: swap and relocate cover them */
				/* r: head up to c, o's segment, rest of r */
				memcpy(p->tmp1, p->route[r], (a + 1) * sizeof(int32));
				memcpy(p->tmp1 + a + 1, p->route[v] + b, l2 * sizeof(int32));
				memcpy(p->tmp1 + a + 1 + l2, p->route[r] + a + 1 + l1, (Lr - a - 1 - l1) * sizeof(int32));
				n1 = Lr - l1 + l2;
				/* v: head before o, c's segment, rest of v */
				memcpy(p->tmp2, p->route[v], b * sizeof(int32));
				memcpy(p->tmp2 + b, p->route[r] + a + 1, l1 * sizeof(int32));
				memcpy(p->tmp2 + b + l1, p->route[v] + b + l2, (Lv - b - l2) * sizeof(int32));
				n2 = Lv - l2 + l1;
				if (replace_pair(p, r, n1, v, n2))
					return true;
			}
	}
	return false;
}

/*
 * Mixed fleet: the routes of two vehicles trade vehicles (one may be
 * unused), so that a route moves to a cheaper vehicle, or one with its depot
 * nearer, when that vehicle can drive it.  Unused vehicles alike in every
 * attribute are tried once.
 */
static bool
try_exchange_vehicles(Vrp *p)
{
	bool		improved = false;

	for (int32 r = 0; r < p->nv; r++)
	{
		if (p->len[r] == 0)
			continue;
		CHECK_FOR_INTERRUPTS();
		if (monotonic_seconds() > p->deadline)
		{
			p->timed_out = true;
			return improved;
		}
		memset(p->type_tried, 0, p->nv * sizeof(bool));
		for (int32 v = 0; v < p->nv; v++)
		{
			int32		Lr = p->len[r],
						Lv = p->len[v];
			double		d1,
						d2;

			if (v == r)
				continue;
			if (Lv == 0)
			{
				if (p->type_tried[p->vtype[v]])
					continue;
				p->type_tried[p->vtype[v]] = true;
			}
			d1 = eval_route(p, v, p->route[r], Lr);
			if (d1 < 0)
				continue;
			d2 = Lv == 0 ? 0 : eval_route(p, r, p->route[v], Lv);
			if (d2 < 0)
				continue;
			if (p->rcost[r] + p->rcost[v] - route_cost(p, v, Lr, d1) - route_cost(p, r, Lv, d2) > VEPS)
			{
				memcpy(p->tmp1, p->route[r], Lr * sizeof(int32));
				memcpy(p->tmp2, p->route[v], Lv * sizeof(int32));
				set_route(p, v, p->tmp1, Lr, d1);
				set_route(p, r, p->tmp2, Lv, d2);
				improved = true;
				if (Lv == 0)
					break;		/* r is now unused */
			}
		}
	}
	return improved;
}

void
vrp_local_search(Vrp *p)
{
	bool		improved = true;
	int64		steps = 0;

	while (improved)
	{
		improved = false;
		for (int32 c = 1; c <= p->n; c++)
		{
			if (p->where[c] < 0)
				continue;
			if ((++steps & 63) == 0)
			{
				CHECK_FOR_INTERRUPTS();
				if (monotonic_seconds() > p->deadline)
				{
					p->timed_out = true;
					return;
				}
			}
			if (try_relocate(p, c) || try_swap(p, c) || try_two_opt_star(p, c) || try_cross(p, c))
				improved = true;
		}
		/* after the order moves settle: SWAP* prices route pairs, not orders */
		if (!improved && !p->timed_out && vrp_swap_star(p))
			improved = true;
		/* a pass costs nv evaluations per route */
		if (!improved && p->mixed_fleet && try_exchange_vehicles(p))
			improved = true;
		if (p->timed_out)
			return;
	}
}
