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

/*
 * One HTTP client: a libcurl handle (its connection kept alive between
 * requests) with --insecure, --ca-file, --connect-timeout and --http-timeout.
 * The dashboard shipping and the OTLP export (otlp.c) each have one.
 */
typedef struct HttpClient HttpClient;

extern HttpClient *http_create(const Config *cfg);
extern void http_configure(HttpClient *h, const Config *cfg);
extern void http_free(HttpClient *h);

/*
 * POST body to url with the header lines given ("Name: value").  true when the
 * server answered: *status is its code, reply (replysize bytes with the NUL)
 * the start of its body as one printable line.  false on a transport error
 * (connect, TLS, timeout), its text in err.
 */
extern bool http_post(HttpClient *h, const char *url, const char *const *headers, int nheaders,
					  const void *body, size_t len, long *status, char *reply, size_t replysize,
					  char *err, size_t errlen);
extern Shipper *ship_create(const Config *cfg);
extern void ship_configure(Shipper *sh, const Config *cfg);
extern void ship_free(Shipper *sh);

/* POST one body; reason gets a one-line explanation when not SHIP_OK. */
extern ShipResult ship_send(Shipper *sh, const uint8_t *body, size_t len, bool compressed,
							long *status, char *reason, size_t reasonlen);

#endif
