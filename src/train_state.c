/*
 * train_state.c - ecomml.agg_state: the transition type of the training and
 * metric aggregates
 *
 * Why an expanded object rather than a varlena updated in place: training
 * states grow (interactions, edges), and a varlena that is repalloc'd moves,
 * which makes nodeAgg copy it whole on the next row and caps it at 1 GB.  A
 * read-write expanded object whose context is a child of the aggregate
 * context is handed back unchanged on every row (nodeAgg then does nothing),
 * and its arrays may use huge allocations.  PostgreSQL flattens it through
 * get_flat_size/flatten_into only when the value leaves the backend.
 */
#include "postgres.h"

#include "common/base64.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "nodes/primnodes.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/regproc.h"
#include "utils/memutils.h"

#include "kinds.h"
#include "train_state.h"

#define STATE_MAGIC "EcAS"
/*
 * Version 2 adds, after the kind, the fingerprint of the options the state's
 * rows were read with (so that partial states of different options are not
 * merged); a state that knows none (no rows yet) is still written as version 1.
 */
#define STATE_FORMAT_VERSION 2
#define STATE_HEADER_SIZE 8		/* magic, format version, kind */

static Size train_state_get_flat_size(ExpandedObjectHeader *eohptr);
static void train_state_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size);

static const ExpandedObjectMethods train_state_methods = {
	train_state_get_flat_size,
	train_state_flatten_into
};

/* CRC-32C of an options value's bytes; NULL options have their own value */
static uint32
options_fingerprint(const struct varlena *opts)
{
	return opts ? payload_checksum(VARDATA_ANY(opts), VARSIZE_ANY_EXHDR(opts)) : 0xFFFFFFFF;
}

/* The fingerprint of the options st's rows were read with, if known. */
static bool
state_fingerprint(const TrainState *st, uint32 *fp)
{
	if (st->options_seen)
		*fp = options_fingerprint(st->options);
	else if (st->fingerprint_known)
		*fp = st->fingerprint;
	else
		return false;
	return true;
}

static void
write_state(const TrainState *st, ByteWriter *w)
{
	uint32		fp;
	bool		known = state_fingerprint(st, &fp);

	write_bytes(w, STATE_MAGIC, 4);
	write_u16(w, known ? STATE_FORMAT_VERSION : 1);
	write_u16(w, st->ops->kind);
	if (known)
		write_u32(w, fp);
	if (st->data)
		st->ops->write(st->data, w);
}

static Size
train_state_get_flat_size(ExpandedObjectHeader *eohptr)
{
	TrainState *st = (TrainState *) eohptr;
	ByteWriter	w;

	if (st->flat_size == 0)
	{
		writer_init_counting(&w);
		write_u32(&w, 0);		/* varlena header */
		write_state(st, &w);
		if (w.len > MaxAllocSize)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("%s aggregate state is too large to leave this process: %zu bytes",
							train_state_kind_name(st->ops->kind), w.len),
					 errdetail("Partial aggregate states are limited to 1 GB."),
					 errhint("Run the aggregate without parallel workers, or on fewer rows per worker.")));
		st->flat_size = w.len;
	}
	return st->flat_size;
}

static void
train_state_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	TrainState *st = (TrainState *) eohptr;
	ByteWriter	w;

	/* write straight into the caller's buffer, whose size we computed */
	w.data = result;
	w.cap = allocated_size;
	w.len = 0;
	w.count_only = false;
	write_u32(&w, 0);
	write_state(st, &w);
	Assert(w.len == allocated_size && w.data == result);
	SET_VARSIZE(result, allocated_size);
}

/* An empty read-write state in a new child context of parent. */
static TrainState *
train_state_create(MemoryContext parent, const TrainStateOps *ops)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "ecomml training state",
											  ALLOCSET_DEFAULT_SIZES);
	TrainState *st = MemoryContextAllocZero(cxt, sizeof(TrainState));

	EOH_init_header(&st->hdr, &train_state_methods, cxt);
	st->ops = ops;
	return st;
}

static bool
is_train_state(Datum d)
{
	return VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)) &&
		DatumGetEOHP(d)->eoh_methods == &train_state_methods;
}

/*
 * Parse a flat state: check the header and let the kind read (and validate)
 * its payload into CurrentMemoryContext.  Returns the kind's data, or NULL for
 * a state that saw no rows; *ops_out gets the kind's ops.
 */
