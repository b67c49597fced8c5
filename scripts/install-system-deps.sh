#!/usr/bin/env bash
# Install the Debian packages Gebiedsatlas' tests need (Debian 12 "bookworm").
#
#   - chromium                 headless browser for the Playwright tests
#                              (launched with executable_path=/usr/bin/chromium)
#   - postgresql-15            PostgreSQL 15 server (only if initdb is missing)
#   - postgresql-15-postgis-3  PostGIS 3 extension for PostgreSQL 15
#   - WeasyPrint runtime libs  pango, pangoft2, harfbuzz-subset, fontconfig, glib, DejaVu fonts
#   - poppler-utils            pdftotext / pdftoppm for checking generated PDFs
#
# Idempotent and fast when everything is already present: every package is
# checked with `dpkg -s` first, and apt-get is only invoked for missing ones.
# Needs root (or passwordless sudo).
set -euo pipefail

PACKAGES=(
  chromium
  postgresql-15-postgis-3
  libpango-1.0-0
  libpangoft2-1.0-0
  libharfbuzz-subset0
  libfontconfig1
  libglib2.0-0
  fonts-dejavu-core
  poppler-utils
)

# The PostgreSQL 15 server ships preinstalled on the project image; on a fresh
# Debian machine install it too.
if [[ ! -x /usr/lib/postgresql/15/bin/initdb ]]; then
  PACKAGES=(postgresql-15 "${PACKAGES[@]}")
fi

is_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

missing=()
for pkg in "${PACKAGES[@]}"; do
  is_installed "$pkg" || missing+=("$pkg")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-system-deps: all system packages already installed"
  exit 0
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  SUDO=(sudo)
fi

echo "install-system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"

# Verify.
failed=()
for pkg in "${missing[@]}"; do
  is_installed "$pkg" || failed+=("$pkg")
done
if [[ ${#failed[@]} -ne 0 ]]; then
  echo "install-system-deps: FAILED to install: ${failed[*]}" >&2
  exit 1
fi
echo "install-system-deps: done"
