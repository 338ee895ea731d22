#!/usr/bin/env bash
# Build EventFlow's offline image set from Debian packages, for hosts without
# an image registry (air-gapped CI, this project's build machines).
#
#   localhost/eventflow/base        debootstrap'd Debian with every server we run, plus iproute2 and
#                                   iptables for the fault helpers (cli/stack/faults/netns.ts)
#   localhost/eventflow/postgres    honours POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB
#   localhost/eventflow/redis       redis-server, arguments as with the official image
#   localhost/eventflow/rabbitmq    honours RABBITMQ_DEFAULT_USER / _PASS, management + prometheus plugins
#   localhost/eventflow/nginx       nginx -g 'daemon off;'
#   localhost/eventflow/prometheus  prometheus, same flags/paths as prom/prometheus
#   localhost/eventflow/node        base + the Node.js binary running this script
#
# Each image carries a label with the hash of its inputs; an image whose hash
# matches is not rebuilt. Grafana has no Debian package: the offline set has none.
set -euo pipefail
export DOCKER_BUILDKIT=0  # the legacy builder needs no buildx plugin (not packaged here)
here="$(cd "$(dirname "$0")" && pwd)"
MIRROR="${EVENTFLOW_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SUITE=bookworm
PACKAGES=postgresql-15,redis-server,rabbitmq-server,nginx-light,prometheus,tini,ca-certificates,curl,procps,netbase,iproute2,iptables
log() { printf '\033[36m[images]\033[0m %s\n' "$*"; }

command -v docker >/dev/null || { echo "docker client not found (run scripts/provision.sh)" >&2; exit 3; }
docker info >/dev/null 2>&1 || { echo "Docker engine not reachable (run scripts/provision.sh or start dockerd)" >&2; exit 3; }

label_of() { docker image inspect -f '{{ index .Config.Labels "eventflow.inputs" }}' "$1" 2>/dev/null || true; }
hash_of() { cat "$@" | sha256sum | cut -c1-16; }

# --- base -------------------------------------------------------------------
# Bump BASE_RECIPE when the debootstrap/import steps below change.
BASE_RECIPE=1
base_hash=$(printf '%s %s %s' "$SUITE" "$PACKAGES" "$BASE_RECIPE" | sha256sum | cut -c1-16)
if [ "$(label_of localhost/eventflow/base)" = "$base_hash" ]; then
  log "base image up to date ($base_hash)"
else
  command -v debootstrap >/dev/null || { echo "debootstrap not found: apt-get install -y debootstrap" >&2; exit 3; }
  root=$(mktemp -d /var/tmp/eventflow-rootfs.XXXXXX)
  trap 'rm -rf "$root"' EXIT
  log "debootstrap $SUITE with $PACKAGES (about a minute)"
  debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$root" "$MIRROR" >/var/tmp/eventflow-debootstrap.log 2>&1 \
    || { tail -n 30 /var/tmp/eventflow-debootstrap.log >&2; exit 3; }
  # Slim the image: docs and apt lists are dead weight in a container.
  rm -rf "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/var/cache/apt/*.bin
  log "importing rootfs"
  tar -C "$root" -c . | docker import \
    -c "LABEL eventflow.inputs=$base_hash" \
    -c 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8' \
    - localhost/eventflow/base:latest >/dev/null
  rm -rf "$root"; trap - EXIT
fi

# --- service images ---------------------------------------------------------
build_service() {
  local name=$1
  local dockerfile="$here/$name.Dockerfile"
  local h
  h=$(hash_of "$dockerfile" "$here"/entrypoints/* <(echo "$base_hash"))
  if [ "$(label_of "localhost/eventflow/$name")" = "$h" ]; then log "$name up to date"; return; fi
  log "building localhost/eventflow/$name"
  docker build -q --label "eventflow.inputs=$h" -f "$dockerfile" -t "localhost/eventflow/$name:latest" "$here" >/tmp/eventflow-build.log 2>&1 || { cat /tmp/eventflow-build.log >&2; exit 3; }
}
for s in postgres redis rabbitmq nginx prometheus; do build_service "$s"; done

# --- node runtime -----------------------------------------------------------
node_bin="${EVENTFLOW_NODE_BIN:-$(command -v node)}"
node_ver=$("$node_bin" --version)
node_hash=$(printf '%s %s' "$node_ver" "$base_hash" | sha256sum | cut -c1-16)
if [ "$(label_of localhost/eventflow/node)" = "$node_hash" ]; then
  log "node image up to date ($node_ver)"
else
  log "building localhost/eventflow/node with node $node_ver"
  ctx=$(mktemp -d); cp "$node_bin" "$ctx/node"; cp "$here/node.Dockerfile" "$ctx/Dockerfile"
  docker build -q --label "eventflow.inputs=$node_hash" -t localhost/eventflow/node:latest "$ctx" >/tmp/eventflow-build.log 2>&1 || { cat /tmp/eventflow-build.log >&2; exit 3; }
  rm -rf "$ctx"
fi
log "offline image set ready"
