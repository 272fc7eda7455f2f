/*
 * interactions.h - the compact interaction store behind the recommender
 * training aggregates (train_als, train_als_implicit, train_item_knn)
 *
 * The transition state is three parallel arrays (user id, item id, value)
 * grown by doubling with huge allocations, so ten million rows cost 24 bytes
 * each and no per-row palloc.  Combining two states appends one to the other.
 * The final function turns the store into compressed sparse rows with dense,
 * id-sorted indexes (interactions_build), which makes the model independent of
 * the order rows arrived in: a parallel run trains the same model as a serial
 * one.
 */
#ifndef ECOMML_INTERACTIONS_H
#define ECOMML_INTERACTIONS_H

#include "fmgr.h"
#include "train_state.h"
#include "idmap.h"

/* Options of all three aggregates; each reads the ones it knows. */
typedef struct RecOptions
{
	int32		factors;
	int32		iterations;
	int32		cg_steps;
	int32		blas_threads;	/* 0: the ecomml.blas_threads setting */
	int32		neighbors;
	int32		weighting;		/* REC_WEIGHT_* */
	double		lambda;
	double		alpha;
	double		validation;
	double		bm25_k1;
	double		bm25_b;
	int64		seed;
} RecOptions;

/* lambda option "auto": chosen on held-out pairs (explicit ALS) */
#define REC_LAMBDA_AUTO (-1.0)

#define REC_WEIGHT_NONE 0
#define REC_WEIGHT_TFIDF 1
#define REC_WEIGHT_BM25 2

typedef struct RecState
{
	RecOptions	opt;
	int64		skipped;		/* rows with a NULL user, item or value */
	int64		n;
	int64		cap;
	int64	   *users;
	int64	   *items;
	double	   *values;
} RecState;

/* Duplicate (user, item) rows: averaged (explicit) or summed (implicit). */
typedef enum RecDuplicates
{
	REC_DUP_AVERAGE,
	REC_DUP_SUM
} RecDuplicates;

/*
 * Interactions in compressed sparse rows, both ways.  Users and items are
 * numbered 0..n-1 in ascending id order; within a row, columns ascend.
 */
typedef struct RecData
{
	IdMap	   *users;
	IdMap	   *items;
	int32		n_users;
	int32		n_items;
	int64		nnz;			/* distinct (user, item) pairs used to train */
	int64	   *uptr;			/* n_users + 1 */
	int32	   *ucol;			/* item index per entry */
	double	   *uval;
	int64	   *iptr;			/* n_items + 1 */
	int32	   *irow;			/* user index per entry */
	double	   *ival;
	/* pairs held out for validation (explicit ALS only) */
	int64		n_valid;
	int32	   *valid_user;
	int32	   *valid_item;
	double	   *valid_val;
} RecData;

extern void rec_state_write(const void *data, ByteWriter *w);
extern void *rec_state_read(ByteReader *r);
extern void rec_state_combine(void *into, const void *from);

/* Append one row; the store lives in cxt. */
extern void rec_state_append(RecState *s, MemoryContext cxt, int64 user, int64 item, double value);

/*
 * Sort, merge duplicates and index the store into CurrentMemoryContext.  With
 * holdout > 0, that fraction of the distinct pairs (chosen by a hash of user,
 * item and seed, so independent of row order) goes to the validation arrays.
 */
extern RecData *interactions_build(const RecState *s, RecDuplicates dup,
								   double holdout, int64 seed);

/* d's training pairs with a fraction of them moved to validation */
extern RecData *interactions_split(const RecData *d, double fraction, int64 seed);

/* A pseudo-random number in [0, 1) from a pair of ids and a seed. */
extern double rec_pair_hash(int64 user, int64 item, int64 seed);

#endif
