#!/usr/bin/env bash
# The one test command: installs what is missing, builds, runs every test project, and ends with
# one line "N passed, N failed" counted from the test results (dotnet test's own summary is per project).
# Unit and integration projects run side by side; the end-to-end project (real processes, latency bounds) runs alone
# after them, so a 2-core machine is not oversubscribed while it measures.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"

infra/setup.sh --no-build || { echo "0 passed, 1 failed"; exit 1; }

results="$root/TestResults/run-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$results"
rc=0
if ! dotnet build FraudShield.sln -c Release --nologo -v q; then
  echo "0 passed, 1 failed"
  exit 1
fi

run() { dotnet test "$1" -c Release --no-build --nologo -v q --logger "trx;LogFileName=$(basename "$1").trx" --results-directory "$results" "${@:2}"; }
pids=()
for project in tests/Ingest.Tests tests/RuleEngine.Tests tests/AlertDispatch.Tests; do
  run "$project" "$@" & pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
run tests/EndToEnd.Tests "$@" || rc=1

passed=0; failed=0; trx_count=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  trx_count=$((trx_count + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
# What failed and why, from the results (dotnet test -v q names a failed test but not its message).
if [ "$failed" -gt 0 ] && command -v python3 >/dev/null; then
  python3 "$root/.ci/failures.py" "$results"/*.trx
fi
# A crashed test host leaves no results: count it as a failure rather than report success.
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
if [ "$trx_count" -lt 4 ]; then failed=$((failed > 0 ? failed : 1)); fi
echo "$passed passed, $failed failed"
[ "$rc" -eq 0 ] && [ "$failed" -eq 0 ]
