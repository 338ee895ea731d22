#!/usr/bin/env bash
# One-time set-up of a machine for EventFlow (idempotent; safe to re-run):
#   1. Debian packages, Node.js >= 22, a running Docker engine  (scripts/provision.sh)
#   2. npm ci (which also builds dist/)
#   3. the image set: when no image registry is reachable, the offline images are
#      built from Debian packages and EventFlow is told to use them.
# Run as root (it installs packages and starts dockerd).
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '\033[36m[setup]\033[0m %s\n' "$*"; }

bash scripts/provision.sh

# Node >= 22 first on PATH for everything that follows, and for the user's shell:
# when the host's node is older, link the provisioned one into /usr/local/bin.
NODE_PREFIX="${EVENTFLOW_NODE_PREFIX:-/opt/eventflow-node}"
if [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -lt 22 ]; then
  ln -sf "$NODE_PREFIX/node_modules/node/bin/node" /usr/local/bin/node
  hash -r
  log "linked node $(/usr/local/bin/node --version) into /usr/local/bin"
fi
export PATH="/usr/local/bin:$PATH"

lock_hash=$(sha256sum package-lock.json | cut -c1-16)
if [ -d node_modules ] && [ "$(cat node_modules/.eventflow-lock 2>/dev/null)" = "$lock_hash" ]; then
  log "node_modules up to date"
else
  log "npm ci"
  npm ci --no-audit --no-fund
  echo "$lock_hash" > node_modules/.eventflow-lock
fi
log "building dist/"
npm run --silent build

images="${EVENTFLOW_IMAGES:-}"
if [ -z "$images" ]; then
  if curl -fsS -m 5 -o /dev/null https://registry-1.docker.io/v2/ 2>/dev/null || [ "$(curl -sS -m 5 -o /dev/null -w '%{http_code}' https://registry-1.docker.io/v2/ 2>/dev/null)" = 401 ]; then
    images=official
  else
    images=offline
    log "no image registry reachable: using the offline image set"
  fi
fi
if [ "$images" = offline ]; then
  bash images/offline/build.sh
fi
mkdir -p "${EVENTFLOW_HOME:-$HOME/.eventflow}"
printf '{ "images": "%s" }\n' "$images" > "${EVENTFLOW_HOME:-$HOME/.eventflow}/config.json"
log "ready (image set: $images). Next: npx eventflow up && npx eventflow scenario db-outage --purchases 5"
