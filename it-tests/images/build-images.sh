#!/usr/bin/env bash
# Builds the local integration-test images processbarrier-it:amd64 and processbarrier-it:arm64 (Debian
# bookworm minbase + OpenJDK 17 JRE) from debootstrap root filesystems: no registry can be pulled from here.
# Root filesystem tarballs are cached under ${XDG_CACHE_HOME:-$HOME/.cache}/processbarrier/images/, keyed by
# a hash of this script and the architecture; an image whose label io.processbarrier.key matches is reused.
# usage: it-tests/images/build-images.sh [--arch amd64|arm64|all]     (needs root for debootstrap)
set -euo pipefail

me=build-images
suite=bookworm
packages=openjdk-17-jre-headless      # Depends pull in ca-certificates(-java); procps left out to stay minimal
image=processbarrier-it
label=io.processbarrier.key
self=$(readlink -f "$0")
root=$(cd "$(dirname "$self")/../.." && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/processbarrier
imgdir=$cache/images

fail() { echo "$me: $*" >&2; exit 1; }
usage() { echo "usage: $0 [--arch amd64|arm64|all]" >&2; exit 2; }

arch=all
while [ $# -gt 0 ]; do
  case $1 in
    --arch) [ $# -ge 2 ] || usage; arch=$2; shift 2;;
    --arch=*) arch=${1#--arch=}; shift;;
    -h|--help) usage;;
    *) echo "$me: unknown argument '$1'" >&2; usage;;
  esac
done
case $arch in amd64) archs=(amd64);; arm64) archs=(arm64);; all) archs=(amd64 arm64);; *) usage;; esac

# --- timing and failure reporting --------------------------------------------------------------------
now() { date +%s%N; }
t_all=$(now)
current="start"
work=""
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", (b - a) / 1e9 }'; }
timed() {   # timed WHAT CMD...: runs CMD (set -e still applies inside) and prints how long it took
  local _what=$1 _t; shift   # not "label": bash locals are visible in callees and would shadow the global
  current=$_what; _t=$(now)
  "$@"
  echo "$me: $_what: $(elapsed "$_t")"
}
# debootstrap mounts proc/sys inside the target: unmount before deleting, and never cross into a mount.
unmount_under() {
  local d; d=$(readlink -f "$1")
  awk -v d="$d" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
    while read -r m; do umount -l "$m" || true; done
}
remove_work() {
  [ -n "$work" ] && [ -d "$work" ] || return 0
  unmount_under "$work"
  rm -rf --one-file-system "$work"
}
on_exit() {
  local rc=$?
  remove_work || true
  [ "$rc" = 0 ] || echo "$me: FAILED during '$current' (exit $rc)" >&2
}
trap on_exit EXIT

# --- the Debian mirror: from this machine's apt configuration, never written into the repository ------
find_mirror() {
  local f uri=""
  # deb822 stanzas (Types/URIs/Suites/Enabled): the first enabled deb stanza whose Suites include $suite.
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    uri=$(awk -v want="$suite" '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " want " ") && tolower(enabled) != "no" && uris != "") {
          split(uris, u, " "); print u[1]; found = 1; exit
        }
        types = suites = uris = enabled = ""; key = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      /^[ \t]/ { if (key == "uris") uris = uris " " $0; else if (key == "suites") suites = suites " " $0; next }
      {
        key = tolower(substr($0, 1, index($0, ":") - 1)); val = substr($0, index($0, ":") + 1)
        gsub(/^[ \t]+|[ \t]+$/, "", val); gsub(/[ \t]+/, " ", val)
        if (key == "types") types = val; else if (key == "uris") uris = val
        else if (key == "suites") suites = val; else if (key == "enabled") enabled = val
      }
      END { if (!found) flush() }' "$f")
    [ -n "$uri" ] && { echo "$uri"; return 0; }
  done
  # One-line format: deb [options] URI SUITE COMPONENT...
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -r "$f" ] || continue
    uri=$(sed -e 's/\[[^]]*\]//' "$f" | awk -v want="$suite" '$1 == "deb" && $3 == want { print $2; exit }')
    [ -n "$uri" ] && { echo "$uri"; return 0; }
  done
  return 1
}

