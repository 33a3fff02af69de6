#!/usr/bin/env bash
# Install the Debian packages a build needs, only those that are missing.
#   scripts/setup-system.sh [PACKAGE...]   (default: chromium fonts-noto-cjk fonts-noto-core)
# Uses apt-get as root, else sudo without a password prompt; otherwise prints the exact
# command to run and fails. A second run with everything present does nothing.
set -euo pipefail

pkgs=("$@")
[ ${#pkgs[@]} -gt 0 ] || pkgs=(chromium fonts-noto-cjk fonts-noto-core)

missing=()
for p in "${pkgs[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo"
else
  echo "Missing Debian packages: ${missing[*]}" >&2
  echo "Install them with:" >&2
  echo "  sudo apt-get update && sudo $cmd" >&2
  exit 1
fi

echo "Installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Package lists may be absent on a fresh machine: update once, then install.
if ! $SUDO $cmd >/dev/null 2>&1; then
  $SUDO apt-get update -q
  $SUDO $cmd
fi
