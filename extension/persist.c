/*
 * persist.c — save the store at clean shutdown and restore it at start.
 *
 * File: PGI_STAT_FILE, written to a temporary name, fsynced and renamed.
 * Layout: header (PgiFileHeader), shape records (entry + text + NUL),
 * tag-set records, CRC-32C of all preceding bytes.  Entries are raw structs,
 * so the header carries a checksum of their layout; a file of another
 * PostgreSQL major version, format or layout, or a damaged one, is logged,
 * counted and ignored; one of another minor version is loaded.  The file is
 * removed once read, so a crash never replays it.
 */
#include "postgres.h"

#include <sys/stat.h>
#include <unistd.h>

#include "miscadmin.h"
#include "pgstat.h"
#include "port/pg_crc32c.h"
#include "storage/fd.h"

#include "pg_insights.h"

#define PGI_STAT_FILE		"pg_stat/pg_insights.stat"
#define PGI_STAT_TMP		PGI_STAT_FILE ".tmp"
#define PGI_FILE_MAGIC		0x50474931	/* "PGI1" */
#define PGI_FILE_VERSION	2

/*
 * The header: ten 32-bit words, no padding (test/reliability/statfile.c
 * patches them by offset).  Only the major version of PostgreSQL
 * (pg_version / 100) and the layout must match: a minor update keeps the
 * statistics.
 */
typedef struct PgiFileHeader
{
	uint32		magic;			/* offset  0 */
	uint32		version;		/*  4: PGI_FILE_VERSION */
	uint32		pg_version;		/*  8: PG_VERSION_NUM of the writer */
	uint32		layout;			/* 12: layout_checksum() of the writer */
	uint32		nshapes;		/* 16 */
	uint32		ntagsets;		/* 20 */
	uint32		max_query_length;	/* 24: the writer's, for the log */
	uint32		reserved;		/* 28 */
	int64		stats_reset;	/* 32 */
} PgiFileHeader;

StaticAssertDecl(sizeof(PgiFileHeader) == 40, "stats file header has padding");

/*
 * CRC-32C over the format version and the size and offset of every field
 * of the structs written raw: any change to them (a field added, moved,
 * resized; another ABI) makes older files foreign.
 */
