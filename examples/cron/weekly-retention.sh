#!/usr/bin/env bash
# Weekly retention export for cron (Linux: GNU date): a dated CSV of weekly cohorts, written
# atomically (retain writes -o through a temporary file and a rename: readers never see half a
# file, and a failed run leaves the previous files as they were), then a threshold check that
# fails the job.
#
#   crontab -e
#   # every Monday at 06:15, after the nightly export has landed
#   15 6 * * 1  RETAIN=/opt/retain/.venv/bin/retain /opt/retain/examples/cron/weekly-retention.sh /data/orders.csv /data/reports >> /var/log/retain-weekly.log 2>&1
#
# Exit codes: 0 done; 1 bad input (the one-line reason is in the log); 2 a usage error;
# 3 a check failed: retention fell below MIN_RETENTION, or the export is stale (its newest row a
# week or more before the as-of date); the CSVs are still written.
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: weekly-retention.sh ORDERS.csv OUT_DIR" >&2
    exit 2
fi
input=$1
out_dir=$2
retain=${RETAIN:-retain}
day=${RETAIN_RUN_DATE:-$(date +%F)}   # the run's date, in the file names; set it to rerun a week
if ! day=$(date -d "$day" +%F 2> /dev/null); then
    echo "RETAIN_RUN_DATE=$RETAIN_RUN_DATE is not a date; write it as YYYY-MM-DD" >&2
    exit 2
fi

mkdir -p "$out_dir"
# Up to the Sunday before the run's day (a Sunday run takes the one a week before): the running
# week is left out, so that every cohort's last cell is complete.
as_of=$(date -d "$day -$(date -d "$day" +%u) days" +%F)
"$retain" cohort "$input" --period week --as-of "$as_of" --on-bad-rows skip \
    --format csv -o "$out_dir/retention-weekly-$day.csv"
"$retain" cohort "$input" --period week --as-of "$as_of" --on-bad-rows skip \
    --metric revenue-retention --format csv -o "$out_dir/revenue-retention-weekly-$day.csv"
echo "$(date -Is) wrote $out_dir/retention-weekly-$day.csv (as of $as_of)"
"$retain" check "$input" --period week --as-of "$as_of" --on-bad-rows skip \
    --min-retention "${MIN_RETENTION:-3%}" --at 1 --cohorts last:4   # 3%: examples/orders.csv
