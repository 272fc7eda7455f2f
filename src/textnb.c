/*
 * textnb.c - ecomml.train_text_classifier(doc tsvector, label text [, options]),
 * ecomml.classify(model, tsvector), and the same over text tokenized in C as
 * scikit-learn's CountVectorizer does (src/tokenize.c)
 *
 * Multinomial naive Bayes over the lexemes of PostgreSQL full-text vectors.
 * A lexeme's count in a document is its number of positions in the tsvector
 * (1 for a stripped vector; PostgreSQL keeps at most 256 positions per
 * lexeme).  The state is the vocabulary (lexeme -> index), the labels, and a
 * count per (lexeme, label) plus documents and tokens per label; two states
 * combine by adding counts, so parallel plans give the serial model.
 * P(label | doc) is proportional to prior(label) * prod over lexemes of
 * ((count(lexeme, label) + alpha) / (tokens(label) + alpha |V|))^count(doc);
 * lexemes unseen in training are ignored, as in scikit-learn's MultinomialNB
 * over a fixed vocabulary.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "common/hashfn.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "tsearch/ts_type.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "customers.h"
#include "kinds.h"
#include "model_cache.h"
#include "options.h"
#include "tokenize.h"

#define NB_MAX_LABELS 1000

/* string -> dense index, open addressing */
typedef struct StrMap
{
	char	  **strs;
	int32		count;
	int32		cap;
	int32	   *slots;
	uint32		mask;
} StrMap;

static void
strmap_init(StrMap *m, int32 cap)
{
	m->count = 0;
	m->cap = cap;
	m->strs = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(char *) * cap);
	m->mask = 2 * cap - 1;		/* cap is a power of two */
	m->slots = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int32) * 2 * cap);
	memset(m->slots, -1, sizeof(int32) * 2 * cap);
}

static int32
strmap_find(const StrMap *m, const char *s, int len, uint32 *slot)
{
	uint32		h = hash_bytes((const unsigned char *) s, len) & m->mask;
	int32		i;

	while ((i = m->slots[h]) >= 0)
	{
		if (strncmp(m->strs[i], s, len) == 0 && m->strs[i][len] == '\0')
			return i;
		h = (h + 1) & m->mask;
	}
	if (slot)
		*slot = h;
	return -1;
}

/* index of s, inserted if new (*is_new says so); allocates in CurrentMemoryContext */
static int32
strmap_insert(StrMap *m, const char *s, int len, bool *is_new)
{
	uint32		slot;
	int32		i = strmap_find(m, s, len, &slot);

	*is_new = false;
	if (i >= 0)
		return i;
	if (m->count == m->cap)
	{
		/* double and rehash */
		m->cap *= 2;
		m->strs = repalloc_huge(m->strs, sizeof(char *) * m->cap);
		pfree(m->slots);
		m->mask = 2 * m->cap - 1;
		m->slots = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int32) * 2 * m->cap);
		memset(m->slots, -1, sizeof(int32) * 2 * m->cap);
		for (int32 j = 0; j < m->count; j++)
		{
			uint32		h = hash_bytes((const unsigned char *) m->strs[j], strlen(m->strs[j])) & m->mask;

			while (m->slots[h] >= 0)
				h = (h + 1) & m->mask;
			m->slots[h] = j;
		}
		strmap_find(m, s, len, &slot);
	}
	i = m->count++;
	m->strs[i] = pnstrdup(s, len);
	m->slots[slot] = i;
	*is_new = true;
	return i;
}

typedef struct NbState
{
	StrMap		terms;
	StrMap		labels;
	int32		label_cap;		/* row stride of counts */
	double	   *counts;			/* terms.cap * label_cap */
	int64	   *docs;			/* per label */
	double	   *tokens;			/* per label */
	double		alpha;
} NbState;

typedef struct NbModel
{
	int32		nterms;
	int32		nlabels;
	double		alpha;
	int64		ndocs;
	StrMap		terms;
	char	  **labels;
	double	   *logprior;		/* nlabels */
	double	   *logp;			/* nterms * nlabels */
} NbModel;

static const char *const nb_options[] = {"alpha", NULL};

