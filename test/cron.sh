#!/usr/bin/env bash
# pg_cron refresh: a scheduled job retrains a model into the registry; a job
# whose source table is empty fails visibly and leaves the old version active.
# pg_cron 1.4 schedules by the minute, so this waits up to ~90 s.
set -euo pipefail
q() { psql -X -At -v ON_ERROR_STOP=1 -d ecomml -c "$1"; }
q "CREATE EXTENSION IF NOT EXISTS pg_cron" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d ecomml >/dev/null <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS cron_sales, cron_empty;
CREATE TABLE cron_sales AS SELECT g::float8 AS amount FROM generate_series(1, 1000) g;
CREATE TABLE cron_empty (amount float8);
DELETE FROM ecomml.model WHERE name IN ('cron_ok', 'cron_fail');
SELECT ecomml.model_save('cron_ok', ecomml.train_mean(amount)) FROM cron_sales;
SELECT ecomml.model_save('cron_fail', ecomml.train_mean(amount)) FROM cron_sales;
SELECT cron.schedule('retrain_ok', '* * * * *',
    $$CALL ecomml.retrain('cron_ok', 'SELECT ecomml.train_mean(amount) FROM cron_sales')$$);
SELECT cron.schedule('retrain_fail', '* * * * *',
    $$CALL ecomml.retrain('cron_fail', 'SELECT ecomml.train_mean(amount) FROM cron_empty')$$);
SQL
for _ in $(seq 1 100); do
    done_runs=$(q "SELECT count(DISTINCT jobid) FROM cron.job_run_details
                   WHERE status IN ('succeeded', 'failed')")
    [ "$done_runs" -ge 2 ] && break
    sleep 1
done
ok=$(q "SELECT version FROM ecomml.model WHERE name = 'cron_ok' AND active")
fail=$(q "SELECT version FROM ecomml.model WHERE name = 'cron_fail' AND active")
failmsg=$(q "SELECT d.return_message FROM cron.job_run_details d JOIN cron.job j USING (jobid)
             WHERE j.jobname = 'retrain_fail' AND d.status = 'failed' LIMIT 1" | head -n 1)
q "SELECT cron.unschedule('retrain_ok'), cron.unschedule('retrain_fail')" >/dev/null
status=0
if [ "$ok" -ge 2 ]; then echo "cron: scheduled retrain saved version $ok and made it active: ok"
else echo "cron: FAILED, cron_ok active version is $ok"; status=1; fi
if [ "$fail" = 1 ] && [[ "$failmsg" == *"zero rows"* ]]; then
    echo "cron: failing retrain kept version 1 active and logged \"$failmsg\": ok"
else echo "cron: FAILED, cron_fail active version $fail, message \"$failmsg\""; status=1; fi
exit $status
