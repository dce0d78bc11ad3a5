# A local stand-in for the official Node base image (sourced, not run).
#
# No public container registry is reachable here, so `FROM node:<major>-<suite>-slim` cannot be pulled. The
# stand-in is built the way the official image is: a minimal Debian <suite> root filesystem (debootstrap, from this
# machine's Debian mirror), the Node binary of the latest <major>.x release (the `node-linux-<arch>` npm package
# ships the official build), npm at /usr/local/lib/node_modules/npm with the npm/npx links in /usr/local/bin, a
# `node` user and group with uid/gid 1000, and the official image's ENV, ENTRYPOINT (docker-entrypoint.sh) and CMD.
# Left out: yarn and corepack, which the app image never uses.
#
# One addition: when this machine's npm trusts an extra CA (an egress proxy that re-signs TLS, as in this sandbox),
# that CA file goes into the stand-in with NODE_EXTRA_CA_CERTS pointing at it, so the build stage's `npm ci` reaches
# the registry the same way the host's npm does. The Dockerfile itself stays unchanged.
#
# The assembled root filesystem is cached as a tar (keyed by Node version, suite and architecture) outside the
# temporary folder, so a warm run only imports it. An image already tagged with the name is used as it is: on a
# machine with real registry access that is the real official image.

STANDIN_CACHE_DIR=${IMAGE_TEST_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bedrock-stream-api/image-test}
# npm major that Node 24 releases bundle; the node-linux-* packages carry only the Node binary.
STANDIN_NPM_RANGE=${IMAGE_TEST_NPM_RANGE:-11}

# The first Debian mirror in this machine's apt sources (deb822 or one-line format).
debian_mirror() {
  local uri
  uri=$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
    grep -oE 'https?://[^ ]+/debian/?' | head -n 1)
  echo "${DEBIAN_MIRROR:-${uri:-http://deb.debian.org/debian}}"
}

STANDIN_EXTRA_CA_PATH=/usr/local/share/ca-certificates/host-extra-ca.crt

# The CA bundle this machine's npm is told to trust beyond Node's own roots, if any.
host_extra_ca() {
  local file
  for file in "$(npm config get cafile 2>/dev/null)" "${NODE_EXTRA_CA_CERTS:-}"; do
    [[ -n $file && $file != null && -r $file ]] && { echo "$file"; return 0; }
  done
  return 0
}

# Newest version of an npm package within a range ("24", "11").
newest_npm_version() {
  npm view "$1@$2" version --json 2>/dev/null | tr -d '[]", ' | grep -E '^[0-9]' | sort -V | tail -n 1
}

