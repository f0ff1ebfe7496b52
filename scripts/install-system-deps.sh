#!/usr/bin/env bash
# Installs the Debian packages that the local WordPress (PHP + SQLite) and the
# end-to-end tests (Chromium) need. Safe to run again: it installs only what is
# missing, and runs `apt-get update` only when it has something to install.
#
# Usage: bash scripts/install-system-deps.sh [--without-chromium]
set -euo pipefail

php_packages=(php-cli php-sqlite3 php-curl php-xml php-mbstring php-gd php-intl php-zip unzip)
browser_packages=(chromium fonts-liberation)

wanted=("${php_packages[@]}")
case "${1:-}" in
  --without-chromium) ;;
  "") wanted+=("${browser_packages[@]}") ;;
  *)
    echo "usage: $0 [--without-chromium]" >&2
    exit 2
    ;;
esac

say() { echo "[system-deps] $*"; }

is_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=()
for package in "${wanted[@]}"; do
  if is_installed "$package"; then
    say "present: $package"
  else
    missing+=("$package")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  say "all system packages are present"
  exit 0
fi

say "missing: ${missing[*]}"

if ! command -v apt-get >/dev/null 2>&1; then
  echo "[system-deps] error: apt-get not found. This script supports Debian/Ubuntu only." >&2
  echo "[system-deps] Install these by hand: ${missing[*]}" >&2
  exit 1
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "[system-deps] error: installing packages needs root. Run as root, or:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
say "apt-get update"
apt-get update -q
say "apt-get install ${missing[*]}"
apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null

for package in "${missing[@]}"; do
  if ! is_installed "$package"; then
    echo "[system-deps] error: $package is still not installed" >&2
    exit 1
  fi
done
say "installed: ${missing[*]}"
