-- ecomml demo: train on the sample shop, store models, use them.
\pset footer off
\echo
\echo '== Sample data'
SELECT (SELECT count(*) FROM shop.customers) AS customers,
       (SELECT count(*) FROM shop.products) AS products,
       (SELECT count(*) FROM shop.ratings) AS ratings,
       (SELECT count(*) FROM shop.daily_sales) AS sales_rows,
       (SELECT count(*) FROM shop.transactions) AS transactions,
       (SELECT count(*) FROM shop.roads) AS road_edges;

\echo '== Baseline: average transaction amount as a constant model, saved in the registry'
SELECT ecomml.model_save('avg_amount', ecomml.train_mean(amount)) AS version
FROM shop.transactions;
SELECT name, version, kind, active, params->>'mean' AS mean, params->>'rows' AS rows
FROM ecomml.model;
SELECT round(ecomml.predict(ecomml.model('avg_amount'))::numeric, 2) AS predicted_amount;

\echo '== One baseline per country, trained in a single GROUP BY'
SELECT c.country, round(ecomml.predict(ecomml.train_mean(t.amount))::numeric, 2) AS avg_amount
FROM shop.transactions t JOIN shop.customers c USING (customer_id)
GROUP BY c.country ORDER BY c.country;
