#!/usr/bin/env bash
# Weekly retention export for cron (Linux: GNU date): a dated CSV of weekly cohorts, written atomically (retain
# writes -o through a temporary file and a rename: readers never see half a file, and a failed
# run leaves the previous files as they were), then a threshold check that fails the job.
#
#   crontab -e
#   # every Monday at 06:15, after the nightly export has landed
#   15 6 * * 1  RETAIN=/opt/retain/.venv/bin/retain /opt/retain/examples/cron/weekly-retention.sh /data/orders.csv /data/reports >> /var/log/retain-weekly.log 2>&1
#
# Exit codes: 0 done; 1 bad input (the one-line reason is in the log); 2 a usage error;
# 3 retention fell below the threshold (the CSV is still written).
set -euo pipefail

input=${1:?usage: weekly-retention.sh ORDERS.csv OUT_DIR}
out_dir=${2:?usage: weekly-retention.sh ORDERS.csv OUT_DIR}
retain=${RETAIN:-retain}
day=${RETAIN_RUN_DATE:-$(date +%F)}   # the file's date; set it to rerun a past week

mkdir -p "$out_dir"
# Up to last Sunday: the running week is left out, so every cohort's last cell is complete.
as_of=$(date -d "$day -$(( $(date -d "$day" +%u) % 7 )) days" +%F)
"$retain" cohort "$input" --period week --as-of "$as_of" --on-bad-rows skip \
    --format csv -o "$out_dir/retention-weekly-$day.csv"
"$retain" cohort "$input" --period week --as-of "$as_of" --on-bad-rows skip \
    --metric revenue-retention --format csv -o "$out_dir/revenue-retention-weekly-$day.csv"
echo "$(date -Is) wrote $out_dir/retention-weekly-$day.csv (as of $as_of)"
"$retain" check "$input" --period week --as-of "$as_of" --on-bad-rows skip \
    --min-retention "${MIN_RETENTION:-3%}" --at 1 --cohorts last:4   # 3%: examples/orders.csv
