/*
 * recs.h - recommender models: explicit ALS, implicit ALS, item-item kNN, EASE
 *
 * Training aggregates (train_als, train_als_implicit, train_item_knn,
 * train_ease) collect
 * interactions in the store of interactions.h; their final functions fit the
 * model and encode it.  Serving functions (recommend, recommend_for_items,
 * recommend_all, similar_items, predict) work on the decoded model that
 * model_cache_get() keeps per backend.
 */
#ifndef ECOMML_RECS_H
#define ECOMML_RECS_H

#include "lib/stringinfo.h"
#include "train_state.h"

extern const TrainStateOps als_state_ops;
extern const TrainStateOps als_implicit_state_ops;
extern const TrainStateOps item_knn_state_ops;
extern const TrainStateOps ease_state_ops;

extern void *als_decode(ByteReader *r);
extern void *als_implicit_decode(ByteReader *r);
extern void *item_knn_decode(ByteReader *r);
extern void *ease_decode(ByteReader *r);
extern void rec_describe(const void *decoded, StringInfo buf);

#endif
