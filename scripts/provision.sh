#!/usr/bin/env bash
# Provision a bare Debian machine for EventFlow: Node >= 22, a running Docker
# engine and the Debian tools the tests use. Idempotent: every step checks
# first and skips what is already there.
set -euo pipefail

NODE_PREFIX="${EVENTFLOW_NODE_PREFIX:-/opt/eventflow-node}"
log() { printf '\033[36m[provision]\033[0m %s\n' "$*"; }

need_root() { [ "$(id -u)" = 0 ] || { echo "provision.sh must run as root (it installs packages and starts dockerd)" >&2; exit 1; }; }

node_major() { "${1:-node}" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_node() {
  if [ "$(node_major node)" -ge 22 ]; then log "node $(node --version) is fine"; return; fi
  if [ ! -x "$NODE_PREFIX/node_modules/node/bin/node" ] || [ "$(node_major "$NODE_PREFIX/node_modules/node/bin/node")" -lt 22 ]; then
    log "host node is $(node --version 2>/dev/null || echo missing); installing node@22 from the npm registry into $NODE_PREFIX"
    mkdir -p "$NODE_PREFIX"
    npm install --silent --no-audit --no-fund --prefix "$NODE_PREFIX" node@22 >/dev/null
  fi
  log "using $("$NODE_PREFIX/node_modules/node/bin/node" --version) from $NODE_PREFIX"
}

APT_PACKAGES=(docker.io docker-compose debootstrap chromium prometheus procps curl ca-certificates)
ensure_packages() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    log "Debian packages present"
  fi
  # The prometheus package starts a daemon on :9090 on install; we only want promtool.
  if command -v systemctl >/dev/null 2>&1; then systemctl stop prometheus >/dev/null 2>&1 || true; fi
  pkill -x prometheus >/dev/null 2>&1 || true
}

ensure_docker() {
  if docker info >/dev/null 2>&1; then log "docker engine reachable"; return; fi
  log "starting dockerd"
  mkdir -p /var/log
  (nohup dockerd >/var/log/eventflow-dockerd.log 2>&1 &)
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && { log "docker engine up"; return; }
    sleep 1
  done
  echo "dockerd did not come up in 60 s; see /var/log/eventflow-dockerd.log" >&2
  tail -n 30 /var/log/eventflow-dockerd.log >&2 || true
  exit 1
}

need_root
ensure_packages
ensure_node
ensure_docker
