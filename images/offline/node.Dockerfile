FROM localhost/eventflow/base:latest
COPY node /usr/local/bin/node
