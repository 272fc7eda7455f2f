/*
 * recs_serve.c - serving recommender models: recommend, recommend_all,
 * recommend_for_items, similar_items, predict
 *
 * Every kind is served by the same functions.  ALS scores are factor dot
 * products, EASE scores are the user's row of X times B, kNN scores sum the
 * stored neighbor similarities of the user's items.
 *
 * Shop rules (candidates, exclude) are item index lists, sorted, applied
 * while the top k is collected, never after it: k rows come back whenever k
 * allowed items exist.  With candidates, dense models score only the
 * candidates (a dot product per candidate, or one matrix product over the
 * gathered candidate factors in recommend_all), so ten candidates cost ten
 * dot products and 100k cost what the whole catalog would.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "access/htup_details.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "arrays.h"
#include "blas.h"
#include "heap.h"
#include "kinds.h"
#include "model_cache.h"
#include "recs.h"
#include "recs_model.h"

static void
check_rec_kind(int kind)
{
	if (kind != MODEL_ALS && kind != MODEL_ALS_IMPLICIT && kind != MODEL_ITEM_KNN &&
		kind != MODEL_EASE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expected an als, als_implicit, item_knn or ease model, got a %s model",
						model_kind_name(kind))));
}

static const RecModel *
get_model(FunctionCallInfo fcinfo)
{
	int			kind;
	const RecModel *m = model_cache_get(fcinfo, 0, MODEL_ANY, &kind);

	check_rec_kind(kind);
	return m;
}

/* In a value-per-call SRF: pinned until the SRF's multi-call context ends. */
static const RecModel *
get_model_srf(FunctionCallInfo fcinfo, FuncCallContext *funcctx)
{
	int			kind;
	const RecModel *m = model_cache_get_pinned(fcinfo, 0, MODEL_ANY, &kind,
											   funcctx->multi_call_memory_ctx);

	check_rec_kind(kind);
	return m;
}

static int32
get_k(FunctionCallInfo fcinfo, int argno)
{
	int32		k = PG_GETARG_INT32(argno);

	if (k < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k must be at least 1, not %d", k)));
	return k;
}

/* The functions with shop rules are not STRICT: a NULL in these is no rows. */
static bool
any_arg_null(FunctionCallInfo fcinfo, int nargs)
{
	for (int a = 0; a < nargs; a++)
		if (PG_ARGISNULL(a))
			return true;
	return false;
}

/* Result rows of a recommending SRF, computed on the first call. */
typedef struct RecRows
{
	int64		n;
	int64	   *user;			/* NULL unless recommend_all */
	int64	   *item;
	double	   *score;
	int32	   *rank;
} RecRows;

static RecRows *
rows_alloc(int64 cap, bool with_user)
{
	RecRows    *rows = palloc0(sizeof(RecRows));

	cap = Max(cap, 1);
	rows->user = with_user ? MemoryContextAllocHuge(CurrentMemoryContext, cap * sizeof(int64)) : NULL;
	rows->item = MemoryContextAllocHuge(CurrentMemoryContext, cap * sizeof(int64));
	rows->score = MemoryContextAllocHuge(CurrentMemoryContext, cap * sizeof(double));
	rows->rank = MemoryContextAllocHuge(CurrentMemoryContext, cap * sizeof(int32));
	return rows;
}

static void
rows_add(RecRows *rows, const RecModel *m, int64 user_id, const HeapItem *top, Size n)
{
	for (Size r = 0; r < n; r++)
	{
		if (rows->user)
			rows->user[rows->n] = user_id;
		rows->item[rows->n] = m->items->ids[top[r].value];
		rows->score[rows->n] = top[r].key;
		rows->rank[rows->n] = (int32) (r + 1);
		rows->n++;
	}
}

static FuncCallContext *
srf_begin(FunctionCallInfo fcinfo)
{
	FuncCallContext *funcctx = SRF_FIRSTCALL_INIT();
	MemoryContext old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
	TupleDesc	tupdesc;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("function returning record called in context that cannot accept type record")));
	funcctx->tuple_desc = BlessTupleDesc(tupdesc);
	MemoryContextSwitchTo(old);
	return funcctx;
}

