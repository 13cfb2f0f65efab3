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

step "python env (.venv)" bash scripts/python-env.sh
# PyFlink has its own venv (requirements-flink.txt says why); its tests run a local Flink on Java 17.
step "python env (.venv-flink)" bash scripts/python-env.sh requirements-flink.txt .venv-flink
step "typecheck (tsc --noEmit)" npx tsc --noEmit
step "lint (eslint)" npx eslint --max-warnings 0 .
step "unit tests (jest)" npx jest --silent
# The real thing, as users run it: every README command as written (up to the point that needs
# AWS) and the matrix of profiles x environments x opt-ins, two synths at a time, each with
# bundling, builtin CloudFormation validation (fails on warnings too), cdk-nag, the Control Tower
# rules and the IAM authorization gate. bin/app.ts exits non-zero on any finding.
step "cdk synth: README commands + matrix" npx tsx scripts/synth-matrix.ts
# cfn-lint over every distinct template of those assemblies, two processes at a time.
step "cfn-lint (all templates)" xargs -a cdk.out.templates.txt -P 2 -n 16 .venv/bin/cfn-lint
# The deployed smoke tests (test/integ/), offline: integ-runner synthesizes each through every gate
# (with no AWS credentials reachable) and compares its architecture stack with the snapshot.
step "integ: smoke-test synth + snapshots" npx tsx scripts/integ.ts --check
if [ -n "$(find test -name 'test_*.py' -print -quit)" ]; then
  step "python tests (pytest)" .venv/bin/python -m pytest -q test --ignore=test/flink
fi
step "flink sql tests (pytest)" .venv-flink/bin/python -m pytest -q -p no:cacheprovider test/flink

echo
echo "== timings"
printf '%s\n' "${timings[@]}"
printf '%-34s %6s s\n' "total" "$(seconds $(($(now_ms) - t0)))"
