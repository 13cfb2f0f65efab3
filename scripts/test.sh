#!/usr/bin/env bash
# Every test and gate of the project, in the order a failure is cheapest to find.
# Usage: npm test   (after npm ci; the Python venv is created here if missing or stale)
set -euo pipefail
cd "$(dirname "$0")/.."
export CDK_DISABLE_VERSION_CHECK=1 CDK_DISABLE_CLI_TELEMETRY=1

now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
seconds() { printf '%d.%d' $(($1 / 1000)) $((($1 % 1000) / 100)); }
t0=$(now_ms)
declare -a timings=()
step() {
  local name=$1; shift
  echo "== $name"
  local s; s=$(now_ms)
  "$@"
  timings+=("$(printf '%-34s %6s s' "$name" "$(seconds $(($(now_ms) - s)))")")
}

# The Python environments are made in the background while the TypeScript steps run: on a fresh
# clone that is minutes of downloads (PyFlink has its own venv, requirements-flink.txt says why),
# mostly waiting on the network, which would otherwise add to the total. Each is waited for, and
# its log shown on failure, before the first step that needs it.
mkdir -p cdk.out.venv-logs
bash scripts/python-env.sh > cdk.out.venv-logs/venv.log 2>&1 &
venv_pid=$!
bash scripts/python-env.sh requirements-flink.txt .venv-flink > cdk.out.venv-logs/venv-flink.log 2>&1 &
flink_venv_pid=$!
wait_for() {
  local pid=$1 log=$2
  if ! wait "$pid"; then
    cat "$log"
    echo "creating the Python environment failed (log above: $log)" >&2
    return 1
  fi
  cat "$log"
}

step "typecheck (tsc --noEmit)" npx tsc --noEmit
step "lint (eslint)" npx eslint --max-warnings 0 .
step "unit tests (jest)" npx jest --silent
# The real thing, as users run it: every README command as written (up to the point that needs
# AWS) and the matrix of profiles x environments x opt-ins, two synths at a time, each with
# bundling, builtin CloudFormation validation (fails on warnings too), cdk-nag, the Control Tower
# rules and the IAM authorization gate. bin/app.ts exits non-zero on any finding.
step "cdk synth: README commands + matrix" npx tsx scripts/synth-matrix.ts
step "python env (.venv), waited for" wait_for "$venv_pid" cdk.out.venv-logs/venv.log
# cfn-lint over every distinct template of those assemblies, two processes at a time.
step "cfn-lint (all templates)" xargs -a cdk.out.templates.txt -P 2 -n 16 .venv/bin/cfn-lint
# The deployed smoke tests (test/integ/), offline: integ-runner synthesizes each through every gate
# (with no AWS credentials reachable) and compares its architecture stack with the snapshot.
step "integ: smoke-test synth + snapshots" npx tsx scripts/integ.ts --check
if [ -n "$(find test -name 'test_*.py' -print -quit)" ]; then
  step "python tests (pytest)" .venv/bin/python -m pytest -q test --ignore=test/flink
fi
step "python env (.venv-flink), waited for" wait_for "$flink_venv_pid" cdk.out.venv-logs/venv-flink.log
step "flink sql tests (pytest)" .venv-flink/bin/python -m pytest -q -p no:cacheprovider test/flink

echo
echo "== timings"
printf '%s\n' "${timings[@]}"
printf '%-34s %6s s\n' "total" "$(seconds $(($(now_ms) - t0)))"
