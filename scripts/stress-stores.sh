#!/usr/bin/env bash
# Randomized multi-process trials of the stores (README "Many deployers", reliability figures): racing rollouts on one
# scope and on scopes sharing targets, SIGKILL of the holder then --resume elsewhere, SIGSTOP past the lease then
# take-over then SIGCONT; file store and PostgreSQL (127.0.0.1:5432, database test). Prints one [stress] line per
# trial kind: runs, violations, seed (CONFGATE_STRESS_SEED=... replays a run).
# Usage: scripts/stress-stores.sh [RUNS]   (default 30; each kill/stop trial RUNS times per store, 2*RUNS racing rounds)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-30}
npm run build >/dev/null
log=$(mktemp /tmp/confgate-stress-XXXXXX.log)
status=0
CONFGATE_STRESS_RUNS=$runs npx vitest run test/store/multiprocess.test.ts >"$log" 2>&1 || status=$?
grep -aoE '\[stress\].*' "$log"
grep -aE 'Tests +[0-9]' "$log" || true
echo "full log: $log"
exit $status
