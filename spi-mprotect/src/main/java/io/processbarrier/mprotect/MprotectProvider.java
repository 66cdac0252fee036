package io.processbarrier.mprotect;

import io.processbarrier.ErrnoException;
import io.processbarrier.ProcessBarrierException;
import io.processbarrier.spi.Availability;
import io.processbarrier.internal.support.NativeLibrary;
import io.processbarrier.internal.support.Platform;
import io.processbarrier.internal.support.Settings;
import io.processbarrier.spi.ProcessBarrierProvider;

import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * heavy() = the TLB-shootdown trick: on one private page, locked in memory, {@code mprotect(PROT_READ|PROT_WRITE)},
 * an atomic write, {@code mprotect(PROT_READ)}. Taking write permission away from a page this process has written
 * makes Linux flush that TLB entry on every CPU that runs (or lazily still maps) this process, and on x86_64 the
 * flush is an inter-processor interrupt: every interrupted CPU completes its pending stores before it
 * acknowledges. That is the full barrier on every other thread that {@link io.processbarrier.ProcessBarrier#heavy()} promises; a
 * thread that is not running executes one anyway when it is scheduled in. The calling thread fences itself
 * (the api).
 *
 * <p>Where it is refused (an unavailability cause, never a silent wrong barrier):
 * <ul>
 *   <li>anything but Linux;</li>
 *   <li>anything but x86_64: aarch64 (and the others) invalidate TLBs by hardware broadcast, no IPI, no barrier;</li>
 *   <li>a CPU with AMD INVLPGB (CPUID Fn8000_0008 EBX bit 3, which /proc/cpuinfo does not show): Linux 6.15+
 *       flushes with it instead of IPIs once a process spans several CPUs. {@value #ALLOW_INVLPGB_PROPERTY}=true
 *       overrides this for a kernel known not to use it;</li>
 *   <li>a page that cannot be mapped, locked ({@code RLIMIT_MEMLOCK}) or protected: the errno is the cause.</li>
 * </ul>
 *
 * <p>Concurrency: barriers on the page are serialized by a lock. Two interleaved callers would be wrong, not just
 * slow: one could make the page read-only between the other's upgrade and its write, which would then fault.
 * The api already shares one barrier among concurrent {@code heavy()} calls, so the lock is
 * uncontended by default; it matters with {@code processbarrier.coalesce=false} and with several barrier instances,
 * which all use the one page of the process.
 */
public final class MprotectProvider implements ProcessBarrierProvider {
    public static final String NAME = "mprotect";
    public static final String ALLOW_INVLPGB_PROPERTY = "processbarrier.mprotect.allowInvlpgb";

    /** Tens of microseconds: below membarrier's expedited commands, above signal (200). */
    public static final int PRIORITY = 300;

    private final Settings settings;
    private volatile Page page;

    public MprotectProvider() {
        this(Settings.system());
    }

    /** @param settings where to read {@code os.name}, {@code os.arch} and {@value #ALLOW_INVLPGB_PROPERTY} (tests) */
    MprotectProvider(Settings settings) {
        this.settings = settings;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Availability probe() {
        boolean allow = settings.bool(ALLOW_INVLPGB_PROPERTY);
        boolean[] invlpgb = new boolean[1];
        String refusal;
        try {
            refusal = refusal(settings.string("os.name"), settings.string("os.arch"), () -> {
                NativeLibrary.load(Mprotect.class, "mprotect");
                return invlpgb[0] = Mprotect.cpuidInvlpgb();
            }, allow);
        } catch (ProcessBarrierException e) {
            return Availability.unavailable(e);
        }
        if (refusal != null) {
            return Availability.unavailable(refusal);
        }
        Page p;
        try {
            p = Page.shared();
            p.barrier(); // a trial run: mprotect can be refused (seccomp, a sandbox) even where mmap works
        } catch (ErrnoException e) {
            return Availability.unavailable(new ProcessBarrierException(explain(e), e));
        }
        page = p;
        return Availability.available("mprotect(PROT_READ) of one locked " + p.size + "-byte page after an atomic "
                + "write: the TLB-shootdown IPIs are the barrier (x86_64, "
                + (invlpgb[0] ? "INVLPGB present but allowed by " + ALLOW_INVLPGB_PROPERTY + "=true)"
                : "no INVLPGB)"));
    }

    /**
     * The platform policy, a function of its arguments only, so that tests can ask it about other machines
     * through the very code the provider runs here.
     *
     * @param invlpgb      asked only on Linux x86_64: whether the CPU advertises INVLPGB
     * @param allowed      {@value #ALLOW_INVLPGB_PROPERTY}
     * @return why mprotect is no barrier here, or {@code null} if it is one
     */
    static String refusal(String osName, String osArch, BooleanSupplier invlpgb, boolean allowed) {
        if (!Platform.isLinux(osName)) {
            return "the mprotect barrier relies on how Linux flushes TLBs; this is os.name=" + osName
                    + ", not Linux";
        }
        if (!Platform.isX86_64(osArch)) {
            return "os.arch=" + osArch + ": TLB invalidation is broadcast in hardware without IPIs; mprotect is "
                    + "no barrier here (it is one on x86_64 only). Use membarrier or signal.";
        }
        if (invlpgb.getAsBoolean() && !allowed) {
            return "the CPU advertises AMD INVLPGB (CPUID 0x80000008 EBX bit 3): Linux 6.15 and later then flush "
                    + "the TLBs of a process that runs on several CPUs by hardware broadcast, without IPIs, so "
                    + "mprotect is no barrier here. If this kernel does not use INVLPGB (older than 6.15, or with "
                    + "the feature disabled), set -D" + ALLOW_INVLPGB_PROPERTY + "=true";
        }
        return null;
    }

    private static String explain(ErrnoException e) {
        if (e.call().startsWith("mlock")) {
            return "cannot lock the barrier page in memory: " + e.getMessage() + ". Raise the locked-memory limit "
                    + "(ulimit -l, LimitMEMLOCK= in systemd, --ulimit memlock= in docker) by one page, or grant "
                    + "CAP_IPC_LOCK";
        }
        return "cannot set up the barrier page: " + e.getMessage();
    }

    @Override
    public int priority() {
        return PRIORITY;
    }

    /** @throws ErrnoException if mprotect fails (the page stays usable: the next barrier starts over) */
    @Override
    public void barrier() {
        Page p = page;
        if (p == null) {
            throw new IllegalStateException("barrier() before a successful probe()");
        }
        p.barrier();
    }

    /** The one page of the process, mapped on first use and never unmapped (one locked page for the JVM's life). */
    static final class Page {
        private static Page shared;

        final long address;
        final int size;
        private final ReentrantLock lock = new ReentrantLock();

        private Page(long address, int size) {
            this.address = address;
            this.size = size;
        }

        /** A failure is not remembered: a raised limit lets the next probe succeed. */
        static synchronized Page shared() {
            if (shared == null) {
                int size = Mprotect.pageSize();
                shared = new Page(Mprotect.mapPage(), size);
            }
            return shared;
        }

        void barrier() {
            lock.lock();
            try {
                Mprotect.barrier(address, size);
            } finally {
                lock.unlock();
            }
        }
    }
}