static void
nb_init(NbState *s)
{
	strmap_init(&s->terms, 1024);
	strmap_init(&s->labels, 8);
	s->label_cap = 8;
	s->counts = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * s->terms.cap * s->label_cap);
	memset(s->counts, 0, sizeof(double) * s->terms.cap * s->label_cap);
	s->docs = palloc0(sizeof(int64) * s->label_cap);
	s->tokens = palloc0(sizeof(double) * s->label_cap);
}

/* keep counts sized to terms.cap x label_cap */
static void
nb_fit_counts(NbState *s, int32 old_term_cap)
{
	if (s->labels.count > s->label_cap)
	{
		int32		newcap = s->label_cap * 2;
		double	   *c = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * s->terms.cap * newcap);

		memset(c, 0, sizeof(double) * s->terms.cap * newcap);
		for (int32 t = 0; t < s->terms.count; t++)
			memcpy(c + (Size) t * newcap, s->counts + (Size) t * s->label_cap, sizeof(double) * s->label_cap);
		pfree(s->counts);
		s->counts = c;
		s->docs = repalloc(s->docs, sizeof(int64) * newcap);
		s->tokens = repalloc(s->tokens, sizeof(double) * newcap);
		for (int32 l = s->label_cap; l < newcap; l++)
		{
			s->docs[l] = 0;
			s->tokens[l] = 0;
		}
		s->label_cap = newcap;
	}
	else if (s->terms.cap != old_term_cap)
	{
		s->counts = repalloc_huge(s->counts, sizeof(double) * s->terms.cap * s->label_cap);
		memset(s->counts + (Size) old_term_cap * s->label_cap, 0,
			   sizeof(double) * (s->terms.cap - old_term_cap) * s->label_cap);
	}
}

static int32
nb_label(NbState *s, const char *label, int len)
{
	bool		is_new;
	int32		l = strmap_insert(&s->labels, label, len, &is_new);

	if (is_new)
	{
		if (s->labels.count > NB_MAX_LABELS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("train_text_classifier supports at most %d labels", NB_MAX_LABELS)));
		nb_fit_counts(s, s->terms.cap);
	}
	return l;
}

static void
nb_add_term(NbState *s, const char *lex, int len, int32 label, double n)
{
	bool		is_new;
	int32		old_cap = s->terms.cap;
	int32		t = strmap_insert(&s->terms, lex, len, &is_new);

	if (s->terms.cap != old_cap)
		nb_fit_counts(s, old_cap);
	s->counts[(Size) t * s->label_cap + label] += n;
	s->tokens[label] += n;
}

static void
nb_write(const void *data, ByteWriter *w)
{
	const NbState *s = data;

	write_f64(w, s->alpha);
	write_i32(w, s->labels.count);
	for (int32 l = 0; l < s->labels.count; l++)
	{
		write_text(w, s->labels.strs[l]);
		write_i64(w, s->docs[l]);
	}
	write_i32(w, s->terms.count);
	for (int32 t = 0; t < s->terms.count; t++)
	{
		write_text(w, s->terms.strs[t]);
		write_f64_array(w, s->counts + (Size) t * s->label_cap, s->labels.count);
	}
}

static void *
nb_read(ByteReader *r)
{
	NbState    *s = palloc0(sizeof(NbState));
	int32		nl,
				nt;

	nb_init(s);
	s->alpha = read_f64(r);
	if (!(s->alpha >= 0) || !isfinite(s->alpha))
		reader_corrupt(r, "The text classifier state holds an impossible alpha");
	nl = read_i32(r);
	if (nl < 0 || nl > NB_MAX_LABELS)
		reader_corrupt(r, "The text classifier state holds an impossible label count");
	for (int32 j = 0; j < nl; j++)
	{
		char	   *lab = read_text(r);
		int32		l = nb_label(s, lab, strlen(lab));

		if (l != j)
			reader_corrupt(r, "The text classifier state repeats a label");
		s->docs[l] = read_i64(r);
	}
	nt = read_i32(r);
	if (nt < 0)
		reader_corrupt(r, "The text classifier state holds an impossible term count");
	for (int32 j = 0; j < nt; j++)
	{
		char	   *lex = read_text(r);
		double	   *c = read_f64_array(r, nl);

		for (int32 l = 0; l < nl; l++)
		{
			if (!(c[l] >= 0) || !isfinite(c[l]))
				reader_corrupt(r, "The text classifier state holds an impossible count");
			nb_add_term(s, lex, strlen(lex), l, c[l]);
		}
	}
	return s;
}

