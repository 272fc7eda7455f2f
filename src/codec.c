/*
 * codec.c - byte writer/reader and the model header
 */
#include "postgres.h"

#include "port/pg_crc32c.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"


#include "codec.h"
#include "kinds.h"

/* Writer */

void
writer_init(ByteWriter *w, Size initial)
{
	w->cap = Max(initial, 64);
	w->data = MemoryContextAllocHuge(CurrentMemoryContext, w->cap);
	w->len = 0;
	w->count_only = false;
}

void
writer_init_counting(ByteWriter *w)
{
	w->data = NULL;
	w->cap = 0;
	w->len = 0;
	w->count_only = true;
}

void
write_bytes(ByteWriter *w, const void *p, Size n)
{
	if (!w->count_only)
	{
		if (w->len + n > w->cap)
		{
			Size		cap = w->cap;

			while (w->len + n > cap)
				cap *= 2;
			w->data = repalloc_huge(w->data, cap);
			w->cap = cap;
		}
		memcpy(w->data + w->len, p, n);
	}
	w->len += n;
}

/*
 * Fixed-width values are copied in host order: ecomml builds only for
 * little-endian hosts (checked below), so the format is little-endian.
 */
#ifdef WORDS_BIGENDIAN
#error "ecomml's model format is little-endian; big-endian hosts are not supported"
#endif

void write_u8(ByteWriter *w, uint8 v) { write_bytes(w, &v, sizeof(v)); }
void write_u16(ByteWriter *w, uint16 v) { write_bytes(w, &v, sizeof(v)); }
void write_u32(ByteWriter *w, uint32 v) { write_bytes(w, &v, sizeof(v)); }
void write_i32(ByteWriter *w, int32 v) { write_bytes(w, &v, sizeof(v)); }
void write_i64(ByteWriter *w, int64 v) { write_bytes(w, &v, sizeof(v)); }
void write_f64(ByteWriter *w, double v) { write_bytes(w, &v, sizeof(v)); }

void
write_f64_array(ByteWriter *w, const double *v, Size n)
{
	write_bytes(w, v, n * sizeof(double));
}

void
write_i64_array(ByteWriter *w, const int64 *v, Size n)
{
	write_bytes(w, v, n * sizeof(int64));
}

void
write_i32_array(ByteWriter *w, const int32 *v, Size n)
{
	write_bytes(w, v, n * sizeof(int32));
}

void
write_text(ByteWriter *w, const char *s)
{
	uint32		n = strlen(s);

	write_u32(w, n);
	write_bytes(w, s, n);
}

/* Reader */

void
reader_init(ByteReader *r, const char *data, Size len, const char *what)
{
	r->data = data;
	r->len = len;
	r->pos = 0;
	r->what = what;
}

void
reader_corrupt(ByteReader *r, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("invalid ecomml %s", r->what),
			 errdetail("%s (at byte %zu of %zu).", detail, r->pos, r->len)));
}

void
read_bytes(ByteReader *r, void *p, Size n)
{
	if (n > r->len - r->pos)
		reader_corrupt(r, "The value is truncated");
	memcpy(p, r->data + r->pos, n);
	r->pos += n;
}

uint8 read_u8(ByteReader *r) { uint8 v; read_bytes(r, &v, sizeof(v)); return v; }
uint16 read_u16(ByteReader *r) { uint16 v; read_bytes(r, &v, sizeof(v)); return v; }
uint32 read_u32(ByteReader *r) { uint32 v; read_bytes(r, &v, sizeof(v)); return v; }
int32 read_i32(ByteReader *r) { int32 v; read_bytes(r, &v, sizeof(v)); return v; }
int64 read_i64(ByteReader *r) { int64 v; read_bytes(r, &v, sizeof(v)); return v; }
double read_f64(ByteReader *r) { double v; read_bytes(r, &v, sizeof(v)); return v; }

/*
 * An element count, checked against max and against the bytes left, so that
 * a forged count can never drive an allocation or a loop past the input.
 */
int64
read_count(ByteReader *r, int64 max, Size elem_size)
{
	int64		n = read_i64(r);

	if (n < 0 || n > max)
		reader_corrupt(r, "A count is out of range");
	if (elem_size > 0 && (Size) n > (r->len - r->pos) / elem_size)
		reader_corrupt(r, "A count exceeds the remaining bytes");
	return n;
}

static void *
read_array(ByteReader *r, Size n, Size elem_size)
{
	void	   *out;

	if (n > (r->len - r->pos) / elem_size)
		reader_corrupt(r, "An array is truncated");
	out = MemoryContextAllocHuge(CurrentMemoryContext, Max(n * elem_size, 1));
	read_bytes(r, out, n * elem_size);
	return out;
}

double *read_f64_array(ByteReader *r, Size n) { return read_array(r, n, sizeof(double)); }
int64 *read_i64_array(ByteReader *r, Size n) { return read_array(r, n, sizeof(int64)); }
int32 *read_i32_array(ByteReader *r, Size n) { return read_array(r, n, sizeof(int32)); }

