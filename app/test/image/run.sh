#!/usr/bin/env bash
# Image test (`npm run test:image`): proves that app/Dockerfile builds and that its container starts, stays healthy,
# streams and shuts down cleanly when run the way the ECS task definition runs it.
#
#   1. engine      a running Docker engine, or Debian's docker.io started privately in a temporary folder
#   2. base image  a local stand-in for the Dockerfile's default NODE_IMAGE (no public registry is reachable here)
#   3. build       the real, unchanged app/Dockerfile, context = repository root, BuildKit
#   4-6.           TypeScript checks (mocha, see run-checks.ts): image config vs the runtime contract, /health, a
#                  full /stream against the local Bedrock-compatible server, the health check command, SIGTERM
#                  during a stream, and the image size and start-to-healthy figures
#
# Works from nothing as root with no standard input (CI). Ends with `image: N passed, M failed`; any step that
# cannot run is a failure with its reason, never a skip.
# Knobs: IMAGE_TEST_CACHE_DIR (stand-in cache), DEBIAN_MIRROR, IMAGE_TEST_KEEP_WORK=1 (keep the temporary folder).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HERE/../../.." && pwd)
# shellcheck source=lib/common.sh
source "$HERE/lib/common.sh"
# shellcheck source=lib/engine.sh
source "$HERE/lib/engine.sh"
# shellcheck source=lib/base-image.sh
source "$HERE/lib/base-image.sh"

DOCKERFILE=$REPO_ROOT/app/Dockerfile
APP_IMAGE=bedrock-stream-api-app:image-test
WORK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/image-test.XXXXXX")

cleanup() {
  local status=$?
  close_unexpected "$status"
  engine_stop
  if [[ ${IMAGE_TEST_KEEP_WORK:-} == 1 ]]; then
    log "kept $WORK_DIR"
  else
    rm -rf --one-file-system "$WORK_DIR"
  fi
  log "finished in $(elapsed) s"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[[ $(id -u) == 0 ]] || command -v docker >/dev/null ||
  fail "docker engine" "not root and no docker CLI: cannot install or start an engine"

# 1. Engine.
engine_start "$WORK_DIR"
step_ok "docker engine answers"

# 2. Base image: the exact name the Dockerfile builds FROM when no --build-arg is given.
NODE_IMAGE=$(sed -nE 's/^ARG NODE_IMAGE=([^[:space:]]+).*/\1/p' "$DOCKERFILE" | head -n 1)
[[ -n $NODE_IMAGE ]] || fail "base image" "no 'ARG NODE_IMAGE=<default>' line in $DOCKERFILE"
base_image_ensure "$NODE_IMAGE" "$WORK_DIR"
step_ok "base image $NODE_IMAGE present"

# 3. Build, exactly as the infra's docker-build resource does: context = repository root, file = app/Dockerfile.
log "building $DOCKERFILE (context $REPO_ROOT)"
build_started=$SECONDS
DOCKER_BUILDKIT=1 "$DOCKER" build --network host --progress plain \
  -f "$DOCKERFILE" -t "$APP_IMAGE" "$REPO_ROOT" >"$WORK_DIR/build.log" 2>&1 ||
  fail "docker build" "app/Dockerfile did not build" "$WORK_DIR/build.log"
log "built $APP_IMAGE in $((SECONDS - build_started)) s ($(grep -oE 'transferring context: [0-9.]+ ?[kMG]?B' "$WORK_DIR/build.log" | tail -n 1))"
step_ok "app/Dockerfile builds"

# 4-6. Container checks. tsx from the repository's own dev dependencies. They print the closing line.
CLOSING_LINE_PRINTED=1
set +e
DOCKER="$DOCKER" APP_IMAGE="$APP_IMAGE" NODE_IMAGE="$NODE_IMAGE" IMAGE_TEST_PRIOR_PASSED=$STEPS_PASSED \
  "$REPO_ROOT/node_modules/.bin/tsx" "$HERE/run-checks.ts"
checks_status=$?
set -e
exit "$checks_status"
