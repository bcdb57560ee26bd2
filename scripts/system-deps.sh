#!/usr/bin/env bash
# Install the Debian packages tlstudio needs, when missing: `app` (Fashion-MNIST IDX files) or
# `test` (those plus Chromium and its driver for the browser tests). Needs root for apt-get; as
# another user it prints what to install and carries on.
set -euo pipefail
case "${1:-app}" in
  app) pkgs=(dataset-fashion-mnist) ;;
  test) pkgs=(dataset-fashion-mnist chromium chromium-driver) ;;
  *) echo "usage: $0 app|test" >&2; exit 2 ;;
esac
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "note: please install these Debian packages: ${missing[*]} (continuing without them)" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
