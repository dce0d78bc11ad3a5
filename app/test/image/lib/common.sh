# Shared helpers for the image test's shell steps (sourced, not run).
#
# Why a step ledger: the image test's closing line (`image: N passed, M failed`) must count the shell steps (engine,
# base image, build) as well as the TypeScript checks, and a step that cannot run must show up as a failure there,
# never as silence.

IMAGE_TEST_STARTED_AT=$(date +%s.%N)
STEPS_PASSED=0
# Set once a closing line is out (by fail, or by the TypeScript checks), so an exit on an unexpected error can
# still print one.
CLOSING_LINE_PRINTED=

# Seconds since the test started, for log lines and timings.
elapsed() {
  awk -v start="$IMAGE_TEST_STARTED_AT" -v now="$(date +%s.%N)" 'BEGIN { printf "%.1f", now - start }'
}

log() {
  printf '[image %6ss] %s\n' "$(elapsed)" "$*"
}

# step_ok NAME: one shell step passed.
step_ok() {
  STEPS_PASSED=$((STEPS_PASSED + 1))
  printf 'ok - %s\n' "$1"
}

# fail STEP REASON [LOG_FILE]: the step could not be completed. Prints the reason (and the tail of the step's log),
# the closing line with this failure counted, and exits non-zero. Cleanup runs from run.sh's EXIT trap.
fail() {
  local step=$1 reason=$2 log_file=${3:-}
  printf 'not ok - %s: %s\n' "$step" "$reason"
  if [[ -n $log_file && -s $log_file ]]; then
    printf -- '--- last lines of %s ---\n' "$log_file"
    tail -n 40 "$log_file"
    printf -- '---\n'
  fi
  printf 'image: %d passed, 1 failed\n' "$STEPS_PASSED"
  CLOSING_LINE_PRINTED=1
  exit 1
}

# close_unexpected STATUS: for run.sh's EXIT trap; a non-zero exit that no step reported still ends with a
# closing line that counts it as a failure.
close_unexpected() {
  local status=$1
  ((status != 0)) && [[ -z $CLOSING_LINE_PRINTED ]] || return 0
  printf 'not ok - run.sh: stopped by an unexpected error (exit %d)\n' "$status"
  printf 'image: %d passed, 1 failed\n' "$STEPS_PASSED"
}

# apt_install LOG_FILE PACKAGE...: installs Debian packages without prompts (CI has no standard input). Runs
# `apt-get update` once per test run, because a fresh machine's package lists may be empty or stale.
APT_UPDATED=
apt_install() {
  local log_file=$1
  shift
  command -v apt-get >/dev/null || return 1
  if [[ -z $APT_UPDATED ]]; then
    apt-get update -q >>"$log_file" 2>&1 || return 1
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >>"$log_file" 2>&1
}
