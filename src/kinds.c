/*
 * kinds.c - the table of model kinds, and ecomml.model_info()
 */
#include "postgres.h"

#include <math.h>

#include "access/detoast.h"
#include "common/shortest_dec.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "assoc_rules.h"
#include "clv.h"
#include "constant.h"
#include "customers.h"
#include "forecast.h"
#include "fraud.h"
#include "gbdt.h"
#include "kinds.h"
#include "recs.h"
#include "routes.h"

static const ModelKindInfo kinds[] = {
	{MODEL_CONSTANT, "constant", constant_decode, constant_describe, &constant_state_ops},
	{MODEL_LOGREG, "logreg", logreg_decode, logreg_describe, &logreg_state_ops},
	{MODEL_IFOREST, "iforest", iforest_decode, iforest_describe, &iforest_state_ops},
	{MODEL_FORECAST, "forecast", forecast_decode, forecast_describe, &forecast_state_ops},
	{MODEL_ALS, "als", als_decode, rec_describe, &als_state_ops},
	{MODEL_ALS_IMPLICIT, "als_implicit", als_implicit_decode, rec_describe, &als_implicit_state_ops},
	{MODEL_ITEM_KNN, "item_knn", item_knn_decode, rec_describe, &item_knn_state_ops},
	{MODEL_EASE, "ease", ease_decode, rec_describe, &ease_state_ops},
	{MODEL_GRAPH, "graph", graph_decode, graph_describe, &graph_state_ops},
	{MODEL_KMEANS, "kmeans", kmeans_decode, kmeans_describe, &kmeans_state_ops},
	{MODEL_ELASTICITY, "elasticity", elasticity_decode, elasticity_describe, &elasticity_state_ops},
	{MODEL_TEXT_NB, "text_nb", textnb_decode, textnb_describe, &textnb_state_ops},
	{MODEL_GBDT, "gbdt", gbdt_decode, gbdt_describe, &gbdt_state_ops},
	{MODEL_CLV, "clv", clv_decode, clv_describe, &clv_state_ops},
	{MODEL_ASSOC_RULES, "assoc_rules", assoc_rules_decode, assoc_rules_describe, &assoc_rules_state_ops},
};

/* States of the aggregates that build no model */
typedef struct MetricStateInfo
{
	MetricStateKind kind;
	const char *name;
	const TrainStateOps *ops;
} MetricStateInfo;

static const MetricStateInfo metric_states[] = {
	{STATE_SCORE_LABELS, "roc_auc/pr_auc", &score_label_state_ops},
	{STATE_CONFUSION, "binary_metrics", &confusion_state_ops},
	{STATE_RFM, "rfm", &rfm_state_ops},
};

static const MetricStateInfo *
metric_state_info(int kind)
{
	for (size_t i = 0; i < lengthof(metric_states); i++)
		if ((int) metric_states[i].kind == kind)
			return &metric_states[i];
	return NULL;
}

const ModelKindInfo *
model_kind_info(int kind)
{
	for (size_t i = 0; i < lengthof(kinds); i++)
		if ((int) kinds[i].kind == kind)
			return &kinds[i];
	return NULL;
}

const TrainStateOps *
train_state_ops_for_kind(int kind)
{
	const ModelKindInfo *model = model_kind_info(kind);
	const MetricStateInfo *metric = metric_state_info(kind);

	return model ? model->state_ops : (metric ? metric->ops : NULL);
}

const char *
train_state_kind_name(int kind)
{
	const MetricStateInfo *metric = metric_state_info(kind);

	return metric ? metric->name : model_kind_name(kind);
}

void
json_append_double(StringInfo buf, const char *key, double v)
{
	appendStringInfo(buf, ",\"%s\":", key);
	if (isnan(v) || isinf(v))
		appendStringInfoString(buf, "null");	/* JSON has no NaN/Infinity */
	else
		appendStringInfo(buf, "%.17g", v);
}

void
json_append_int(StringInfo buf, const char *key, int64 v)
{
	appendStringInfo(buf, ",\"%s\":" INT64_FORMAT, key, v);
}

void
json_append_double_array(StringInfo buf, const char *key, const double *v, int n)
{
	appendStringInfo(buf, ",\"%s\":[", key);
	for (int i = 0; i < n; i++)
	{
		char		num[DOUBLE_SHORTEST_DECIMAL_LEN];

		if (i > 0)
			appendStringInfoChar(buf, ',');
		if (isfinite(v[i]))
		{
			double_to_shortest_decimal_buf(v[i], num);
			appendStringInfoString(buf, num);
		}
		else
			appendStringInfoString(buf, "null");
	}
	appendStringInfoChar(buf, ']');
}

void
json_append_text(StringInfo buf, const char *key, const char *v)
{
	appendStringInfo(buf, ",\"%s\":", key);
	escape_json(buf, v);
}

/* ecomml.model_info(model bytea) -> jsonb */
PG_FUNCTION_INFO_V1(model_info);
Datum
model_info(PG_FUNCTION_ARGS)
{
	bytea	   *model = PG_GETARG_BYTEA_PP(0);
	ModelHeader hdr;
	ByteReader	r;
	const ModelKindInfo *info;
	void	   *decoded;
	StringInfoData buf;
	char		idhex[MODEL_ID_LEN * 2 + 1];

	model_open_payload(model, &hdr, &r);
	info = model_kind_info(hdr.kind);
	decoded = info->decode(&r);
	reader_expect_end(&r);

	for (int i = 0; i < MODEL_ID_LEN; i++)
		sprintf(idhex + 2 * i, "%02x", hdr.id[i]);
	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"kind\":");
	escape_json(&buf, info->name);
	json_append_int(&buf, "format_version", hdr.format_version);
	json_append_text(&buf, "model_id", idhex);
	json_append_text(&buf, "created_at", timestamptz_to_str(hdr.created_at));
	json_append_int(&buf, "size_bytes", VARSIZE_ANY(model));
	json_append_int(&buf, "payload_bytes", hdr.payload_len);
	info->describe(decoded, &buf);
	appendStringInfoChar(&buf, '}');
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}
