/* config.h — the collector's settings: command-line flags, a key = value file, libpq's environment. */
#ifndef COLLECTOR_CONFIG_H
#define COLLECTOR_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"
#include "detect/detect.h"

typedef enum OutputFormat
{
	FORMAT_PB,
	FORMAT_JSON
} OutputFormat;

typedef struct Config
{
	char	  **dbnames;		/* conninfo strings or database names; "" = libpq env */
	int			ndbnames;
	char	   *dashboard_url;
	char	   *server_name;	/* the server's name on the dashboard; empty: cluster_name, else host:port */
	char	   *api_key_file;
	char	   *api_key;		/* read from api_key_file */
	int64_t		interval_us;
	bool		once;
	char	   *output;
	OutputFormat format;
	char	   *spool_dir;
	int64_t		spool_max_bytes;
	int64_t		history;
	int64_t		statement_timeout_us;
	int64_t		db_connect_timeout_us;
	int64_t		http_connect_timeout_us;
	int64_t		http_timeout_us;
	int64_t		retry_initial_us;
	int64_t		retry_max_us;
	bool		insecure;
	char	   *ca_file;		/* CA bundle (PEM) that verifies the dashboard; "": the system's */
	int64_t		compress_threshold;
	LogLevel	log_level;
	char	   *config_file;
	bool		no_detect;		/* skip the detectors (findings are not written) */
	char	   *otlp_url;		/* OTLP/HTTP endpoint; "" = no OTLP export */
	char	  **otlp_headers;	/* "Name: value" lines sent with every export (secrets: never logged) */
	int			notlp_headers;
	int64_t		otlp_max_shapes;	/* shapes per export; the rest are summed as shape_id "other" */
	DetectConfig detect;		/* detector thresholds (--detect-set key=value) */
} Config;

typedef enum ConfigResult
{
	CONFIG_OK,
	CONFIG_EXIT,				/* --help or --version printed: exit 0 */
	CONFIG_ERROR				/* the reason is in err: exit 2 */
} ConfigResult;

/* Parse the file named by --config (if any), then argv over it; validate. */
extern ConfigResult config_load(int argc, char **argv, Config *cfg, char *err, size_t errlen);
extern void config_free(Config *cfg);
extern void config_print_help(void);

#endif