# assemble_rootfs DIR SUITE DEB_ARCH NODE_PACKAGE NPM_VERSION EXTRA_CA LOG: builds the stand-in's root filesystem.
assemble_rootfs() {
  local rootfs=$1 suite=$2 deb_arch=$3 node_package=$4 npm_version=$5 extra_ca=$6 log_file=$7 packs=$1.packs
  debootstrap --variant=minbase --arch "$deb_arch" "$suite" "$rootfs" "$(debian_mirror)" >>"$log_file" 2>&1 || return 1
  # What debian:<suite>-slim leaves out, and what debootstrap copies from the host (docker provides both files).
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/* \
    "$rootfs"/var/log/bootstrap.log "$rootfs"/etc/hostname "$rootfs"/etc/resolv.conf

  mkdir -p "$packs/node" "$rootfs/usr/local/lib/node_modules/npm"
  npm pack --silent --pack-destination "$packs" "$node_package" "npm@$npm_version" >>"$log_file" 2>&1 || return 1
  tar -xzf "$packs"/node-linux-*.tgz --strip-components=1 --no-same-owner -C "$packs/node"
  install -m 0755 "$packs/node/bin/node" "$rootfs/usr/local/bin/node"
  cp -r "$packs/node/include" "$packs/node/share" "$rootfs/usr/local/"
  tar -xzf "$packs"/npm-*.tgz --strip-components=1 --no-same-owner -C "$rootfs/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  ln -s node "$rootfs/usr/local/bin/nodejs"
  cat >"$rootfs/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
set -e

# Run command with node if the first argument contains a "-" or is not a system command.
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi

exec "$@"
EOF
  chmod 0755 "$rootfs/usr/local/bin/docker-entrypoint.sh"
  [[ -z $extra_ca ]] || install -D -m 0644 "$extra_ca" "$rootfs$STANDIN_EXTRA_CA_PATH"
  chroot "$rootfs" groupadd --gid 1000 node >>"$log_file" 2>&1 &&
    chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node >>"$log_file" 2>&1
}

# base_image_ensure TAG WORK_DIR: makes TAG exist in the engine, from the cache or from nothing.
base_image_ensure() {
  local tag=$1 work=$2 log_file=$2/base-image.log
  if "$DOCKER" image inspect "$tag" >/dev/null 2>&1; then
    log "base image $tag is already in the engine: using it as it is"
    return 0
  fi
  [[ $tag =~ ^node:([0-9]+)-([a-z]+)-slim$ ]] ||
    fail "base image" "the stand-in can only mimic node:<major>-<debian suite>-slim, but the Dockerfile's default is $tag"
  local major=${BASH_REMATCH[1]} suite=${BASH_REMATCH[2]} deb_arch node_arch node_version npm_version
  deb_arch=$(dpkg --print-architecture)
  case $deb_arch in
    amd64) node_arch=x64 ;;
    arm64) node_arch=arm64 ;;
    *) fail "base image" "no node-linux-* package for the Debian architecture $deb_arch" ;;
  esac
  node_version=$(newest_npm_version "node-linux-$node_arch" "$major")
  [[ -n $node_version ]] || fail "base image" "could not look up node-linux-$node_arch@$major in the npm registry"

  local extra_ca ca_suffix= import_changes=()
  extra_ca=$(host_extra_ca)
  if [[ -n $extra_ca ]]; then
    ca_suffix=-ca$(sha256sum "$extra_ca" | cut -c 1-12)
    import_changes+=(--change "ENV NODE_EXTRA_CA_CERTS=$STANDIN_EXTRA_CA_PATH")
  fi
  local cache_file=$STANDIN_CACHE_DIR/node-$node_version-$suite-slim-$deb_arch$ca_suffix.tar
  if [[ ! -s $cache_file ]]; then
    log "assembling the stand-in for $tag: Debian $suite ($deb_arch) + Node $node_version (no cached copy)"
    command -v debootstrap >/dev/null || apt_install "$log_file" debootstrap ||
      fail "base image" "apt-get install debootstrap failed" "$log_file"
    npm_version=$(newest_npm_version npm "$STANDIN_NPM_RANGE")
    [[ -n $npm_version ]] || fail "base image" "could not look up npm@$STANDIN_NPM_RANGE in the npm registry"
    assemble_rootfs "$work/base-rootfs" "$suite" "$deb_arch" "node-linux-$node_arch@$node_version" "$npm_version" \
      "$extra_ca" "$log_file" ||
      fail "base image" "assembling the root filesystem failed" "$log_file"
    mkdir -p "$STANDIN_CACHE_DIR"
    rm -f "$STANDIN_CACHE_DIR"/node-*-"$suite"-slim-"$deb_arch"*.tar # older Node releases or CA bundles
    tar --numeric-owner -C "$work/base-rootfs" -cf "$cache_file.partial" . && mv "$cache_file.partial" "$cache_file"
  fi

  "$DOCKER" import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV NODE_VERSION=$node_version" \
    --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
    --change 'CMD ["node"]' \
    --change 'LABEL bedrock-stream-api.image-test.stand-in=true' \
    "${import_changes[@]}" \
    "$cache_file" "$tag" >>"$log_file" 2>&1 || fail "base image" "docker import failed" "$log_file"
  local versions
  versions=$("$DOCKER" run --rm --network none "$tag" sh -c 'echo "node $(node --version), npm $(npm --version), uid $(id -u node)"' 2>>"$log_file") ||
    fail "base image" "the stand-in does not run node and npm" "$log_file"
  log "stand-in $tag ready: $versions"
}
