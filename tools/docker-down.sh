#!/usr/bin/env bash
# Stops the dockerd that tools/docker-up.sh started, and nothing else: a daemon run by systemd or by
# someone else is left alone. Leaves the binfmt registration and all images in place.
# usage: tools/docker-down.sh
set -euo pipefail

me=docker-down
cache=${XDG_CACHE_HOME:-$HOME/.cache}/processbarrier
pidfile=$cache/dockerd.pid
fail() { echo "$me: $*" >&2; exit 1; }
starttime() { awk '{print $22}' "/proc/$1/stat" 2>/dev/null; }

if [ ! -s "$pidfile" ]; then
  echo "$me: no dockerd started by docker-up.sh ($pidfile absent); nothing to stop"
  exit 0
fi
read -r pid st <"$pidfile" || true
# The PID must still be the same process (same start time) and be a dockerd: PIDs get reused.
if [ -z "${pid:-}" ] || [ "$(starttime "$pid")" != "${st:-}" ] || [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != dockerd ]; then
  rm -f "$pidfile"
  echo "$me: the dockerd recorded in $pidfile is gone; nothing to stop"
  exit 0
fi
kill -TERM "$pid" || fail "cannot signal dockerd pid $pid (not root?)"
# dockerd stops its containers first (10 s grace each by default): give it time before complaining.
for _ in $(seq 1 60); do
  [ "$(starttime "$pid")" = "$st" ] || { rm -f "$pidfile"; echo "$me: stopped dockerd pid $pid"; exit 0; }
  sleep 0.5
done
fail "dockerd pid $pid still runs 30 s after SIGTERM; see $cache/dockerd.log, then kill -KILL $pid if needed"