static Datum
srf_next(FunctionCallInfo fcinfo)
{
	FuncCallContext *funcctx = SRF_PERCALL_SETUP();
	RecRows    *rows = funcctx->user_fctx;

	if (rows != NULL && (int64) funcctx->call_cntr < rows->n)
	{
		int64		i = funcctx->call_cntr;
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};
		int			c = 0;

		if (rows->user)
			values[c++] = Int64GetDatum(rows->user[i]);
		values[c++] = Int64GetDatum(rows->item[i]);
		values[c++] = Float8GetDatum(rows->score[i]);
		values[c++] = Int32GetDatum(rows->rank[i]);
		SRF_RETURN_NEXT(funcctx, HeapTupleGetDatum(heap_form_tuple(funcctx->tuple_desc, values, nulls)));
	}
	SRF_RETURN_DONE(funcctx);
}

/* ------------------------------------------------------------------------
 * Shop rules
 * ------------------------------------------------------------------------ */

/* Item indexes a call may return. */
typedef struct ServeRules
{
	const int32 *cand;			/* sorted distinct candidates; NULL: every item */
	int32		ncand;
	const int32 *excl;			/* sorted distinct items never returned */
	int32		nexcl;
} ServeRules;

static int
cmp_int32(const void *a, const void *b)
{
	int32		x = *(const int32 *) a,
				y = *(const int32 *) b;

	return (x > y) - (x < y);
}

/* Distinct known item indexes of a bigint[], sorted; NULLs and unknown ids skipped. */
static int32 *
known_items(const RecModel *m, ArrayType *arr, int32 *n_out, const char *what)
{
	int			n;
	int64	   *ids = array_int64(arr, &n, true, what);
	int32	   *idx = palloc(Max(n, 1) * sizeof(int32));
	int32		c = 0,
				w = 0;

	for (int i = 0; i < n; i++)
	{
		int32		j = idmap_lookup(m->items, ids[i]);

		if (j >= 0)
			idx[c++] = j;
	}
	pfree(ids);
	qsort(idx, c, sizeof(int32), cmp_int32);
	for (int32 i = 0; i < c; i++)
		if (i == 0 || idx[i] != idx[i - 1])
			idx[w++] = idx[i];
	*n_out = w;
	return idx;
}

/* candidates and exclude arguments (NULL: no rule) */
static void
read_rules(FunctionCallInfo fcinfo, const RecModel *m, int cand_arg, int excl_arg, ServeRules *rules)
{
	memset(rules, 0, sizeof(ServeRules));
	if (!PG_ARGISNULL(cand_arg))
		rules->cand = known_items(m, PG_GETARG_ARRAYTYPE_P(cand_arg), &rules->ncand, "candidates");
	if (!PG_ARGISNULL(excl_arg))
		rules->excl = known_items(m, PG_GETARG_ARRAYTYPE_P(excl_arg), &rules->nexcl, "exclude");
}

/* fallback argument: true for 'popular', false for NULL or 'none' */
static bool
read_fallback(FunctionCallInfo fcinfo, int argno)
{
	char	   *f;

	if (PG_ARGISNULL(argno))
		return false;
	f = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	if (strcmp(f, "popular") == 0)
		return true;
	if (strcmp(f, "none") == 0)
		return false;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("fallback must be 'popular' or 'none', not \"%s\"", f)));
	return false;
}

static bool
in_sorted(const int32 *v, int64 n, int32 x)
{
	int64		lo = 0,
				hi = n;

	while (lo < hi)
	{
		int64		mid = (lo + hi) / 2;

		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo] == x;
}

static bool
rules_allow(const ServeRules *rules, int32 j)
{
	return (rules->cand == NULL || in_sorted(rules->cand, rules->ncand, j)) &&
		!in_sorted(rules->excl, rules->nexcl, j);
}

/* ------------------------------------------------------------------------
 * Top k
 * ------------------------------------------------------------------------ */

