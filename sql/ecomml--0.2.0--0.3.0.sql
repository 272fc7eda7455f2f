-- ecomml 0.2.0 -> 0.3.0 (ALTER EXTENSION ecomml UPDATE)
\echo Use "ALTER EXTENSION ecomml UPDATE TO '0.3.0'" to load this file. \quit

-- Each change of 0.3.0 appends its section below, under a comment naming the
-- concern; the result must equal a fresh 0.3.0 install (test/upgrade.sh).
