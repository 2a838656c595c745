/* hashmap.c — a small open-addressing map (linear probing, no deletion) used for per-poll indexes. */
#include "hashmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct HashMap
{
	size_t		keysize;
	size_t		cap;			/* power of two */
	size_t		count;
	unsigned char *keys;		/* cap * keysize */
	size_t	   *values;
	unsigned char *used;
};

static uint64_t
hash_bytes(const void *key, size_t n)
{
	const unsigned char *p = key;
	uint64_t	h = 0xcbf29ce484222325ULL;
	size_t		i = 0;

	/* eight bytes at a time (keys are small structs), then the tail */
	for (; i + 8 <= n; i += 8)
	{
		uint64_t	w;

		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	for (; i < n; i++)
	{
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	/* final avalanche (splitmix64) so the low bits are usable as an index */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

static void
hm_alloc(HashMap *m, size_t cap)
{
	m->cap = cap;
	m->count = 0;
	m->keys = xmalloc(cap * m->keysize);
	m->values = xmalloc(cap * sizeof(size_t));
	m->used = xcalloc(cap, 1);
}

HashMap *
hm_create(size_t keysize, size_t expected)
{
	HashMap    *m = xcalloc(1, sizeof(HashMap));
	size_t		cap = 16;

	while (cap < expected * 2)
		cap *= 2;
	m->keysize = keysize;
	hm_alloc(m, cap);
	return m;
}

void
hm_free(HashMap *m)
{
	if (m == NULL)
		return;
	free(m->keys);
	free(m->values);
	free(m->used);
	free(m);
}

size_t
hm_count(const HashMap *m)
{
	return m->count;
}

static inline bool
keys_equal(const unsigned char *a, const void *b, size_t n)
{
	if (n == 8)
		return memcmp(a, b, 8) == 0;
	if (n == 16)
		return memcmp(a, b, 16) == 0;
	if (n == 24)
		return memcmp(a, b, 24) == 0;
	return memcmp(a, b, n) == 0;
}

static size_t
find(const HashMap *m, const void *key, bool *found)
{
	size_t		mask = m->cap - 1;
	size_t		i = (size_t) hash_bytes(key, m->keysize) & mask;

	while (m->used[i])
	{
		if (keys_equal(m->keys + i * m->keysize, key, m->keysize))
		{
			*found = true;
			return i;
		}
		i = (i + 1) & mask;
	}
	*found = false;
	return i;
}

bool
hm_get(const HashMap *m, const void *key, size_t *value)
{
	bool		found;
	size_t		i = find(m, key, &found);

	if (found && value != NULL)
		*value = m->values[i];
	return found;
}

static void
grow(HashMap *m)
{
	HashMap		old = *m;
	size_t		i;

	hm_alloc(m, old.cap * 2);
	for (i = 0; i < old.cap; i++)
	{
		if (old.used[i])
			hm_put(m, old.keys + i * old.keysize, old.values[i]);
	}
	free(old.keys);
	free(old.values);
	free(old.used);
}

size_t *
hm_slot(HashMap *m, const void *key, bool *found)
{
	size_t		i;

	if ((m->count + 1) * 2 > m->cap)
		grow(m);
	i = find(m, key, found);
	if (!*found)
	{
		memcpy(m->keys + i * m->keysize, key, m->keysize);
		m->used[i] = 1;
		m->values[i] = 0;
		m->count++;
	}
	return &m->values[i];
}

void
hm_put(HashMap *m, const void *key, size_t value)
{
	bool		found;

	*hm_slot(m, key, &found) = value;
}
