/*
 * vrp_input.h - the orders and vehicles of ecomml.solve_vrp, read from jsonb
 * (0.3.0) or from the arrays of the 0.1.0/0.2.0 solve_vrp_internal
 */
#ifndef ECOMML_VRP_INPUT_H
#define ECOMML_VRP_INPUT_H

#include "fmgr.h"
#include "utils/jsonb.h"

#define VRP_ABSENT_ID PG_INT64_MIN

typedef struct VrpInput
{
	int32		n;				/* orders */
	int64	   *ids;
	double	   *x,				/* NaN when absent */
			   *y;
	int64	   *node;			/* VRP_ABSENT_ID when absent */
	double	   *demand,			/* defaults applied: 0, 0, 0, Infinity */
			   *service,
			   *open,
			   *close;
	int32		nv;				/* vehicles */
	int64	   *vids;			/* VRP_ABSENT_ID when absent */
	double	   *cap,			/* defaults applied: Infinity, 0, Infinity */
			   *vstart,
			   *vend;
	double	   *sx,				/* own start / end depot: NaN when absent */
			   *sy,
			   *ex,
			   *ey;
	int64	   *snode,			/* VRP_ABSENT_ID when absent */
			   *enode;
	double	   *cpd,			/* defaults applied: 1, 0, Infinity, Infinity */
			   *fixed,
			   *maxdur,
			   *maxstops;
} VrpInput;

/* orders and vehicles as JSON arrays of objects; unknown keys are errors */
extern void vrp_input_from_jsonb(Jsonb *orders, Jsonb *vehicles, bool graph, VrpInput *in);
/* the arrays of solve_vrp_internal: args 1..12 of fcinfo */
extern void vrp_input_from_arrays(FunctionCallInfo fcinfo, VrpInput *in);

#endif
