#!/usr/bin/env bash
# The natives build needs a C compiler per architecture: install it when root, else say what to install.
# usage: require-compiler.sh COMPILER DEBIAN_PACKAGE
set -euo pipefail
cc=$1 pkg=$2
command -v "$cc" >/dev/null && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "require-compiler: $cc missing; installing $pkg" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq "$pkg" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$pkg" >/dev/null; }
  command -v "$cc" >/dev/null && exit 0
fi
echo "require-compiler: $cc not found. Install it (Debian/Ubuntu: sudo apt-get install $pkg) and build again." >&2
exit 1
