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

/* rfm.c */
extern const TrainStateOps rfm_state_ops;

#endif