/* Scratch space for scoring one user. */
typedef struct Scorer
{
	double	   *score;			/* one per column (candidate or item) */
	bool	   *flag;			/* ni, kNN */
	int32	   *touched;		/* ni, kNN */
	Heap	   *heap;
	HeapItem   *top;
	int32		k;
} Scorer;

static Scorer *
scorer_create(const RecModel *m, int32 k)
{
	Scorer	   *sc = palloc0(sizeof(Scorer));

	sc->k = Min(k, Max(m->ni, 1));
	sc->score = rec_zeros(m->ni);
	if (m->kind == MODEL_ITEM_KNN)
	{
		sc->flag = palloc0(Max(m->ni, 1) * sizeof(bool));
		sc->touched = MemoryContextAllocHuge(CurrentMemoryContext, Max(m->ni, 1) * sizeof(int32));
	}
	sc->heap = heap_create(sc->k);
	sc->top = palloc(sc->k * sizeof(HeapItem));
	return sc;
}

/*
 * Top k of scores over the columns of the rules (score[c] belongs to item
 * rules->cand[c], or to item c without candidates), skipping the sorted
 * indexes skip[0..nskip), the excluded items and the index self (-1: none).
 * Columns ascend, so every skip list is walked once.
 */
static Size
topk_dense(Scorer *sc, const double *score, int32 ni, const ServeRules *rules,
		   const int32 *skip, int64 nskip, int32 self)
{
	Heap	   *h = sc->heap;
	int32		ncol = rules->cand ? rules->ncand : ni;
	int64		s = 0,
				e = 0;

	h->count = 0;
	for (int32 c = 0; c < ncol; c++)
	{
		int32		j = rules->cand ? rules->cand[c] : c;
		double		v = score[c];

		while (s < nskip && skip[s] < j)
			s++;
		while (e < rules->nexcl && rules->excl[e] < j)
			e++;
		if ((s < nskip && skip[s] == j) || (e < rules->nexcl && rules->excl[e] == j) || j == self)
			continue;
		/* columns ascend, so a tie with the weakest kept entry loses */
		if (h->count == (Size) sc->k && v <= h->items[0].key)
			continue;
		heap_offer(h, sc->k, v, j);
	}
	return heap_drain_descending(h, sc->top);
}

/*
 * kNN: scores of the items reachable from the given (item, weight) pairs,
 * top k of the allowed ones, skipping the sorted indexes skip[0..nskip).
 */
static Size
topk_knn(Scorer *sc, const RecModel *m, const int32 *items, const double *w, int64 n,
		 const int32 *skip, int64 nskip, const ServeRules *rules)
{
	int32		nt = 0;

	sc->heap->count = 0;
	for (int64 a = 0; a < n; a++)
		for (int64 e = m->nptr[items[a]]; e < m->nptr[items[a] + 1]; e++)
		{
			int32		j = m->ncol[e];

			if (!sc->flag[j])
			{
				sc->flag[j] = true;
				sc->score[j] = 0;
				sc->touched[nt++] = j;
			}
			sc->score[j] += w[a] * m->nsim[e];
		}
	for (int32 t = 0; t < nt; t++)
	{
		int32		j = sc->touched[t];

		sc->flag[j] = false;
		if (sc->score[j] > 0 && !in_sorted(skip, nskip, j) && rules_allow(rules, j))
			heap_offer(sc->heap, sc->k, sc->score[j], j);
	}
	return heap_drain_descending(sc->heap, sc->top);
}

/* The most popular allowed items, skipping skip[0..nskip); score = training users. */
static Size
topk_popular(Scorer *sc, const RecModel *m, const ServeRules *rules, const int32 *skip, int64 nskip)
{
	double	   *score = sc->score;
	int32		ncol = rules->cand ? rules->ncand : m->ni;

	for (int32 c = 0; c < ncol; c++)
		score[c] = m->popularity[rules->cand ? rules->cand[c] : c];
	return topk_dense(sc, score, m->ni, rules, skip, nskip, -1);
}

/* ------------------------------------------------------------------------
 * Dense scores over the columns of the rules
 * ------------------------------------------------------------------------ */

