/* ship.c — HTTP POST of snapshot bodies to the dashboard with libcurl; classify the outcome. */
#include "ship.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "util.h"

#define REPLY_MAX 512			/* bytes of an answer kept for the log */

/* a libcurl handle (its connection kept alive between requests) with the HTTP settings */
struct HttpClient
{
	CURL	   *curl;
	bool		insecure;
	char	   *ca_file;		/* NULL: libcurl's default trust store */
	long		connect_timeout_ms;
	long		timeout_ms;
	char		reply[REPLY_MAX + 1];
	size_t		reply_len;
};

struct Shipper
{
	HttpClient *http;
	char	   *url;
	char	   *auth;			/* "Authorization: Bearer ..." or NULL */
	bool		insecure;		/* warned about --insecure */
};

bool
ship_global_init(char *err, size_t errlen)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
	{
		snprintf(err, errlen, "libcurl initialization failed");
		return false;
	}
	return true;
}

void
ship_global_cleanup(void)
{
	curl_global_cleanup();
}

/* ---- one POST, shared with otlp.c ---- */

HttpClient *
http_create(const Config *cfg)
{
	HttpClient *h = xcalloc(1, sizeof(HttpClient));

	h->curl = curl_easy_init();
	if (h->curl == NULL)
	{
		free(h);
		return NULL;
	}
	http_configure(h, cfg);
	return h;
}

void
http_configure(HttpClient *h, const Config *cfg)
{
	h->insecure = cfg->insecure;
	free(h->ca_file);
	h->ca_file = cfg->ca_file != NULL && cfg->ca_file[0] != '\0' ? xstrdup(cfg->ca_file) : NULL;
	h->connect_timeout_ms = (long) (cfg->http_connect_timeout_us / 1000);
	h->timeout_ms = (long) (cfg->http_timeout_us / 1000);
}

void
http_free(HttpClient *h)
{
	if (h == NULL)
		return;
	curl_easy_cleanup(h->curl);
	free(h->ca_file);
	free(h);
}

static size_t
collect_reply(char *data, size_t size, size_t nmemb, void *arg)
{
	HttpClient *h = arg;
	size_t		n = size * nmemb;
	size_t		room = REPLY_MAX - h->reply_len;
	size_t		take = n < room ? n : room;

	memcpy(h->reply + h->reply_len, data, take);
	h->reply_len += take;
	h->reply[h->reply_len] = '\0';
	return n;
}

/* the start of the answer as one short printable line */
static void
reply_line(const HttpClient *h, char *buf, size_t n)
{
	size_t		i,
				j = 0;

	if (n == 0)
		return;
	for (i = 0; i < h->reply_len && j + 1 < n; i++)
	{
		unsigned char c = (unsigned char) h->reply[i];

		buf[j++] = (c < 0x20 || c == 0x7f) ? ' ' : (char) c;
	}
	while (j > 0 && buf[j - 1] == ' ')
		j--;
	buf[j] = '\0';
}

bool
http_post(HttpClient *h, const char *url, const char *const *headers, int nheaders,
		  const void *body, size_t len, long *status, char *reply, size_t replysize,
		  char *err, size_t errlen)
{
	struct curl_slist *hl = NULL;
	CURL	   *c = h->curl;
	CURLcode	rc;
	char		cerr[CURL_ERROR_SIZE];
	int			i;

	*status = 0;
	if (replysize > 0)
		reply[0] = '\0';
	err[0] = '\0';
	h->reply_len = 0;
	h->reply[0] = '\0';
	cerr[0] = '\0';
	for (i = 0; i < nheaders; i++)
		hl = curl_slist_append(hl, headers[i]);
	hl = curl_slist_append(hl, "Expect:");

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *) body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "pg_insights_collector/" COLLECTOR_VERSION);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, h->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect_reply);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, h->insecure ? 0L : 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, h->insecure ? 0L : 2L);
	if (h->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");

	rc = curl_easy_perform(c);
	curl_slist_free_all(hl);
	if (rc != CURLE_OK)
	{
		snprintf(err, errlen, "%s", cerr[0] ? cerr : curl_easy_strerror(rc));
		return false;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	reply_line(h, reply, replysize);
	return true;
}

/* ---- the dashboard ---- */

void
ship_configure(Shipper *sh, const Config *cfg)
{
	size_t		n;

	free(sh->url);
	free(sh->auth);
	sh->auth = NULL;
	n = strlen(cfg->dashboard_url);
	while (n > 0 && cfg->dashboard_url[n - 1] == '/')
		n--;
	sh->url = xmalloc(n + 32);
	snprintf(sh->url, n + 32, "%.*s/v1/snapshots", (int) n, cfg->dashboard_url);
	if (cfg->api_key != NULL && cfg->api_key[0] != '\0')
	{
		size_t		l = strlen(cfg->api_key) + 32;

		sh->auth = xmalloc(l);
		snprintf(sh->auth, l, "Authorization: Bearer %s", cfg->api_key);
	}
	if (cfg->insecure && !sh->insecure)
		log_warning("--insecure: the dashboard's TLS certificate and host name are NOT verified; "
					"anyone on the path can read the snapshots and the API key");
	sh->insecure = cfg->insecure;
	http_configure(sh->http, cfg);
}

Shipper *
ship_create(const Config *cfg)
{
	Shipper    *sh = xcalloc(1, sizeof(Shipper));

	sh->http = http_create(cfg);
	if (sh->http == NULL)
	{
		free(sh);
		return NULL;
	}
	ship_configure(sh, cfg);
	return sh;
}

void
ship_free(Shipper *sh)
{
	if (sh == NULL)
		return;
	http_free(sh->http);
	free(sh->url);
	free(sh->auth);
	free(sh);
}

ShipResult
ship_send(Shipper *sh, const uint8_t *body, size_t len, bool compressed,
		  long *status, char *reason, size_t reasonlen)
{
	const char *headers[3];
	int			n = 0;
	char		cerr[CURL_ERROR_SIZE];
	char		line[REPLY_MAX + 1];

	reason[0] = '\0';
	headers[n++] = "Content-Type: application/x-protobuf";
	if (compressed)
		headers[n++] = "Content-Encoding: deflate";
	if (sh->auth != NULL)
		headers[n++] = sh->auth;
	if (!http_post(sh->http, sh->url, headers, n, body, len, status, line, sizeof(line),
				   cerr, sizeof(cerr)))
	{
		snprintf(reason, reasonlen, "%s: %s", sh->url, cerr);
		return SHIP_RETRY;
	}
	if (*status >= 200 && *status < 300)
		return SHIP_OK;
	snprintf(reason, reasonlen, "%s answered HTTP %ld%s%s", sh->url, *status,
			 line[0] ? ": " : "", line);
	if (*status >= 500 || *status == 408 || *status == 429 || *status < 200)
		return SHIP_RETRY;
	return SHIP_REJECTED;
}
