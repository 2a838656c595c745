/* ship.c — HTTP POST of snapshot bodies to the dashboard with libcurl; classify the outcome. */
#include "ship.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "util.h"

#define REPLY_MAX 512			/* bytes of the dashboard's answer kept for the log */

struct Shipper
{
	CURL	   *curl;
	char	   *url;
	char	   *auth;			/* "Authorization: Bearer ..." or NULL */
	bool		insecure;
	char	   *ca_file;		/* NULL: libcurl's default trust store */
	long		connect_timeout_ms;
	long		timeout_ms;
	char		reply[REPLY_MAX + 1];
	size_t		reply_len;
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

static size_t
collect_reply(char *data, size_t size, size_t nmemb, void *arg)
{
	Shipper    *sh = arg;
	size_t		n = size * nmemb;
	size_t		room = REPLY_MAX - sh->reply_len;
	size_t		take = n < room ? n : room;

	memcpy(sh->reply + sh->reply_len, data, take);
	sh->reply_len += take;
	sh->reply[sh->reply_len] = '\0';
	return n;
}

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
	free(sh->ca_file);
	sh->ca_file = cfg->ca_file != NULL && cfg->ca_file[0] != '\0' ? xstrdup(cfg->ca_file) : NULL;
	sh->connect_timeout_ms = (long) (cfg->http_connect_timeout_us / 1000);
	sh->timeout_ms = (long) (cfg->http_timeout_us / 1000);
}

Shipper *
ship_create(const Config *cfg)
{
	Shipper    *sh = xcalloc(1, sizeof(Shipper));

	sh->curl = curl_easy_init();
	if (sh->curl == NULL)
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
	curl_easy_cleanup(sh->curl);
	free(sh->url);
	free(sh->auth);
	free(sh->ca_file);
	free(sh);
}

/* the dashboard's answer as one short printable line */
static void
reply_line(const Shipper *sh, char *buf, size_t n)
{
	size_t		i,
				j = 0;

	for (i = 0; i < sh->reply_len && j + 1 < n; i++)
	{
		unsigned char c = (unsigned char) sh->reply[i];

		buf[j++] = (c < 0x20 || c == 0x7f) ? ' ' : (char) c;
	}
	while (j > 0 && buf[j - 1] == ' ')
		j--;
	buf[j] = '\0';
}

ShipResult
ship_send(Shipper *sh, const uint8_t *body, size_t len, bool compressed,
		  long *status, char *reason, size_t reasonlen)
{
	struct curl_slist *headers = NULL;
	CURL	   *c = sh->curl;
	CURLcode	rc;
	char		cerr[CURL_ERROR_SIZE];
	char		line[REPLY_MAX + 1];

	*status = 0;
	reason[0] = '\0';
	sh->reply_len = 0;
	sh->reply[0] = '\0';
	cerr[0] = '\0';
	headers = curl_slist_append(headers, "Content-Type: application/x-protobuf");
	if (compressed)
		headers = curl_slist_append(headers, "Content-Encoding: deflate");
	if (sh->auth != NULL)
		headers = curl_slist_append(headers, sh->auth);
	headers = curl_slist_append(headers, "Expect:");

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, sh->url);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *) body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "pg_insights_collector/" COLLECTOR_VERSION);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, sh->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, sh->timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect_reply);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, sh);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, sh->insecure ? 0L : 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, sh->insecure ? 0L : 2L);
	if (sh->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, sh->ca_file);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");

	rc = curl_easy_perform(c);
	curl_slist_free_all(headers);
	if (rc != CURLE_OK)
	{
		snprintf(reason, reasonlen, "%s: %s", sh->url, cerr[0] ? cerr : curl_easy_strerror(rc));
		return SHIP_RETRY;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	if (*status >= 200 && *status < 300)
		return SHIP_OK;
	reply_line(sh, line, sizeof(line));
	snprintf(reason, reasonlen, "%s answered HTTP %ld%s%s", sh->url, *status,
			 line[0] ? ": " : "", line);
	if (*status >= 500 || *status == 408 || *status == 429 || *status < 200)
		return SHIP_RETRY;
	return SHIP_REJECTED;
}