/* ALS: x'q_j (+ biases) for a user vector x and user bias. */
static void
als_scores(const RecModel *m, const double *x, double bias, const ServeRules *rules, double *score)
{
	if (rules->cand == NULL)
		cblas_dgemv(CblasRowMajor, CblasNoTrans, m->ni, m->k, 1.0, m->Q, m->k, x, 1, 0.0, score, 1);
	else
		for (int32 c = 0; c < rules->ncand; c++)
			score[c] = cblas_ddot(m->k, x, 1, m->Q + (Size) rules->cand[c] * m->k, 1);
	if (m->kind == MODEL_ALS)
	{
		int32		ncol = rules->cand ? rules->ncand : m->ni;

		for (int32 c = 0; c < ncol; c++)
			score[c] += bias + m->bi[rules->cand ? rules->cand[c] : c];
	}
}

/* EASE: sum over the given items of weight * B[item, j]. */
static void
ease_scores(const RecModel *m, const int32 *items, const double *w, int64 n,
			const ServeRules *rules, double *score)
{
	int32		ncol = rules->cand ? rules->ncand : m->ni;

	memset(score, 0, Max(ncol, 1) * sizeof(double));
	for (int64 a = 0; a < n; a++)
	{
		const float *row = m->B + (Size) items[a] * m->ni;
		double		wa = w ? w[a] : 1.0;

		if (rules->cand == NULL)
			for (int32 j = 0; j < m->ni; j++)
				score[j] += wa * row[j];
		else
			for (int32 c = 0; c < ncol; c++)
				score[c] += wa * row[rules->cand[c]];
	}
}

static Size
recommend_user(Scorer *sc, const RecModel *m, int32 u, bool exclude_seen, const ServeRules *rules)
{
	const int32 *seen = m->scol + m->sptr[u];
	int64		nseen = m->sptr[u + 1] - m->sptr[u];
	int64		nskip = exclude_seen ? nseen : 0;

	switch (m->kind)
	{
		case MODEL_ITEM_KNN:
			return topk_knn(sc, m, seen, m->sval + m->sptr[u], nseen, seen, nskip, rules);
		case MODEL_EASE:
			ease_scores(m, seen, m->sval + m->sptr[u], nseen, rules, sc->score);
			break;
		default:
			als_scores(m, m->P + (Size) u * m->k, m->kind == MODEL_ALS ? m->mu + m->bu[u] : 0,
					   rules, sc->score);
			break;
	}
	return topk_dense(sc, sc->score, m->ni, rules, seen, nskip, -1);
}

/* ------------------------------------------------------------------------
 * SQL functions
 * ------------------------------------------------------------------------ */

/*
 * The first call of a recommending SRF: the model and k; the result rows in
 * the multi-call context; the shop rules and a scorer in a scratch context
 * (current until serve_end).  The model is argument 0, k argument k_arg, candidates and
 * exclude the arguments cand_arg and cand_arg + 1.
 */
typedef struct ServeCall
{
	const RecModel *m;
	int32		k;
	ServeRules	rules;
	Scorer	   *sc;
	RecRows    *rows;
	MemoryContext scratch;
} ServeCall;

