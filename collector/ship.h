/* ship.h — HTTP POST of snapshot bodies to the dashboard with libcurl; classify the outcome. */
#ifndef COLLECTOR_SHIP_H
#define COLLECTOR_SHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

typedef enum ShipResult
{
	SHIP_OK,					/* 2xx */
	SHIP_RETRY,					/* connect error, timeout, 5xx, 408, 429: back off, try again */
	SHIP_REJECTED				/* other 4xx (bad key, bad request): do not retry this body */
} ShipResult;

typedef struct Shipper Shipper;

extern bool ship_global_init(char *err, size_t errlen);
extern void ship_global_cleanup(void);
extern Shipper *ship_create(const Config *cfg);
extern void ship_configure(Shipper *sh, const Config *cfg);
extern void ship_free(Shipper *sh);

/* POST one body; reason gets a one-line explanation when not SHIP_OK. */
extern ShipResult ship_send(Shipper *sh, const uint8_t *body, size_t len, bool compressed,
							long *status, char *reason, size_t reasonlen);

#endif
