/*
 * assoc_rules.h - association rules (src/assoc_rules.c): frequent itemsets
 * by Eclat, rules with one consequent item, "frequently bought with"
 */
#ifndef ECOMML_ASSOC_RULES_H
#define ECOMML_ASSOC_RULES_H

#include "lib/stringinfo.h"

#include "codec.h"
#include "train_state.h"

extern const TrainStateOps assoc_rules_state_ops;
extern void *assoc_rules_decode(ByteReader *r);
extern void assoc_rules_describe(const void *decoded, StringInfo buf);

#endif
