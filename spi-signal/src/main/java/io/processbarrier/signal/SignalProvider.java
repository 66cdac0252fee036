package io.processbarrier.signal;

import io.processbarrier.ErrnoException;
import io.processbarrier.ProcessBarrierException;
import io.processbarrier.spi.Availability;
import io.processbarrier.internal.support.NativeLibrary;
import io.processbarrier.internal.support.Platform;
import io.processbarrier.internal.support.Settings;
import io.processbarrier.spi.ProcessBarrierProvider;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * heavy() = a real-time signal to every other thread of the process, whose handler runs a full fence and
 * acknowledges; heavy() returns once every thread has acknowledged or exited. This is the signal flavor of
 * userspace RCU without a thread registry: the threads are read from {@code /proc/self/task}, each is signalled
 * with {@code rt_tgsigqueueinfo}, and the caller spins briefly, then sleeps on a futex until the acknowledgements
 * are in. It works on every Linux architecture; it is the slowest of the real providers (milliseconds once the
 * threads outnumber the CPUs, since every thread must be scheduled to run the handler), hence the lowest priority.
 *
 * <h2>Memory ordering</h2>
 * When {@code heavy()} returns, every thread of the process that existed when it was called has, after the call
 * began, either run the handler (whose fence orders everything it did before the interruption before everything
 * it does after) or exited. A thread created during the call starts after the caller's opening fence, with the
 * kernel's own barriers of thread creation. The caller fences before and after (the api).
 * The list of threads is only used once it is known to be complete: the kernel's walk of {@code /proc/PID/task}
 * can end early without saying so when a thread exits under it or the reader has a signal pending, so each
 * listing is checked and repeated until it demonstrably reached the end (see {@code signal.c}).
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>{@value #SIGNAL_PROPERTY}: the real-time signal, as a number or {@code SIGRTMIN+n} / {@code SIGRTMAX-n}
 *       (default {@value #DEFAULT_SIGNAL}). One per process, installed once with {@code SA_RESTART} and never
 *       removed. If the signal already has a handler (someone else owns it) the provider is unavailable.</li>
 *   <li>{@value #TIMEOUT_PROPERTY}: how long heavy() waits for the acknowledgements (default
 *       {@value #DEFAULT_TIMEOUT_MILLIS}). On timeout it throws a {@link ProcessBarrierException} that names every
 *       thread that did not acknowledge, and whether it blocks the signal. It never hangs.</li>
 * </ul>
 *
 * <h2>Caveats</h2>
 * A thread that blocks the signal (some native libraries block all signals in their threads) makes every heavy()
 * time out. Despite {@code SA_RESTART}, some blocking calls ({@code epoll_wait}, {@code poll}, {@code select},
 * {@code nanosleep}: see signal(7)) return {@code EINTR} when the signal arrives; the JDK copes with that, native
 * code that does not is disturbed. A thread that blocks the signal and is signalled by failing barriers
 * accumulates queued signals against {@code RLIMIT_SIGPENDING} (at most two per failed barrier).
 *
 * <p>Concurrent callers: the api shares one barrier among concurrent {@code heavy()} calls, but
 * the barrier itself is safe to run concurrently too ({@code processbarrier.coalesce=false}, several instances):
 * each run signals every thread with acknowledgement slots of its own, so an acknowledgement is never lost or
 * credited to another run, and one run's timeout does not delay another. A handler that runs after its barrier
 * timed out (a thread that unblocks the signal later) changes nothing.
 */
public final class SignalProvider implements ProcessBarrierProvider {
    public static final String NAME = "signal";
    public static final String SIGNAL_PROPERTY = "processbarrier.signal.number";
    public static final String TIMEOUT_PROPERTY = "processbarrier.signal.timeoutMillis";
    /**
     * {@code auto} (default), {@code true} or {@code false}: whether heavy() leaves out threads that block the signal
     * instead of timing out on them. {@code auto} means only under user-mode emulation (qemu-user running an
     * aarch64 JVM on an x86_64 host, or the reverse), where the emulator's own threads appear in /proc/self/task
     * with every signal blocked; they never run guest code, so there is nothing in them to order. Elsewhere a
     * thread that blocks the signal may be running code that relies on the barrier, so the barrier fails loudly.
     */
    public static final String SKIP_BLOCKING_PROPERTY = "processbarrier.signal.skipBlockingThreads";
    /**
     * The low end of the real-time range is where applications and runtimes hand out signals (SIGRTMIN+n; .NET
     * takes SIGRTMIN itself) and the very top is sometimes claimed by tools; the JVM uses no real-time signal.
     * Written relative to SIGRTMAX so that it means the same under every C library.
     */
    public static final String DEFAULT_SIGNAL = "SIGRTMAX-3";
    public static final long DEFAULT_TIMEOUT_MILLIS = 5000;
    /** A day: long enough for anyone, short enough that a monotonic deadline in nanoseconds cannot overflow. */
    static final long MAX_TIMEOUT_MILLIS = TimeUnit.DAYS.toMillis(1);

    /** Tens of microseconds to milliseconds (every thread is woken): below membarrier and mprotect. */
    public static final int PRIORITY = 200;

    private final Settings settings;
    private volatile Config config;
    private volatile SignalBarrier barrier;

    public SignalProvider() {
        this(Settings.system());
    }

    /** @param settings where to read {@code os.name}, {@code os.arch} and the provider's properties (tests) */
    SignalProvider(Settings settings) {
        this.settings = settings;
    }

    /** What probe() found valid. */
    private static final class Config {
        final int signal;
        final String signalName;
        final long timeoutMillis;
        final boolean skipBlocking;

        Config(int signal, String signalName, long timeoutMillis, boolean skipBlocking) {
            this.signal = signal;
            this.signalName = signalName;
            this.timeoutMillis = timeoutMillis;
            this.skipBlocking = skipBlocking;
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Availability probe() {
        String os = settings.string("os.name");
        if (!Platform.isLinux(os)) {
            return Availability.unavailable("the signal barrier needs Linux (rt_tgsigqueueinfo, /proc/self/task); "
                    + "this is os.name=" + os);
        }
        try {
            NativeLibrary.load(RtSignal.class, "signal");
        } catch (ProcessBarrierException e) {
            return Availability.unavailable(e);
        }
        int rtmin = RtSignal.sigrtmin();
        int rtmax = RtSignal.sigrtmax();
        int signal;
        long timeout;
        boolean skipBlocking;
        boolean emulated = userModeEmulation(settings.string("os.arch"), readCpuinfo());
        timeout = settings.number(TIMEOUT_PROPERTY); // range and default: Settings.KNOWN
        skipBlocking = parseSkipBlocking(settings.choice(SKIP_BLOCKING_PROPERTY), emulated);
        try {
            signal = parseSignal(settings.signal(SIGNAL_PROPERTY), rtmin, rtmax);
        } catch (IllegalArgumentException e) {
            throw Settings.error(e.getMessage()); // a setting that breaks the rule fails get(), never a quiet fallback
        }
        String signalName = describe(signal, rtmin, rtmax);
        if (!Files.isDirectory(Path.of("/proc/self/task"))) {
            return Availability.unavailable("the signal barrier lists the threads in /proc/self/task, which does not "
                    + "exist here: mount /proc (proc filesystem) or use another provider");
        }
        try {
            if (RtSignal.listThreads(TimeUnit.MILLISECONDS.toNanos(timeout)) == null) {
                return Availability.unavailable("no complete list of this process's threads could be read from "
                        + "/proc/self/task within " + timeout + " ms (" + TIMEOUT_PROPERTY + ")");
            }
        } catch (ErrnoException e) {
            return Availability.unavailable(new ProcessBarrierException("the signal barrier cannot list this "
                    + "process's threads: " + e.getMessage(), e));
        }
        String conflict = conflict(signal, signalName, RtSignal.installedSignal(), RtSignal.disposition(signal),
                rtmin, rtmax);
        if (conflict != null) {
            return Availability.unavailable(conflict);
        }
        config = new Config(signal, signalName, timeout, skipBlocking);
        return Availability.available(signalName + " to every thread (rt_tgsigqueueinfo), handler fences and "
                + "acknowledges; timeout " + timeout + " ms" + (!skipBlocking ? ""
                : emulated ? "; user-mode emulation: threads that block the signal (the emulator's own) are skipped"
                : "; threads that block the signal are skipped (" + SKIP_BLOCKING_PROPERTY + "=true)"));
    }

    /**
     * Whether this JVM runs under user-mode emulation: /proc/cpuinfo is the host kernel's and describes another
     * architecture than the one the JVM was built for (qemu-user does not emulate it for these targets).
     */
    static boolean userModeEmulation(String osArch, String cpuinfo) {
        if (osArch == null || cpuinfo == null) {
            return false;
        }
        boolean x86Host = cpuinfo.contains("\nvendor_id") || cpuinfo.startsWith("vendor_id")
                || cpuinfo.contains("\nflags\t");
        boolean armHost = cpuinfo.contains("CPU implementer");
        if (Platform.isAarch64(osArch)) {
            return x86Host && !armHost;
        }
        if (Platform.isX86_64(osArch)) {
            return armHost && !x86Host;
        }
        return false;
    }

    private static String readCpuinfo() {
        try {
            return Files.readString(Path.of("/proc/cpuinfo"));
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }

    /** Parses {@value #SKIP_BLOCKING_PROPERTY}: {@code auto} (or unset) follows {@code emulated}. */
    static boolean parseSkipBlocking(String value, boolean emulated) {
        if (value == null || value.isBlank() || value.trim().equalsIgnoreCase("auto")) {
            return emulated;
        }
        switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true":
                return true;
            case "false":
                return false;
            default:
                throw new IllegalArgumentException(SKIP_BLOCKING_PROPERTY + "=" + value + " is not valid: use auto, "
                        + "true or false");
        }
    }

    /**
     * Why {@code signal} cannot be ours, or null.
     *
     * @param installed   the signal this process already uses for ProcessBarrier, or 0
     * @param disposition what {@code sigaction} reports for {@code signal} now
     */
    static String conflict(int signal, String signalName, int installed, int disposition, int rtmin, int rtmax) {
        return conflict(signal, signalName, installed, disposition, rtmin, rtmax,
                disposition == RtSignal.OTHER_COPY ? RtSignal.handlerFile(signal) : null);
    }

    /** @param otherCopy the library file of the other copy of ProcessBarrier that holds {@code signal}, if any */
    static String conflict(int signal, String signalName, int installed, int disposition, int rtmin, int rtmax,
                           String otherCopy) {
        if (installed != 0 && installed != signal) {
            return "this process already uses " + describe(installed, rtmin, rtmax) + " for ProcessBarrier and a "
                    + "process uses one signal: set " + SIGNAL_PROPERTY + "=" + installed + " or leave it unset";
        }
        switch (disposition) {
            case RtSignal.FOREIGN:
                return signalName + " already has a handler in this process, installed by other code; "
                        + "ProcessBarrier will not replace it. Choose a free real-time signal with -D"
                        + SIGNAL_PROPERTY + "=<" + rtmin + ".." + rtmax + ", or SIGRTMAX-n>";
            case RtSignal.OTHER_COPY:
                return signalName + " is in use by another copy of ProcessBarrier in this process (a shaded copy, or"
                        + " one in another class loader, loaded from " + otherCopy + "). One copy at a time can use the"
                        + " signal barrier, so this one selects another provider; the other copy keeps the signal"
                        + " until its class loader is unloaded";
            case RtSignal.IGNORED:
                return signalName + " is ignored (SIG_IGN) by other code in this process; ProcessBarrier will not "
                        + "take it over. Choose a free real-time signal with -D" + SIGNAL_PROPERTY + "=<" + rtmin
                        + ".." + rtmax + ", or SIGRTMAX-n>";
            default:
                return null;
        }
    }

    /**
     * Parses {@value #SIGNAL_PROPERTY}: a number, {@code SIGRTMIN[+n]} or {@code SIGRTMAX[-n]} (the {@code SIG}
     * prefix optional), within the real-time range the C library leaves to applications.
     *
     * @param value null or blank for the default
     * @throws IllegalArgumentException naming the property, the value and what is accepted
     */
    static int parseSignal(String value, int rtmin, int rtmax) {
        String v = value == null || value.isBlank() ? DEFAULT_SIGNAL : value.trim();
        String u = v.toUpperCase(Locale.ROOT);
        if (u.startsWith("SIG")) {
            u = u.substring(3);
        }
        Integer sig = null;
        try {
            if (u.equals("RTMIN")) {
                sig = rtmin;
            } else if (u.startsWith("RTMIN+")) {
                sig = rtmin + Integer.parseInt(u.substring(6));
            } else if (u.equals("RTMAX")) {
                sig = rtmax;
            } else if (u.startsWith("RTMAX-")) {
                sig = rtmax - Integer.parseInt(u.substring(6));
            } else if (!u.isEmpty() && u.length() < 10 && u.chars().allMatch(c -> c >= '0' && c <= '9')) {
                sig = Integer.parseInt(u);
            }
        } catch (NumberFormatException e) {
            sig = null; // e.g. RTMIN+x
        }
        if (sig == null || sig < rtmin || sig > rtmax) {
            String why = sig == null ? "is not a signal number or SIGRTMIN+n / SIGRTMAX-n"
                    : sig < rtmin && sig >= 32 ? "is reserved by the C library (its threads implementation)"
                    : sig < rtmin ? "is a standard signal: those do not queue, and the JVM uses several of them"
                    : "is above SIGRTMAX (" + rtmax + ")";
            throw new IllegalArgumentException(SIGNAL_PROPERTY + "=" + value + " " + why + ". Use a real-time "
                    + "signal from " + rtmin + " to " + rtmax + ", as a number or as SIGRTMIN+n / SIGRTMAX-n (the "
                    + "default, " + DEFAULT_SIGNAL + ", is " + parseSignal(DEFAULT_SIGNAL, rtmin, rtmax) + ")");
        }
        return sig;
    }

    /** {@code signal 61 (SIGRTMAX-3)}: the number, and its name relative to the nearer end of the range. */
    static String describe(int sig, int rtmin, int rtmax) {
        String name;
        if (sig - rtmin <= rtmax - sig) {
            name = sig == rtmin ? "SIGRTMIN" : "SIGRTMIN+" + (sig - rtmin);
        } else {
            name = sig == rtmax ? "SIGRTMAX" : "SIGRTMAX-" + (rtmax - sig);
        }
        return "signal " + sig + " (" + name + ")";
    }

    @Override
    public int priority() {
        return PRIORITY;
    }

    @Override
    public void prepare() {
        Config c = config;
        if (c == null) {
            throw new IllegalStateException("prepare() before a successful probe()");
        }
        int rtmin = RtSignal.sigrtmin();
        int rtmax = RtSignal.sigrtmax();
        int before = RtSignal.install(c.signal); // pins the library: the handler stays while the process lives
        // someone may have taken the signal, or ProcessBarrier may have installed another one, since probe()
        String conflict = conflict(c.signal, c.signalName, RtSignal.installedSignal(), before, rtmin, rtmax);
        if (conflict != null) {
            throw new ProcessBarrierException(conflict);
        }
        barrier = new SignalBarrier(c.signal, c.signalName, c.timeoutMillis, c.skipBlocking);
    }

    /**
     * @throws ProcessBarrierException on timeout, naming every thread that did not acknowledge
     * @throws io.processbarrier.ErrnoException if a system call fails, or the handler was replaced
     */
    @Override
    public void barrier() {
        SignalBarrier b = barrier;
        if (b == null) {
            throw new IllegalStateException("barrier() before prepare()");
        }
        b.barrier();
    }

    /** Its cost is one signal per thread whatever the threads do: sharing it among more callers always pays. */
    @Override
    public boolean formsBatches() {
        return true;
    }

    /** One configured barrier: the signal, the timeout, and the message of a timeout. */
    static final class SignalBarrier {
        private static final int MAX_NAMED = 20;

        private final int signal;
        private final String signalName;
        private final long timeoutMillis;
        private final boolean skipBlocking;

        SignalBarrier(int signal, String signalName, long timeoutMillis, boolean skipBlocking) {
            this.signal = signal;
            this.signalName = signalName;
            this.timeoutMillis = timeoutMillis;
            this.skipBlocking = skipBlocking;
        }

        void barrier() {
            int[] stuck = RtSignal.barrier(signal, TimeUnit.MILLISECONDS.toNanos(timeoutMillis), skipBlocking);
            if (stuck != null) {
                throw new ProcessBarrierException(timeoutMessage(stuck));
            }
        }

        private String timeoutMessage(int[] stuck) {
            if (stuck.length == 0) {
                return "heavy() timed out after " + timeoutMillis + " ms before it could read a complete list of "
                        + "this process's threads from /proc/self/task (threads kept exiting while it was read). "
                        + "Raise -D" + TIMEOUT_PROPERTY + " or use another provider (membarrier).";
            }
            StringBuilder sb = new StringBuilder("heavy() timed out after ").append(timeoutMillis).append(" ms: ")
                    .append(stuck.length - 1).append(" of ").append(stuck[0])
                    .append(" threads did not acknowledge ").append(signalName).append(": ");
            boolean anyBlocks = false;
            for (int i = 1; i < stuck.length; i++) {
                if (i > MAX_NAMED) {
                    sb.append("; and ").append(stuck.length - i).append(" more");
                    break;
                }
                ThreadReport r = ThreadReport.of(stuck[i], signal);
                anyBlocks |= r.blocks;
                sb.append(i > 1 ? "; " : "").append(r);
            }
            sb.append(". ");
            if (anyBlocks) {
                sb.append("A thread that blocks the signal cannot take part in a signal barrier: let it unblock ")
                        .append(signalName).append(", or choose another signal with -D").append(SIGNAL_PROPERTY)
                        .append(", or use another provider (membarrier).");
            } else {
                sb.append("If these threads were only slow (stopped by a debugger, starved of CPU, stuck in the "
                        + "kernel), raise -D").append(TIMEOUT_PROPERTY).append("; or use another provider "
                        + "(membarrier).");
            }
            return sb.toString();
        }
    }

    /** What /proc says about a thread that did not acknowledge, read after the timeout. */
    static final class ThreadReport {
        final int tid;
        final String name;
        final boolean gone;
        final boolean blocks;
        final String state;

        private ThreadReport(int tid, String name, boolean gone, boolean blocks, String state) {
            this.tid = tid;
            this.name = name;
            this.gone = gone;
            this.blocks = blocks;
            this.state = state;
        }

        static ThreadReport of(int tid, int signal) {
            Path dir = Path.of("/proc/self/task", Integer.toString(tid));
            try {
                String name = Files.readString(dir.resolve("comm"), StandardCharsets.UTF_8).strip();
                boolean blocks = false;
                String state = "?";
                for (String line : Files.readAllLines(dir.resolve("status"), StandardCharsets.UTF_8)) {
                    if (line.startsWith("SigBlk:")) {
                        blocks = maskHas(line.substring(7).strip(), signal);
                    } else if (line.startsWith("State:")) {
                        state = line.substring(6).strip();
                    }
                }
                return new ThreadReport(tid, name, false, blocks, state);
            } catch (IOException e) {
                return new ThreadReport(tid, null, true, false, null);
            }
        }

        /** Bit {@code signal - 1} of a /proc hex signal mask. */
        static boolean maskHas(String hex, int signal) {
            int bit = signal - 1;
            int digit = hex.length() - 1 - bit / 4;
            return digit >= 0 && (Character.digit(hex.charAt(digit), 16) & (1 << (bit % 4))) != 0;
        }

        @Override
        public String toString() {
            if (gone) {
                return "tid " + tid + " (exited after the timeout)";
            }
            return "tid " + tid + " \"" + name + "\" (" + (blocks ? "blocks the signal" : "does not block the signal")
                    + ", state " + state + ")";
        }
    }
}
