#!/usr/bin/env bash
# The ProcessBarrier benchmarks in one run: builds the C baseline, runs it side by side with JMH, and prints every
# table of benchmarks/README.md (Java/C ratios, light(), the read lock, coalescing, single-caller overhead, time to
# first heavy(), scaling).
#
#   benchmarks/run.sh [--quick] [--out DIR] [--java JAVA] [--first-java JAVA]... [--before DIR] [SECTION...]
#
# SECTION: ratio light readlock coalesce single first scaling litmus rml rcu progress tpr local (default: all, in
# that order; progress needs virtual threads: on a JDK before 21 it prints why it is skipped; tpr runs platform
# threads only there; local needs liburcu-dev: apt-get install -y liburcu-dev).
# --quick: short iterations (about 4 minutes for everything instead of about 20); numbers are rougher.
# first: --first-java (repeatable) the JDKs to start (default: --java); --before DIR an older checkout, built
# (mvn -pl benchmarks -am package -DskipTests there), run interleaved with this tree for a before/after table.
# Results: DIR (default benchmarks/target/results-<time>) holds JMH's CSV, the C lines and report.md.
# Needs: a JDK 17+, gcc, and the jar (built here if missing: mvn -pl benchmarks -am package -DskipTests).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
jar="$here/target/benchmarks.jar"
quick=0
out=""
java="${JAVA:-java}"
sections=()
first_javas=()
before=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --out) out="$2"; shift ;;
    --out=*) out="${1#--out=}" ;;
    --java) java="$2"; shift ;;
    --java=*) java="${1#--java=}" ;;
    --first-java) first_javas+=("$2"); shift ;;
    --before) before="$(cd "$2" && pwd)"; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) sections+=("$1") ;;
  esac
  shift
