#!/usr/bin/env bash
# Fuzz the ingest parsers with atheris, one harness after the other (never in CI).
#
#   bench/fuzz/run.sh                 all six harnesses, FUZZ_SECONDS (600) each
#   bench/fuzz/run.sh csv ics         just these
#   FUZZ_SECONDS=60 bench/fuzz/run.sh a quick look
#
# Corpora grow in bench/fuzz/corpus-work/NAME/ (gitignored; seeded by seeds.py), logs in
# corpus-work/logs/, failures go to bench/fuzz/findings/. A harness that hits a hang or a hard
# crash stops; it is restarted on its corpus until its time is used up.
# Settings: FUZZ_SECONDS, FUZZ_TIMEOUT (s per input, 10), FUZZ_NICE (10), PYTHON (.venv's),
# FUZZ_WORK and FUZZ_FINDINGS (the two folders).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
python="${PYTHON:-$root/.venv/bin/python}"
seconds="${FUZZ_SECONDS:-600}"
timeout="${FUZZ_TIMEOUT:-10}"
niceness="${FUZZ_NICE:-10}"
work="${FUZZ_WORK:-$here/corpus-work}"
findings="${FUZZ_FINDINGS:-$here/findings}"
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(csv xlsx ics json values rates)

"$python" -c "import atheris" 2>/dev/null || {
  echo "atheris is missing: $python -m pip install -e '$root[test,fuzz]' (or: make fuzz)" >&2; exit 2; }
mkdir -p "$work/logs" "$findings"
"$python" "$here/seeds.py" "$work"
export FUZZ_KEEP_GOING=1 FUZZ_FINDINGS="$findings"
export TMPDIR="$work/tmp"  # the harnesses' scratch workspaces, emptied at the end
mkdir -p "$TMPDIR"

for name in "${harnesses[@]}"; do
  harness="$here/fuzz_$name.py"
  [ -f "$harness" ] || { echo "no harness $harness" >&2; exit 2; }
  log="$work/logs/$name.log"
  : >"$log"
  dict=()
  [ -f "$here/dicts/$name.dict" ] && dict=("-dict=$here/dicts/$name.dict")
  end=$((SECONDS + seconds))
  echo "== $name: ${seconds}s, log $log"
  for attempt in $(seq 1 20); do
    left=$((end - SECONDS))
    [ "$left" -gt 5 ] || break
    echo "-- $name run $attempt, ${left}s left" >>"$log"
    (cd "$here" && nice -n "$niceness" "$python" "$harness" "$work/$name" "${dict[@]}" \
      -max_total_time="$left" -timeout="$timeout" -rss_limit_mb=4096 -max_len=8192 \
      -artifact_prefix="$findings/$name-" -print_final_stats=1) >>"$log" 2>&1 && break
    echo "-- $name stopped (exit $?): see the artifact named in $log" >>"$log"
  done
  grep -E "NEW FAILURE|^==[0-9]+== ERROR|Test unit written" "$log" | sort -u || true
  awk -v name="$name" '/^stat::number_of_executed_units/ { runs += $2 }
    /^#[0-9]+\t(DONE|pulse|NEW|REDUCE)/ { last = $0 }
    END { sub(/^#[0-9]+\t[A-Z]+ +/, "", last); sub(/ lim:.*/, "", last)
          printf "%s: %d executions; at the end %s\n", name, runs, last }' "$log"
done
rm -rf "$TMPDIR"
ls -l "$findings"
