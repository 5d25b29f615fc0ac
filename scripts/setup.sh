#!/usr/bin/env bash
# Prepares a fresh Debian/Ubuntu machine: Bun (from the npm registry), the Debian tools the
# daemon and its tests use, and the workspace's dependencies. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

BUN_VERSION=1.4.4
if ! command -v bun >/dev/null 2>&1 || [ "$(bun --version)" != "$BUN_VERSION" ]; then
  npm install -g "bun@$BUN_VERSION" >&2
fi

# util-linux `setsid` (the ffi PTY backend), tmux (reference renderer in the screen tests and
# the CLI tests), vim (a full-screen program for the CLI tests) and Debian's Chromium (the web
# terminal's browser tests, driven by playwright-core: nothing is downloaded).
missing=()
command -v setsid >/dev/null 2>&1 || missing+=(util-linux)
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
command -v vim >/dev/null 2>&1 || missing+=(vim)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then apt_get=(apt-get); else apt_get=(sudo apt-get); fi
  export DEBIAN_FRONTEND=noninteractive
  "${apt_get[@]}" update -qq >&2
  "${apt_get[@]}" install -y -qq "${missing[@]}" >&2
fi

bun install --frozen-lockfile >&2
