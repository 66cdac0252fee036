#!/usr/bin/env bash
# The store-buffering litmus suite (jcstress 0.16): every provider, with controls, under C2, C1 and the interpreter.
#
#   jcstress/run.sh [ci|release] [--require=membarrier,mprotect,signal] [--allow-inconclusive]
#
#   ci       (default) one fork per test and JVM mode, 0.6 s iterations: about 8 minutes on 2 CPUs on Temurin 25,
#            about 19 on JDK 17 (there jcstress runs each test with and without biased locking)
#   release  2 forks x 5 iterations per test and mode, plus a fourth mode, "mixed": jcstress's own JVM
#            configurations with per-actor split compilation (one actor interpreted, the other C1 or C2, ...):
#            about 45 minutes on 2 CPUs
#
# Each JVM mode is one jcstress run that holds the provider tests and the controls together, so "the control showed
# power" and "the provider showed nothing" are facts about the same run. Exit status:
#   0  every provider test saw 0 forbidden outcomes and every control showed its outcome
#   1  FAILED: a provider test saw its forbidden outcome, or did not run cleanly (or the run itself broke)
#   3  INCONCLUSIVE: some control never showed its outcome (e.g. one CPU), so the zeros prove nothing here;
#      --allow-inconclusive turns this into 0, printed as such. A mode whose control showed nothing is run again,
#      whole, up to PB_JCSTRESS_ATTEMPTS times (default 3) before that verdict: a loaded machine races less.
# Tests of providers unavailable on this machine are skipped with the reason; --require=a,b makes that a failure.
# JAVA=/path/to/java chooses the JVM (default: $JAVA_HOME/bin/java, else java on the PATH).
# Results: jcstress/target/jcstress-run/<mode>/ (jcstress's HTML report and log) and jcstress/target/jcstress-run/report.txt
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

profile=ci
plan_args=()
report_args=()
for a in "$@"; do
  case "$a" in
    ci|release) profile=$a ;;
    --require=*) plan_args+=("$a") ;;
    --allow-inconclusive) report_args+=("$a") ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument '$a' (see --help)" >&2; exit 2 ;;
  esac
done

java=${JAVA:-${JAVA_HOME:+$JAVA_HOME/bin/java}}
java=${java:-java}
jar=$here/target/jcstress.jar
if [ ! -f "$jar" ]; then
  echo "==> building $jar (mvn package -pl jcstress -am)" >&2
  (cd "$root" && mvn -B -ntp -q package -pl jcstress -am -DskipTests)
fi
[ -f "$jar" ] || { echo "run.sh: $jar was not built" >&2; exit 1; }

feature=$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
native_access=()
# JDK 22+: System.load is restricted; say so up front rather than let every fork print a warning
[ "${feature%%.*}" -ge 22 ] 2>/dev/null && native_access=(--enable-native-access=ALL-UNNAMED)

out=$here/target/jcstress-run
rm -rf "$out"
mkdir -p "$out"
# a private copy: a concurrent build must not replace the jar under the forks' feet
cp "$jar" "$out/jcstress.jar"
jar=$out/jcstress.jar

tests=$("$java" -cp "$jar" io.processbarrier.jcstress.Suite plan "${plan_args[@]}" 2>"$out/plan.txt") || {
  cat "$out/plan.txt" >&2; echo "run.sh: FAILED: the plan was refused (above)" >&2; exit 1; }
grep '^plan:' "$out/plan.txt" >&2 || true

