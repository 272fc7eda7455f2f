/*
 * assoc_rules.c - ecomml.train_association_rules(transaction_id, item_id
 * [, options]), ecomml.association_rules(model) and
 * ecomml.frequently_bought_with(model, items, k)
 *
 * The state is the recommenders' interaction store (src/interactions.c)
 * with the transaction as user and the item as item (value 1); combining
 * appends.  The final function's interactions_build sorts it, drops repeated
 * pairs and transposes it, which gives every item's transactions as a sorted
 * tid-list.  Frequent itemsets are mined by Eclat (Zaki 2000): depth-first
 * over the frequent items in ascending support, the extensions of an itemset
 * the intersections of its tid-list with its siblings'.  Every frequent
 * itemset with its count goes to a hash table; rules are then read off each
 * itemset of two or more items, one consequent item at a time, the
 * antecedent's count looked up in the table (every subset of a frequent
 * itemset is frequent).  The model holds the rules only.  The definitions
 * are arules' apriori (Hahsler et al.):
 *
 *   support(X)           = count(X) / N, frequent when count(X) >=
 *                          ceil(min_support * N - 1e-9)
 *   confidence(X => y)   = count(X + y) / count(X)
 *   lift(X => y)         = confidence / support(y)
 *
 * with itemsets of at most max_length items (antecedent and consequent
 * together, arules' maxlen) and a non-empty antecedent.  Nothing depends on
 * the order of the rows or on how parallel workers split them.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "arrays.h"
#include "assoc_rules.h"
#include "interactions.h"
#include "kinds.h"
#include "model_cache.h"
#include "options.h"

#define ASSOC_MAX_LENGTH 64
#define ASSOC_MAX_K 10000

static const char *const assoc_options[] = {
	"min_support", "min_confidence", "max_length", "min_lift", "max_itemsets", NULL
};

static int
cmp_int64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a,
				y = *(const int64 *) b;

	return x < y ? -1 : x > y;
}

static void *
alloc_huge(Size size)
{
	return palloc_extended(Max(size, 1), MCXT_ALLOC_HUGE);
}

typedef struct AssocOptions
{
	double		min_support;
	double		min_confidence;
	int32		max_length;
	double		min_lift;
	int64		max_itemsets;
} AssocOptions;

typedef struct AssocState
{
	AssocOptions opt;
	RecState	pairs;			/* user = transaction, item = item, value 1 */
} AssocState;

/* State */

static void
write_options(ByteWriter *w, const AssocOptions *o)
{
	write_f64(w, o->min_support);
	write_f64(w, o->min_confidence);
	write_i32(w, o->max_length);
	write_f64(w, o->min_lift);
	write_i64(w, o->max_itemsets);
}

static void
read_options(ByteReader *r, AssocOptions *o)
{
	o->min_support = read_f64(r);
	o->min_confidence = read_f64(r);
	o->max_length = read_i32(r);
	o->min_lift = read_f64(r);
	o->max_itemsets = read_i64(r);
	if (!(o->min_support > 0 && o->min_support <= 1) ||
		!(o->min_confidence > 0 && o->min_confidence <= 1) ||
		o->max_length < 2 || o->max_length > ASSOC_MAX_LENGTH ||
		!(o->min_lift >= 0) || !isfinite(o->min_lift) || o->max_itemsets < 1)
		reader_corrupt(r, "The association rules options are impossible");
}

static void
assoc_write(const void *data, ByteWriter *w)
{
	const AssocState *s = data;

	write_options(w, &s->opt);
	rec_state_write(&s->pairs, w);
}

static void *
assoc_read(ByteReader *r)
{
	AssocState *s = palloc0(sizeof(AssocState));

	read_options(r, &s->opt);
	s->pairs = *(RecState *) rec_state_read(r);
	return s;
}

static void
assoc_combine(void *into, const void *from)
{
	AssocState *a = into;
	const AssocState *b = from;

	if (b->pairs.n == 0)
		return;
	if (a->pairs.n == 0)
		a->opt = b->opt;
	rec_state_combine(&a->pairs, &b->pairs);
}

