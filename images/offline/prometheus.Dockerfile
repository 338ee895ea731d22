FROM localhost/eventflow/base:latest
RUN mkdir -p /prometheus /etc/prometheus && chown nobody /prometheus
USER nobody
EXPOSE 9090
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