# --- one architecture -----------------------------------------------------------------------------------
run_debootstrap() {   # run_debootstrap ARCH DIR MIRROR LOG
  local a=$1 dir=$2 mirror=$3 log=$4 debs=$imgdir/debs-$1
  mkdir -p "$debs"
  # The .deb cache survives key changes: editing this script does not mean downloading everything again.
  local opts=(--arch="$a" --variant=minbase --include="$packages" --cache-dir="$debs")
  if debootstrap "${opts[@]}" "$suite" "$dir" "$mirror" >"$log" 2>&1; then return 0; fi
  [ "$a" != amd64 ] || fail "debootstrap failed for $a; last lines of $log:
$(tail -n 15 "$log")"
  # Foreign arch: the one-stage run needs binfmt with F. Fall back to two stages with qemu inside the tree.
  echo "$me: one-stage debootstrap for $a failed (see $log); retrying with --foreign + second stage" >&2
  unmount_under "$dir"; rm -rf --one-file-system "$dir"; mkdir -p "$dir"
  debootstrap --foreign "${opts[@]}" "$suite" "$dir" "$mirror" >>"$log" 2>&1 ||
    fail "debootstrap --foreign failed for $a; last lines of $log:
$(tail -n 15 "$log")"
  cp /usr/bin/qemu-aarch64-static "$dir/usr/bin/"
  chroot "$dir" /debootstrap/debootstrap --second-stage >>"$log" 2>&1 ||
    fail "debootstrap --second-stage failed for $a; last lines of $log:
$(tail -n 15 "$log")"
  rm -f "$dir/usr/bin/qemu-aarch64-static"
}