const TrainStateOps assoc_rules_state_ops = {
	MODEL_ASSOC_RULES, assoc_write, assoc_read, assoc_combine
};

static double
threshold_option(Jsonb *opts, const char *key, double dflt)
{
	double		v = options_double(opts, key, dflt, 0, 1);

	if (v == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" must be above 0", key),
				 errdetail("It is a fraction in (0, 1].")));
	return v;
}

/* train_association_rules(state, transaction_id, item_id [, options]) */
PG_FUNCTION_INFO_V1(train_association_rules_transfn);
Datum
train_association_rules_transfn(PG_FUNCTION_ARGS)
{
	TrainState *st = train_state_for_update(fcinfo, &assoc_rules_state_ops);
	Jsonb	   *opts = train_state_options(st, fcinfo, 3);
	AssocState *s = st->data;

	if (s == NULL)
	{
		options_check_keys(opts, assoc_options);
		s = MemoryContextAllocZero(st->hdr.eoh_context, sizeof(AssocState));
		/* arules' apriori defaults */
		s->opt.min_support = threshold_option(opts, "min_support", 0.1);
		s->opt.min_confidence = threshold_option(opts, "min_confidence", 0.8);
		s->opt.max_length = options_int(opts, "max_length", 10, 2, ASSOC_MAX_LENGTH);
		s->opt.min_lift = options_double(opts, "min_lift", 0, 0, 1e9);
		s->opt.max_itemsets = options_int64(opts, "max_itemsets", 10000000, 1, 1000000000);
		st->data = s;
	}
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("train_association_rules %s must not be NULL",
						PG_ARGISNULL(1) ? "transaction_id" : "item_id")));
	rec_state_append(&s->pairs, st->hdr.eoh_context, PG_GETARG_INT64(1), PG_GETARG_INT64(2), 1);
	PG_RETURN_AGG_STATE(st);
}

/* Mining */

typedef struct TidList
{
	int32		item;			/* dense item index */
	int32		n;
	int32	   *tids;
} TidList;

/* the frequent itemsets: items (dense, ascending) in an arena, a hash table */
typedef struct ItemsetTable
{
	int32	   *items;
	int64		items_len;
	int64		items_cap;
	int64	   *offset;			/* itemset i: items[offset[i] .. offset[i+1]) */
	int64	   *count;
	int64		n;
	int64		cap;
	int64	   *slots;			/* -1 = empty */
	uint64		mask;
	int64		max_itemsets;
} ItemsetTable;

static uint32
hash_itemset(const int32 *items, int len)
{
	return hash_bytes((const unsigned char *) items, len * sizeof(int32));
}

static void
table_rehash(ItemsetTable *t, uint64 size)
{
	t->slots = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int64) * size);
	memset(t->slots, 0xff, sizeof(int64) * size);
	t->mask = size - 1;
	for (int64 i = 0; i < t->n; i++)
	{
		uint64		h = hash_itemset(t->items + t->offset[i],
									 (int) (t->offset[i + 1] - t->offset[i])) & t->mask;

		while (t->slots[h] >= 0)
			h = (h + 1) & t->mask;
		t->slots[h] = i;
	}
}

static void
table_add(ItemsetTable *t, const int32 *items, int len, int64 count)
{
	if (t->n >= t->max_itemsets)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("more than " INT64_FORMAT " frequent itemsets", t->max_itemsets),
				 errhint("Raise \"min_support\", lower \"max_length\", or raise \"max_itemsets\".")));
	if (t->n + 1 >= t->cap)
	{
		t->cap *= 2;
		t->offset = repalloc_huge(t->offset, sizeof(int64) * (t->cap + 1));
		t->count = repalloc_huge(t->count, sizeof(int64) * t->cap);
	}
	if (t->items_len + len > t->items_cap)
	{
		t->items_cap = Max(t->items_cap * 2, t->items_len + len);
		t->items = repalloc_huge(t->items, sizeof(int32) * t->items_cap);
	}
	memcpy(t->items + t->items_len, items, sizeof(int32) * len);
	t->items_len += len;
	t->count[t->n] = count;
	t->n++;
	t->offset[t->n] = t->items_len;
	if ((uint64) t->n * 2 > t->mask + 1)
		table_rehash(t, (t->mask + 1) * 2);
	else
	{
		uint64		h = hash_itemset(items, len) & t->mask;

		while (t->slots[h] >= 0)
			h = (h + 1) & t->mask;
		t->slots[h] = t->n - 1;
	}
}

