#!/usr/bin/env bash
# Run the test suite (or some of it) again and again, with the CPU kept busy and faulthandler on,
# keeping every run's whole output: the way to catch a failure that needs a slow machine, or a
# crash of the interpreter (whose thread stacks faulthandler prints into that run's log).
#
#   tools/repeat_suite.sh [-n RUNS] [-d sqlite|postgres] [-l LOADERS] [-o DIR] [-t SECONDS] [-- PYTEST_ARGS...]
#
#   -n RUNS      how many runs (default 10)
#   -d DATABASE  sqlite (default) or postgres (ITDA_TEST_DATABASE=postgres: 127.0.0.1:5432)
#   -l LOADERS   how many busy loops (`python3 -c 'while True: pass'`) run beside the tests
#                (default 2, one per core of the project's machine; 0: no load)
#   -o DIR       where the logs go (default /tmp/itda-runs/<database>-<date>); run-<i>.log each
#   -t SECONDS   faulthandler_timeout: a test still running after it has every thread's stack
#                dumped into the log (the run goes on; default 300)
#   PYTEST_ARGS  passed to pytest (default: the whole suite), e.g. -- tests/test_db_paths.py -q
#
# Prints one line a run and a summary line:
#   runs=10 passed=10 failed=0 crashed=0 other=0 database=sqlite loaders=2 logs=/tmp/...
# "crashed": the interpreter died (a signal, or "Fatal Python error" in the log); "failed": pytest
# reported failed tests or errors; "other": anything else that is not a pass (e.g. no test ran).
# Exits 0 only when every run passed. The load generators are stopped at the end, by their ids.
set -uo pipefail
cd "$(dirname "$0")/.."

runs=10
database=sqlite
loaders=2
logs=""
timeout=300
while getopts "n:d:l:o:t:h" option; do
  case $option in
    n) runs=$OPTARG ;;
    d) database=$OPTARG ;;
    l) loaders=$OPTARG ;;
    o) logs=$OPTARG ;;
    t) timeout=$OPTARG ;;
    *) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
case $database in
  sqlite) unset ITDA_TEST_DATABASE ;;
  postgres) export ITDA_TEST_DATABASE=postgres ;;
  *) echo "repeat_suite: -d must be sqlite or postgres, not $database" >&2; exit 2 ;;
esac
logs=${logs:-/tmp/itda-runs/$database-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$logs"

load_pids=()
stop_load() {
  for pid in "${load_pids[@]}"; do
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  load_pids=()
}
trap stop_load EXIT
trap 'stop_load; exit 130' INT TERM
for _ in $(seq 1 "$loaders"); do
  python3 -c 'while True: pass' &
  load_pids+=("$!")
done

passed=0 failed=0 crashed=0 other=0
for i in $(seq 1 "$runs"); do
  log="$logs/run-$i.log"
  started=$(date +%s)
  PYTHONFAULTHANDLER=1 uv run pytest -p faulthandler -o faulthandler_timeout="$timeout" "$@" \
    >"$log" 2>&1
  status=$?
  took=$(( $(date +%s) - started ))
  summary=$(grep -E '^(=+ )?[0-9]+ (passed|failed|errors?|skipped|deselected)' "$log" | tail -1 | tr -d '=' | xargs)
  if grep -q "^Fatal Python error" "$log" || [ "$status" -ge 128 ]; then
    verdict=crashed; crashed=$((crashed + 1))
  elif [ "$status" -eq 0 ]; then
    verdict=passed; passed=$((passed + 1))
  elif [ "$status" -eq 1 ]; then
    verdict=failed; failed=$((failed + 1))
  else
    verdict=other; other=$((other + 1))
  fi
  hangs=$(grep -c "^Timeout (" "$log")
  echo "run $i/$runs: $verdict (exit $status, ${took}s${summary:+, $summary}$([ "$hangs" -gt 0 ] && echo ", $hangs faulthandler timeout dump(s)")) $log"
done
echo "runs=$runs passed=$passed failed=$failed crashed=$crashed other=$other database=$database loaders=$loaders logs=$logs"
[ "$passed" -eq "$runs" ]
