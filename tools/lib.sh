# Shared by tools/doctor and tools/test: find or install what the build needs.
# Installs Debian packages when run as root; otherwise says what to install and stops.

say() { echo "==> $*" >&2; }
die() { echo "error: $*" >&2; exit 1; }

# need COMMAND DEBIAN_PACKAGE
need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing $2 (for $1)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq "$2" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; } \
      || die "apt-get install $2 failed"
    command -v "$1" >/dev/null 2>&1 && return 0
  fi
  die "$1 not found: install it (Debian/Ubuntu: sudo apt-get install $2) and run this again"
}

# The build tools every command needs: a JDK 17+, Maven, gcc for x86_64 and aarch64, readelf.
need_build_tools() {
  need java openjdk-17-jdk-headless
  need javac openjdk-17-jdk-headless
  need mvn maven
  need gcc gcc
  need aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu
  need readelf binutils
  local v
  v=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  [ "${v%%.*}" -ge 17 ] 2>/dev/null || die "java is version $v; ProcessBarrier needs JDK 17 or newer (set JAVA_HOME/PATH)"
}

MVN=(mvn -B -ntp)
