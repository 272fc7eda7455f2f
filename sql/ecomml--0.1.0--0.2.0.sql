-- ecomml 0.1.0 -> 0.2.0 (ALTER EXTENSION ecomml UPDATE)
\echo Use "ALTER EXTENSION ecomml UPDATE TO '0.2.0'" to load this file. \quit