/* index of an itemset in the table (it is there) */
static int64
table_find(const ItemsetTable *t, const int32 *items, int len)
{
	uint64		h = hash_itemset(items, len) & t->mask;

	for (; t->slots[h] >= 0; h = (h + 1) & t->mask)
	{
		int64		i = t->slots[h];

		if (t->offset[i + 1] - t->offset[i] == len &&
			memcmp(t->items + t->offset[i], items, sizeof(int32) * len) == 0)
			return i;
	}
	elog(ERROR, "subset of a frequent itemset missing from the table");
	return -1;					/* keep compiler quiet */
}

static int64
table_count(const ItemsetTable *t, const int32 *items, int len)
{
	return t->count[table_find(t, items, len)];
}

typedef struct Miner
{
	ItemsetTable *table;
	int32		min_count;
	int32		max_length;
	int32	   *prefix;			/* items of the current itemset, mining order */
	int32	   *sorted;			/* scratch: the itemset in ascending order */
	int64		per_length[ASSOC_MAX_LENGTH + 1];
} Miner;

static int
cmp_int32(const void *a, const void *b)
{
	int32		x = *(const int32 *) a,
				y = *(const int32 *) b;

	return x < y ? -1 : x > y;
}

static void
record_itemset(Miner *m, int len, int64 count)
{
	memcpy(m->sorted, m->prefix, sizeof(int32) * len);
	qsort(m->sorted, len, sizeof(int32), cmp_int32);
	table_add(m->table, m->sorted, len, count);
	m->per_length[len]++;
}

static int32
intersect(const TidList *a, const TidList *b, int32 *out)
{
	int32		i = 0,
				j = 0,
				n = 0;

	while (i < a->n && j < b->n)
	{
		if (a->tids[i] < b->tids[j])
			i++;
		else if (a->tids[i] > b->tids[j])
			j++;
		else
		{
			out[n++] = a->tids[i];
			i++;
			j++;
		}
	}
	return n;
}

/* extend the prefix (depth items) by each candidate, and recurse */
static void
eclat(Miner *m, int depth, TidList *cands, int ncand)
{
	for (int i = 0; i < ncand; i++)
	{
		TidList    *next;
		int			nnext = 0;

		CHECK_FOR_INTERRUPTS();
		m->prefix[depth] = cands[i].item;
		record_itemset(m, depth + 1, cands[i].n);
		if (depth + 1 >= m->max_length || i + 1 >= ncand)
			continue;
		next = palloc(sizeof(TidList) * (ncand - i - 1));
		for (int j = i + 1; j < ncand; j++)
		{
			int32	   *buf = palloc(sizeof(int32) * Min(cands[i].n, cands[j].n));
			int32		n = intersect(&cands[i], &cands[j], buf);

			if (n >= m->min_count)
			{
				next[nnext].item = cands[j].item;
				next[nnext].n = n;
				next[nnext].tids = buf;
				nnext++;
			}
			else
				pfree(buf);
		}
		if (nnext > 0)
			eclat(m, depth + 1, next, nnext);
		for (int j = 0; j < nnext; j++)
			pfree(next[j].tids);
		pfree(next);
	}
}

static int
cmp_tidlist_support(const void *a, const void *b)
{
	const TidList *x = a,
			   *y = b;

	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	return x->item - y->item;
}

typedef struct Rule
{
	int64		antecedent;		/* itemset index of the antecedent */
	int32		consequent;		/* dense item */
	int64		count;
	int64		ante_count;
	int64		cons_count;
	double		lift;
	double		confidence;
} Rule;

/* the table whose itemsets the rules name, for sorting */
typedef struct RuleSortArg
{
	const ItemsetTable *t;
} RuleSortArg;

