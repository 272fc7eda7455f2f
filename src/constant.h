/*
 * constant.h - the "constant" model: the mean of a column
 *
 * The smallest model kind, and the reference for the training-aggregate
 * pattern every other kind follows (state ops, transition, final, decode).
 */
#ifndef ECOMML_CONSTANT_H
#define ECOMML_CONSTANT_H

#include "lib/stringinfo.h"
#include "train_state.h"

extern const TrainStateOps constant_state_ops;
extern void *constant_decode(ByteReader *r);
extern void constant_describe(const void *decoded, StringInfo buf);

#endif
