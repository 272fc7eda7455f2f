/*
 * customers.h - customer analytics: k-means segmentation (src/kmeans.c),
 * RFM scores (src/rfm.c), price elasticity (src/elasticity.c)
 */
#ifndef ECOMML_CUSTOMERS_H
#define ECOMML_CUSTOMERS_H

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/array.h"

#include "codec.h"
#include "train_state.h"

#define CUSTOMERS_MAX_FEATURES 10000

/*
 * Read a float8[] feature vector: one-dimensional, 1..CUSTOMERS_MAX_FEATURES
 * elements, no NULL, NaN or Inf; expected_d > 0 demands that length.  The
 * result points into the array or into a palloc'd copy.  what names the
 * caller in messages.
 */
extern const double *customers_read_features(ArrayType *arr, int expected_d, int *d_out,
											 const char *what);

/* kmeans.c */
extern const TrainStateOps kmeans_state_ops;
extern void *kmeans_decode(ByteReader *r);
extern void kmeans_describe(const void *decoded, StringInfo buf);

/* elasticity.c */
extern const TrainStateOps elasticity_state_ops;
extern void *elasticity_decode(ByteReader *r);
extern void elasticity_describe(const void *decoded, StringInfo buf);

/* textnb.c */
extern const TrainStateOps textnb_state_ops;
extern void *textnb_decode(ByteReader *r);
extern void textnb_describe(const void *decoded, StringInfo buf);

#endif
