/*
 * recs_lambda.c - lambda "auto": the search of the regularization on
 * held-out training pairs, shared by explicit ALS (validation RMSE, lower is
 * better) and EASE (validation ndcg@10, higher is better)
 *
 * The value matters by orders of magnitude, not by percents, so the search
 * walks a geometric grid from a first value: up while the held-out score
 * improves (or, when the first step up is worse, down instead), then tries
 * the geometric midpoints next to the best value.  Every fit tried is kept
 * (model_info shows the validation curve).
 */
#include "postgres.h"

#include <math.h>

#include "recs_model.h"

static bool
better(double a, double b, bool maximize)
{
	/* a NaN score is never better */
	return maximize ? a > b : a < b;
}

/* One point of the curve: fit, then remember value, score and iterations. */
static int
try_lambda(RecModel *m, double lambda, LambdaFit fit, void *arg)
{
	int			n = m->n_lambda;
	int			iters = 0;

	m->lambda_grid[n] = lambda;
	m->lambda_score[n] = fit(arg, lambda, &iters);
	m->lambda_iters[n] = iters;
	m->n_lambda++;
	return n;
}

int
rec_lambda_search(RecModel *m, const LambdaGrid *g, bool maximize, LambdaFit fit, void *arg)
{
	int			cap = g->steps_up + g->steps_down + 4;
	int			best = 0,
				dir = 1,
				step = 0;

	m->n_lambda = 0;
	m->lambda_grid = rec_alloc_doubles(cap);
	m->lambda_score = rec_alloc_doubles(cap);
	m->lambda_iters = palloc(cap * sizeof(int32));
	for (;;)
	{
		int			n = try_lambda(m, g->first * pow(g->factor, step), fit, arg);

		if (n > 0 && !better(m->lambda_score[n], m->lambda_score[best], maximize))
		{
			/* worse: after the first step up, turn down once; else stop */
			if (dir == 1 && n == 1)
			{
				dir = -1;
				step = -1;
				continue;
			}
			break;
		}
		best = n;
		step += dir;
		if (step > g->steps_up || step < -g->steps_down)
			break;
	}
	/* refine: the geometric midpoints next to the best value */
	for (int side = -1; side <= 1; side += 2)
	{
		int			n = try_lambda(m, m->lambda_grid[best] * pow(sqrt(g->factor), side), fit, arg);

		if (better(m->lambda_score[n], m->lambda_score[best], maximize))
		{
			best = n;
			break;
		}
	}
	return best;
}
