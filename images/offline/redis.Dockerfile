FROM localhost/eventflow/base:latest
EXPOSE 6379
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["redis-server", "--protected-mode", "no"]