#define LAYOUT_FIELD(type, f)	(uint32) offsetof(type, f), (uint32) sizeof(((type *) 0)->f)
static uint32
layout_checksum(void)
{
	const uint32 v[] = {
		PGI_FILE_VERSION,
		sizeof(PgiShapeKey), LAYOUT_FIELD(PgiShapeKey, userid),
		LAYOUT_FIELD(PgiShapeKey, dbid), LAYOUT_FIELD(PgiShapeKey, shape_id),
		LAYOUT_FIELD(PgiShapeKey, toplevel),
		sizeof(PgiTagKey), LAYOUT_FIELD(PgiTagKey, shape), LAYOUT_FIELD(PgiTagKey, tagset_id),
		sizeof(PgiCounters),
		LAYOUT_FIELD(PgiCounters, calls), LAYOUT_FIELD(PgiCounters, total_time),
		LAYOUT_FIELD(PgiCounters, min_time), LAYOUT_FIELD(PgiCounters, max_time),
		LAYOUT_FIELD(PgiCounters, mean_time), LAYOUT_FIELD(PgiCounters, sum_var_time),
		LAYOUT_FIELD(PgiCounters, rows), LAYOUT_FIELD(PgiCounters, shared_blks_hit),
		LAYOUT_FIELD(PgiCounters, shared_blks_read), LAYOUT_FIELD(PgiCounters, shared_blks_dirtied),
		LAYOUT_FIELD(PgiCounters, shared_blks_written), LAYOUT_FIELD(PgiCounters, local_blks_hit),
		LAYOUT_FIELD(PgiCounters, local_blks_read), LAYOUT_FIELD(PgiCounters, local_blks_dirtied),
		LAYOUT_FIELD(PgiCounters, local_blks_written), LAYOUT_FIELD(PgiCounters, temp_blks_read),
		LAYOUT_FIELD(PgiCounters, temp_blks_written), LAYOUT_FIELD(PgiCounters, blk_read_time),
		LAYOUT_FIELD(PgiCounters, blk_write_time), LAYOUT_FIELD(PgiCounters, temp_blk_read_time),
		LAYOUT_FIELD(PgiCounters, temp_blk_write_time), LAYOUT_FIELD(PgiCounters, wal_records),
		LAYOUT_FIELD(PgiCounters, wal_fpi), LAYOUT_FIELD(PgiCounters, wal_bytes),
		LAYOUT_FIELD(PgiCounters, hist), LAYOUT_FIELD(PgiCounters, bytes),
		LAYOUT_FIELD(PgiCounters, plan_samples),
		LAYOUT_FIELD(PgiCounters, local_blk_read_time), LAYOUT_FIELD(PgiCounters, jit_functions),
		LAYOUT_FIELD(PgiCounters, jit_deform_time), LAYOUT_FIELD(PgiCounters, parallel_workers_planned),
		LAYOUT_FIELD(PgiCounters, wal_buffers_full), LAYOUT_FIELD(PgiCounters, custom_plan_calls),
		sizeof(PgiShapeEntry),
		LAYOUT_FIELD(PgiShapeEntry, key), LAYOUT_FIELD(PgiShapeEntry, in_use),
		LAYOUT_FIELD(PgiShapeEntry, text_truncated), LAYOUT_FIELD(PgiShapeEntry, queryid),
		LAYOUT_FIELD(PgiShapeEntry, command), LAYOUT_FIELD(PgiShapeEntry, tables),
		LAYOUT_FIELD(PgiShapeEntry, ntables), LAYOUT_FIELD(PgiShapeEntry, text_len),
		LAYOUT_FIELD(PgiShapeEntry, encoding), LAYOUT_FIELD(PgiShapeEntry, born),
		LAYOUT_FIELD(PgiShapeEntry, tagsets), LAYOUT_FIELD(PgiShapeEntry, first_tag),
		LAYOUT_FIELD(PgiShapeEntry, first_seen), LAYOUT_FIELD(PgiShapeEntry, last_seen),
		LAYOUT_FIELD(PgiShapeEntry, usage), LAYOUT_FIELD(PgiShapeEntry, row_width),
		LAYOUT_FIELD(PgiShapeEntry, ncolumns), LAYOUT_FIELD(PgiShapeEntry, counters),
		LAYOUT_FIELD(PgiShapeEntry, plan_sampled_at), LAYOUT_FIELD(PgiShapeEntry, plan_json),
		sizeof(PgiTagEntry),
		LAYOUT_FIELD(PgiTagEntry, key), LAYOUT_FIELD(PgiTagEntry, in_use),
		LAYOUT_FIELD(PgiTagEntry, ntags), LAYOUT_FIELD(PgiTagEntry, tagbuf_len),
		LAYOUT_FIELD(PgiTagEntry, tagbuf), LAYOUT_FIELD(PgiTagEntry, born),
		LAYOUT_FIELD(PgiTagEntry, first_seen), LAYOUT_FIELD(PgiTagEntry, last_seen),
		LAYOUT_FIELD(PgiTagEntry, usage), LAYOUT_FIELD(PgiTagEntry, calls),
		LAYOUT_FIELD(PgiTagEntry, total_time), LAYOUT_FIELD(PgiTagEntry, rows),
		LAYOUT_FIELD(PgiTagEntry, reads),
	};
	pg_crc32c	crc;

	INIT_CRC32C(crc);
	COMP_CRC32C(crc, v, sizeof(v));
	FIN_CRC32C(crc);
	return (uint32) crc;
}

static bool
write_all(FILE *f, const void *p, size_t n, pg_crc32c *crc)
{
	COMP_CRC32C(*crc, p, n);
	return fwrite(p, 1, n, f) == n;
}

