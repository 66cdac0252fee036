#!/usr/bin/env bash
# Makes sure a Docker engine answers and arm64 binaries run through qemu (binfmt_misc, F flag), for the
# container integration tests. Idempotent; prints one summary line on success; exits non-zero with the
# reason when it cannot (CI must treat that as a failure, never as a skip).
# usage: tools/docker-up.sh        companion: tools/docker-down.sh stops only a dockerd started here.
set -euo pipefail

me=docker-up
cache=${XDG_CACHE_HOME:-$HOME/.cache}/processbarrier
pidfile=$cache/dockerd.pid   # "PID STARTTIME" of a dockerd this script started (see docker-down.sh)
log=$cache/dockerd.log
qemu=/usr/bin/qemu-aarch64-static
bfm=/proc/sys/fs/binfmt_misc
# Standard ELF64 little-endian e_machine=EM_AARCH64 (0xb7) magic and mask, as in qemu's qemu-binfmt-conf.sh.
aarch64_magic='\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00'
aarch64_mask='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'

fail() { echo "$me: $*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }
starttime() { awk '{print $22}' "/proc/$1/stat" 2>/dev/null; }   # guards against PID reuse

mkdir -p "$cache" 2>/dev/null || fail "cannot create $cache; set XDG_CACHE_HOME to a writable directory"
# Two builds calling this at once must not start two daemons.
exec 9>"$cache/docker-up.lock"
flock -w 120 9 || fail "another docker-up.sh holds $cache/docker-up.lock for over 120 s"

# --- 1. packages -------------------------------------------------------------------------------------
missing=()
command -v docker >/dev/null || missing+=(docker.io)
command -v dockerd >/dev/null || missing+=(docker.io)
[ -x "$qemu" ] || missing+=(qemu-user-static)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  pkgs="docker.io qemu-user-static debootstrap"
  is_root && command -v apt-get >/dev/null ||
    fail "missing ${missing[*]}. Install them (Debian/Ubuntu: sudo apt-get install -y $pkgs), then run again."
  export DEBIAN_FRONTEND=noninteractive
  # The package lists may be stale or absent on a fresh machine: update only when the plain install fails.
  apt-get install -y -qq $pkgs >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq $pkgs >/dev/null; } ||
    fail "apt-get install $pkgs failed; install them by hand and run again."
  hash -r
fi

# --- 2. engine ---------------------------------------------------------------------------------------
started=""
if ! docker info >/dev/null 2>&1; then
  is_root || fail "the Docker engine does not answer (docker info fails) and only root can start dockerd here. Start it (sudo systemctl start docker, or sudo $0) or give this user access to the socket (docker group)."
  # A dockerd we started earlier may still be starting up: wait for it rather than start a second one.
  pid=""
  if [ -s "$pidfile" ]; then
    read -r pid st <"$pidfile" || true
    if [ -z "$pid" ] || [ "$(starttime "$pid")" != "$st" ]; then pid=""; rm -f "$pidfile"; fi
  fi
  if [ -z "$pid" ]; then
    # setsid: a Ctrl-C aimed at the calling build must not kill the daemon it shares with others.
    # 9>&-: the daemon must not inherit the lock, or every later docker-up.sh would wait for it forever.
    echo "=== $(date -Is) dockerd started by $0" >>"$log"
    setsid dockerd </dev/null >>"$log" 2>&1 9>&- &
    pid=$!
    sleep 0.2
    st=$(starttime "$pid") || true
    [ -n "$st" ] || fail "dockerd exited at once; see $log (last lines: $(tail -n 3 "$log" | tr '\n' ' '))"
    echo "$pid $st" >"$pidfile"
    started=" (started dockerd pid $pid, log $log)"
  fi
  for _ in $(seq 1 120); do
    docker info >/dev/null 2>&1 && break
    [ -d "/proc/$pid" ] || { rm -f "$pidfile"; fail "dockerd (pid $pid) died while starting; see $log: $(tail -n 3 "$log" | tr '\n' ' ')"; }
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || fail "dockerd (pid $pid) did not answer within 60 s; see $log. Stop it with tools/docker-down.sh."
fi
# /usr/local/bin/docker may be newer than the engine: the CLI negotiates the API down; prove it does.
ver=$(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}}), client {{.Client.Version}}' 2>&1) ||
  fail "docker version fails although docker info works: $ver. If the CLI is too new for the engine, try DOCKER_API_VERSION=<engine API, e.g. 1.41>."

# --- 3. binfmt for arm64 -----------------------------------------------------------------------------
if ! grep -qs "^enabled" "$bfm/status"; then
  is_root || fail "binfmt_misc is not mounted at $bfm; run as root: mount -t binfmt_misc binfmt_misc $bfm"
  mountpoint -q "$bfm" || mount -t binfmt_misc binfmt_misc "$bfm" || fail "cannot mount binfmt_misc at $bfm (is the binfmt_misc module available?)"
  grep -qs "^enabled" "$bfm/status" || { echo 1 >"$bfm/status"; } || fail "binfmt_misc is disabled and cannot be enabled"
fi
flags() { sed -n 's/^flags: *//p' "$bfm/qemu-aarch64" 2>/dev/null; }
entry=$bfm/qemu-aarch64
# Debian's qemu-user-static registers this name itself when systemd-binfmt runs (flags OPF): accept any
# registration that has F, because F opens the interpreter now, so it works inside containers too.
if [ -e "$entry" ] && { ! grep -q '^enabled' "$entry" || [[ "$(flags)" != *F* ]]; }; then
  is_root || fail "$entry is registered without the F flag (flags '$(flags)'), so arm64 binaries fail inside containers. As root: echo -1 > $entry, then run this script again."
  echo -1 >"$entry"   # drop the registration without F; re-registered below
fi
if [ ! -e "$entry" ]; then
  is_root || fail "qemu-aarch64 is not registered in binfmt_misc; run this script as root once (it registers $qemu with the F flag)."
  printf ':qemu-aarch64:M::%s:%s:%s:F' "$aarch64_magic" "$aarch64_mask" "$qemu" >"$bfm/register" ||
    fail "writing the qemu-aarch64 registration to $bfm/register failed"
fi
grep -q '^enabled' "$entry" && [[ "$(flags)" == *F* ]] ||
  fail "$entry is not enabled with the F flag after registration: $(tr '\n' ' ' <"$entry")"

echo "$me: docker engine $ver ready$started; binfmt qemu-aarch64 -> $(sed -n 's/^interpreter //p' "$entry") flags $(flags)"
