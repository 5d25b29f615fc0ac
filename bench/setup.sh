#!/usr/bin/env bash
# Installs the peers the benchmark compares against. None of them is a dependency of the
# project: node-pty + ws go to bench/peers/node_modules, the rest are Debian packages.
# Each step may fail on its own; `bun run bench` skips a peer that is missing.
set -u
cd "$(dirname "$0")"

status=0
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  missing=()
  command -v websocketd >/dev/null 2>&1 || missing+=(websocketd)
  /usr/bin/python3 -c "import terminado, tornado" >/dev/null 2>&1 || missing+=(python3-terminado)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "bench setup: apt-get install ${missing[*]}"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" \
      || { echo "bench setup: could not install ${missing[*]}" >&2; status=1; }
  fi
else
  echo "bench setup: no apt-get: websocketd and terminado peers will be skipped" >&2
  status=1
fi

# node-pty builds from source with node-gyp (python3, make, g++).
echo "bench setup: npm install in bench/peers"
(cd peers && npm install --no-audit --no-fund --loglevel=error) \
  || { echo "bench setup: npm install failed: the node-pty + ws peer will be skipped" >&2; status=1; }

exit $status
