-- Recommendation views for reporting tools: a materialized view refreshed
-- concurrently after a retrain, and a plain LATERAL view that decodes the
-- registry model once per query, not once per user.
BEGIN;
SELECT plan(6);

CREATE TABLE likes AS
SELECT u AS user_id, i AS item_id, 1.0::float8 AS w
FROM generate_series(1, 300) u, generate_series(1, 60) i WHERE (u + i) % 4 = 0 OR (u * i) % 7 = 0;
CREATE TABLE users AS SELECT DISTINCT user_id FROM likes;
SELECT ecomml.model_save('view_recs', ecomml.train_item_knn(user_id, item_id, w)) FROM likes;

CREATE MATERIALIZED VIEW user_recommendations AS
SELECT * FROM ecomml.recommend_all(ecomml.model('view_recs'), 5);
CREATE UNIQUE INDEX ON user_recommendations (user_id, rank);
SELECT ok((SELECT count(DISTINCT user_id) >= 250 AND min(rank) = 1 AND max(rank) = 5
           FROM user_recommendations),
    'materialized view: top 5 for the users with unseen neighbours (258 of 300 here)');

-- retrain on changed data, make it active, refresh without blocking readers
INSERT INTO likes SELECT u, 61, 1.0 FROM generate_series(1, 300, 2) u;
SELECT ecomml.model_save('view_recs', ecomml.train_item_knn(user_id, item_id, w)) FROM likes;
SELECT lives_ok('REFRESH MATERIALIZED VIEW CONCURRENTLY user_recommendations',
    'REFRESH ... CONCURRENTLY after a retrain');
SELECT ok(EXISTS (SELECT 1 FROM user_recommendations WHERE item_id = 61),
    'the refreshed view serves the new version');

CREATE VIEW user_recs_live AS
SELECT u.user_id, r.item_id, r.score, r.rank
FROM users u, LATERAL ecomml.recommend(ecomml.model('view_recs'), u.user_id, 5) r;
SELECT ecomml.model_cache_reset();
SELECT is((SELECT count(*) FROM user_recs_live),
          (SELECT count(*) FROM user_recommendations), 'plain LATERAL view gives the same rows');
SELECT is((SELECT misses FROM ecomml.model_cache_stats()), 1::bigint,
    'one decode for the whole view, not one per user');
SELECT is((SELECT count(*) FROM (TABLE user_recs_live EXCEPT TABLE user_recommendations) d), 0::bigint,
    'and identical recommendations');

SELECT * FROM finish();
ROLLBACK;
