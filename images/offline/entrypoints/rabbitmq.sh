#!/bin/sh
# Mirrors the official rabbitmq image's contract: RABBITMQ_DEFAULT_USER / _PASS.
set -eu
: "${RABBITMQ_DEFAULT_USER:=guest}" "${RABBITMQ_DEFAULT_PASS:=guest}"
cat > /etc/rabbitmq/rabbitmq.conf <<CONF
loopback_users = none
listeners.tcp.default = 5672
management.tcp.port = 15672
prometheus.tcp.port = 15692
default_user = $RABBITMQ_DEFAULT_USER
default_pass = $RABBITMQ_DEFAULT_PASS
CONF
chown -R rabbitmq:rabbitmq /var/lib/rabbitmq /etc/rabbitmq
# Debian's /usr/sbin/rabbitmq-server wrapper sends the log to a file; run the real
# script as the rabbitmq user (no su fork, so signals reach the server) and log to
# stdout, where "Server startup complete" is what readiness checks wait for.
if [ "${1:-}" = rabbitmq-server ]; then
  shift
  set -- /usr/lib/rabbitmq/bin/rabbitmq-server "$@"
fi
cd /var/lib/rabbitmq
export RABBITMQ_LOGS=-
exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups "$@"