make_rootfs_tar() {   # make_rootfs_tar ARCH TAR MIRROR
  local a=$1 tar=$2 mirror=$3 rootfs
  [ "$(id -u)" = 0 ] || fail "debootstrap needs root: run as root (sudo $0 --arch $a)"
  work=$imgdir/work-$a
  remove_work
  rootfs=$work/rootfs
  mkdir -p "$rootfs"
  current="$a: debootstrap"
  run_debootstrap "$a" "$rootfs" "$mirror" "$imgdir/debootstrap-$a.log"
  unmount_under "$rootfs"
  # Prove the tree holds a JVM for the right machine before caching it.
  local java elf
  java=$(readlink -f "$rootfs/usr/lib/jvm/java-17-openjdk-$a/bin/java" 2>/dev/null || true)
  [ -x "$java" ] || fail "$a rootfs has no java at /usr/lib/jvm/java-17-openjdk-$a/bin/java; see $imgdir/debootstrap-$a.log"
  elf=$(od -An -tx1 -j18 -N2 "$java" | tr -d ' \n')
  case $a:$elf in amd64:3e00|arm64:b700) ;; *) fail "$java has ELF machine 0x$elf, not $a";; esac
  # Nothing host-specific or downloaded-and-disposable in the image; Docker supplies resolv.conf/hosts.
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/tmp/* "$rootfs"/var/log/*.log
  : >"$rootfs/etc/resolv.conf"
  echo localhost >"$rootfs/etc/hostname"
  current="$a: tar"
  tar -C "$rootfs" --numeric-owner --xattrs --exclude='./proc/*' --exclude='./sys/*' --exclude='./dev/*' \
    -cf "$tar.tmp" . || fail "tar of $rootfs failed"
  mv -f "$tar.tmp" "$tar"
  remove_work; work=""
}

build_image() {   # build_image ARCH KEY TAR
  local a=$1 key=$2 tar=$3 ctx=$imgdir/ctx-$1 old new got
  old=$(docker image inspect -f '{{.Id}}' "$image:$a" 2>/dev/null || true)
  rm -rf "$ctx"; mkdir -p "$ctx"
  ln "$tar" "$ctx/rootfs.tar" 2>/dev/null || cp "$tar" "$ctx/rootfs.tar"
  # FROM scratch + ADD, built by the classic builder with --platform: the only way found here that records
  # the right architecture (docker import --platform recorded amd64). No RUN: nothing needs the network.
  cat >"$ctx/Dockerfile" <<EOF
FROM scratch
ADD rootfs.tar /
ENV LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
LABEL $label=$key io.processbarrier.arch=$a
CMD ["/bin/bash"]
EOF
  DOCKER_BUILDKIT=0 docker build --platform "linux/$a" -t "$image:$a" "$ctx" >"$imgdir/docker-build-$a.log" 2>&1 ||
    fail "docker build of $image:$a failed; last lines of $imgdir/docker-build-$a.log:
$(tail -n 15 "$imgdir/docker-build-$a.log")"
  rm -rf "$ctx"
  got=$(docker image inspect -f '{{.Architecture}}' "$image:$a")
  [ "$got" = "$a" ] || fail "$image:$a records architecture '$got', expected '$a'"
  new=$(docker image inspect -f '{{.Id}}' "$image:$a")
  # The image this one replaces is now untagged: drop it (only ours, by ID) so rebuilds do not pile up.
  if [ -n "$old" ] && [ "$old" != "$new" ]; then docker rmi "$old" >/dev/null 2>&1 || true; fi
}

smoke() {   # smoke ARCH: the JVM starts and reports the expected os.arch
  local a=$1 want out
  case $a in amd64) want=amd64;; arm64) want=aarch64;; esac
  # --platform: silences the mismatch warning and makes the daemon refuse an image recorded for another arch.
  out=$(docker run --rm "${pull_never[@]}" --platform "linux/$a" "$image:$a" java -XshowSettings:properties -version 2>&1) ||
    fail "java does not start in $image:$a: $(tail -n 5 <<<"$out")"
  grep -q "os.arch = $want\$" <<<"$out" ||
    fail "$image:$a: os.arch is '$(sed -n 's/^ *os.arch = //p' <<<"$out")', expected '$want' (is binfmt qemu-aarch64 registered with F? run tools/docker-up.sh)"
  echo "$me: $a: $(sed -n 's/^ *java.runtime.version = /java /p' <<<"$out"), os.arch=$want"
}

# --- main -------------------------------------------------------------------------------------------------
timed "docker-up" "$root/tools/docker-up.sh"
mkdir -p "$imgdir" || fail "cannot create $imgdir; set XDG_CACHE_HOME to a writable directory"
exec 9>"$imgdir/.lock"   # two builds at once would debootstrap into the same directory
flock -w 1800 9 || fail "another build-images.sh holds $imgdir/.lock"
pull_never=()
docker run --help 2>/dev/null | grep -q -- '--pull' && pull_never=(--pull never)
mirror=""

for a in "${archs[@]}"; do
  t_arch=$(now)
  key=$({ cat "$self"; echo "arch=$a suite=$suite"; } | sha256sum | cut -c1-16)
  tar=$imgdir/rootfs-$a-$key.tar
  have=$(docker image inspect -f "{{index .Config.Labels \"$label\"}}" "$image:$a" 2>/dev/null || true)
  if [ "$have" = "$key" ]; then
    echo "$me: $a: $image:$a has $label=$key: reused"
  else
    if [ -s "$tar" ]; then
      echo "$me: $a: cached root filesystem $tar reused"
    else
      if [ -z "$mirror" ]; then
        mirror=${DEBIAN_MIRROR:-$(find_mirror || true)}
        [ -n "$mirror" ] || fail "no Debian archive for suite '$suite' in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list; add one, or set DEBIAN_MIRROR=<archive URL>"
      fi
      timed "$a: root filesystem (debootstrap + tar)" make_rootfs_tar "$a" "$tar" "$mirror"
      # Older keys' tarballs for this arch are dead weight (~0.5 GB each).
      find "$imgdir" -maxdepth 1 -name "rootfs-$a-*.tar" ! -name "${tar##*/}" -delete
    fi
    timed "$a: docker build" build_image "$a" "$key" "$tar"
  fi
  timed "$a: smoke check" smoke "$a"
  echo "$me: $a: $image:$a ready ($label=$key, architecture $(docker image inspect -f '{{.Architecture}}' "$image:$a")) in $(elapsed "$t_arch")"
done
current="done"
echo "$me: total $(elapsed "$t_all")"