/* on_shmem_exit callback of the postmaster: code 0 means a clean shutdown */
void
pgi_persist_save(int code, Datum arg)
{
	FILE	   *f;
	PgiFileHeader hdr;
	pg_crc32c	crc;
	int			i;
	bool		ok = true;

	if (code != 0 || pgi_shared == NULL || !pgi_save)
		return;

	f = AllocateFile(PGI_STAT_TMP, PG_BINARY_W);
	if (f == NULL)
	{
		ereport(LOG,
				(errcode_for_file_access(),
				 errmsg("pg_insights: could not write \"%s\": %m; statistics are not saved",
						PGI_STAT_TMP)));
		return;
	}

	memset(&hdr, 0, sizeof(hdr));
	hdr.magic = PGI_FILE_MAGIC;
	hdr.version = PGI_FILE_VERSION;
	hdr.pg_version = PG_VERSION_NUM;
	hdr.layout = layout_checksum();
	hdr.nshapes = (uint32) pgi_shared->nshapes;
	hdr.ntagsets = (uint32) pgi_shared->ntagsets;
	hdr.max_query_length = (uint32) pgi_shared->max_query_length;
	hdr.stats_reset = pgi_shared->stats_reset;

	INIT_CRC32C(crc);
	ok = write_all(f, &hdr, sizeof(hdr), &crc);
	for (i = 0; ok && i < pgi_shared->max_shapes; i++)
	{
		PgiShapeEntry *e = &pgi_shapes[i];

		if (!e->in_use)
			continue;
		ok = write_all(f, e, sizeof(PgiShapeEntry), &crc) &&
			write_all(f, pgi_entry_text(i), e->text_len + 1, &crc);
	}
	for (i = 0; ok && i < pgi_shared->max_tagsets; i++)
	{
		if (pgi_tags[i].in_use)
			ok = write_all(f, &pgi_tags[i], sizeof(PgiTagEntry), &crc);
	}
	FIN_CRC32C(crc);
	if (ok)
		ok = fwrite(&crc, 1, sizeof(crc), f) == sizeof(crc);
	if (ok)
		ok = fflush(f) == 0 && pg_fsync(fileno(f)) == 0;
	if (FreeFile(f) != 0)
		ok = false;

	if (!ok)
	{
		ereport(LOG,
				(errcode_for_file_access(),
				 errmsg("pg_insights: could not write \"%s\": %m; statistics are not saved",
						PGI_STAT_TMP)));
		unlink(PGI_STAT_TMP);
		return;
	}
	(void) durable_rename(PGI_STAT_TMP, PGI_STAT_FILE, LOG);
}

/* One saved record: where it is in the file and what ranks it. */
typedef struct SavedRecord
{
	off_t		offset;
	int64		calls;
	double		total_time;
} SavedRecord;

/* most calls first, then most total time, then file order */
static int
record_cmp(const void *a, const void *b)
{
	const SavedRecord *x = (const SavedRecord *) a;
	const SavedRecord *y = (const SavedRecord *) b;

	if (x->calls != y->calls)
		return x->calls > y->calls ? -1 : 1;
	if (x->total_time != y->total_time)
		return x->total_time > y->total_time ? -1 : 1;
	return x->offset < y->offset ? -1 : (x->offset > y->offset ? 1 : 0);
}

static void
reject(const char *why)
{
	pgi_shared->restore_files_rejected++;
	ereport(LOG,
			(errmsg("pg_insights: ignoring saved statistics in \"%s\": %s",
					PGI_STAT_FILE, why)));
}

/* fread of n bytes, folded into the running CRC */
static bool
read_crc(FILE *f, void *p, size_t n, pg_crc32c *crc)
{
	if (fread(p, 1, n, f) != n)
		return false;
	COMP_CRC32C(*crc, p, n);
	return true;
}

static bool
read_at(FILE *f, off_t off, void *p, size_t n)
{
	return fseeko(f, off, SEEK_SET) == 0 && fread(p, 1, n, f) == n;
}

/*
 * Called once in the postmaster after the store was created empty.  Nothing
 * here may raise an ERROR (that would stop the server from starting): files
 * of any size are read in a bounded buffer, twice.  The first pass checks
 * the structure and the checksum and notes where each record is; the second
 * restores the shapes with the most calls (then total time) that fit the
 * store, and their tag sets, most calls first.  Whatever does not fit is
 * logged and counted in insights.info.
 */