static void
nb_combine(void *into, const void *from)
{
	NbState    *a = into;
	const NbState *b = from;
	int32	   *map = palloc(sizeof(int32) * Max(b->labels.count, 1));

	for (int32 l = 0; l < b->labels.count; l++)
	{
		map[l] = nb_label(a, b->labels.strs[l], strlen(b->labels.strs[l]));
		a->docs[map[l]] += b->docs[l];
	}
	for (int32 t = 0; t < b->terms.count; t++)
		for (int32 l = 0; l < b->labels.count; l++)
		{
			double		c = b->counts[(Size) t * b->label_cap + l];

			if (c > 0)
				nb_add_term(a, b->terms.strs[t], strlen(b->terms.strs[t]), map[l], c);
		}
	pfree(map);
}

const TrainStateOps textnb_state_ops = {
	MODEL_TEXT_NB, nb_write, nb_read, nb_combine
};

/* the state of train_text_classifier, created on the first row */
static NbState *
nb_state(FunctionCallInfo fcinfo, TrainState *st)
{
	Jsonb	   *opts = train_state_options(st, fcinfo, 3);
	NbState    *s = st->data;

	if (s == NULL)
	{
		MemoryContext old;

		options_check_keys(opts, nb_options);
		old = MemoryContextSwitchTo(st->hdr.eoh_context);
		s = palloc0(sizeof(NbState));
		nb_init(s);
		MemoryContextSwitchTo(old);
		s->alpha = options_double(opts, "alpha", 1.0, 0, 1e6);
		st->data = s;
	}
	return s;
}

/* train_text_classifier(state, doc tsvector, label [, options]); NULL doc or label skipped */
PG_FUNCTION_INFO_V1(train_text_classifier_transfn);
Datum
train_text_classifier_transfn(PG_FUNCTION_ARGS)
{
	TrainState *st = train_state_for_update(fcinfo, &textnb_state_ops);
	NbState    *s = nb_state(fcinfo, st);
	MemoryContext old;
	TSVector	tsv;
	WordEntry  *we;
	char	   *lexemes;
	text	   *label;
	int32		l;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_AGG_STATE(st);
	tsv = PG_GETARG_TSVECTOR(1);
	label = PG_GETARG_TEXT_PP(2);
	we = ARRPTR(tsv);
	lexemes = STRPTR(tsv);
	old = MemoryContextSwitchTo(st->hdr.eoh_context);
	l = nb_label(s, VARDATA_ANY(label), VARSIZE_ANY_EXHDR(label));
	s->docs[l]++;
	for (int32 i = 0; i < tsv->size; i++)
		nb_add_term(s, lexemes + we[i].pos, we[i].len, l,
					we[i].haspos ? POSDATALEN(tsv, &we[i]) : 1);
	MemoryContextSwitchTo(old);
	PG_RETURN_AGG_STATE(st);
}

/*
 * train_text_classifier(state, body text, label [, options]): the words of
 * body as CountVectorizer finds them (src/tokenize.c), counted straight into
 * the state; NULL body or label skipped
 */
PG_FUNCTION_INFO_V1(train_text_classifier_text_transfn);
Datum
train_text_classifier_text_transfn(PG_FUNCTION_ARGS)
{
	TrainState *st = train_state_for_update(fcinfo, &textnb_state_ops);
	NbState    *s = nb_state(fcinfo, st);
	MemoryContext old;
	text	   *body,
			   *label;
	WordTokens	words;
	const char *w;
	int			wlen;
	int32		l;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_AGG_STATE(st);
	body = PG_GETARG_TEXT_PP(1);
	label = PG_GETARG_TEXT_PP(2);
	/* the token buffer lives in the per-row context; the state's words in the state's */
	word_tokens_init(&words, VARDATA_ANY(body), VARSIZE_ANY_EXHDR(body));
	old = MemoryContextSwitchTo(st->hdr.eoh_context);
	l = nb_label(s, VARDATA_ANY(label), VARSIZE_ANY_EXHDR(label));
	s->docs[l]++;
	MemoryContextSwitchTo(old);
	while (word_tokens_next(&words, &w, &wlen))
	{
		old = MemoryContextSwitchTo(st->hdr.eoh_context);
		nb_add_term(s, w, wlen, l, 1);
		MemoryContextSwitchTo(old);
	}
	PG_RETURN_AGG_STATE(st);
}

