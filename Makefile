# Makefile — pg_insights: the extension (PGXS) plus the collector and dashboard daemons

MODULE_big = pg_insights
OBJS = \
	extension/pg_insights.o \
	extension/hooks.o \
	extension/shape.o \
	extension/utility.o \
	extension/fingerprint.o \
	extension/store.o \
	extension/persist.o \
	extension/views.o \
	extension/events.o \
	extension/countertab.o \
	extension/errors.o \
	extension/waits.o \
	extension/plan.o \
	extension/comment.o \
	extension/attribution.o \
	extension/normtext.o \
	extension/jsoncheck.o

EXTENSION = pg_insights
DATA = $(wildcard sql/pg_insights--*.sql)
PGFILEDESC = "pg_insights - query insights for PostgreSQL"

PG_CPPFLAGS = -I$(srcdir)/extension
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# every object sees the shared structs: rebuild all when a header changes
$(OBJS): $(wildcard extension/*.h)

# the daemons: collector/ and dashboard/ build themselves (protoc-c output under build/);
# PGI_DAEMONS= builds, installs and cleans the extension alone (the version matrix's roots,
# debian/rules)
PGI_DAEMONS ?= collector dashboard
all: $(PGI_DAEMONS)
collector:
	$(MAKE) -C collector
dashboard:
	$(MAKE) -C dashboard
install: $(if $(PGI_DAEMONS),install-daemons)
install-daemons: collector dashboard
	$(MAKE) -C collector install
	$(MAKE) -C dashboard install
clean: $(if $(PGI_DAEMONS),clean-daemons)
clean-daemons:
	$(MAKE) -C collector clean
	$(MAKE) -C dashboard clean
.PHONY: collector dashboard install-daemons clean-daemons

.PHONY: demo demo-serve
demo:
	scripts/demo.sh

demo-serve:
	scripts/demo.sh --serve
