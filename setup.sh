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

# -- The importer's tests (tests/importer) and bench/convex_import.py start their own local ---------
# PostgreSQL 15 with pgvector: its server packages, and pgvector built from Debian's orig tarball,
# at the version and checksum the deploy pins in group_data/all.py.
pg_packages=(postgresql-15 postgresql-server-dev-15 build-essential)
missing=()
for p in "${pg_packages[@]}"; do dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
if ((${#missing[@]})); then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
pg_config=/usr/lib/postgresql/15/bin/pg_config
if [ ! -e "$("$pg_config" --pkglibdir)/vector.so" ]; then
  read -r pgv_version pgv_sha256 < <(.venv/bin/python -c \
    'import runpy; d = runpy.run_path("group_data/all.py"); print(d["pgvector_version"], d["pgvector_sha256"])')
  mirror=$(.venv/bin/python -c 'from servers.image import apt_mirror; print(apt_mirror())')
  pgv_build=$(mktemp -d)
  trap 'rm -rf "$pgv_build"' EXIT
  .venv/bin/python -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' \
    "$mirror/pool/main/p/pgvector/pgvector_${pgv_version}.orig.tar.gz" "$pgv_build/pgvector.tar.gz"
  echo "$pgv_sha256  $pgv_build/pgvector.tar.gz" | sha256sum -c --quiet
  tar xzf "$pgv_build/pgvector.tar.gz" -C "$pgv_build" --strip-components=1
  if ! { make -C "$pgv_build" OPTFLAGS="" PG_CONFIG="$pg_config" &&
         make -C "$pgv_build" install PG_CONFIG="$pg_config"; } >"$pgv_build/build.log" 2>&1; then
    cat "$pgv_build/build.log" >&2
    exit 1
  fi
fi