void
pgi_persist_load(void)
{
	struct stat st;
	FILE	   *f;
	PgiFileHeader hdr;
	pg_crc32c	crc,
				stored;
	uint64		size,
				bound;
	SavedRecord *shapes = NULL,
			   *tags = NULL;
	PgiShapeEntry *e = NULL;
	PgiTagEntry *t = NULL;
	char	   *text = NULL;
	uint32		i;
	int			restored = 0,
				restored_tags = 0,
				clipped_texts = 0;
	char		why[256];

	if (stat(PGI_STAT_FILE, &st) != 0)
		return;					/* nothing saved */
	if (!pgi_save)
	{
		unlink(PGI_STAT_FILE);
		return;
	}
	f = AllocateFile(PGI_STAT_FILE, PG_BINARY_R);
	if (f == NULL)
	{
		ereport(LOG, (errcode_for_file_access(),
					  errmsg("pg_insights: could not read \"%s\": %m", PGI_STAT_FILE)));
		pgi_shared->restore_files_rejected++;
		return;
	}
	/* never replayed after a crash, whatever happens below */
	unlink(PGI_STAT_FILE);
	size = (uint64) st.st_size;

	INIT_CRC32C(crc);
	if (size < sizeof(hdr) + sizeof(pg_crc32c) || !read_crc(f, &hdr, sizeof(hdr), &crc))
	{
		snprintf(why, sizeof(why), "the file is too short (%llu bytes)",
				 (unsigned long long) size);
		reject(why);
		goto done;
	}
	if (hdr.magic != PGI_FILE_MAGIC)
	{
		reject("not a pg_insights statistics file");
		goto done;
	}
	if (hdr.pg_version / 100 != PG_VERSION_NUM / 100)
	{
		snprintf(why, sizeof(why),
				 "written by another version: PostgreSQL major version %u, this server is %u",
				 hdr.pg_version / 10000, PG_VERSION_NUM / 10000);
		reject(why);
		goto done;
	}
	if (hdr.version != PGI_FILE_VERSION || hdr.layout != layout_checksum())
	{
		snprintf(why, sizeof(why),
				 "written by another version of pg_insights (file format %u, layout %08X; this build reads format %u, layout %08X)",
				 hdr.version, hdr.layout, PGI_FILE_VERSION, layout_checksum());
		reject(why);
		goto done;
	}
	/* what a file written by any allowed setting can hold */
	bound = sizeof(hdr) + sizeof(pg_crc32c) +
		(uint64) hdr.nshapes * (sizeof(PgiShapeEntry) + PGI_MAX_QUERY_LENGTH_LIMIT + 1) +
		(uint64) hdr.ntagsets * sizeof(PgiTagEntry);
	if (hdr.nshapes > PGI_MAX_SHAPES_LIMIT || hdr.ntagsets > PGI_MAX_TAGSETS_LIMIT)
	{
		snprintf(why, sizeof(why),
				 "the header claims %u shapes and %u tag sets, more than any setting allows (%d, %d)",
				 hdr.nshapes, hdr.ntagsets, PGI_MAX_SHAPES_LIMIT, PGI_MAX_TAGSETS_LIMIT);
		reject(why);
		goto done;
	}
	if (size > bound)
	{
		snprintf(why, sizeof(why),
				 "the file has %llu bytes, more than the %u shapes and %u tag sets of its header can take (%llu)",
				 (unsigned long long) size, hdr.nshapes, hdr.ntagsets,
				 (unsigned long long) bound);
		reject(why);
		goto done;
	}

	/* huge: 1,000,000 records are 24 MB, and no allocation may ERROR */
	e = palloc_extended(sizeof(PgiShapeEntry), MCXT_ALLOC_NO_OOM);
	t = palloc_extended(sizeof(PgiTagEntry), MCXT_ALLOC_NO_OOM);
	text = palloc_extended(PGI_MAX_QUERY_LENGTH_LIMIT + 1, MCXT_ALLOC_NO_OOM);
	shapes = palloc_extended(sizeof(SavedRecord) * Max(hdr.nshapes, 1),
							 MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
	tags = palloc_extended(sizeof(SavedRecord) * Max(hdr.ntagsets, 1),
						   MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
	if (!e || !t || !text || !shapes || !tags)
	{
		reject("out of memory");
		goto done;
	}

	/* pass 1: structure and checksum */
	for (i = 0; i < hdr.nshapes; i++)
	{
		shapes[i].offset = ftello(f);
		if (!read_crc(f, e, sizeof(*e), &crc))
			break;
		if (e->text_len < 0 || e->text_len > PGI_MAX_QUERY_LENGTH_LIMIT)
			break;
		if (!read_crc(f, text, e->text_len + 1, &crc))
			break;
		shapes[i].calls = e->counters.calls;
		shapes[i].total_time = e->counters.total_time;
	}
	if (i < hdr.nshapes)
	{
		snprintf(why, sizeof(why),
				 "damaged or truncated at shape %u of the %u its header announces", i + 1, hdr.nshapes);
		reject(why);
		goto done;
	}
	for (i = 0; i < hdr.ntagsets; i++)
	{
		tags[i].offset = ftello(f);
		if (!read_crc(f, t, sizeof(*t), &crc))
			break;
		tags[i].calls = t->calls;
		tags[i].total_time = t->total_time;
	}
	if (i < hdr.ntagsets)
	{
		snprintf(why, sizeof(why),
				 "truncated at tag set %u of the %u its header announces", i + 1, hdr.ntagsets);
		reject(why);
		goto done;
	}
	FIN_CRC32C(crc);
	if (fread(&stored, 1, sizeof(stored), f) != sizeof(stored) ||
		(uint64) ftello(f) != size)
	{
		snprintf(why, sizeof(why),
				 "its %llu bytes do not match the records of its header", (unsigned long long) size);
		reject(why);
		goto done;
	}
	if (!EQ_CRC32C(crc, stored))
	{
		reject("checksum mismatch (the file is damaged)");
		goto done;
	}

	/* pass 2: the most used first, as many as the store takes */
	qsort(shapes, hdr.nshapes, sizeof(SavedRecord), record_cmp);
	for (i = 0; i < hdr.nshapes && restored < pgi_shared->max_shapes; i++)
	{
		bool		clipped;

		if (!read_at(f, shapes[i].offset, e, sizeof(*e)) ||
			e->text_len < 0 || e->text_len > PGI_MAX_QUERY_LENGTH_LIMIT ||
			fread(text, 1, e->text_len + 1, f) != (size_t) e->text_len + 1)
			break;
		text[e->text_len] = '\0';
		e->tables[PGI_TABLES_LEN - 1] = '\0';
		e->command[PGI_COMMAND_LEN - 1] = '\0';
		if (pgi_store_restore_shape(e, text, &clipped))
		{
			restored++;
			if (clipped)
				clipped_texts++;
		}
	}
	qsort(tags, hdr.ntagsets, sizeof(SavedRecord), record_cmp);
	for (i = 0; i < hdr.ntagsets && restored_tags < pgi_shared->max_tagsets; i++)
	{
		if (!read_at(f, tags[i].offset, t, sizeof(*t)))
			break;
		if (pgi_store_restore_tagset(t))
			restored_tags++;
	}
	pgi_shared->stats_reset = hdr.stats_reset;
	pgi_shared->restore_shapes_skipped = hdr.nshapes - restored;
	pgi_shared->restore_tagsets_skipped = hdr.ntagsets - restored_tags;
	pgi_shared->restore_texts_clipped = clipped_texts;
	ereport(LOG,
			(errmsg("pg_insights: restored %d of %u saved statement shapes and %d of %u tag sets",
					restored, hdr.nshapes, restored_tags, hdr.ntagsets),
			 (restored < hdr.nshapes || restored_tags < hdr.ntagsets || clipped_texts > 0) ?
			 errdetail("The file was written by PostgreSQL %u with max_query_length %u.  "
					   "Not restored: %u shapes with the fewest calls (max_shapes is %d) and %u tag sets (max_tagsets is %d, and tag sets of shapes not restored).  "
					   "Texts clipped to max_query_length %d: %d.",
					   hdr.pg_version, hdr.max_query_length,
					   hdr.nshapes - restored, pgi_shared->max_shapes,
					   hdr.ntagsets - restored_tags, pgi_shared->max_tagsets,
					   pgi_shared->max_query_length, clipped_texts) : 0));

done:
	FreeFile(f);
	if (e)
		pfree(e);
	if (t)
		pfree(t);
	if (text)
		pfree(text);
	if (shapes)
		pfree(shapes);
	if (tags)
		pfree(tags);
}
