/*
 * heap.c - binary min-heap of (key, value) pairs
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "heap.h"

/* a is "less" than b: smaller key; on equal keys the larger value, so that
 * top-k evicts the later value first and the output order is stable */
static inline bool
item_less(const HeapItem *a, const HeapItem *b)
{
	return a->key < b->key || (a->key == b->key && a->value > b->value);
}

static void
sift_up(Heap *h, Size i)
{
	HeapItem	x = h->items[i];

	while (i > 0)
	{
		Size		parent = (i - 1) / 2;

		if (!item_less(&x, &h->items[parent]))
			break;
		h->items[i] = h->items[parent];
		i = parent;
	}
	h->items[i] = x;
}

static void
sift_down(Heap *h, Size i)
{
	HeapItem	x = h->items[i];

	for (;;)
	{
		Size		c = 2 * i + 1;

		if (c >= h->count)
			break;
		if (c + 1 < h->count && item_less(&h->items[c + 1], &h->items[c]))
			c++;
		if (!item_less(&h->items[c], &x))
			break;
		h->items[i] = h->items[c];
		i = c;
	}
	h->items[i] = x;
}

Heap *
heap_create(Size initial)
{
	Heap	   *h = palloc(sizeof(Heap));

	h->cap = Max(initial, 16);
	h->items = MemoryContextAllocHuge(CurrentMemoryContext, h->cap * sizeof(HeapItem));
	h->count = 0;
	return h;
}

void
heap_push(Heap *h, double key, int64 value)
{
	if (h->count == h->cap)
	{
		h->cap *= 2;
		h->items = repalloc_huge(h->items, h->cap * sizeof(HeapItem));
	}
	h->items[h->count].key = key;
	h->items[h->count].value = value;
	sift_up(h, h->count++);
}

HeapItem
heap_pop(Heap *h)
{
	HeapItem	top = h->items[0];

	Assert(h->count > 0);
	h->items[0] = h->items[--h->count];
	if (h->count > 0)
		sift_down(h, 0);
	return top;
}

void
heap_offer(Heap *h, Size k, double key, int64 value)
{
	HeapItem	x = {key, value};

	if (k == 0)
		return;
	if (h->count < k)
		heap_push(h, key, value);
	else if (item_less(&h->items[0], &x))
	{
		h->items[0] = x;
		sift_down(h, 0);
	}
}

Size
heap_drain_descending(Heap *h, HeapItem *out)
{
	Size		n = h->count;

	for (Size i = n; i > 0; i--)
		out[i - 1] = heap_pop(h);
	return n;
}
