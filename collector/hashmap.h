/* hashmap.h — a small open-addressing map from fixed-size byte keys to size_t values. */
#ifndef COLLECTOR_HASHMAP_H
#define COLLECTOR_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct HashMap HashMap;

/* keys are compared as bytes: zero any padding before use */
extern HashMap *hm_create(size_t keysize, size_t expected);
extern void hm_free(HashMap *m);
extern size_t hm_count(const HashMap *m);
extern bool hm_get(const HashMap *m, const void *key, size_t *value);

/* the value slot of key, inserted with *found = false (value 0) when absent */
extern size_t *hm_slot(HashMap *m, const void *key, bool *found);
extern void hm_put(HashMap *m, const void *key, size_t value);

#endif
