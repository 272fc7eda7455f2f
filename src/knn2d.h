/*
 * knn2d.h - k nearest neighbours of planar points with a k-d tree
 *
 * The TSP and VRP candidate lists.  A k-d tree (median splits on the wider
 * axis) keeps queries logarithmic however the points are spread: a uniform
 * grid degrades to a scan of all points when they crowd into a few cells
 * (co-located orders, a dense town plus one far-away stop).
 */
#ifndef ECOMML_KNN2D_H
#define ECOMML_KNN2D_H

#include "heap.h"

typedef struct Knn2d
{
	int32		n;
	const double *x;
	const double *y;
	int32	   *idx;			/* points in tree order */
	uint8	   *axis;			/* split axis of the node whose median slot is i */
	double	   *split;			/* and its split coordinate (the children's
								 * quickselects move the median point) */
} Knn2d;

extern Knn2d *knn2d_build(const double *x, const double *y, int32 n);

/*
 * Offer the points nearest to (qx, qy) to h, as heap_offer(h, k, -distance,
 * index), skipping index self (-1: none).  The k kept are those of least
 * (distance, index): the same set a full scan gives, except among more than
 * k points at distance 0, where any k of them are kept.
 */
extern void knn2d_query(const Knn2d *t, double qx, double qy, int32 self, int32 k, Heap *h);

#endif