# mode -> JVM flags. Split compilation is off in the fixed modes: the whole JVM runs in that mode.
declare -A flags=([c2]="-XX:-TieredCompilation" [c1]="-XX:TieredStopAtLevel=1" [int]="-Xint")
if [ "$profile" = ci ]; then
  # the bound of a mode is there to end a hang, and it grows with the suite: on JDK 17 jcstress runs each test twice
  # (with and without biased locking), and under -Xint a test takes about 13 s per run here (2 vCPU Intel Xeon), so
  # the flat 600 s it was ran out at 46 of 48 once the suite had 24 tests
  IFS='|' read -r -a planned <<<"$tests"
  modes=(c2 c1 int); common=(-f 1 -iters 1 -time 600); mode_timeout=$(( 40 * ${#planned[@]} ))
  [ "$mode_timeout" -ge 600 ] || mode_timeout=600
else
  modes=(c2 c1 int mixed); common=(-f 2 -iters 5 -time 1000); mode_timeout=3600
fi

start=$SECONDS
results=()
# A mode whose control showed nothing (a loaded machine races less) is run again, whole: provider tests and controls
# together, so both verdicts still come from one run. A failure is never retried: it ends the script at once.
attempts=${PB_JCSTRESS_ATTEMPTS:-3}
for m in "${modes[@]}"; do
 for attempt in $(seq 1 "$attempts"); do
  dir=$out/$m
  if [ "$attempt" -gt 1 ]; then dir=$out/$m-attempt-$attempt; fi
  mkdir -p "$dir"
  run_tests=$tests
  if [ "$m" = mixed ]; then
    # jcstress's own JVM configurations x per-actor compilation modes: 68 configurations per test on JDK 17;
    # the diagnostics are left out here (they say nothing new per configuration)
    run_tests=$(printf '%s' "$tests" | sed -E 's/\|[A-Za-z]+_diag_[A-Za-z]+//g')
    args=(-sc true -f 1 -iters 1 -time 300)
    [ ${#native_access[@]} -gt 0 ] && args+=(-jvmArgsPrepend "${native_access[*]}")
  else
    args=(-sc false "${common[@]}" -jvmArgs "${flags[$m]} ${native_access[*]}")
  fi
  echo "==> [$((SECONDS - start))s] jcstress, mode $m (attempt $attempt of $attempts): ${args[*]}" >&2
  rc=0
  (cd "$dir" && timeout --kill-after=30 "$mode_timeout" "$java" -jar "$jar" -t "$run_tests" "${args[@]}" -r "$dir/html" \
      >"$dir/jcstress.log" 2>&1) || rc=$?
  bin=$(ls "$dir"/jcstress-results-*.bin.gz 2>/dev/null | head -n 1 || true)
  if [ "$rc" -ne 0 ] || [ -z "$bin" ]; then
    tail -n 30 "$dir/jcstress.log" >&2 || true
    echo "run.sh: FAILED: jcstress mode $m exited with status $rc$([ "$rc" = 124 ] && echo " (timed out after ${mode_timeout}s)")" \
      "and left ${bin:-no results}; log: $dir/jcstress.log" >&2
    exit 1
  fi
  grep -E '^\(Results:' "$dir/jcstress.log" | tail -n 1 >&2 || true
  mode_rc=0
  "$java" -cp "$jar" io.processbarrier.jcstress.Suite report --planned="$tests" "$m=$bin" >"$dir/report.txt" || mode_rc=$?
  if [ "$mode_rc" -eq 3 ] && [ "$attempt" -lt "$attempts" ]; then
    sed -n '/^VERDICT/,$p' "$dir/report.txt" >&2
    echo "==> mode $m: a control showed nothing in this run; running the mode again" >&2
    continue
  fi
  if [ "$mode_rc" -eq 1 ]; then echo "==> mode $m FAILED (report below)" >&2; fi
  break
 done
 results+=("$m=$bin")
 if [ "$mode_rc" -eq 1 ]; then break; fi # the report below names the failure; later modes cannot change it
done
echo "==> [$((SECONDS - start))s] all modes done" >&2

rc=0
"$java" -cp "$jar" io.processbarrier.jcstress.Suite report "${report_args[@]}" --planned="$tests" "${results[@]}" | tee "$out/report.txt" \
  || rc=${PIPESTATUS[0]}
echo "(JVM: $("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.runtime.version = //p'); profile $profile;" \
  "$((SECONDS - start)) s; report: $out/report.txt)" | tee -a "$out/report.txt"
exit "$rc"
