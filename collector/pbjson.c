/* pbjson.c — print any protobuf-c message as JSON or as flat path=value lines (via its descriptor). */
#include "pbjson.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

typedef struct Printer
{
	FILE	   *f;
	bool		pretty;
	bool		flat;
	char		path[1024];
} Printer;

static void print_message(Printer *p, const ProtobufCMessage *m, int depth);

static size_t
elem_size(ProtobufCType t)
{
	switch (t)
	{
		case PROTOBUF_C_TYPE_INT64:
		case PROTOBUF_C_TYPE_SINT64:
		case PROTOBUF_C_TYPE_SFIXED64:
		case PROTOBUF_C_TYPE_UINT64:
		case PROTOBUF_C_TYPE_FIXED64:
		case PROTOBUF_C_TYPE_DOUBLE:
			return 8;
		case PROTOBUF_C_TYPE_BOOL:
			return sizeof(protobuf_c_boolean);
		case PROTOBUF_C_TYPE_STRING:
		case PROTOBUF_C_TYPE_MESSAGE:
			return sizeof(void *);
		case PROTOBUF_C_TYPE_BYTES:
			return sizeof(ProtobufCBinaryData);
		default:
			return 4;
	}
}

static void
print_string(Printer *p, const char *s, size_t len)
{
	size_t		i;

	if (!p->flat)
		fputc('"', p->f);
	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c == '"' && !p->flat)
			fputs("\\\"", p->f);
		else if (c == '\\')
			fputs("\\\\", p->f);
		else if (c == '\n')
			fputs("\\n", p->f);
		else if (c == '\r')
			fputs("\\r", p->f);
		else if (c == '\t')
			fputs("\\t", p->f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(p->f, "\\u%04x", c);
		else
			fputc(c, p->f);
	}
	if (!p->flat)
		fputc('"', p->f);
}

static void
print_scalar(Printer *p, const ProtobufCFieldDescriptor *fd, const void *v)
{
	switch (fd->type)
	{
		case PROTOBUF_C_TYPE_INT32:
		case PROTOBUF_C_TYPE_SINT32:
		case PROTOBUF_C_TYPE_SFIXED32:
		case PROTOBUF_C_TYPE_ENUM:
			fprintf(p->f, "%" PRId32, *(const int32_t *) v);
			break;
		case PROTOBUF_C_TYPE_UINT32:
		case PROTOBUF_C_TYPE_FIXED32:
			fprintf(p->f, "%" PRIu32, *(const uint32_t *) v);
			break;
		case PROTOBUF_C_TYPE_INT64:
		case PROTOBUF_C_TYPE_SINT64:
		case PROTOBUF_C_TYPE_SFIXED64:
			fprintf(p->f, "%" PRId64, *(const int64_t *) v);
			break;
		case PROTOBUF_C_TYPE_UINT64:
		case PROTOBUF_C_TYPE_FIXED64:
			fprintf(p->f, "%" PRIu64, *(const uint64_t *) v);
			break;
		case PROTOBUF_C_TYPE_FLOAT:
		case PROTOBUF_C_TYPE_DOUBLE:
			{
				double		d = fd->type == PROTOBUF_C_TYPE_FLOAT ?
					*(const float *) v : *(const double *) v;

				if (isfinite(d))
					fprintf(p->f, "%.15g", d);
				else
					fputs("null", p->f);
				break;
			}
		case PROTOBUF_C_TYPE_BOOL:
			fputs(*(const protobuf_c_boolean *) v ? "true" : "false", p->f);
			break;
		case PROTOBUF_C_TYPE_STRING:
			{
				const char *s = *(const char *const *) v;

				print_string(p, s ? s : "", s ? strlen(s) : 0);
				break;
			}
		case PROTOBUF_C_TYPE_BYTES:
			{
				const ProtobufCBinaryData *b = v;
				size_t		i;

				if (!p->flat)
					fputc('"', p->f);
				for (i = 0; i < b->len; i++)
					fprintf(p->f, "%02x", b->data[i]);
				if (!p->flat)
					fputc('"', p->f);
				break;
			}
		case PROTOBUF_C_TYPE_MESSAGE:
			break;
	}
}

static bool
is_map_entry(const ProtobufCMessageDescriptor *d)
{
	size_t		n = strlen(d->name);

	return d->n_fields == 2 && n > 5 && strcmp(d->name + n - 5, "Entry") == 0 &&
		strcmp(d->fields[0].name, "key") == 0 && strcmp(d->fields[1].name, "value") == 0;
}

static void
newline(Printer *p, int depth)
{
	int			i;

	if (!p->pretty)
		return;
	fputc('\n', p->f);
	for (i = 0; i < depth; i++)
		fputs("  ", p->f);
}

/* flat mode: path grows by ".name" while printing below it */
static size_t
push_path(Printer *p, const char *part)
{
	size_t		old = strlen(p->path);

	snprintf(p->path + old, sizeof(p->path) - old, "%s%s", old ? "." : "", part);
	return old;
}