done
[ ${#sections[@]} -gt 0 ] || sections=(ratio light readlock coalesce single first scaling litmus rml rcu progress tpr local)
out="${out:-$here/target/results-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$out"

if [ ! -f "$jar" ]; then
  echo "== building $jar" >&2
  (cd "$root" && mvn -B -q -pl benchmarks -am package -DskipTests)
fi
command -v gcc >/dev/null || { echo "run.sh: gcc is needed for the C baseline (apt-get install gcc)" >&2; exit 1; }
baseline="$here/target/pbbaseline"
gcc -O2 -Wall -pthread -o "$baseline" "$here/src/main/c-baseline/pbbaseline.c"
# the same C as a JNI library, for RawCBench (the raw barrier timed inside a JMH fork like HeavyBench's)
java_home="$(dirname "$(dirname "$(readlink -f "$(command -v "$java")")")")"
[ -f "$java_home/include/jni.h" ] || { echo "run.sh: no $java_home/include/jni.h: --java must name a JDK's java" >&2; exit 1; }
rawc="$here/target/libpbbaseline.so"
gcc -O2 -Wall -Wno-unused-function -shared -fPIC -pthread -DPB_JNI -I"$java_home/include" \
    -I"$java_home/include/linux" -o "$rawc" "$here/src/main/c-baseline/pbbaseline.c"

if [ "$quick" = 1 ]; then
  jmh_time=(-wi 2 -w 500ms -i 3 -r 500ms -f 1)
  c_seconds=1.5
  cold_seconds=5
else
  jmh_time=(-wi 3 -w 1s -i 5 -r 1s -f 1)
  c_seconds=4
  cold_seconds=30
fi
jmh() { # jmh CSV_NAME ARGS...: one JMH invocation, CSV into $out, console to $out/jmh.log and stderr
  local name="$1"; shift
  "$java" -jar "$jar" "$@" -rf csv -rff "$out/$name.tmp.csv" 2>&1 | tee -a "$out/jmh.log" >&2
  # several invocations may feed one table: keep one header
  if [ -f "$out/$name.csv" ]; then tail -n +2 "$out/$name.tmp.csv" >> "$out/$name.csv"; else mv "$out/$name.tmp.csv" "$out/$name.csv"; fi
  rm -f "$out/$name.tmp.csv"
}

{
  echo "date:    $(date -Is)"
  echo "kernel:  $(uname -srm)"
  echo "cpu:     $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs) x $(nproc)"
  echo "java:    $("$java" -version 2>&1 | head -1)"
  echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at the start"
  echo "mode:    $([ "$quick" = 1 ] && echo quick || echo full)"
} > "$out/environment.txt"
cat "$out/environment.txt" >&2

for s in "${sections[@]}"; do
  echo "== $s" >&2
  case "$s" in
    ratio)
      # per provider, back to back: the library in JMH, the raw C barrier in an identical JMH fork, and the C
      # program with as many threads as the JVM had
      for p in membarrier mprotect signal; do
        rm -f "$out/threads-$p.txt"
        jmh heavy HeavyBench.heavy -p provider="$p" -p readers=1 -p coalesce=true "${jmh_time[@]}" \
            -jvmArgsAppend "-Dpb.bench.threadsFile=$out/threads-$p.txt"
        jmh rawc RawCBench.heavy -p provider="$p" -p readers=1 "${jmh_time[@]}" -jvmArgsAppend "-Dpb.bench.rawc=$rawc"
        jvm_threads=$(awk '{print $3}' "$out/threads-$p.txt" | tail -1)
        idle=$(( jvm_threads > 2 ? jvm_threads - 2 : 0 )) # the caller and the spinning reader are the other two
        "$baseline" "$p" "$c_seconds" "$idle" 1 | tee -a "$out/c-baseline.txt" >&2
      done
      ;;
    light)
      jmh light LightBench "${jmh_time[@]}" ;;
    readlock)
      jmh readlock ReadLockBench "${jmh_time[@]}" -t 2
      ;;
    coalesce)
      # the callers alone (as the issue asks), and with a reader spinning, which every barrier then has to reach
      jmh coalesce CoalesceBench -p provider=membarrier,mprotect,signal -p coalesce=true,false -p readers=0,1 \
          "${jmh_time[@]}" -t 8
      ;;
    single)
      # the same fork setup for both: 3 forks each; and the fixed cost around an empty barrier
      jmh single HeavyBench.heavy -p provider=membarrier,mprotect -p readers=1 -p coalesce=true,false \
          "${jmh_time[@]:0:${#jmh_time[@]}-2}" -f 3
      jmh overhead OverheadBench "${jmh_time[@]:0:${#jmh_time[@]}-2}" -f 2
      ;;
    litmus)
      # store buffering with the writer's heavy() shared with other threads' (and a control without heavy())
      for p in membarrier mprotect signal; do
        "$java" --enable-native-access=ALL-UNNAMED -cp "$jar" io.processbarrier.bench.CoalescedLitmus "$p" \
            "$([ "$quick" = 1 ] && echo 5 || echo 15)" 3 2>/dev/null | tee -a "$out/litmus.txt" >&2
      done
      "$java" --enable-native-access=ALL-UNNAMED -cp "$jar" io.processbarrier.bench.CoalescedLitmus membarrier \
          "$([ "$quick" = 1 ] && echo 5 || echo 15)" 3 control 2>/dev/null | tee -a "$out/litmus.txt" >&2
      ;;
    first)
      # one fresh JVM per run, per case, per JDK, per code (this tree, and with --before DIR the old one built
      # there), interleaved: before and after run seconds apart on the same machine. The cases: default selection
      # (natives already extracted, 16 parked threads, as a framework starts), fence forced, the providers without
      # natives (a misconfiguration: WARNING), the api and sync alone (no provider), and the module path.
      first_jdks=("${first_javas[@]:-$java}")
      trees=(after "$root")
      [ -n "$before" ] && trees+=(before "$before")
      dirs=()
      for ((t = 0; t < ${#trees[@]}; t += 2)); do
        d="$(mktemp -d)"
        dirs+=("$d")
        # extract once per tree: later runs reuse the verified file, as a restarted application does
        "${first_jdks[0]}" --enable-native-access=ALL-UNNAMED -Djava.io.tmpdir="$d" \
            -cp "${trees[t + 1]}/benchmarks/target/benchmarks.jar" io.processbarrier.bench.FirstHeavy >/dev/null
      done
      # FirstHeavy itself always from this tree (the same measurement, getCpuNanos included), the library from TREE
      # FirstHeavy as an application's own jar: an application's classes come from a jar, so the JDK's jar support is
      # initialized before its first get() (from a directory, the first jar opened is the api's, inside get())
      app="$out/first-heavy-app.jar"
      (cd "$here/target/classes" && "$(dirname "$(readlink -f "$(command -v "$java")")")/jar" cf "$app" \
          io/processbarrier/bench/FirstHeavy*.class)
      jars() { # jars TREE_ROOT SEP: the api, the three providers and the x86_64 natives jar of TREE_ROOT
        ls "$1"/api/target/processbarrier-api-*[0-9T].jar "$1"/spi-membarrier/target/processbarrier-spi-membarrier-*[0-9T].jar \
            "$1"/spi-mprotect/target/processbarrier-spi-mprotect-*[0-9T].jar "$1"/spi-signal/target/processbarrier-spi-signal-*[0-9T].jar \
            "$1"/natives-linux-x86_64/target/processbarrier-natives-linux-x86_64-*-linux-x86_64.jar | paste -sd"$2"
      }
      first_case() { # first_case TREE_ROOT NATIVE_DIR JAVA CASE: prints FirstHeavy's line
        local tr="$1" nd="$2" j="$3" c="$4" mp
        case "$c" in
          default) # the library's own jars, as an application ships them (the benchmarks' fat jar would add the
            # opening of a 3.6 MB jar of JMH to the first class it loads)
            "$j" --enable-native-access=ALL-UNNAMED -Djava.io.tmpdir="$nd" -cp "$app:$(jars "$tr" :)" \
              io.processbarrier.bench.FirstHeavy parked=16 ;;
          fence) "$j" -Dprocessbarrier.provider=fence -cp "$app:$(jars "$tr" :)" \
              io.processbarrier.bench.FirstHeavy parked=16 ;;
          no-natives) "$j" --enable-native-access=ALL-UNNAMED -Djava.io.tmpdir="$nd" -cp \
              "$app:$(jars "$tr" : | tr : '\n' | grep -v natives | paste -sd:)" \
              io.processbarrier.bench.FirstHeavy parked=16 2>/dev/null ;;
          sync-alone) "$j" -cp "$app:$(ls "$tr"/api/target/processbarrier-api-*[0-9T].jar "$tr"/sync/target/processbarrier-sync-*[0-9T].jar | paste -sd:)" \
              io.processbarrier.bench.FirstHeavy parked=16 2>/dev/null ;;
          module-path)
            mp="$(jars "$tr" :)"
            "$j" --enable-native-access=io.processbarrier -Djava.io.tmpdir="$nd" -p "$mp" \
                --add-modules io.processbarrier -cp "$app" \
                io.processbarrier.bench.FirstHeavy parked=16 ;;
        esac
      }
      n=$([ "$quick" = 1 ] && echo 5 || echo 15) # 15 fresh JVMs per case, JDK and code, as issue 29 measures
      for ((i = 0; i < n; i++)); do
        for j in "${first_jdks[@]}"; do
          v="$("$j" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')"
          for c in default fence no-natives sync-alone module-path; do
            for ((t = 0; t < ${#trees[@]}; t += 2)); do
              t0=$(date +%s%N)
              line="$(first_case "${trees[t + 1]}" "${dirs[t / 2]}" "$j" "$c" | tail -1)"
              t1=$(date +%s%N)
              echo "case=$c jdk=$v code=${trees[t]} $line wallNanos=$((t1 - t0))" | tee -a "$out/first-heavy.txt" >&2
            done
          done
        done
      done
      rm -rf "${dirs[@]}"
      ;;
    scaling)
      jmh scaling HeavyBench.heavy -p provider=membarrier,mprotect,signal -p readers=1,2,4,16,64 -p coalesce=true \
          "${jmh_time[@]}"
      ;;
    rml)
      # ReadMostlyLock (io.processbarrier.sync) against the JDK's locks: a HashMap, 0.1% writes, 1, 2 and 8 threads;
      # then the write side on one thread: a write at the start of a burst, one inside a burst, one heavy(); then
      # contended writers (WriteContention)
      for t in 1 2 8; do
        jmh rml ReadMostlyLockBench.read "${jmh_time[@]}" -t "$t"
      done
      # the cold ones are single events after a sleep: sampled, and the report takes their medians
      jmh rml-write 'ReadMostlyLockBench.(writeCold|heavyCold|writeColdInBurst)$' -p lock=rml -bm sample -tu ns \
          "${jmh_time[@]}" -t 1
      jmh rml-write 'ReadMostlyLockBench.(writeInBurst|heavy)$' -p lock=rml "${jmh_time[@]}" -t 1
      # the 2x target of the cold write: cold write and cold heavy() taking turns, a ratio per second (ColdWrite)
      "$java" --enable-native-access=ALL-UNNAMED -cp "$jar" io.processbarrier.bench.ColdWrite seconds="$cold_seconds" \
          | tee "$out/cold-write.txt" >&2
      "$java" -cp "$jar" io.processbarrier.bench.Report --rml-svg "$out" > "$out/read-mostly-lock.svg"
      # contended writers (issue 28): 2/4/8 writers, alone and with 2 readers beside, platform and (JDK 21+)
      # virtual threads, against ReentrantReadWriteLock default and fair and StampedLock, taking turns per round
      "$java" --enable-native-access=ALL-UNNAMED -cp "$jar" io.processbarrier.bench.WriteContention \
          --seconds "$([ "$quick" = 1 ] && echo 0.5 || echo 1)" --rounds 3 | tee "$out/write-contention.txt" >&2
      ;;
    rcu)
      # Rcu (processbarrier-sync): read side on 1 and 2 threads against a read lock and an OpOrder-style counter,
      # synchronize() against heavy() idle and with 2 busy readers (their longest section into rcu-sections.txt),
      # retire() amortized over a million
      jmh rcu 'RcuBench\.(baseline|rcuRead)$' -t 1 "${jmh_time[@]}"
      jmh rcu 'RcuBench\.(rcuRead|rwlRead|opOrderRead)$' -t 2 "${jmh_time[@]}"
      jmh rcu 'RcuBench\.(synchronizeIdle|heavyIdle)$' -t 1 -p provider=membarrier,mprotect,signal "${jmh_time[@]}"
      jmh rcu 'RcuBench\.(synchronizeBusy|heavyBusy)$' -t 1 -p provider=membarrier,mprotect,signal "${jmh_time[@]}" \
          -jvmArgsAppend "-Dpb.bench.rcuFile=$out/rcu-sections.txt"
      jmh rcu 'RcuBench\.retireMillion$' -t 1 -f 1
      ;;
    progress)
      # writers against readers in tight loops (32 virtual + 2 platform, and 2 platform only): ReadMostlyLock and
      # ReentrantReadWriteLock, writes and the longest write-lock wait per 3 s run; virtual threads need JDK 21+
      spec="$("$java" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ {print $2}')"
      if [ "${spec%%.*}" -ge 21 ] 2>/dev/null; then
        "$java" --enable-native-access=ALL-UNNAMED -cp "$jar" io.processbarrier.bench.WriterProgress \
            --seconds 3 --runs "$([ "$quick" = 1 ] && echo 2 || echo 5)" 2>&1 | tee "$out/progress.txt" >&2
      else
        echo "== progress skipped: $java is Java ${spec:-?}, without virtual threads (run.sh --java" \
            "/usr/lib/jvm/temurin-25-jdk-amd64/bin/java progress)" | tee "$out/progress.txt" >&2
      fi
      ;;
    tpr)
      # issue 27: a new thread per read (virtual on JDK 21+, and a recreated platform pool) against the JDK's ways,
      # rounds interleaved; then the churn soak (the library's objects left after many threads, class histogram)
      "$java" -Xmx2g --enable-native-access=ALL-UNNAMED -cp "$jar" io.processbarrier.bench.ThreadPerRequest \
          threads="$([ "$quick" = 1 ] && echo 100000 || echo 200000)" rounds="$([ "$quick" = 1 ] && echo 21 || echo 61)" \
          | tee "$out/thread-per-request.txt" >&2
      "$java" -Xmx2g --enable-native-access=ALL-UNNAMED -cp "$jar" io.processbarrier.bench.ThreadPerRequest \
          churn="$([ "$quick" = 1 ] && echo 1000000 || echo 10000000)" | tee "$out/churn.txt" >&2
      ;;
    local)
      # issue 27 item 4: a section through a thread's own handle against liburcu's read side around the same load:
      # the memb flavour (and QSBR, whose read side is empty), inlined with _LGPL_SOURCE, before and after JMH
      if [ ! -f /usr/include/urcu/urcu-memb.h ] && [ ! -f /usr/include/x86_64-linux-gnu/urcu/urcu-memb.h ] \
          && [ ! -f /usr/include/aarch64-linux-gnu/urcu/urcu-memb.h ]; then
        echo "== local skipped: no liburcu headers (apt-get install -y liburcu-dev)" | tee "$out/urcu.txt" >&2
      else
        for f in memb qsbr; do
          gcc -O2 -Wall -pthread -DPB_FLAVOUR_"$(echo "$f" | tr a-z A-Z)" -o "$here/target/urcusection-$f" \
              "$here/src/main/c-baseline/urcusection.c" -lurcu-"$f"
        done
        iters=$([ "$quick" = 1 ] && echo 100000000 || echo 300000000)
        for f in memb qsbr; do "$here/target/urcusection-$f" "$iters" 3 | tee -a "$out/urcu.txt" >&2; done
        jmh local LocalBench "${jmh_time[@]}" -t 1
        for f in memb qsbr; do "$here/target/urcusection-$f" "$iters" 3 | tee -a "$out/urcu.txt" >&2; done
      fi
      ;;
    *) echo "run.sh: unknown section $s (ratio light readlock coalesce single first scaling litmus rml rcu progress tpr local)" >&2; exit 2 ;;
  esac
done
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at the end" >> "$out/environment.txt"

"$java" -cp "$jar" io.processbarrier.bench.Report "$out" | tee "$out/report.md"
echo "(results in $out)" >&2
