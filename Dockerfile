# exec-server as one executable on a slim image.
#   docker build -t exec-server .
#   docker run --rm -p 8765:8765 -v "$PWD/token:/run/secrets/exec-server-token:ro" exec-server
# The token file holds the bearer token clients send; without it the daemon refuses to listen on
# a non-loopback address. packages/server/test/deploy.test.ts starts the binary with exactly the
# CMD and health check below.

# Stage 1: build dist/exec-server (the Bun runtime and the PTY reader worker built in).
FROM oven/bun:1.4.4 AS build
WORKDIR /src
COPY . .
RUN bun install --frozen-lockfile && bun run build:binary

# Stage 2: only the binary. Debian's essential packages provide what children need:
# setsid (util-linux) for PTYs, bash for the health check and most commands, perl for arg0.
FROM debian:12-slim
RUN useradd --create-home --uid 10001 --user-group exec
COPY --from=build /src/dist/exec-server /usr/local/bin/exec-server
USER 10001:10001
WORKDIR /home/exec
ENV HOME=/home/exec
EXPOSE 8765
# /readyz needs no token; bash's /dev/tcp avoids shipping curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8765 && printf 'GET /readyz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["/usr/local/bin/exec-server"]
CMD ["--listen", "ws://0.0.0.0:8765", "--token-file", "/run/secrets/exec-server-token"]