static int
cmp_rules(const void *a, const void *b, void *arg)
{
	const Rule *x = a,
			   *y = b;
	const ItemsetTable *t = ((RuleSortArg *) arg)->t;
	int64		lx,
				ly;

	if (x->lift != y->lift)
		return x->lift > y->lift ? -1 : 1;
	if (x->confidence != y->confidence)
		return x->confidence > y->confidence ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	lx = t->offset[x->antecedent + 1] - t->offset[x->antecedent];
	ly = t->offset[y->antecedent + 1] - t->offset[y->antecedent];
	if (lx != ly)
		return lx < ly ? -1 : 1;
	for (int64 k = 0; k < lx; k++)
	{
		int32		ix = t->items[t->offset[x->antecedent] + k],
					iy = t->items[t->offset[y->antecedent] + k];

		if (ix != iy)
			return ix < iy ? -1 : 1;
	}
	return x->consequent - y->consequent;
}

PG_FUNCTION_INFO_V1(train_association_rules_finalfn);
Datum
train_association_rules_finalfn(PG_FUNCTION_ARGS)
{
	const AssocState *s = train_state_get_data(fcinfo, 0, &assoc_rules_state_ops);
	const AssocOptions *o;
	RecData    *d;
	int64		ntrans,
				nfreq = 0,
				nrules = 0,
				rules_cap = 1024;
	TidList    *lists;
	int64	   *freq_ids;
	ItemsetTable table = {0};
	Miner		m = {0};
	Rule	   *rules;
	RuleSortArg sarg;
	int32		ante[ASSOC_MAX_LENGTH];
	ByteWriter	w;
	int64		ante_items = 0;

	if (s == NULL || s->pairs.n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot mine association rules without transactions"),
				 errdetail("There were no rows.")));
	o = &s->opt;

	/*
	 * Transactions and items numbered in id order, repeated pairs dropped;
	 * the item rows of the transpose are the tid-lists, transactions ascending.
	 */
	d = interactions_build(&s->pairs, REC_DUP_SUM, 0, 0);
	ntrans = d->n_users;
	m.min_count = (int32) Max(1, ceil(o->min_support * ntrans - 1e-9));
	m.max_length = o->max_length;

	/* the frequent items, numbered densely in id order */
	freq_ids = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int64) * Max(d->n_items, 1));
	lists = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(TidList) * Max(d->n_items, 1));
	for (int32 j = 0; j < d->n_items; j++)
	{
		int64		count = d->iptr[j + 1] - d->iptr[j];

		if (count < m.min_count)
			continue;
		lists[nfreq].item = (int32) nfreq;
		lists[nfreq].n = (int32) count;
		lists[nfreq].tids = d->irow + d->iptr[j];
		freq_ids[nfreq++] = d->items->ids[j];
	}

	/* Eclat, items in ascending support: the smallest lists intersect first */
	table.cap = 1024;
	table.offset = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int64) * (table.cap + 1));
	table.count = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int64) * table.cap);
	table.items_cap = 4096;
	table.items = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int32) * table.items_cap);
	table.offset[0] = 0;
	table.max_itemsets = o->max_itemsets;
	table_rehash(&table, 2048);
	m.table = &table;
	m.prefix = palloc(sizeof(int32) * (o->max_length + 1));
	m.sorted = palloc(sizeof(int32) * (o->max_length + 1));
	qsort(lists, nfreq, sizeof(TidList), cmp_tidlist_support);
	eclat(&m, 0, lists, (int) nfreq);

	/* rules: one consequent item per frequent itemset of 2+ items */
	rules = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(Rule) * rules_cap);
	for (int64 i = 0; i < table.n; i++)
	{
		int			len = (int) (table.offset[i + 1] - table.offset[i]);
		const int32 *items = table.items + table.offset[i];

		if (len < 2)
			continue;
		CHECK_FOR_INTERRUPTS();
		for (int c = 0; c < len; c++)
		{
			int			k = 0;
			int64		ante_index,
						ante_count,
						cons_count;
			double		confidence,
						lift;

			for (int j = 0; j < len; j++)
				if (j != c)
					ante[k++] = items[j];
			ante_index = table_find(&table, ante, len - 1);
			ante_count = table.count[ante_index];
			confidence = (double) table.count[i] / (double) ante_count;
			if (!(confidence >= o->min_confidence))
				continue;
			cons_count = table_count(&table, &items[c], 1);
			lift = confidence / ((double) cons_count / (double) ntrans);
			if (!(lift >= o->min_lift))
				continue;
			if (nrules >= rules_cap)
			{
				rules_cap *= 2;
				rules = repalloc_huge(rules, sizeof(Rule) * rules_cap);
			}
			rules[nrules].antecedent = ante_index;
			rules[nrules].consequent = items[c];
			rules[nrules].count = table.count[i];
			rules[nrules].ante_count = ante_count;
			rules[nrules].cons_count = cons_count;
			rules[nrules].confidence = confidence;
			rules[nrules].lift = lift;
			ante_items += len - 1;
			nrules++;
		}
	}
	sarg.t = &table;
	qsort_arg(rules, nrules, sizeof(Rule), cmp_rules, &sarg);

	writer_init(&w, 256 + sizeof(int64) * nfreq + (Size) nrules * 40 + sizeof(int32) * ante_items);
	write_options(&w, o);
	write_i64(&w, ntrans);
	write_i64(&w, d->n_items);
	write_i32(&w, m.min_count);
	write_i64(&w, table.n);
	write_i32(&w, o->max_length);
	for (int k = 1; k <= o->max_length; k++)
		write_i64(&w, m.per_length[k]);
	write_i64(&w, nfreq);
	write_i64_array(&w, freq_ids, nfreq);
	write_i64(&w, nrules);
	write_i64(&w, ante_items);
	for (int64 r = 0; r < nrules; r++)
	{
		int64		a = rules[r].antecedent;

		write_u8(&w, (uint8) (table.offset[a + 1] - table.offset[a]));
		write_i32_array(&w, table.items + table.offset[a], table.offset[a + 1] - table.offset[a]);
		write_i32(&w, rules[r].consequent);
		write_i64(&w, rules[r].count);
		write_i64(&w, rules[r].ante_count);
		write_i64(&w, rules[r].cons_count);
	}
	PG_RETURN_BYTEA_P(model_build(MODEL_ASSOC_RULES, &w));
}