static void
serve_begin(FunctionCallInfo fcinfo, FuncCallContext *funcctx, ServeCall *c, int k_arg,
			int cand_arg, bool all_users)
{
	c->m = get_model_srf(fcinfo, funcctx);
	c->k = get_k(fcinfo, k_arg);
	c->rows = rows_alloc((all_users ? (int64) c->m->nu : 1) * Min(c->k, c->m->ni), all_users);
	c->scratch = AllocSetContextCreate(CurrentMemoryContext, "ecomml recommend",
									   ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(c->scratch);
	read_rules(fcinfo, c->m, cand_arg, cand_arg + 1, &c->rules);
	c->sc = scorer_create(c->m, c->k);
}

static void
serve_end(FuncCallContext *funcctx, ServeCall *c)
{
	MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
	MemoryContextDelete(c->scratch);
	funcctx->user_fctx = c->rows;
}

/* recommend(model, user_id, k, exclude_seen, candidates, exclude, fallback) */
PG_FUNCTION_INFO_V1(rec_recommend);
Datum
rec_recommend(PG_FUNCTION_ARGS)
{
	if (SRF_IS_FIRSTCALL())
	{
		FuncCallContext *funcctx = srf_begin(fcinfo);
		MemoryContext old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);

		if (!any_arg_null(fcinfo, 4))
		{
			ServeCall	c;
			Size		n = 0;
			int32		u;
			bool		popular;

			serve_begin(fcinfo, funcctx, &c, 2, 4, false);
			popular = read_fallback(fcinfo, 6);
			u = idmap_lookup(c.m->users, PG_GETARG_INT64(1));
			if (u >= 0)
				n = recommend_user(c.sc, c.m, u, PG_GETARG_BOOL(3), &c.rules);
			else if (popular)
				n = topk_popular(c.sc, c.m, &c.rules, NULL, 0);
			rows_add(c.rows, c.m, 0, c.sc->top, n);
			serve_end(funcctx, &c);
		}
		MemoryContextSwitchTo(old);
	}
	return srf_next(fcinfo);
}

/*
 * Fold a basket into a user vector x: explicit ALS solves
 * (Q_S'Q_S + lambda |S| I) x = Q_S'(r_max - mu - b_S), the basket read as
 * top ratings; implicit ALS solves (Y'Y + alpha Y_S'Y_S + lambda I) x =
 * (1 + alpha) Y_S'1, one interaction of weight 1 per item.
 */
static void
fold_in(const RecModel *m, const int32 *items, int64 n, double *x)
{
	int			k = m->k;
	double	   *A = palloc0((Size) k * k * sizeof(double));
	double		c = m->kind == MODEL_ALS ? 1.0 : m->opt.alpha;

	memset(x, 0, k * sizeof(double));
	if (m->kind == MODEL_ALS_IMPLICIT)
		memcpy(A, m->YtY, (Size) k * k * sizeof(double));
	for (int64 a = 0; a < n; a++)
	{
		const double *q = m->Q + (Size) items[a] * k;

		cblas_dsyr(CblasRowMajor, CblasUpper, k, c, q, 1, A, k);
		cblas_daxpy(k, m->kind == MODEL_ALS ? m->r_max - m->mu - m->bi[items[a]] : 1.0 + m->opt.alpha,
					q, 1, x, 1);
	}
	for (int d = 0; d < k; d++)
		A[d * k + d] += (m->kind == MODEL_ALS ? m->opt.lambda * n : m->opt.lambda) + 1e-9;
	if (!blas_cholesky_solve(A, x, k))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("cannot fold the items into a user: the normal equations are singular")));
	pfree(A);
}

/* recommend_for_items(model, item_ids, k, candidates, exclude, fallback) */
PG_FUNCTION_INFO_V1(rec_recommend_for_items);
Datum
rec_recommend_for_items(PG_FUNCTION_ARGS)
{
	if (SRF_IS_FIRSTCALL())
	{
		FuncCallContext *funcctx = srf_begin(fcinfo);
		MemoryContext old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);

		if (!any_arg_null(fcinfo, 3))
		{
			ServeCall	c;
			const RecModel *m;
			int32	   *items;
			int32		n;
			Size		got = 0;
			bool		popular;

			serve_begin(fcinfo, funcctx, &c, 2, 3, false);
			popular = read_fallback(fcinfo, 5);
			m = c.m;
			items = known_items(m, PG_GETARG_ARRAYTYPE_P(1), &n, "item_ids");
			if (n > 0 && m->kind == MODEL_ITEM_KNN)
			{
				double	   *w = palloc(n * sizeof(double));

				for (int32 a = 0; a < n; a++)
					w[a] = 1.0;
				got = topk_knn(c.sc, m, items, w, n, items, n, &c.rules);
			}
			else if (n > 0)
			{
				if (m->kind == MODEL_EASE)
					ease_scores(m, items, NULL, n, &c.rules, c.sc->score);
				else
				{
					double	   *x = palloc(m->k * sizeof(double));

					fold_in(m, items, n, x);
					als_scores(m, x, m->kind == MODEL_ALS ? m->mu : 0, &c.rules, c.sc->score);
				}
				got = topk_dense(c.sc, c.sc->score, m->ni, &c.rules, items, n, -1);
			}
			else if (popular)
				got = topk_popular(c.sc, m, &c.rules, NULL, 0);
			rows_add(c.rows, m, 0, c.sc->top, got);
			serve_end(funcctx, &c);
		}
		MemoryContextSwitchTo(old);
	}
	return srf_next(fcinfo);
}

