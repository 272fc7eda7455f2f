/*
 * heap.h - binary min-heap of (key, value) pairs
 *
 * Used as a priority queue (Dijkstra pops the smallest key) and as a top-k
 * collector (heap_offer keeps the k largest keys: the root is the weakest).
 */
#ifndef ECOMML_HEAP_H
#define ECOMML_HEAP_H

#include "c.h"

typedef struct HeapItem
{
	double		key;
	int64		value;
} HeapItem;

typedef struct Heap
{
	HeapItem   *items;
	Size		count;
	Size		cap;
} Heap;

extern Heap *heap_create(Size initial);
extern void heap_push(Heap *h, double key, int64 value);
extern HeapItem heap_pop(Heap *h);	/* smallest key; heap must be non-empty */
/* keep the k largest keys seen; ties keep the earlier value */
extern void heap_offer(Heap *h, Size k, double key, int64 value);
/* empty the heap into out[] ordered by key descending (ties: value ascending) */
extern Size heap_drain_descending(Heap *h, HeapItem *out);

#endif