static void *
read_flat_state(const char *data, Size len, const TrainStateOps **ops_out,
				bool *fp_known, uint32 *fp)
{
	ByteReader	r;
	char		magic[4];
	uint16		version,
				kind;
	const TrainStateOps *ops;
	void	   *result = NULL;

	reader_init(&r, data, len, "aggregate state");
	read_bytes(&r, magic, 4);
	version = read_u16(&r);
	kind = read_u16(&r);
	if (memcmp(magic, STATE_MAGIC, 4) != 0 || version < 1 || version > STATE_FORMAT_VERSION)
		reader_corrupt(&r, "The value is not an ecomml aggregate state of a known format");
	*fp_known = version >= 2;
	*fp = *fp_known ? read_u32(&r) : 0;
	ops = train_state_ops_for_kind(kind);
	if (ops == NULL)
		reader_corrupt(&r, "The state's kind is unknown");
	if (r.pos < r.len)
		result = ops->read(&r);
	reader_expect_end(&r);
	*ops_out = ops;
	return result;
}

static void
check_state_kind(const TrainStateOps *found, const TrainStateOps *expected)
{
	if (found != expected)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expected a %s aggregate state, got a %s aggregate state",
						train_state_kind_name(expected->kind), train_state_kind_name(found->kind))));
}

/* A read-write copy of any state datum, living in a child of parent. */
static TrainState *
train_state_expand(Datum d, MemoryContext parent)
{
	struct varlena *flat = PG_DETOAST_DATUM(d);
	const TrainStateOps *ops;
	TrainState *st;
	MemoryContext old;
	void	   *data;

	st = train_state_create(parent, NULL);
	old = MemoryContextSwitchTo(st->hdr.eoh_context);
	data = read_flat_state(VARDATA_ANY(flat), VARSIZE_ANY_EXHDR(flat), &ops,
						   &st->fingerprint_known, &st->fingerprint);
	MemoryContextSwitchTo(old);
	st->ops = ops;
	st->data = data;
	return st;
}

static MemoryContext
require_agg_context(FunctionCallInfo fcinfo)
{
	MemoryContext aggcxt;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s called in non-aggregate context",
						format_procedure(fcinfo->flinfo->fn_oid))));
	return aggcxt;
}

TrainState *
train_state_for_update(FunctionCallInfo fcinfo, const TrainStateOps *ops)
{
	MemoryContext aggcxt = require_agg_context(fcinfo);
	TrainState *st;

	if (PG_ARGISNULL(0))
		return train_state_create(aggcxt, ops);
	if (is_train_state(PG_GETARG_DATUM(0)) &&
		VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(PG_GETARG_DATUM(0))))
		st = (TrainState *) DatumGetEOHP(PG_GETARG_DATUM(0));
	else
		st = train_state_expand(PG_GETARG_DATUM(0), aggcxt);
	check_state_kind(st->ops, ops);
	return st;
}

pg_attribute_noreturn()
static void
options_differ(const TrainState *st, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s options must be the same on every row", train_state_kind_name(st->ops->kind)),
			 detail ? errdetail_internal("%s", detail) :
			 errdetail("Partial aggregate states were built with different options."),
			 errhint("Pass the options as a constant.")));
}

/*
 * Whether the aggregate's argument argno (counting the state as 0) is
 * absent, a constant or a query parameter, so that it is the same on every
 * row.  get_fn_expr_arg_stable cannot tell: a transition function's
 * expression holds placeholders for its arguments, so the Aggref is asked.
 */
static bool
options_arg_constant(FunctionCallInfo fcinfo, int argno)
{
	Aggref	   *aggref = AggGetAggref(fcinfo);
	Node	   *e;

	if (argno >= PG_NARGS())
		return true;
	if (aggref == NULL || argno < 1 || argno > list_length(aggref->args))
		return false;
	e = (Node *) ((TargetEntry *) list_nth(aggref->args, argno - 1))->expr;
	return IsA(e, Const) || (IsA(e, Param) && ((Param *) e)->paramkind == PARAM_EXTERN);
}

/*
 * Options are read once, when the first row creates the kind's data; a row
 * whose options differ would be silently ignored, so every row's options
 * are compared with the first row's, byte for byte (jsonb is canonical:
 * equal objects have equal bytes, whatever the key order or spacing).
 */