#define RECOMMEND_ALL_BLOCK 256

/*
 * ALS users in blocks: one matrix product of a block of user factors with
 * the item factors (only the candidates' rows, gathered once).
 */
static void
recommend_all_als(const RecModel *m, Scorer *sc, bool exclude_seen, const ServeRules *rules,
				  RecRows *rows)
{
	int32		ncol = rules->cand ? rules->ncand : m->ni;
	const double *Q = m->Q;
	double	   *block = rec_alloc_doubles((Size) RECOMMEND_ALL_BLOCK * ncol);

	if (rules->cand)
	{
		double	   *Qc = rec_alloc_doubles((Size) ncol * m->k);

		for (int32 c = 0; c < ncol; c++)
			memcpy(Qc + (Size) c * m->k, m->Q + (Size) rules->cand[c] * m->k, m->k * sizeof(double));
		Q = Qc;
	}
	for (int32 u0 = 0; u0 < m->nu; u0 += RECOMMEND_ALL_BLOCK)
	{
		int32		nb = Min(RECOMMEND_ALL_BLOCK, m->nu - u0);

		CHECK_FOR_INTERRUPTS();
		if (ncol > 0)
			cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, ncol, m->k, 1.0,
						m->P + (Size) u0 * m->k, m->k, Q, m->k, 0.0, block, ncol);
		for (int32 b = 0; b < nb; b++)
		{
			int32		u = u0 + b;
			double	   *score = block + (Size) b * ncol;
			Size		got;

			if (m->kind == MODEL_ALS)
			{
				double		base = m->mu + m->bu[u];

				for (int32 c = 0; c < ncol; c++)
					score[c] += base + m->bi[rules->cand ? rules->cand[c] : c];
			}
			got = topk_dense(sc, score, m->ni, rules, m->scol + m->sptr[u],
							 exclude_seen ? m->sptr[u + 1] - m->sptr[u] : 0, -1);
			rows_add(rows, m, m->users->ids[u], sc->top, got);
		}
	}
}

/* recommend_all(model, k, exclude_seen, candidates, exclude) */
PG_FUNCTION_INFO_V1(rec_recommend_all);
Datum
rec_recommend_all(PG_FUNCTION_ARGS)
{
	if (SRF_IS_FIRSTCALL())
	{
		FuncCallContext *funcctx = srf_begin(fcinfo);
		MemoryContext old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);

		if (!any_arg_null(fcinfo, 3))
		{
			ServeCall	c;
			bool		exclude_seen = PG_GETARG_BOOL(2);

			serve_begin(fcinfo, funcctx, &c, 1, 3, true);
			blas_begin(0);
			if (c.m->kind == MODEL_ALS || c.m->kind == MODEL_ALS_IMPLICIT)
				recommend_all_als(c.m, c.sc, exclude_seen, &c.rules, c.rows);
			else
				for (int32 u = 0; u < c.m->nu; u++)
				{
					Size		got;

					CHECK_FOR_INTERRUPTS();
					got = recommend_user(c.sc, c.m, u, exclude_seen, &c.rules);
					rows_add(c.rows, c.m, c.m->users->ids[u], c.sc->top, got);
				}
			serve_end(funcctx, &c);
		}
		MemoryContextSwitchTo(old);
	}
	return srf_next(fcinfo);
}

