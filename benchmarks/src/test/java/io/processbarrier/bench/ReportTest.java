package io.processbarrier.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The report reads JMH's CSV and the C baseline's lines and computes the ratios from them. */
class ReportTest {
    static final String HEADER = "\"Benchmark\",\"Mode\",\"Threads\",\"Samples\",\"Score\",\"Score Error (99.9%)\","
            + "\"Unit\",\"Param: coalesce\",\"Param: provider\",\"Param: readers\"";

    @Test
    void javaOverCRatiosUseTheMedians(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("heavy.csv"), List.of(HEADER,
                "\"io.processbarrier.bench.HeavyBench.heavy\",\"sample\",1,1000,10600.5,100.0,\"ns/op\",true,membarrier,1",
                "\"io.processbarrier.bench.HeavyBench.heavy:p0.50\",\"sample\",1,1,10400.0,NaN,\"ns/op\",true,membarrier,1",
                "\"io.processbarrier.bench.HeavyBench.heavy:p0.50\",\"sample\",1,1,130000.0,NaN,\"ns/op\",true,signal,1"));
        Files.write(dir.resolve("rawc.csv"), List.of("\"Benchmark\",\"Mode\",\"Threads\",\"Samples\",\"Score\","
                        + "\"Score Error (99.9%)\",\"Unit\",\"Param: pin\",\"Param: provider\",\"Param: readers\"",
                "\"io.processbarrier.bench.RawCBench.heavy:p0.50\",\"sample\",1,1,10200.0,NaN,\"ns/op\",true,membarrier,1",
                "\"io.processbarrier.bench.RawCBench.heavy:p0.50\",\"sample\",1,1,125000.0,NaN,\"ns/op\",true,signal,1"));
        Files.write(dir.resolve("c-baseline.txt"), List.of(
                "op=membarrier readers=1 threads=21 calls=5 median_ns=10000 p99_ns=20000 mean_ns=10100",
                "op=signal readers=1 threads=21 calls=5 median_ns=100000 p99_ns=200000 mean_ns=100000"));
        String md = Report.render(dir);
        assertTrue(md.contains("| membarrier | 10.40 µs | 10.20 µs | **1.020** | 10.00 µs | **1.040** "
                + "| ≤ 1.05: met (JVM), met (program) | 10.60 µs | 21 |"), md);
        assertTrue(md.contains("| signal | 130.00 µs | 125.00 µs | **1.040** | 100.00 µs | **1.300** "
                + "| ≤ 1.2: met (JVM), **missed** (program) |"), md);
    }

    @Test
    void theColdWriteIsJudgedBySampledMediansWithTheMeansBeside(@TempDir Path dir) throws Exception {
        rmlRun(dir, sampled("writeCold", 900, 9000.0, "900.0"), sampled("writeCold:p0.50", 1, 1500.0, "NaN"),
                sampled("heavyCold", 900, 2000.0, "200.0"), sampled("heavyCold:p0.50", 1, 1000.0, "NaN"));
        String md = Report.render(dir);
        // the median ratio 1.5x meets the target although the means (the tail) give 4.5x
        assertTrue(md.contains("(both after the same sleep; medians) | 1.50 µs / 1.00 µs = **1.50x** | met |"), md);
        assertTrue(md.contains("| the same, means (the tail of cold events; no target) | 9.00 µs / 2.00 µs = 4.50x |"), md);
    }

    @Test
    void theColdWriteIsJudgedByTurnsInTheSameSecondsWhenColdWriteRan(@TempDir Path dir) throws Exception {
        // JMH's separate runs: writeCold fell in a slow phase, heavyCold did not (5x)
        rmlRun(dir, sampled("writeCold:p0.50", 1, 5000.0, "NaN"), sampled("heavyCold:p0.50", 1, 1000.0, "NaN"));
        // per second, taking turns: the slow second (4000/4400) weighs on both sides; ratios 0.9, 1.2, 0.91, 3.0
        Files.write(dir.resolve("cold-write.txt"), List.of(
                "second=0 heavyColdNanos=500 writeColdNanos=450 writeColdInBurstNanos=140 samples=450",
                "second=1 heavyColdNanos=500 writeColdNanos=600 writeColdInBurstNanos=150 samples=450",
                "not a result line",
                "second=9 samples=0",
                "second=8 heavyColdNanos=500 writeColdNanos=0 writeColdInBurstNanos=x samples=1",
                "second=2 heavyColdNanos=4400 writeColdNanos=4000 writeColdInBurstNanos=900 samples=440",
                "second=3 heavyColdNanos=400 writeColdNanos=1200 writeColdInBurstNanos=130 samples=450"));
        String md = Report.render(dir);
        // the median of the per-second ratios (0.91 and 1.2: 1.05), not the ratio of the medians over seconds
        // a stalled second (samples=0) and a second with a 0 or a word instead of a median do not count
        assertTrue(md.contains("taking turns; medians over 4 seconds: 900 ns and 500 ns) | median of the per-second "
                + "ratios **1.05x** (range 0.90-3.00x) | met |"), md);
        assertTrue(md.contains("| the same in separate JMH runs (medians; no target: one run may fall in a slow phase "
                + "and the other not) | 5.00 µs / 1.00 µs = 5.00x | - |"), md);
        assertTrue(md.contains("inside a burst: the cold write without its heavy() (no target) | 145 ns | - |"), md);
        assertFalse(md.contains("MISSED"), md);
    }

    @Test
    void contendedWritersAreJudgedAgainstTheDefaultAndTheFairLock(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("write-contention.txt"), List.of(
                "# WriteContention java=25 cpus=2",
                "lock=rml threads=platform writers=2 readers=0 round=1 writesPerMs=1.0 maxWriterStallMs=1.0",
                "summary lock=rml threads=platform writers=2 readers=0 rounds=3 medianWritesPerMs=600.0"
                        + " writesPerMs=1..2 maxWriterStallMs=12.5 maxReaderStallMs=0.0",
                "summary lock=rrwl threads=platform writers=2 readers=0 rounds=3 medianWritesPerMs=1000.0"
                        + " writesPerMs=1..2 maxWriterStallMs=3.0 maxReaderStallMs=0.0",
                "summary lock=fair threads=platform writers=2 readers=0 rounds=3 medianWritesPerMs=300.0"
                        + " writesPerMs=1..2 maxWriterStallMs=3.0 maxReaderStallMs=0.0",
                "summary lock=rml threads=platform writers=4 readers=0 rounds=3 medianWritesPerMs=450.0"
                        + " writesPerMs=1..2 maxWriterStallMs=12.5 maxReaderStallMs=0.0",
                "summary lock=rrwl threads=platform writers=4 readers=0 rounds=3 medianWritesPerMs=1000.0"
                        + " writesPerMs=1..2 maxWriterStallMs=3.0 maxReaderStallMs=0.0",
                "summary lock=rml threads=virtual writers=4 readers=2 rounds=3 medianWritesPerMs=400.0"
                        + " writesPerMs=1..2 maxWriterStallMs=20.0 maxReaderStallMs=150.0 medianReadsPerMs=9000.0",
                "summary lock=rrwl threads=virtual writers=4 readers=2 rounds=3 medianWritesPerMs=1000.0"
                        + " writesPerMs=1..2 maxWriterStallMs=3.0 maxReaderStallMs=3.0 medianReadsPerMs=3000.0",
                "summary lock=fair threads=virtual writers=4 readers=2 rounds=3 medianWritesPerMs=500.0"
                        + " writesPerMs=1..2 maxWriterStallMs=3.0 maxReaderStallMs=3.0",
                "summary lock=stamped threads=virtual writers=4 readers=2 rounds=3 medianWritesPerMs=x",
                "summary threads=virtual writers=8 readers=2 medianWritesPerMs=5.0"));
        String md = Report.render(dir);
        // met: 0.6x of rrwl, 2x fair, stalls within 100 ms (no readers: no reader stall judged)
        assertTrue(md.contains("| platform | 0 | 2 | 600 | 1000 | 300 | - | **0.60x** met | - | 2.00x met "
                + "| 12.5 / - ms met |"), md);
        // writers alone at 0.45x of rrwl: missed (no fair lock in that setting: not judged)
        assertTrue(md.contains("| platform | 0 | 4 | 450 | 1000 | - | - | **0.45x** MISSED | - | - "
                + "| 12.5 / - ms met |"), md);
        // with readers beside the ratio of writes is shown with the ratio of reads, not judged; missed twice: below
        // fair, a reader stalled 150 ms; a line without a number is skipped
        assertTrue(md.contains("| virtual | 2 | 4 | 400 | 1000 | 500 | - | **0.40x** (readers beside) | 3.00x "
                + "| 0.80x MISSED | 20.0 / 150.0 ms MISSED |"), md);
        assertTrue(md.contains("Targets missed: 3."), md);
        assertFalse(md.contains("| virtual | 2 | 8 |"), md);
    }

    /** A run.sh rml result: one read row in rml.csv, and these rows in rml-write.csv. */
    private static void rmlRun(Path dir, String... writeRows) throws IOException {
        String h = "\"Benchmark\",\"Mode\",\"Threads\",\"Samples\",\"Score\",\"Score Error (99.9%)\",\"Unit\","
                + "\"Param: lock\",\"Param: rmlWindowNanos\",\"Param: writeEvery\"";
        Files.write(dir.resolve("rml.csv"), List.of(h,
                "\"io.processbarrier.bench.ReadMostlyLockBench.read\",\"thrpt\",1,5,50.0,1.0,\"ops/us\",rml,1000000,1000"));
        List<String> rows = new ArrayList<>(List.of(h));
        rows.addAll(List.of(writeRows));
        Files.write(dir.resolve("rml-write.csv"), rows);
    }

    /** A JMH sample-mode row of ReadMostlyLockBench (a benchmark, or a percentile of it as "writeCold:p0.50"). */
    private static String sampled(String benchmark, int samples, double score, String error) {
        return "\"io.processbarrier.bench.ReadMostlyLockBench." + benchmark + "\",\"sample\",1," + samples + ","
                + score + "," + error + ",\"ns/op\",rml,1000000,1000";
    }

    @Test
    void theLocalHandleIsJudgedInTheCProgramsShapeWithOneSectionPerCallBeside(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("local.csv"), List.of(
                "\"Benchmark\",\"Mode\",\"Threads\",\"Samples\",\"Score\",\"Score Error (99.9%)\",\"Unit\"",
                "\"io.processbarrier.bench.LocalBench.load\",\"avgt\",1,5,0.5,0.1,\"ns/op\"",
                "\"io.processbarrier.bench.LocalBench.loadLoop\",\"avgt\",1,5,0.3,0.1,\"ns/op\"",
                "\"io.processbarrier.bench.LocalBench.rcuLocal\",\"avgt\",1,5,2.5,0.1,\"ns/op\"",
                "\"io.processbarrier.bench.LocalBench.rcuLocalLoop\",\"avgt\",1,5,1.1,0.1,\"ns/op\"",
                "\"io.processbarrier.bench.LocalBench.rmlLocalReadLockLoop\",\"avgt\",1,5,2.3,0.1,\"ns/op\""));
        // liburcu memb adds 1.0 ns (the median of three), QSBR nothing
        Files.write(dir.resolve("urcu.txt"), List.of(
                "flavour=memb load_ns=0.3 section_ns=1.2 added_ns=0.9",
                "flavour=memb load_ns=0.3 section_ns=1.3 added_ns=1.0",
                "flavour=memb load_ns=0.3 section_ns=1.4 added_ns=1.1",
                "flavour=qsbr load_ns=0.3 section_ns=0.3 added_ns=0.0"));
        String md = Report.render(dir);
        // the loop rows against loadLoop, judged: 0.8 ns added is 0.80x, 2.0 ns is 2.00x
        assertTrue(md.contains("| rcuLocalLoop | 1.10 | 0.80 | 0.80x | <= 1.0x: met |"), md);
        assertTrue(md.contains("| rmlLocalReadLockLoop | 2.30 | 2.00 | 2.00x | <= 1.0x: MISSED |"), md);
        // one section per call against load, shown, not judged
        assertTrue(md.contains("| rcuLocal | 2.50 | 2.00 | 2.00x | (one section per JMH call) |"), md);
    }

    @Test
    void coalescingRatioAndBarriersPerCall(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("coalesce.csv"), List.of(
                "\"Benchmark\",\"Mode\",\"Threads\",\"Samples\",\"Score\",\"Score Error (99.9%)\",\"Unit\","
                        + "\"Param: coalesce\",\"Param: provider\"",
                "\"io.processbarrier.bench.CoalesceBench.heavy\",\"thrpt\",8,5,400000,1000,\"ops/s\",true,membarrier",
                "\"io.processbarrier.bench.CoalesceBench.heavy:barriers\",\"thrpt\",8,5,50000,NaN,\"#\",true,membarrier",
                "\"io.processbarrier.bench.CoalesceBench.heavy:calls\",\"thrpt\",8,5,400000,NaN,\"#\",true,membarrier",
                "\"io.processbarrier.bench.CoalesceBench.heavy\",\"thrpt\",8,5,80000,1000,\"ops/s\",false,membarrier",
                "\"io.processbarrier.bench.CoalesceBench.heavy:barriers\",\"thrpt\",8,5,80000,NaN,\"#\",false,membarrier",
                "\"io.processbarrier.bench.CoalesceBench.heavy:calls\",\"thrpt\",8,5,80000,NaN,\"#\",false,membarrier"));
        String md = Report.render(dir);
        assertTrue(md.contains("| membarrier | 8 | 0 | 400000 ± 1000 | 80000 ± 1000 | **5.00x** | **0.125** | 1.000 |"), md);
    }

    @Test
    void firstHeavyTakesMedians(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("first-heavy.txt"), List.of(
                "provider=membarrier firstHeavyNanos=3000000 secondHeavyNanos=9000 wallNanos=300000000",
                "provider=membarrier firstHeavyNanos=1000000 secondHeavyNanos=8000 wallNanos=100000000",
                "provider=membarrier firstHeavyNanos=2000000 secondHeavyNanos=7000 wallNanos=200000000",
                "case=default,extracted,16-parked provider=membarrier getNanos=9000000 firstHeavyNanos=1000000 "
                        + "secondHeavyNanos=20000 parked=16 wallNanos=90000000",
                "case=default,extracted,16-parked provider=membarrier getNanos=7000000 firstHeavyNanos=500000 "
                        + "secondHeavyNanos=10000 parked=16 wallNanos=80000000",
                "case=default,extracted,16-parked provider=membarrier getNanos=8000000 firstHeavyNanos=4000000 "
                        + "secondHeavyNanos=30000 parked=16 wallNanos=70000000"));
        String md = Report.render(dir);
        // old lines (no get()): grouped as forced; the median of each column on its own, of get() + heavy() per run
        assertTrue(md.contains("| forced membarrier, fresh native.dir | membarrier | 3 | 0 ns | 2.00 ms | 2.00 ms "
                + "| 8.00 µs | 200.00 ms |"), md);
        assertTrue(md.contains("| default,extracted,16-parked | membarrier | 3 | 8.00 ms | 1.00 ms | 10.00 ms "
                + "| 20.00 µs | 80.00 ms |"), md);
    }

    @Test
    void csvSplittingHandlesQuotes() {
        assertEquals(List.of("a,b", "c", "", "d\"e"), Report.splitCsv("\"a,b\",c,,\"d\"\"e\""));
    }
}