Jsonb *
train_state_options(TrainState *st, FunctionCallInfo fcinfo, int argno)
{
	bool		isnull;
	struct varlena *raw;
	struct varlena *opts;

	/*
	 * Options given as a constant or a parameter cannot differ between rows:
	 * the comparison (a memcmp per row, 1 % of train_kmeans at 200k x 8)
	 * is skipped after the first row.
	 */
	if (st->options_seen && st->options_stable)
		return (Jsonb *) st->options;
	isnull = argno >= PG_NARGS() || PG_ARGISNULL(argno);
	raw = isnull ? NULL : (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(argno));
	if (raw && (VARATT_IS_EXTENDED(raw) && !VARATT_IS_SHORT(raw)))
		raw = PG_DETOAST_DATUM(PG_GETARG_DATUM(argno));
	if (!st->options_seen)
	{
		if (st->fingerprint_known && options_fingerprint(raw) != st->fingerprint)
			options_differ(st, NULL);
		st->options_seen = true;
		st->options_stable = options_arg_constant(fcinfo, argno);
		if (raw)
		{
			/* a 4-byte-header copy, readable as Jsonb */
			Size		len = VARSIZE_ANY_EXHDR(raw);

			st->options = MemoryContextAlloc(st->hdr.eoh_context, len + VARHDRSZ);
			SET_VARSIZE(st->options, len + VARHDRSZ);
			memcpy(VARDATA(st->options), VARDATA_ANY(raw), len);
		}
		return (Jsonb *) st->options;
	}
	opts = st->options;
	if ((raw == NULL) != (opts == NULL) ||
		(raw && (VARSIZE_ANY_EXHDR(raw) != VARSIZE_ANY_EXHDR(opts) ||
				 memcmp(VARDATA_ANY(raw), VARDATA_ANY(opts), VARSIZE_ANY_EXHDR(opts)) != 0)))
		options_differ(st, psprintf("Found %s and %s.",
									opts ? JsonbToCString(NULL, &((Jsonb *) opts)->root, VARSIZE(opts)) : "NULL",
									raw ? JsonbToCString(NULL, &DatumGetJsonbP(PG_GETARG_DATUM(argno))->root,
														 VARSIZE_ANY_EXHDR(raw)) : "NULL"));
	return (Jsonb *) opts;
}

const void *
train_state_get_data(FunctionCallInfo fcinfo, int argno, const TrainStateOps *ops)
{
	Datum		d;
	const TrainStateOps *found;
	void	   *data;

	if (PG_ARGISNULL(argno))
		return NULL;
	d = PG_GETARG_DATUM(argno);
	if (is_train_state(d))
	{
		TrainState *st = (TrainState *) DatumGetEOHP(d);

		check_state_kind(st->ops, ops);
		return st->data;
	}
	else
	{
		struct varlena *flat = PG_DETOAST_DATUM(d);

		bool		fp_known;
		uint32		fp;

		data = read_flat_state(VARDATA_ANY(flat), VARSIZE_ANY_EXHDR(flat), &found, &fp_known, &fp);
		check_state_kind(found, ops);
		return data;
	}
}

/*
 * The one combine function of every ecomml aggregate: merges the second
 * state into the first by the kind's combine callback.
 */
PG_FUNCTION_INFO_V1(agg_state_combine);
Datum
agg_state_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = require_agg_context(fcinfo);
	TrainState *into;
	TrainState *from;
	MemoryContext old;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	if (PG_ARGISNULL(0))
	{
		into = train_state_expand(PG_GETARG_DATUM(1), aggcxt);
		PG_RETURN_AGG_STATE(into);
	}

	if (is_train_state(PG_GETARG_DATUM(0)) &&
		VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(PG_GETARG_DATUM(0))))
		into = (TrainState *) DatumGetEOHP(PG_GETARG_DATUM(0));
	else
		into = train_state_expand(PG_GETARG_DATUM(0), aggcxt);

	if (is_train_state(PG_GETARG_DATUM(1)))
		from = (TrainState *) DatumGetEOHP(PG_GETARG_DATUM(1));
	else
		from = train_state_expand(PG_GETARG_DATUM(1), CurrentMemoryContext);
	check_state_kind(from->ops, into->ops);
	{
		uint32		fp_into,
					fp_from;

		if (state_fingerprint(from, &fp_from))
		{
			if (!state_fingerprint(into, &fp_into))
			{
				into->fingerprint_known = true;
				into->fingerprint = fp_from;
			}
			else if (fp_into != fp_from)
				options_differ(into, NULL);
		}
	}

	if (from->data != NULL)
	{
		old = MemoryContextSwitchTo(into->hdr.eoh_context);
		if (into->data == NULL)
		{
			/* nothing to merge into: copy from's data by a write/read round trip */
			ByteWriter	w;
			ByteReader	r;

			writer_init(&w, 1024);
			from->ops->write(from->data, &w);
			reader_init(&r, w.data, w.len, "aggregate state");
			into->data = from->ops->read(&r);
			pfree(w.data);
		}
		else
			into->ops->combine(into->data, from->data);
		MemoryContextSwitchTo(old);
	}
	PG_RETURN_AGG_STATE(into);
}