PG_FUNCTION_INFO_V1(train_text_classifier_finalfn);
Datum
train_text_classifier_finalfn(PG_FUNCTION_ARGS)
{
	const NbState *s = train_state_get_data(fcinfo, 0, &textnb_state_ops);
	ByteWriter	w;
	int32		nl,
				nt;
	int32	   *lorder;
	int64		ndocs = 0;

	if (s == NULL || s->labels.count == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot train a text classifier on zero documents"),
				 errdetail("Every document or label was NULL, or there were no rows.")));
	nl = s->labels.count;
	nt = s->terms.count;
	if (nt == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot train a text classifier on documents without words")));
	if (s->alpha == 0)
		for (int32 l = 0; l < nl; l++)
			for (int32 t = 0; t < nt; t++)
				if (s->counts[(Size) t * s->label_cap + l] == 0)
					ereport(ERROR,
							(errcode(ERRCODE_DATA_EXCEPTION),
							 errmsg("alpha 0 leaves lexeme \"%s\" impossible for label \"%s\"",
									s->terms.strs[t], s->labels.strs[l]),
							 errhint("Use a positive alpha (the default is 1).")));
	for (int32 l = 0; l < nl; l++)
		ndocs += s->docs[l];
	/* labels in byte order, so the model does not depend on row order */
	lorder = palloc(sizeof(int32) * nl);
	for (int32 l = 0; l < nl; l++)
	{
		int32		p = l;

		while (p > 0 && strcmp(s->labels.strs[lorder[p - 1]], s->labels.strs[l]) > 0)
		{
			lorder[p] = lorder[p - 1];
			p--;
		}
		lorder[p] = l;
	}
	writer_init(&w, 1024 + (Size) nt * (16 + 8 * nl));
	write_f64(&w, s->alpha);
	write_i64(&w, ndocs);
	write_i32(&w, nl);
	for (int32 k = 0; k < nl; k++)
	{
		write_text(&w, s->labels.strs[lorder[k]]);
		write_f64(&w, log((double) s->docs[lorder[k]] / ndocs));
	}
	write_i64(&w, nt);
	for (int32 t = 0; t < nt; t++)
	{
		CHECK_FOR_INTERRUPTS();
		write_text(&w, s->terms.strs[t]);
		for (int32 k = 0; k < nl; k++)
			write_f64(&w, log((s->counts[(Size) t * s->label_cap + lorder[k]] + s->alpha) /
							  (s->tokens[lorder[k]] + s->alpha * nt)));
	}
	PG_RETURN_BYTEA_P(model_build(MODEL_TEXT_NB, &w));
}

void *
textnb_decode(ByteReader *r)
{
	NbModel    *m = palloc0(sizeof(NbModel));
	int32		cap = 1;

	m->alpha = read_f64(r);
	m->ndocs = read_i64(r);
	m->nlabels = read_i32(r);
	if (!(m->alpha >= 0) || m->ndocs < 1 || m->nlabels < 1 || m->nlabels > NB_MAX_LABELS)
		reader_corrupt(r, "The text classifier model holds impossible values");
	m->labels = palloc(sizeof(char *) * m->nlabels);
	m->logprior = palloc(sizeof(double) * m->nlabels);
	for (int32 l = 0; l < m->nlabels; l++)
	{
		m->labels[l] = read_text(r);
		m->logprior[l] = read_f64(r);
		if (!(m->logprior[l] <= 0))
			reader_corrupt(r, "The text classifier model holds an impossible prior");
	}
	m->nterms = (int32) read_count(r, PG_INT32_MAX / 4, 1 + 8 * (Size) m->nlabels);
	while (cap < Max(m->nterms, 1))
		cap *= 2;
	strmap_init(&m->terms, cap);
	m->logp = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * Max(m->nterms, 1) * m->nlabels);
	for (int32 t = 0; t < m->nterms; t++)
	{
		char	   *lex = read_text(r);
		bool		is_new;

		if (strmap_insert(&m->terms, lex, strlen(lex), &is_new) != t || !is_new)
			reader_corrupt(r, "The text classifier model repeats a lexeme");
		for (int32 l = 0; l < m->nlabels; l++)
		{
			double		v = read_f64(r);

			if (!(v <= 0))
				reader_corrupt(r, "The text classifier model holds an impossible probability");
			m->logp[(Size) t * m->nlabels + l] = v;
		}
	}
	return m;
}

