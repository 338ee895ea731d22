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
exec su rabbitmq -s /bin/sh -c 'RABBITMQ_LOGS=- exec "$0" "$@"' "$@"