/* similar_items(model, item_id, k) */
PG_FUNCTION_INFO_V1(rec_similar_items);
Datum
rec_similar_items(PG_FUNCTION_ARGS)
{
	if (SRF_IS_FIRSTCALL())
	{
		FuncCallContext *funcctx = srf_begin(fcinfo);
		MemoryContext old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		const RecModel *m = get_model_srf(fcinfo, funcctx);
		int32		k = get_k(fcinfo, 2);
		int32		i = idmap_lookup(m->items, PG_GETARG_INT64(1));

		if (i >= 0)
		{
			RecRows    *rows = rows_alloc(Min(k, m->ni), false);

			if (m->kind == MODEL_ITEM_KNN)
			{
				HeapItem	h;

				for (int64 e = m->nptr[i]; e < m->nptr[i + 1] && rows->n < k; e++)
				{
					h.key = m->nsim[e];
					h.value = m->ncol[e];
					rows_add(rows, m, 0, &h, 1);
					rows->rank[rows->n - 1] = (int32) rows->n;
				}
			}
			else
			{
				MemoryContext scratch = AllocSetContextCreate(CurrentMemoryContext, "ecomml similar_items",
															  ALLOCSET_DEFAULT_SIZES);
				ServeRules	all = {0};
				Scorer	   *sc;
				Size		got;

				MemoryContextSwitchTo(scratch);
				sc = scorer_create(m, k);
				if (m->kind == MODEL_EASE)
				{
					/* the weight of item i in predicting each other item */
					ease_scores(m, &i, NULL, 1, &all, sc->score);
				}
				else
				{
					cblas_dgemv(CblasRowMajor, CblasNoTrans, m->ni, m->k, 1.0, m->Q, m->k,
								m->Q + (Size) i * m->k, 1, 0.0, sc->score, 1);
					for (int32 j = 0; j < m->ni; j++)
					{
						double		den = m->qnorm[i] * m->qnorm[j];

						sc->score[j] = den > 0 ? sc->score[j] / den : 0;
					}
				}
				got = topk_dense(sc, sc->score, m->ni, &all, NULL, 0, i);
				rows_add(rows, m, 0, sc->top, got);
				MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
				MemoryContextDelete(scratch);
			}
			funcctx->user_fctx = rows;
		}
		MemoryContextSwitchTo(old);
	}
	return srf_next(fcinfo);
}

/*
 * predict(model, user_id, item_id): explicit ALS falls back to the global
 * mean plus whatever biases are known; the other kinds return NULL for an
 * unknown user or item.
 */
PG_FUNCTION_INFO_V1(rec_predict);
Datum
rec_predict(PG_FUNCTION_ARGS)
{
	const RecModel *m = get_model(fcinfo);
	int32		u = idmap_lookup(m->users, PG_GETARG_INT64(1));
	int32		i = idmap_lookup(m->items, PG_GETARG_INT64(2));
	double		s = 0;

	if (m->kind == MODEL_ALS)
	{
		s = m->mu + (u >= 0 ? m->bu[u] : 0) + (i >= 0 ? m->bi[i] : 0);
		if (u >= 0 && i >= 0)
			s += cblas_ddot(m->k, m->P + (Size) u * m->k, 1, m->Q + (Size) i * m->k, 1);
		PG_RETURN_FLOAT8(s);
	}
	if (u < 0 || i < 0)
		PG_RETURN_NULL();
	if (m->kind == MODEL_ALS_IMPLICIT)
		PG_RETURN_FLOAT8(cblas_ddot(m->k, m->P + (Size) u * m->k, 1, m->Q + (Size) i * m->k, 1));
	for (int64 e = m->sptr[u]; e < m->sptr[u + 1]; e++)
	{
		int32		a = m->scol[e];

		if (m->kind == MODEL_EASE)
			s += m->sval[e] * m->B[(Size) a * m->ni + i];
		else
			for (int64 f = m->nptr[a]; f < m->nptr[a + 1]; f++)
				if (m->ncol[f] == i)
					s += m->sval[e] * m->nsim[f];
	}
	PG_RETURN_FLOAT8(s);
}