void
textnb_describe(const void *decoded, StringInfo buf)
{
	const NbModel *m = decoded;

	appendStringInfoString(buf, ",\"algorithm\":\"multinomial_naive_bayes\"");
	json_append_double(buf, "alpha", m->alpha);
	json_append_int(buf, "documents", m->ndocs);
	json_append_int(buf, "vocabulary", m->nterms);
	appendStringInfoString(buf, ",\"labels\":[");
	for (int32 l = 0; l < m->nlabels; l++)
	{
		if (l)
			appendStringInfoChar(buf, ',');
		escape_json(buf, m->labels[l]);
	}
	appendStringInfoChar(buf, ']');
}

/* the rows of classify from the log scores of the labels: probabilities, most probable first */
static Datum
classify_emit(FunctionCallInfo fcinfo, const NbModel *m, double *score)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int32	   *order = palloc(sizeof(int32) * m->nlabels);
	double		mx = -DBL_MAX,
				z = 0;

	for (int32 l = 0; l < m->nlabels; l++)
		mx = Max(mx, score[l]);
	for (int32 l = 0; l < m->nlabels; l++)
	{
		score[l] = exp(score[l] - mx);
		z += score[l];
	}
	/* order by probability descending, ties by label position (insertion sort: few labels) */
	for (int32 l = 0; l < m->nlabels; l++)
	{
		int32		p = l;

		while (p > 0 && score[order[p - 1]] < score[l])
		{
			order[p] = order[p - 1];
			p--;
		}
		order[p] = l;
	}
	InitMaterializedSRF(fcinfo, 0);
	for (int32 k = 0; k < m->nlabels; k++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = CStringGetTextDatum(m->labels[order[k]]);
		values[1] = Float8GetDatum(score[order[k]] / z);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* score += n times the log probabilities of term (ignored if not in the vocabulary) */
static inline void
classify_add(const NbModel *m, const char *term, int len, double n, double *score)
{
	int32		t = strmap_find(&m->terms, term, len, NULL);

	if (t < 0)
		return;
	for (int32 l = 0; l < m->nlabels; l++)
		score[l] += n * m->logp[(Size) t * m->nlabels + l];
}

/* ecomml.classify(model, doc tsvector) -> (label, probability), most probable first */
PG_FUNCTION_INFO_V1(classify_text);
Datum
classify_text(PG_FUNCTION_ARGS)
{
	const NbModel *m = model_cache_get(fcinfo, 0, MODEL_TEXT_NB, NULL);
	TSVector	tsv = PG_GETARG_TSVECTOR(1);
	WordEntry  *we = ARRPTR(tsv);
	char	   *lexemes = STRPTR(tsv);
	double	   *score = palloc(sizeof(double) * m->nlabels);

	for (int32 l = 0; l < m->nlabels; l++)
		score[l] = m->logprior[l];
	for (int32 i = 0; i < tsv->size; i++)
		classify_add(m, lexemes + we[i].pos, we[i].len,
					 we[i].haspos ? POSDATALEN(tsv, &we[i]) : 1, score);
	return classify_emit(fcinfo, m, score);
}

/* ecomml.classify(model, body text): the words of body as train_text_classifier(text, ...) finds them */
PG_FUNCTION_INFO_V1(classify_plain_text);
Datum
classify_plain_text(PG_FUNCTION_ARGS)
{
	const NbModel *m = model_cache_get(fcinfo, 0, MODEL_TEXT_NB, NULL);
	text	   *body = PG_GETARG_TEXT_PP(1);
	double	   *score = palloc(sizeof(double) * m->nlabels);
	WordTokens	words;
	const char *w;
	int			wlen;

	for (int32 l = 0; l < m->nlabels; l++)
		score[l] = m->logprior[l];
	word_tokens_init(&words, VARDATA_ANY(body), VARSIZE_ANY_EXHDR(body));
	while (word_tokens_next(&words, &w, &wlen))
		classify_add(m, w, wlen, 1, score);
	return classify_emit(fcinfo, m, score);
}
