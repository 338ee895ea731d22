#!/usr/bin/env bash
# Write .env for `docker compose` with random passwords (once; an existing .env is kept).
# docker-compose.yml has no default credentials and refuses to start without these.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f .env ]; then echo ".env exists: keeping it"; exit 0; fi
rand() { head -c 18 /dev/urandom | base64 | tr -d '/+='; }
umask 077
{
  for v in POSTGRES RABBITMQ REDIS GRAFANA; do echo "EVENTFLOW_${v}_PASSWORD=$(rand)"; done
} > .env
echo "wrote .env (mode 600) with random passwords for PostgreSQL, RabbitMQ, Redis and Grafana"
