#!/usr/bin/env bash
# Installs the Debian packages that the local WordPress stacks and the end-to-end
# tests need: PHP with SQLite (the php -S stack), nginx + php-fpm + MariaDB (the
# production stack, test/host), Apache (test/host serves the same stack through
# docs/deploy/apache.conf; mod_proxy_fcgi and the other modules it needs ship in
# apache2-bin), and Chromium. Safe to run again: it installs only
# what is missing, and runs `apt-get update` only when it has something to install.
#
# It never starts or enables a system service: the project's scripts run nginx,
# Apache, php-fpm and MariaDB themselves on loopback ports with private files. While it
# installs, a temporary /usr/sbin/policy-rc.d (when the machine has none) tells the
# packages' postinst not to start their daemons; afterwards, the services of the
# packages it installed are disabled at boot, and any daemon still running from them
# is stopped.
#
# Usage: bash scripts/install-system-deps.sh [--without-chromium]
set -euo pipefail

php_packages=(php-cli php-sqlite3 php-curl php-xml php-mbstring php-gd php-intl php-zip unzip)
host_packages=(nginx apache2 php-fpm php-mysql mariadb-server)
browser_packages=(chromium fonts-liberation)

wanted=("${php_packages[@]}" "${host_packages[@]}")
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

# invoke-rc.d asks policy-rc.d before starting a service; exit code 101 means "no".
policy_file=/usr/sbin/policy-rc.d
own_policy=false
if [ ! -e "$policy_file" ]; then
  printf '#!/bin/sh\n# Written by scripts/install-system-deps.sh while it installs; removed after.\nexit 101\n' >"$policy_file"
  chmod 755 "$policy_file"
  own_policy=true
fi
remove_policy() {
  if [ "$own_policy" = true ]; then rm -f "$policy_file"; fi
}
trap remove_policy EXIT

installed_packages() { dpkg-query -W -f='${Status} ${Package}\n' | awk '$3 == "installed" { print $4 }' | sort; }
before=$(installed_packages)

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

# The init scripts of every package this run installed (dependencies too: nginx's
# script is in nginx-common, php-fpm's in php8.2-fpm; apache2 has apache2 and
# apache-htcacheclean). A service that was on the
# machine before is left as it was.
services=()
while IFS= read -r package; do
  while IFS= read -r file; do
    case "$file" in
      /etc/init.d/*) services+=("${file#/etc/init.d/}") ;;
    esac
  done < <(dpkg-query -L "$package" 2>/dev/null || true)
done < <(comm -13 <(echo "$before") <(installed_packages))

for service in "${services[@]}"; do
  if command -v systemctl >/dev/null 2>&1; then
    # Works offline (no running systemd needed): it only removes the unit's links.
    systemctl disable --quiet "$service" >/dev/null 2>&1 || true
    if [ -d /run/systemd/system ]; then systemctl stop "$service" >/dev/null 2>&1 || true; fi
  fi
  if command -v update-rc.d >/dev/null 2>&1; then
    update-rc.d "$service" disable >/dev/null 2>&1 || true
  fi
  if [ ! -d /run/systemd/system ] && "/etc/init.d/$service" status >/dev/null 2>&1; then
    say "stopping $service, which its package started"
    "/etc/init.d/$service" stop >/dev/null 2>&1 || true
  fi
done
if [ "${#services[@]}" -gt 0 ]; then
  say "not started, disabled at boot: ${services[*]} (the project's scripts run their own)"
fi

# Whatever slipped through (a service started another way): say so, by name.
for daemon in nginx apache2 mariadbd mysqld php-fpm8.2 php-fpm; do
  if pgrep -x "$daemon" >/dev/null 2>&1; then
    echo "[system-deps] warning: a $daemon process is running; if it is a system service, stop it: it may hold ports 80 or 3306" >&2
  fi
done