static void
print_value(Printer *p, const ProtobufCFieldDescriptor *fd, const void *v, int depth)
{
	if (fd->type == PROTOBUF_C_TYPE_MESSAGE)
	{
		const ProtobufCMessage *sub = *(const ProtobufCMessage *const *) v;

		if (sub == NULL)
		{
			if (!p->flat)
				fputs("null", p->f);
			return;
		}
		print_message(p, sub, depth);
		return;
	}
	if (p->flat)
		fprintf(p->f, "%s=", p->path);
	print_scalar(p, fd, v);
	if (p->flat)
		fputc('\n', p->f);
}

static void
print_map(Printer *p, const ProtobufCFieldDescriptor *fd, size_t n, void *const *arr, int depth)
{
	const ProtobufCMessageDescriptor *ed = fd->descriptor;
	size_t		i;

	if (!p->flat)
		fputc('{', p->f);
	for (i = 0; i < n; i++)
	{
		const char *e = (const char *) arr[i];
		const ProtobufCFieldDescriptor *kf = &ed->fields[0];
		const ProtobufCFieldDescriptor *vf = &ed->fields[1];

		if (p->flat)
		{
			char		key[256];
			size_t		old;

			if (kf->type == PROTOBUF_C_TYPE_STRING)
				snprintf(key, sizeof(key), "%s", *(const char *const *) (e + kf->offset));
			else
				snprintf(key, sizeof(key), "%zu", i);
			old = push_path(p, key);
			print_value(p, vf, e + vf->offset, depth + 1);
			p->path[old] = '\0';
			continue;
		}
		if (i > 0)
			fputc(',', p->f);
		newline(p, depth + 1);
		if (kf->type == PROTOBUF_C_TYPE_STRING)
			print_scalar(p, kf, e + kf->offset);
		else
		{
			fputc('"', p->f);
			print_scalar(p, kf, e + kf->offset);
			fputc('"', p->f);
		}
		fputs(p->pretty ? ": " : ":", p->f);
		print_value(p, vf, e + vf->offset, depth + 1);
	}
	if (!p->flat)
	{
		if (n > 0)
			newline(p, depth);
		fputc('}', p->f);
	}
}

static void
print_field(Printer *p, const ProtobufCMessage *m, const ProtobufCFieldDescriptor *fd, int depth)
{
	const char *base = (const char *) m;

	if (fd->label == PROTOBUF_C_LABEL_REPEATED)
	{
		size_t		n = *(const size_t *) (base + fd->quantifier_offset);
		char	   *arr = *(char *const *) (base + fd->offset);
		size_t		es = elem_size(fd->type);
		size_t		i;

		if (fd->type == PROTOBUF_C_TYPE_MESSAGE && is_map_entry(fd->descriptor))
		{
			print_map(p, fd, n, (void *const *) arr, depth);
			return;
		}
		if (!p->flat)
			fputc('[', p->f);
		for (i = 0; i < n; i++)
		{
			if (p->flat)
			{
				char		idx[32];
				size_t		old;

				snprintf(idx, sizeof(idx), "%zu", i);
				old = push_path(p, idx);
				print_value(p, fd, arr + i * es, depth + 1);
				p->path[old] = '\0';
				continue;
			}
			if (i > 0)
				fputc(',', p->f);
			if (fd->type == PROTOBUF_C_TYPE_MESSAGE)
				newline(p, depth + 1);
			print_value(p, fd, arr + i * es, depth + 1);
		}
		if (!p->flat)
		{
			if (n > 0 && fd->type == PROTOBUF_C_TYPE_MESSAGE)
				newline(p, depth);
			fputc(']', p->f);
		}
		return;
	}
	print_value(p, fd, base + fd->offset, depth);
}

static void
print_message(Printer *p, const ProtobufCMessage *m, int depth)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	unsigned	i;
	bool		first = true;

	if (!p->flat)
		fputc('{', p->f);
	for (i = 0; i < d->n_fields; i++)
	{
		const ProtobufCFieldDescriptor *fd = &d->fields[i];
		const char *base = (const char *) m;

		/* proto2-style optional scalars without a value are left out */
		if (fd->label == PROTOBUF_C_LABEL_OPTIONAL && fd->quantifier_offset != 0 &&
			fd->type != PROTOBUF_C_TYPE_MESSAGE && fd->type != PROTOBUF_C_TYPE_STRING &&
			!*(const protobuf_c_boolean *) (base + fd->quantifier_offset))
			continue;
		if (p->flat)
		{
			size_t		old = push_path(p, fd->name);

			print_field(p, m, fd, depth + 1);
			p->path[old] = '\0';
			continue;
		}
		if (!first)
			fputc(',', p->f);
		first = false;
		newline(p, depth + 1);
		fprintf(p->f, "\"%s\":%s", fd->name, p->pretty ? " " : "");
		print_field(p, m, fd, depth + 1);
	}
	if (!p->flat)
	{
		newline(p, depth);
		fputc('}', p->f);
	}
}

void
pb_print_json(FILE *f, const ProtobufCMessage *m, bool pretty)
{
	Printer		p;

	memset(&p, 0, sizeof(p));
	p.f = f;
	p.pretty = pretty;
	print_message(&p, m, 0);
	fputc('\n', f);
}

void
pb_print_flat(FILE *f, const ProtobufCMessage *m)
{
	Printer		p;

	memset(&p, 0, sizeof(p));
	p.f = f;
	p.flat = true;
	print_message(&p, m, 0);
}