/* Model */

typedef struct AssocModel
{
	AssocOptions opt;
	int64		ntrans;
	int64		nitems;
	int32		min_count;
	int64		nitemsets;
	int32		max_length;
	int64		per_length[ASSOC_MAX_LENGTH + 1];
	int64		nfreq;
	int64	   *item_ids;		/* frequent items, ascending */
	int64		nrules;
	int64	   *ante_off;		/* rule r: ante_items[ante_off[r] .. ante_off[r+1]) */
	int32	   *ante_items;
	int32	   *consequent;
	int64	   *count;
	int64	   *ante_count;
	int64	   *cons_count;
} AssocModel;

void *
assoc_rules_decode(ByteReader *r)
{
	AssocModel *m = palloc0(sizeof(AssocModel));
	int64		ante_total;

	read_options(r, &m->opt);
	m->ntrans = read_i64(r);
	m->nitems = read_i64(r);
	m->min_count = read_i32(r);
	m->nitemsets = read_i64(r);
	m->max_length = read_i32(r);
	if (m->ntrans < 1 || m->nitems < 1 || m->min_count < 1 || m->nitemsets < 0 ||
		m->max_length != m->opt.max_length)
		reader_corrupt(r, "The association rules model holds impossible values");
	for (int k = 1; k <= m->max_length; k++)
		m->per_length[k] = read_i64(r);
	m->nfreq = read_count(r, m->nitems, sizeof(int64));
	m->item_ids = read_i64_array(r, m->nfreq);
	for (int64 j = 1; j < m->nfreq; j++)
		if (m->item_ids[j] <= m->item_ids[j - 1])
			reader_corrupt(r, "The association rules model's items are not ascending");
	m->nrules = read_count(r, PG_INT64_MAX / 2, 29);
	ante_total = read_count(r, m->nrules * (int64) ASSOC_MAX_LENGTH, sizeof(int32));
	m->ante_off = alloc_huge(sizeof(int64) * (m->nrules + 1));
	m->ante_items = alloc_huge(sizeof(int32) * ante_total);
	m->consequent = alloc_huge(sizeof(int32) * m->nrules);
	m->count = alloc_huge(sizeof(int64) * m->nrules);
	m->ante_count = alloc_huge(sizeof(int64) * m->nrules);
	m->cons_count = alloc_huge(sizeof(int64) * m->nrules);
	m->ante_off[0] = 0;
	for (int64 q = 0; q < m->nrules; q++)
	{
		int			len = read_u8(r);

		if (len < 1 || len >= m->max_length || m->ante_off[q] + len > ante_total)
			reader_corrupt(r, "The association rules model holds an impossible rule");
		read_bytes(r, m->ante_items + m->ante_off[q], sizeof(int32) * len);
		m->ante_off[q + 1] = m->ante_off[q] + len;
		m->consequent[q] = read_i32(r);
		m->count[q] = read_i64(r);
		m->ante_count[q] = read_i64(r);
		m->cons_count[q] = read_i64(r);
		for (int k = 0; k < len; k++)
			if (m->ante_items[m->ante_off[q] + k] < 0 || m->ante_items[m->ante_off[q] + k] >= m->nfreq)
				reader_corrupt(r, "The association rules model holds an unknown item");
		if (m->consequent[q] < 0 || m->consequent[q] >= m->nfreq || m->count[q] < 1 ||
			m->ante_count[q] < m->count[q] || m->cons_count[q] < m->count[q] ||
			m->ante_count[q] > m->ntrans || m->cons_count[q] > m->ntrans)
			reader_corrupt(r, "The association rules model holds an impossible rule");
	}
	if (m->ante_off[m->nrules] != ante_total)
		reader_corrupt(r, "The association rules model's antecedents do not add up");
	return m;
}

