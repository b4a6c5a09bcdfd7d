#!/usr/bin/env bash
# Prepare this machine (Debian 12, root) to run the disposable servers and the tests:
# the system packages the harness needs, and a venv with the pinned Python dependencies.
set -euo pipefail
cd "$(dirname "$0")"
packages=(debootstrap systemd-container apt-cacher-ng iproute2 openssh-client)
missing=()
for p in "${packages[@]}"; do dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
if ((${#missing[@]})); then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
.venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
