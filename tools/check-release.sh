#!/usr/bin/env bash
# Is the build publishable (Maven Central, and a company's legal review)? Builds from clean with the release profile
# (signing skipped, tests not run), deploys into target/staging (never ~/.m2, never a remote), then fails, naming the
# artifact and what is missing, unless every deployed artifact has:
#   META-INF/LICENSE (the root LICENSE) in each of its jars: main, sources, javadoc, natives, .nar
#   a sources jar (Java, or the C sources for the natives) and a javadoc jar (a README placeholder for the natives)
#   that documents no internal package and has no "All rights reserved" footer (the project is Apache-2.0)
#   a POM with name and description of its own, and url, licenses, scm, developers (own or from a published parent)
# and the BOM lists exactly the deployed non-pom artifacts, and the starter (processbarrier-all) depends on every one
# of them but the doctor (natives with their classifiers). Then the self-test: broken copies of the staging
# repository (a parent POM without licenses, a BOM missing a module, a jar without LICENSE, ...) must each fail with
# their message, and the intact copy must pass. tools/test runs this; it cleans every module's target/.
#   tools/check-release.sh              build, check, self-test
#   tools/check-release.sh --no-build   check and self-test target/staging as it is
#   tools/check-release.sh --self-test  only the self-test, on target/staging as it is
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/lib.sh

staging=$PWD/target/staging
build=1 check=1
case "${1:-}" in
  "") ;;
  --no-build) build=0 ;;
  --self-test) build=0 check=0 ;;
  *) die "usage: tools/check-release.sh [--no-build|--self-test]" ;;
esac

if [ "$build" = 1 ]; then
  start=$SECONDS
  log=$(mktemp)
  trap 'rm -f "$log"' EXIT
  # Modules that skip deploy in their own POM (benchmarks, jcstress, it-tests) are left out of the reactor: deploy
  # would skip them anyway, and building them is most of the time. Any other module is built and judged.
  unpublished=$(sed -n 's:^ *<module>\(.*\)</module>.*:\1:p' pom.xml |
    while read -r m; do grep -q '<maven.deploy.skip>true</maven.deploy.skip>' "$m/pom.xml" && echo "!$m"; done |
    paste -sd, -)
  say "check-release: mvn -Prelease clean deploy into $staging (signing skipped, tests not run; not built: ${unpublished:-none})"
  # Two invocations: in one, cleaning the parent would delete target/staging after the BOM (built first) went there.
  # Not offline: Maven refuses to deploy offline, even to a file: repository; nothing is fetched once cached.
  if ! "${MVN[@]}" -q clean >"$log" 2>&1 ||
     ! "${MVN[@]}" ${unpublished:+-pl "$unpublished"} -Prelease -Dgpg.skip=true -DskipTests -DskipITs \
         -DaltDeploymentRepository=local::file://"$staging" deploy >"$log" 2>&1; then
    grep -E '^\[(ERROR|WARNING)\]|error:' "$log" | head -n 40 >&2
    die "check-release: the release build failed (mvn -Prelease deploy; log above)"
  fi
  # doclint's warnings do not fail javadoc: show them, as they would show on Central's javadoc pages
  grep -E '^\[WARNING\] .*\.java:[0-9]+: warning' "$log" >&2 || true
  say "check-release: built in $((SECONDS - start)) s"
fi

[ -d "$staging" ] || die "check-release: no $staging: run tools/check-release.sh without options first"
if [ "$check" = 1 ]; then
  java tools/CheckRelease.java check "$staging" LICENSE
fi
java tools/CheckRelease.java self-test "$staging" LICENSE
