FROM localhost/eventflow/base:latest
RUN rabbitmq-plugins --offline enable rabbitmq_management rabbitmq_prometheus >/dev/null
COPY entrypoints/rabbitmq.sh /usr/local/bin/docker-entrypoint.sh
ENV RABBITMQ_LOGS=- HOME=/var/lib/rabbitmq
EXPOSE 5672 15672 15692
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/docker-entrypoint.sh"]
CMD ["rabbitmq-server"]
