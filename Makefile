EXTENSION  = ecomml
EXTVERSION = 0.3.0

MODULE_big = ecomml
OBJS       = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

# The install script is the concatenation of one SQL piece per concern, kept
# next to its C file; types and the registry come first.
SQL_PIECES = src/train_state.sql \
             src/registry.sql \
             src/model_cache.sql \
             src/constant.sql \
             src/fraud.sql \
             src/gbdt.sql \
             src/forecast.sql \
             src/inventory.sql \
             src/recs.sql \
             src/routes.sql \
             src/customers.sql \
             src/clv.sql \
             src/assoc_rules.sql
DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql
DATA       = $(filter-out $(DATA_built),$(wildcard sql/$(EXTENSION)--*.sql))
EXTRA_CLEAN = $(DATA_built)

# pg_regress: sql/<name>.sql -> expected/<name>.out, the install scripts excluded
REGRESS      = $(sort $(patsubst sql/%.sql,%,$(filter-out sql/$(EXTENSION)--%,$(wildcard sql/*.sql))))
REGRESS_OPTS = --load-extension=$(EXTENSION)

PG_CPPFLAGS = -Isrc -I/usr/include/x86_64-linux-gnu/openblas-pthread
# -Wno-unused-parameter: PostgreSQL's own headers (ilist.h, bufpage.h) trip it
PG_CFLAGS   = -Wall -Wextra -Wno-unused-parameter
# -Bsymbolic: calls inside ecomml.so bind to its own functions even where the
# server exports a function of the same name (heap_create, for one)
SHLIB_LINK  = -lopenblas -lm -Wl,-Bsymbolic

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies here; rebuild everything when one changes
$(OBJS): $(wildcard src/*.h)

sql/$(EXTENSION)--$(EXTVERSION).sql: $(SQL_PIECES)
	cat $^ > $@

.PHONY: bench
bench:
	test/run bench
