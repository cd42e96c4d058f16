#!/usr/bin/env bash
# End to end: the README's first command. `run-local --demo` must exit 0 and
# print endpoints and a summary; `run-local` without --demo must stay up until
# SIGINT (Ctrl-C) and then leave no process behind.
# `bench`: the README's benchmark commands, short, print the figures the
# issues name as JSON.
# Usage: run_local_test.sh SOURCE_DIR BUILD_DIR {demo|ctrl-c|bench}
set -euo pipefail
SRC=$1 BUILD=$2 MODE=$3
RUN_DIR=$(mktemp -d /tmp/gridbridge-e2e-XXXXXX)
trap 'rm -rf "$RUN_DIR"' EXIT
export GRIDBRIDGE_BUILD_DIR=$BUILD GRIDBRIDGE_RUN_DIR=$RUN_DIR
OUT=$RUN_DIR/out.txt

# run-local runs in a process group of its own, as from a terminal (and with
# SIGINT not ignored, which a background job of a script would inherit), so
# "left behind" means: anything still in that group, or naming the run dir.
start_in_own_group() {
  python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.setsid()
os.execv(sys.argv[1], sys.argv[1:])' "$@" >"$OUT" 2>&1 &
  LEADER=$!
}
leftovers() { { pgrep -g "$LEADER" || true; pgrep -f -- "$RUN_DIR" || true; } | sort -u; }

case "$MODE" in
  demo)
    start_in_own_group "$SRC/scripts/run-local" --demo
    wait "$LEADER" || { cat "$OUT"; echo "FAIL: run-local --demo exited non-zero"; exit 1; }
    cat "$OUT"
    sleep 0.5
    [ -z "$(leftovers)" ] || { echo "FAIL: processes left behind after --demo"; exit 1; }
    grep -q "kafka bootstrap" "$OUT" || { echo "FAIL: no endpoints printed"; exit 1; }
    grep -q '"events_committed":2000' "$OUT" || { echo "FAIL: no summary"; exit 1; }
    grep -qE '"intake_events":[1-9]' "$OUT" || { echo "FAIL: the intake stories published nothing"; exit 1; }
    grep -q '"residents_imported":19960' "$OUT" || { echo "FAIL: the bulk import did not accept the good rows"; exit 1; }
    grep -qE '"screening_events":[1-9]' "$OUT" || { echo "FAIL: screening published nothing"; exit 1; }
    grep -q 'DECISION_MEASURE by rule risk-area' "$OUT" || { echo "FAIL: the installers got no measure"; exit 1; }
    grep -q 'DECISION_MEASURE by rule risk-city' "$OUT" || { echo "FAIL: Peng got no home isolation"; exit 1; }
    ;;
  ctrl-c)
    start_in_own_group "$SRC/scripts/run-local"
    for _ in $(seq 1 600); do grep -q "Ctrl-C to stop" "$OUT" && break; sleep 0.1; done
    grep -q "Ctrl-C to stop" "$OUT" || { cat "$OUT"; echo "FAIL: stack did not come up"; exit 1; }
    [ -n "$(leftovers)" ] || { echo "FAIL: no processes found for $RUN_DIR"; exit 1; }
    kill -INT -- "-$LEADER"   # what Ctrl-C does: SIGINT to the foreground process group
    for _ in $(seq 1 200); do kill -0 "$LEADER" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$LEADER" 2>/dev/null; then echo "FAIL: run-local still running after SIGINT"; exit 1; fi
    sleep 0.5
    if [ -n "$(leftovers)" ]; then ps -o pid,args -p "$(leftovers | tr '\n' ',' | sed 's/,$//')"; echo "FAIL: processes left behind"; exit 1; fi
    echo "ok: stopped cleanly on SIGINT, nothing left behind"
    ;;
  bench)
    # The README's benchmark commands, short: each must run on its own fresh
    # stack, end with one JSON object holding the issue's keys, and count
    # every row and event it sent.
    check_json() {  # FILE KEY... ; then python conditions on `j`
      /usr/bin/python3 - "$@" <<'PY'
import json, sys
path, keys, conds = sys.argv[1], [], []
for a in sys.argv[2:]:
    (conds if ' ' in a else keys).append(a)
j = json.loads(open(path).read().strip().splitlines()[-1])
missing = [k for k in keys if k not in j]
failed = [c for c in conds if not eval(c, {}, {"j": j})]
if missing or failed:
    print("FAIL:", path, "missing", missing, "failed", failed, "in", j)
    sys.exit(1)
PY
    }
    GRIDBRIDGE_RUN_DIR=$RUN_DIR/intake "$SRC/scripts/bench" intake --json --seconds 1 \
      --bulk_rows 2000 >"$RUN_DIR/intake.json" 2>"$OUT" || { cat "$OUT"; echo "FAIL: bench intake"; exit 1; }
    check_json "$RUN_DIR/intake.json" unary_qps echo_qps unary_ratio p99_half_load_ms \
      bulk_rows_per_s rss_mib_after_200k committed_echo_half_load_cpu_ratio \
      "j['bulk_accepted'] == 2000" "j['unary_errors'] == 0" \
      "j['bulk_status'] == 'OK'" "0 < j['unary_ratio'] < 5" || { cat "$OUT"; exit 1; }
    GRIDBRIDGE_RUN_DIR=$RUN_DIR/screening "$SRC/scripts/bench" screening --json --seconds 1 \
      --events 2000 >"$RUN_DIR/screening.json" 2>"$OUT" || { cat "$OUT"; echo "FAIL: bench screening"; exit 1; }
    check_json "$RUN_DIR/screening.json" decisions_per_s screen_p99_half_load_ms rescreen_100k_s \
      screen_half_load_cpu_ratio committed_echo_p99_half_load_ms committed_echo_half_load_cpu_ratio \
      "j['decisions'] == 2000" "j['rescreen_measures_started'] == 2000" "j['screen_errors'] == 0" \
      "j['committed_echo_qps'] > 0" \
      || { cat "$OUT"; exit 1; }
    echo "ok: both benchmarks ran and counted everything they sent"
    ;;
esac
