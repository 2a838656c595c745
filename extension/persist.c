/*
 * persist.c — save the store at clean shutdown and restore it at start.
 *
 * File: PGI_STAT_FILE, written to a temporary name, fsynced and renamed.
 * Layout: header, shape records (entry + text), tag-set records, CRC-32C of
 * all preceding bytes.  Entries are raw structs, so the header records their
 * sizes; a file from another build, version, or a damaged one is logged and
 * ignored.  The file is removed once loaded, so a crash never replays it.
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
#define PGI_FILE_VERSION	1
#define PGI_FILE_MAX_BYTES	((Size) 1 << 30)

typedef struct PgiFileHeader
{
	uint32		magic;
	uint32		version;
	uint32		pg_version;
	uint32		shape_entry_size;
	uint32		tag_entry_size;
	int32		nshapes;
	int32		ntagsets;
	TimestampTz stats_reset;
} PgiFileHeader;

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
	hdr.shape_entry_size = sizeof(PgiShapeEntry);
	hdr.tag_entry_size = sizeof(PgiTagEntry);
	hdr.nshapes = pgi_shared->nshapes;
	hdr.ntagsets = pgi_shared->ntagsets;
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

static void
reject(const char *why)
{
	ereport(LOG,
			(errmsg("pg_insights: ignoring saved statistics in \"%s\": %s",
					PGI_STAT_FILE, why)));
}

/* Called once in the postmaster after the store was created empty. */
void
pgi_persist_load(void)
{
	struct stat st;
	FILE	   *f;
	char	   *data;
	Size		size;
	PgiFileHeader hdr;
	pg_crc32c	crc,
				stored;
	Size		off;
	int			i,
				restored = 0;

	if (stat(PGI_STAT_FILE, &st) != 0)
		return;					/* nothing saved */
	if (!pgi_save)
	{
		unlink(PGI_STAT_FILE);
		return;
	}
	size = (Size) st.st_size;
	if (size < sizeof(PgiFileHeader) + sizeof(pg_crc32c) || size > PGI_FILE_MAX_BYTES)
	{
		reject("file size is implausible");
		unlink(PGI_STAT_FILE);
		return;
	}

	f = AllocateFile(PGI_STAT_FILE, PG_BINARY_R);
	if (f == NULL)
	{
		ereport(LOG, (errcode_for_file_access(),
					  errmsg("pg_insights: could not read \"%s\": %m", PGI_STAT_FILE)));
		return;
	}
	data = palloc_extended(size, MCXT_ALLOC_NO_OOM);
	if (data == NULL || fread(data, 1, size, f) != size)
	{
		FreeFile(f);
		reject("could not read the whole file");
		unlink(PGI_STAT_FILE);
		if (data)
			pfree(data);
		return;
	}
	FreeFile(f);
	unlink(PGI_STAT_FILE);

	INIT_CRC32C(crc);
	COMP_CRC32C(crc, data, size - sizeof(pg_crc32c));
	FIN_CRC32C(crc);
	memcpy(&stored, data + size - sizeof(pg_crc32c), sizeof(stored));
	memcpy(&hdr, data, sizeof(hdr));
	if (hdr.magic != PGI_FILE_MAGIC)
		reject("not a pg_insights statistics file");
	else if (hdr.version != PGI_FILE_VERSION || hdr.pg_version != PG_VERSION_NUM ||
			 hdr.shape_entry_size != sizeof(PgiShapeEntry) ||
			 hdr.tag_entry_size != sizeof(PgiTagEntry))
		reject("written by another version of pg_insights or PostgreSQL");
	else if (!EQ_CRC32C(crc, stored))
		reject("checksum mismatch (the file is damaged)");
	else if (hdr.nshapes < 0 || hdr.ntagsets < 0)
		reject("bad entry counts");
	else
	{
		Size		limit = size - sizeof(pg_crc32c);

		off = sizeof(hdr);
		for (i = 0; i < hdr.nshapes; i++)
		{
			PgiShapeEntry e;
			char	   *text;

			if (off + sizeof(e) > limit)
				break;
			memcpy(&e, data + off, sizeof(e));
			off += sizeof(e);
			if (e.text_len < 0 || off + e.text_len + 1 > limit)
				break;
			text = data + off;
			off += e.text_len + 1;
			text[e.text_len] = '\0';
			e.tables[PGI_TABLES_LEN - 1] = '\0';
			e.command[PGI_COMMAND_LEN - 1] = '\0';
			if (pgi_store_restore_shape(&e, text))
				restored++;
		}
		for (i = 0; i < hdr.ntagsets; i++)
		{
			PgiTagEntry t;

			if (off + sizeof(t) > limit)
				break;
			memcpy(&t, data + off, sizeof(t));
			off += sizeof(t);
			pgi_store_restore_tagset(&t);
		}
		pgi_shared->stats_reset = hdr.stats_reset;
		ereport(LOG,
				(errmsg("pg_insights: restored %d of %d saved statement shapes",
						restored, hdr.nshapes)));
	}
	pfree(data);
}