void
assoc_rules_describe(const void *decoded, StringInfo buf)
{
	const AssocModel *m = decoded;

	json_append_double(buf, "min_support", m->opt.min_support);
	json_append_double(buf, "min_confidence", m->opt.min_confidence);
	json_append_int(buf, "max_length", m->opt.max_length);
	json_append_double(buf, "min_lift", m->opt.min_lift);
	json_append_int(buf, "transactions", m->ntrans);
	json_append_int(buf, "items", m->nitems);
	json_append_int(buf, "frequent_items", m->nfreq);
	json_append_int(buf, "min_count", m->min_count);
	json_append_int(buf, "frequent_itemsets", m->nitemsets);
	appendStringInfoString(buf, ",\"itemsets_by_length\":[");
	for (int k = 1; k <= m->max_length; k++)
		appendStringInfo(buf, "%s" INT64_FORMAT, k > 1 ? "," : "", m->per_length[k]);
	appendStringInfoChar(buf, ']');
	json_append_int(buf, "rules", m->nrules);
}

static ArrayType *
antecedent_array(const AssocModel *m, int64 q)
{
	int			len = (int) (m->ante_off[q + 1] - m->ante_off[q]);
	Datum		elems[ASSOC_MAX_LENGTH];

	for (int k = 0; k < len; k++)
		elems[k] = Int64GetDatum(m->item_ids[m->ante_items[m->ante_off[q] + k]]);
	return construct_array(elems, len, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

/* ecomml.association_rules(model) */
PG_FUNCTION_INFO_V1(association_rules);
Datum
association_rules(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const AssocModel *m = model_cache_get(fcinfo, 0, MODEL_ASSOC_RULES, NULL);

	InitMaterializedSRF(fcinfo, 0);
	for (int64 q = 0; q < m->nrules; q++)
	{
		Datum		values[6];
		bool		nulls[6] = {0};
		double		confidence = (double) m->count[q] / (double) m->ante_count[q];

		CHECK_FOR_INTERRUPTS();
		values[0] = PointerGetDatum(antecedent_array(m, q));
		values[1] = Int64GetDatum(m->item_ids[m->consequent[q]]);
		values[2] = Float8GetDatum((double) m->count[q] / (double) m->ntrans);
		values[3] = Float8GetDatum(confidence);
		values[4] = Float8GetDatum(confidence / ((double) m->cons_count[q] / (double) m->ntrans));
		values[5] = Int64GetDatum(m->count[q]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

static double
rule_confidence(const AssocModel *m, int64 q)
{
	return (double) m->count[q] / (double) m->ante_count[q];
}

/* confidence descending, then the stored order (lift) */
static int
cmp_rule_confidence(const void *a, const void *b, void *arg)
{
	const AssocModel *m = arg;
	int64		x = *(const int64 *) a,
				y = *(const int64 *) b;
	double		cx = rule_confidence(m, x),
				cy = rule_confidence(m, y);

	if (cx != cy)
		return cx > cy ? -1 : 1;
	return x < y ? -1 : x > y;
}

/*
 * ecomml.frequently_bought_with(model, items, k, by) -> the k items not in
 * the basket with the best rule whose antecedent the basket contains
 */
PG_FUNCTION_INFO_V1(frequently_bought_with);
Datum
frequently_bought_with(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const AssocModel *m = model_cache_get(fcinfo, 0, MODEL_ASSOC_RULES, NULL);
	int			nbasket;
	int64	   *basket = array_int64(PG_GETARG_ARRAYTYPE_P(1), &nbasket, true,
									 "frequently_bought_with items");
	int32		k = PG_GETARG_INT32(2);
	const char *by = text_to_cstring(PG_GETARG_TEXT_PP(3));
	bool		by_lift;
	bool	   *in_basket;
	int64	   *best;			/* per consequent item: its best rule, -1 none */
	int64	   *order;
	int64		nbest = 0;

	if (k < 1 || k > ASSOC_MAX_K)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k must be between 1 and %d, not %d", ASSOC_MAX_K, k)));
	if (strcmp(by, "lift") == 0)
		by_lift = true;
	else if (strcmp(by, "confidence") == 0)
		by_lift = false;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("frequently_bought_with ranks by \"lift\" or \"confidence\", not \"%s\"", by)));

	in_basket = palloc0(sizeof(bool) * Max(m->nfreq, 1));
	for (int i = 0; i < nbasket; i++)
	{
		int64	   *hit = bsearch(&basket[i], m->item_ids, m->nfreq, sizeof(int64), cmp_int64);

		if (hit)
			in_basket[hit - m->item_ids] = true;
	}
	best = palloc(sizeof(int64) * Max(m->nfreq, 1));
	for (int64 j = 0; j < m->nfreq; j++)
		best[j] = -1;
	for (int64 q = 0; q < m->nrules; q++)
	{
		int32		c = m->consequent[q];
		bool		applies = !in_basket[c];

		for (int64 a = m->ante_off[q]; applies && a < m->ante_off[q + 1]; a++)
			applies = in_basket[m->ante_items[a]];
		if (!applies)
			continue;
		if (best[c] < 0)
			best[c] = q;
		else
		{
			/* rules are stored by lift, then confidence: compare only by confidence */
			if (!by_lift && rule_confidence(m, q) > rule_confidence(m, best[c]))
				best[c] = q;
		}
	}
	order = palloc(sizeof(int64) * Max(m->nfreq, 1));
	for (int64 j = 0; j < m->nfreq; j++)
		if (best[j] >= 0)
			order[nbest++] = best[j];
	/* rule indexes ascending = by lift; by confidence: sort */
	if (by_lift)
		qsort(order, nbest, sizeof(int64), cmp_int64);
	else
		qsort_arg(order, nbest, sizeof(int64), cmp_rule_confidence, (void *) m);

	InitMaterializedSRF(fcinfo, 0);
	for (int64 i = 0; i < Min(nbest, (int64) k); i++)
	{
		int64		q = order[i];
		Datum		values[5];
		bool		nulls[5] = {0};
		double		confidence = (double) m->count[q] / (double) m->ante_count[q];

		values[0] = Int64GetDatum(m->item_ids[m->consequent[q]]);
		values[1] = Float8GetDatum(confidence);
		values[2] = Float8GetDatum(confidence / ((double) m->cons_count[q] / (double) m->ntrans));
		values[3] = Float8GetDatum((double) m->count[q] / (double) m->ntrans);
		values[4] = PointerGetDatum(antecedent_array(m, q));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
