# The Docker engine the image test builds and runs with (sourced, not run).
#
# Reuses an engine that already answers (a developer's Docker). Otherwise installs Debian's `docker.io` and starts a
# private dockerd whose data root, exec root, pidfile and socket all live in the test's temporary folder, so the
# machine's own Docker state (/var/lib/docker, /run/docker.sock) is never touched; engine_stop ends it by its PID.
#
# Networking: the private daemon runs with --bridge=none and --iptables=false. It creates no bridge, no NAT rules and
# no addresses on the host; builds and containers use `--network host` and reach only what the host reaches (the npm
# registry for the build stage's `npm ci`, and 127.0.0.1 for the test's local Bedrock-compatible server).
#
# Sets: DOCKER (a CLI path that can run BuildKit builds), DOCKER_HOST (exported, private engine only), ENGINE_PID.

ENGINE_PID=
ENGINE_ROOT=
# What dockerd 20.10 and its containerd create outside their roots whatever the flags say (the daemon's legacy
# trust key, plugin and shim socket folders), deepest first; removed again at the end when this run created them
# (folders only when empty).
ENGINE_STRAYS=(/etc/docker/key.json /etc/docker /run/docker/plugins /run/docker /run/containerd/s /run/containerd)
ENGINE_STRAYS_NEW=()

# A CLI that can run BuildKit builds: `docker build` of CLI 23+ needs the buildx plugin for BuildKit, while Debian's
# 20.10 CLI (/usr/bin/docker from docker.io) has BuildKit built in. The machine's PATH may hold a newer CLI without
# buildx in front of Debian's.
pick_buildkit_cli() {
  if command -v docker >/dev/null && docker buildx version >/dev/null 2>&1; then
    DOCKER=$(command -v docker)
  elif [[ -x /usr/bin/docker && $(/usr/bin/docker --version 2>/dev/null) =~ ^Docker\ version\ (19|20)\. ]]; then
    DOCKER=/usr/bin/docker
  else
    return 1
  fi
}

engine_answers() {
  local cli
  for cli in docker /usr/bin/docker; do
    command -v "$cli" >/dev/null && timeout 15 "$cli" info >/dev/null 2>&1 && return 0
  done
  return 1
}

# engine_start WORK_DIR: makes sure an engine answers and a BuildKit-capable CLI is chosen.
engine_start() {
  local work=$1 install_log=$1/apt.log
  if engine_answers; then
    pick_buildkit_cli || fail "docker engine" "an engine answers but no CLI here can run BuildKit builds (install the buildx plugin)"
    log "reusing the running Docker engine ($("$DOCKER" version --format '{{.Server.Version}}' 2>/dev/null)), CLI $DOCKER"
    return 0
  fi

  if ! command -v dockerd >/dev/null || ! pick_buildkit_cli; then
    log "no Docker engine answers: installing Debian's docker.io"
    apt_install "$install_log" docker.io || fail "docker engine" "apt-get install docker.io failed" "$install_log"
    pick_buildkit_cli || fail "docker engine" "no BuildKit-capable docker CLI after installing docker.io"
  fi

  ENGINE_ROOT=$work/engine
  local path
  for path in "${ENGINE_STRAYS[@]}"; do [[ -e $path ]] || ENGINE_STRAYS_NEW+=("$path"); done
  # An empty configuration file of its own: a machine's /etc/docker/daemon.json (say, with its own data-root)
  # must not leak into, or clash with, the private daemon.
  mkdir -p "$ENGINE_ROOT/data" "$ENGINE_ROOT/exec"
  echo '{}' >"$ENGINE_ROOT/daemon.json"
  export DOCKER_HOST=unix://$ENGINE_ROOT/docker.sock
  # No --storage-driver: dockerd picks overlay2 where the kernel and the data root's filesystem allow it and falls
  # back to vfs (slower, but works on any filesystem) where they don't.
  dockerd \
    --config-file "$ENGINE_ROOT/daemon.json" \
    --data-root "$ENGINE_ROOT/data" \
    --exec-root "$ENGINE_ROOT/exec" \
    --pidfile "$ENGINE_ROOT/dockerd.pid" \
    --host "$DOCKER_HOST" \
    --bridge=none --iptables=false --ip6tables=false \
    >"$ENGINE_ROOT/dockerd.log" 2>&1 &
  ENGINE_PID=$!

  local deadline=$((SECONDS + 60))
  until "$DOCKER" version >/dev/null 2>&1; do
    kill -0 "$ENGINE_PID" 2>/dev/null || fail "docker engine" "dockerd exited during start-up" "$ENGINE_ROOT/dockerd.log"
    ((SECONDS < deadline)) || fail "docker engine" "dockerd did not answer within 60 s" "$ENGINE_ROOT/dockerd.log"
    sleep 0.2
  done
  log "started dockerd $("$DOCKER" version --format '{{.Server.Version}}') (pid $ENGINE_PID, storage driver $("$DOCKER" info --format '{{.Driver}}'), root $ENGINE_ROOT)"
}

# engine_stop: stops the private engine (if this run started one) by its own PID, then releases anything it left
# mounted under its root so the temporary folder can be removed. A reused engine is left running.
engine_stop() {
  [[ -n $ENGINE_PID ]] || return 0
  if kill -0 "$ENGINE_PID" 2>/dev/null; then
    kill -TERM "$ENGINE_PID" 2>/dev/null || true
    local deadline=$((SECONDS + 30))
    while kill -0 "$ENGINE_PID" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    kill -0 "$ENGINE_PID" 2>/dev/null && kill -KILL "$ENGINE_PID" 2>/dev/null
    wait "$ENGINE_PID" 2>/dev/null || true
  fi
  log "stopped dockerd (pid $ENGINE_PID)"
  ENGINE_PID=
  # Deepest first; lazy, because a mount can outlive its daemon by a moment.
  awk -v root="$ENGINE_ROOT/" 'index($2, root) == 1 { print $2 }' /proc/mounts | sort -r | while read -r mount_point; do
    umount -l "$mount_point" 2>/dev/null || true
  done
  local path
  for path in "${ENGINE_STRAYS_NEW[@]}"; do
    if [[ -d $path ]]; then rmdir "$path" 2>/dev/null || true; else rm -f "$path"; fi
  done
}
