#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs the end-to-end tests: every test_* function in selftests/e2e/test_*.sh,
# each in its own subshell with its own name prefix, cleaned up even when it
# fails. Prints PASS/FAIL/SKIP per test and a test's output only on failure.
# Usage: run.sh [TEST_NAME_SUBSTRING...]
set -u

E2E_SRC=$(cd "$(dirname "$0")" && pwd)
# A test that exits with this code is skipped (as xdp-tools' runner does).
SKIP_CODE=249
# Longest a single test may run before it is stopped and counted as failed.
TEST_TIMEOUT_S=300

[[ $(id -u) -eq 0 ]] || { echo "e2e tests need root" >&2; exit 1; }

tests=()
for f in "$E2E_SRC"/test_*.sh; do
	while read -r name; do
		tests+=("$(basename "$f"):$name")
	done < <(grep -oE '^test_[a-z0-9_]+' "$f")
done

passed=0 failed=0 skipped=0
failed_names=()
for t in "${tests[@]}"; do
	file=${t%%:*} name=${t#*:}
	if (($#)); then
		match=0
		for want in "$@"; do [[ $name == *"$want"* ]] && match=1; done
		((match)) || continue
	fi
	log=$(mktemp)
	prefix="sle2e$$-${RANDOM}"
	timeout --kill-after=10 "$TEST_TIMEOUT_S" bash -c '
		set -u
		E2E_PREFIX=$1
		source "$2/lib.sh"
		source "$2/$3"
		e2e_setup
		trap e2e_cleanup EXIT
		trap "exit 143" TERM INT
		set -e
		"$4"
	' _ "$prefix" "$E2E_SRC" "$file" "$name" >"$log" 2>&1
	rc=$?
	if ((rc == 0)); then
		printf 'PASS  %s\n' "$name"
		passed=$((passed + 1))
	elif ((rc == SKIP_CODE)); then
		printf 'SKIP  %s: %s\n' "$name" "$(tail -n 1 "$log")"
		skipped=$((skipped + 1))
	else
		printf 'FAIL  %s (exit %d)\n' "$name" "$rc"
		sed 's/^/      | /' "$log"
		failed=$((failed + 1))
		failed_names+=("$name")
	fi
	rm -f "$log"
done

echo "e2e: $passed passed, $failed failed, $skipped skipped"
((failed == 0)) || { echo "failed: ${failed_names[*]}"; exit 1; }
