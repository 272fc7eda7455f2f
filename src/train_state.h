/*
 * train_state.h - the transition state shared by every ecomml aggregate
 * (training, and the metric aggregates that keep more than a float8[])
 *
 * SQL sees one type, ecomml.agg_state: a varlena whose flat form is
 * "EcAS", a format version, the model kind it trains, (version 2) the CRC of
 * the options its rows were read with, then the kind's payload.
 * While an aggregate runs, the state is a read-write expanded object owned by
 * the aggregate's memory context, so transition functions update it in place
 * and nodeAgg never copies it (see doc/models.md, "Training aggregates").  It
 * is flattened only when it leaves the process: a parallel worker's partial
 * result, Citus's worker_partial_agg, or text/binary output.
 */
#ifndef ECOMML_TRAIN_STATE_H
#define ECOMML_TRAIN_STATE_H

#include "fmgr.h"
#include "utils/expandeddatum.h"
#include "utils/jsonb.h"
#include "codec.h"

/*
 * Aggregates that build no model (the metric aggregates and rfm) use agg_state
 * too, so that every ecomml aggregate can run partially on Citus workers.
 * Their kinds are numbered apart from ModelKind: a state never reads as a model.
 */
typedef enum MetricStateKind
{
	STATE_SCORE_LABELS = 1001,	/* roc_auc, pr_auc */
	STATE_CONFUSION = 1002,		/* binary_metrics */
	STATE_RFM = 1003			/* rfm */
} MetricStateKind;

/* What an aggregate's state must provide. */
typedef struct TrainStateOps
{
	int			kind;			/* a ModelKind or a MetricStateKind */
	/* serialize into w; must write exactly what read consumes */
	void		(*write) (const void *data, ByteWriter *w);
	/* rebuild from r in CurrentMemoryContext; validate every field */
	void	   *(*read) (ByteReader *r);
	/* merge 'from' into 'into'; CurrentMemoryContext is into's context */
	void		(*combine) (void *into, const void *from);
} TrainStateOps;

typedef struct TrainState
{
	ExpandedObjectHeader hdr;
	const TrainStateOps *ops;
	void	   *data;			/* kind-specific; NULL until the first row */
	Size		flat_size;		/* cached by get_flat_size, 0 = unknown */
	/* this process's first row's options (see train_state_options) */
	bool		options_seen;
	struct varlena *options;	/* NULL for SQL NULL options */
	bool		options_stable; /* a constant (or parameter): not compared per row */
	/* else the options' fingerprint from a flat state, if it had rows */
	bool		fingerprint_known;
	uint32		fingerprint;
} TrainState;

/*
 * In a transition function: the state in argument 0, created empty (data ==
 * NULL) on the first call.  Allocate the kind's data in state->hdr.eoh_context.
 * Return it with PG_RETURN_AGG_STATE(state).
 */
extern TrainState *train_state_for_update(FunctionCallInfo fcinfo, const TrainStateOps *ops);
#define PG_RETURN_AGG_STATE(st) \
	do { (st)->flat_size = 0; PG_RETURN_DATUM(EOHPGetRWDatum(&(st)->hdr)); } while (0)

/*
 * In a transition function: the options argument argno (NULL when SQL NULL
 * or beyond PG_NARGS), which must be the same on every row (22023 if not).
 */
extern Jsonb *train_state_options(TrainState *st, FunctionCallInfo fcinfo, int argno);

/* In a final function: the kind's data of argument argno, or NULL if none. */
extern const void *train_state_get_data(FunctionCallInfo fcinfo, int argno, const TrainStateOps *ops);

/* kinds.c: the ops of a state kind (NULL if unknown), and its name */
extern const TrainStateOps *train_state_ops_for_kind(int kind);
extern const char *train_state_kind_name(int kind);


#endif