/* Text form (Citus through version 13 moves partial states as text): base64. */
PG_FUNCTION_INFO_V1(agg_state_in);
Datum
agg_state_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	int			len = strlen(str);
	int			maxlen = pg_b64_dec_len(len);
	bytea	   *result = palloc(VARHDRSZ + maxlen);
	int			n = pg_b64_decode(str, len, VARDATA(result), maxlen);
	const TrainStateOps *ops;
	bool		fp_known;
	uint32		fp;

	if (n < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type agg_state"),
				 errdetail("The text form of an aggregate state is base64.")));
	SET_VARSIZE(result, VARHDRSZ + n);
	read_flat_state(VARDATA(result), n, &ops, &fp_known, &fp);	/* validate */
	PG_RETURN_BYTEA_P(result);
}

PG_FUNCTION_INFO_V1(agg_state_out);
Datum
agg_state_out(PG_FUNCTION_ARGS)
{
	struct varlena *flat = PG_GETARG_VARLENA_P(0);
	int			len = VARSIZE_ANY_EXHDR(flat);
	int			maxlen = pg_b64_enc_len(len);
	char	   *out = palloc(maxlen + 1);
	int			n = pg_b64_encode(VARDATA_ANY(flat), len, out, maxlen);

	if (n < 0)
		elog(ERROR, "could not encode aggregate state");
	out[n] = '\0';
	PG_RETURN_CSTRING(out);
}

PG_FUNCTION_INFO_V1(agg_state_recv);
Datum
agg_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			n = buf->len - buf->cursor;
	bytea	   *result = palloc(VARHDRSZ + n);
	const TrainStateOps *ops;
	bool		fp_known;
	uint32		fp;

	pq_copymsgbytes(buf, VARDATA(result), n);
	SET_VARSIZE(result, VARHDRSZ + n);
	read_flat_state(VARDATA(result), n, &ops, &fp_known, &fp);	/* validate */
	PG_RETURN_BYTEA_P(result);
}

PG_FUNCTION_INFO_V1(agg_state_send);
Datum
agg_state_send(PG_FUNCTION_ARGS)
{
	struct varlena *flat = PG_GETARG_VARLENA_P(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbytes(&buf, VARDATA_ANY(flat), VARSIZE_ANY_EXHDR(flat));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * The 0.1.0 catalog declared roc_auc, pr_auc, binary_metrics and rfm with an
 * internal state and their own combine/serialize/deserialize functions.  Their
 * transition and final functions now keep an agg_state, which works as well
 * behind an internal declaration (the datum is the same pointer), so these
 * symbols serve a database still at 0.1.0 until ALTER EXTENSION ecomml UPDATE
 * (and CREATE EXTENSION ecomml VERSION '0.1.0').
 */
static Datum
agg_state_serialize_v010(PG_FUNCTION_ARGS)
{
	/* detoasting an expanded object flattens it */
	PG_RETURN_BYTEA_P(PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(0)));
}

static Datum
agg_state_deserialize_v010(PG_FUNCTION_ARGS)
{
	TrainState *st = train_state_expand(PG_GETARG_DATUM(0), require_agg_context(fcinfo));

	PG_RETURN_AGG_STATE(st);
}

#define V010_ALIAS(name, target) \
	PG_FUNCTION_INFO_V1(name); \
	Datum name(PG_FUNCTION_ARGS) { return target(fcinfo); }

V010_ALIAS(score_label_combine, agg_state_combine)
V010_ALIAS(score_label_serialize, agg_state_serialize_v010)
V010_ALIAS(score_label_deserialize, agg_state_deserialize_v010)
V010_ALIAS(binary_metrics_combine, agg_state_combine)
V010_ALIAS(binary_metrics_serialize, agg_state_serialize_v010)
V010_ALIAS(binary_metrics_deserialize, agg_state_deserialize_v010)
V010_ALIAS(rfm_combinefn, agg_state_combine)
V010_ALIAS(rfm_serialfn, agg_state_serialize_v010)
V010_ALIAS(rfm_deserialfn, agg_state_deserialize_v010)