char *
read_text(ByteReader *r)
{
	uint32		n = read_u32(r);
	char	   *s;

	if (n > r->len - r->pos)
		reader_corrupt(r, "A string is truncated");
	s = palloc(n + 1);
	read_bytes(r, s, n);
	s[n] = '\0';
	if (strlen(s) != n)
		reader_corrupt(r, "A string contains a zero byte");
	return s;
}

void
reader_expect_end(ByteReader *r)
{
	if (r->pos != r->len)
		reader_corrupt(r, "Unexpected bytes follow the payload");
}

/* Model header */

/* Like ignore_checksum_failure: lets tests feed damaged payloads to the decoders. */
bool		ecomml_ignore_checksum_failure = false;

uint32
payload_checksum(const char *p, Size n)
{
	pg_crc32c	crc;

	INIT_CRC32C(crc);
	COMP_CRC32C(crc, p, n);
	FIN_CRC32C(crc);
	return crc;
}

const char *
model_kind_name(int kind)
{
	const ModelKindInfo *info = model_kind_info(kind);

	return info ? info->name : "unknown";
}

/* Wrap a finished payload into a model bytea with a fresh random id. */
bytea *
model_build(ModelKind kind, ByteWriter *payload)
{
	Size		total = VARHDRSZ + MODEL_HEADER_SIZE + payload->len;
	bytea	   *result;
	ByteWriter	w;
	uint8		id[MODEL_ID_LEN];

	if (total > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s model is too large: %zu bytes", model_kind_name(kind), total),
				 errdetail("A model is a bytea value and is limited to 1 GB."),
				 errhint("Reduce the number of factors, trees or neighbors.")));
	if (!pg_strong_random(id, sizeof(id)))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a random model id")));

	writer_init(&w, total);
	write_u32(&w, 0);			/* varlena header, set below */
	write_bytes(&w, MODEL_MAGIC, 4);
	write_u16(&w, MODEL_FORMAT_VERSION);
	write_u16(&w, kind);
	write_bytes(&w, id, sizeof(id));
	write_i64(&w, GetCurrentTimestamp());
	write_u32(&w, payload->len);
	write_u32(&w, payload_checksum(payload->data, payload->len));
	Assert(w.len == VARHDRSZ + MODEL_HEADER_SIZE);
	write_bytes(&w, payload->data, payload->len);

	result = (bytea *) w.data;
	SET_VARSIZE(result, w.len);
	return result;
}

/*
 * Parse and validate the header at data (len is the full size of the value,
 * which may be larger than the bytes available when only a slice was read).
 */
void
model_parse_header(const char *data, Size len, ModelHeader *hdr)
{
	ByteReader	r;
	char		magic[4];

	reader_init(&r, data, Min(len, MODEL_HEADER_SIZE), "model");
	if (len < MODEL_HEADER_SIZE || memcmp(data, MODEL_MAGIC, 4) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("value is not an ecomml model"),
				 errdetail("A model starts with a %d-byte header beginning with \"%s\".",
						   MODEL_HEADER_SIZE, MODEL_MAGIC)));
	read_bytes(&r, magic, 4);
	hdr->format_version = read_u16(&r);
	hdr->kind = read_u16(&r);
	read_bytes(&r, hdr->id, MODEL_ID_LEN);
	hdr->created_at = read_i64(&r);
	hdr->payload_len = read_u32(&r);
	hdr->checksum = read_u32(&r);

	if (hdr->format_version < 1 || hdr->format_version > MODEL_FORMAT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("unsupported ecomml model format version %u", hdr->format_version),
				 errdetail("This build reads format versions 1 to %d.", MODEL_FORMAT_VERSION),
				 errhint("Upgrade the ecomml extension to read this model.")));
	if (model_kind_info(hdr->kind) == NULL)
		reader_corrupt(&r, "The model kind is unknown");
	if ((Size) hdr->payload_len != len - MODEL_HEADER_SIZE)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid ecomml model"),
				 errdetail("The header announces %u payload bytes but %zu are present.",
						   hdr->payload_len, len - MODEL_HEADER_SIZE)));
}

void
model_check_kind(const ModelHeader *hdr, ModelKind expected)
{
	if (hdr->kind != expected)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expected a %s model, got a %s model",
						model_kind_name(expected), model_kind_name(hdr->kind))));
}

/* Validate a whole (detoasted) model and position r at its payload. */
void
model_open_payload(bytea *model, ModelHeader *hdr, ByteReader *r)
{
	const char *data = VARDATA_ANY(model);
	Size		len = VARSIZE_ANY_EXHDR(model);

	model_parse_header(data, len, hdr);
	if (payload_checksum(data + MODEL_HEADER_SIZE, hdr->payload_len) != hdr->checksum)
		ereport(ecomml_ignore_checksum_failure ? WARNING : ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid ecomml model"),
				 errdetail("The payload checksum does not match: the model was altered or damaged.")));
	reader_init(r, data + MODEL_HEADER_SIZE, hdr->payload_len, "model");
}
