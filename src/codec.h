/*
 * codec.h - byte writer/reader and the model header shared by every model kind
 *
 * A model is a bytea: a fixed 40-byte header, then a kind-specific payload.
 * Integers and doubles are stored little-endian (the layout of every platform
 * PostgreSQL runs ecomml on; see doc/models.md).  The reader checks every
 * length against the bytes that remain, so truncated or forged input raises
 * ERRCODE_DATA_CORRUPTED instead of reading out of bounds.
 */
#ifndef ECOMML_CODEC_H
#define ECOMML_CODEC_H

#include "postgres.h"
#include "datatype/timestamp.h"
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

#define MODEL_MAGIC			"EcML"
#define MODEL_FORMAT_VERSION 1
#define MODEL_HEADER_SIZE	40
#define MODEL_ID_LEN		16

/* Model kinds; numbers are stored in models and never reused. */
typedef enum ModelKind
{
	MODEL_CONSTANT = 1,
	MODEL_ALS = 2,
	MODEL_ALS_IMPLICIT = 3,
	MODEL_ITEM_KNN = 4,
	MODEL_FORECAST = 5,
	MODEL_LOGREG = 6,
	MODEL_IFOREST = 7,
	MODEL_GRAPH = 8,
	MODEL_KMEANS = 9,
	MODEL_ELASTICITY = 10,
	MODEL_TEXT_NB = 11,
	/* 0.3.0 */
	MODEL_GBDT = 12,
	MODEL_EASE = 13,
	MODEL_CLV = 14,
	MODEL_ASSOC_RULES = 15
} ModelKind;

typedef struct ModelHeader
{
	uint16		format_version;
	uint16		kind;
	uint8		id[MODEL_ID_LEN];
	TimestampTz created_at;
	uint32		payload_len;
	uint32		checksum;		/* CRC-32C of the payload */
} ModelHeader;

/* Growable output buffer; huge allocations so large states can flatten. */
typedef struct ByteWriter
{
	char	   *data;
	Size		len;
	Size		cap;
	bool		count_only;		/* measure the size, store nothing */
} ByteWriter;

/* Bounded input cursor. */
typedef struct ByteReader
{
	const char *data;
	Size		len;
	Size		pos;
	const char *what;			/* "model" or "aggregate state", for messages */
} ByteReader;

extern void writer_init(ByteWriter *w, Size initial);
extern void writer_init_counting(ByteWriter *w);
extern void write_bytes(ByteWriter *w, const void *p, Size n);
extern void write_u8(ByteWriter *w, uint8 v);
extern void write_u16(ByteWriter *w, uint16 v);
extern void write_u32(ByteWriter *w, uint32 v);
extern void write_i32(ByteWriter *w, int32 v);
extern void write_i64(ByteWriter *w, int64 v);
extern void write_f64(ByteWriter *w, double v);
extern void write_f64_array(ByteWriter *w, const double *v, Size n);
extern void write_i64_array(ByteWriter *w, const int64 *v, Size n);
extern void write_i32_array(ByteWriter *w, const int32 *v, Size n);
extern void write_text(ByteWriter *w, const char *s);

extern void reader_init(ByteReader *r, const char *data, Size len, const char *what);
extern void read_bytes(ByteReader *r, void *p, Size n);
extern uint8 read_u8(ByteReader *r);
extern uint16 read_u16(ByteReader *r);
extern uint32 read_u32(ByteReader *r);
extern int32 read_i32(ByteReader *r);
extern int64 read_i64(ByteReader *r);
extern double read_f64(ByteReader *r);
extern int64 read_count(ByteReader *r, int64 max, Size elem_size);
extern double *read_f64_array(ByteReader *r, Size n);
extern int64 *read_i64_array(ByteReader *r, Size n);
extern int32 *read_i32_array(ByteReader *r, Size n);
extern char *read_text(ByteReader *r);
extern void reader_expect_end(ByteReader *r);
pg_attribute_noreturn() extern void reader_corrupt(ByteReader *r, const char *detail);

/* Models */
extern bool ecomml_ignore_checksum_failure;
extern const char *model_kind_name(int kind);
extern bytea *model_build(ModelKind kind, ByteWriter *payload);
/* CRC-32C of a payload, as stored in the header */
extern uint32 payload_checksum(const char *p, Size n);
extern void model_parse_header(const char *data, Size len, ModelHeader *hdr);
extern void model_check_kind(const ModelHeader *hdr, ModelKind expected);
extern void model_open_payload(bytea *model, ModelHeader *hdr, ByteReader *r);

#endif
