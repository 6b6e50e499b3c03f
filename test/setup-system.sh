#!/bin/sh
# The system packages the test suite drives, installed only where missing: Chromium (the browser tests) and
# Debian's PyTorch (the PyTorch round-trip tests). Where apt-get can be used (root on Debian) it installs what is
# missing; elsewhere it says what to install and leaves it to you (the tests then fail, or for PyTorch skip, with
# the same one line). Run again: it finds everything and does nothing. What counts as found is test/system.mjs's
# search (CHROMIUM_PATH, TORCH_PYTHON, the usual paths).
#   sh test/setup-system.sh            install what is missing
#   sh test/setup-system.sh --dry-run  print the apt-get line it would run, run nothing
set -u
cd "$(dirname "$0")/.."
dry=0
case "${1:-}" in
  "") ;;
  --dry-run) dry=1 ;;
  -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "error: unknown option $1 (try --help)" >&2; exit 2 ;;
esac

missing=""
node test/system.mjs chromium >/dev/null 2>&1
case $? in
  0) ;;
  1) missing="chromium" ;;
  *) node test/system.mjs chromium; exit 2 ;; # CHROMIUM_PATH points at nothing: installing would not help
esac
node test/system.mjs torch >/dev/null 2>&1
case $? in
  0) ;;
  1) missing="$missing python3-torch libopenblas0-pthread" ;;
  *) node test/system.mjs torch; exit 2 ;;
esac
missing=${missing# }

if [ -z "$missing" ]; then
  echo "setup-system: Chromium and PyTorch found, nothing to install"
  exit 0
fi
line="apt-get update && apt-get install -y $missing"
if [ "$dry" = 1 ]; then
  echo "setup-system: would run: $line"
  exit 0
fi
if ! node test/system.mjs apt; then
  echo "setup-system: missing $missing and apt-get is not usable here (needs root on Debian): install them yourself, e.g. $line"
  exit 0
fi
echo "setup-system: installing $missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update && apt-get install -y $missing || { echo "setup-system: $line failed"; exit 1; }
