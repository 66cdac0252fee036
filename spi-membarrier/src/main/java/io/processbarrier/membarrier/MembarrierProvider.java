package io.processbarrier.membarrier;

import io.processbarrier.ErrnoException;
import io.processbarrier.ProcessBarrierException;
import io.processbarrier.spi.Availability;
import io.processbarrier.internal.support.LibraryThreads;
import io.processbarrier.internal.support.LogHandoff;
import io.processbarrier.internal.support.NativeLibrary;
import io.processbarrier.internal.support.Settings;
import io.processbarrier.spi.ProcessBarrierProvider;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * heavy() = {@code membarrier(2)}. Strategy, best first: PRIVATE_EXPEDITED (IPIs to the CPUs running this
 * process, registered once, in the background: see {@link #prepare()} and {@link #barrier()} for the window until the
 * registration is done), GLOBAL_EXPEDITED (IPIs, registered the same way), GLOBAL (waits for an RCU grace
 * period: milliseconds, so its priority is below every other expedited provider). {@code
 * processbarrier.membarrier.command=PRIVATE_EXPEDITED|GLOBAL_EXPEDITED|GLOBAL} restricts the choice to one.
 */
public final class MembarrierProvider implements ProcessBarrierProvider {
    public static final String NAME = "membarrier";
    public static final String COMMAND_PROPERTY = "processbarrier.membarrier.command";

    /** IPIs to the CPUs running this process: microseconds. Above every other provider. */
    public static final int PRIORITY_PRIVATE_EXPEDITED = 400;
    /** IPIs too, to every CPU running a registered process. */
    public static final int PRIORITY_GLOBAL_EXPEDITED = 390;
    /** Waits for an RCU grace period: milliseconds, so below mprotect (300) and signal (200). */
    public static final int PRIORITY_GLOBAL = 100;

    private static final int NOT_PREPARED = 0;
    private static final int UNCLAIMED = 1;
    private static final int RUNNING = 2;
    private static final int REGISTERED = 3;
    private static final int FAILED = 4;

    private final Settings settings;
    private volatile int command = -1;
    /** The QUERY mask probe() saw: written before command, read after it. */
    private int mask;
    /** NOT_PREPARED until prepare(), then UNCLAIMED, RUNNING, and REGISTERED or FAILED; waiters wait on it. */
    private final AtomicInteger registration = new AtomicInteger(NOT_PREPARED);
    private Throwable registrationFailure;
    /** The registration system call; tests replace it to delay or fail it. */
    private final Runnable registrar;

    public MembarrierProvider() {
        this(Settings.system());
    }

    /** @param settings where {@value #COMMAND_PROPERTY} is read (tests) */
    MembarrierProvider(Settings settings) {
        this(settings, null);
    }

    /** @param registrar what registers instead of the system call (tests: delay it, or make it fail); null: the call */
    MembarrierProvider(Settings settings, Runnable registrar) {
        this.settings = settings;
        this.registrar = registrar != null ? registrar : new Registration(this);
    }

    /** The real registration: the REGISTER command of the chosen one. */
    private static final class Registration implements Runnable {
        private final MembarrierProvider provider;

        Registration(MembarrierProvider provider) {
            this.provider = provider;
        }

        @Override
        public void run() {
            Membarrier.call(registerCommand(provider.command), 0);
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Availability probe() {
        String wanted = settings.choice(COMMAND_PROPERTY); // null: the best the kernel offers
        try {
            NativeLibrary.load(Membarrier.class, "membarrier");
        } catch (ProcessBarrierException e) {
            return Availability.unavailable(e);
        }
        int mask;
        try {
            mask = Membarrier.call(Membarrier.CMD_QUERY, 0);
        } catch (ErrnoException e) {
            // ENOSYS: kernel < 4.3 or a sandbox such as gVisor; EPERM: seccomp; EINVAL: built without it
            return Availability.unavailable(new ProcessBarrierException(
                    "the kernel refuses membarrier(MEMBARRIER_CMD_QUERY): " + e.errnoName(), e));
        }
        int cmd = choose(mask, wanted);
        if (cmd < 0) {
            return Availability.unavailable(wanted == null || wanted.isBlank()
                    ? "the kernel offers no usable membarrier command (QUERY mask 0x" + Integer.toHexString(mask) + ")"
                    : COMMAND_PROPERTY + "=" + wanted + " is not offered by this kernel (QUERY mask 0x"
                    + Integer.toHexString(mask) + "); use PRIVATE_EXPEDITED, GLOBAL_EXPEDITED or GLOBAL");
        }
        this.mask = mask;
        command = cmd;
        return Availability.available(Membarrier.name(cmd) + " (QUERY mask 0x" + Integer.toHexString(mask) + ")");
    }

    private static final int[] COMMANDS = {
        Membarrier.CMD_PRIVATE_EXPEDITED, Membarrier.CMD_GLOBAL_EXPEDITED, Membarrier.CMD_GLOBAL,
    };

    static boolean isCommandName(String wanted) {
        String w = wanted.trim().toUpperCase(java.util.Locale.ROOT);
        for (int c : COMMANDS) {
            if (Membarrier.name(c).equals("MEMBARRIER_CMD_" + w) || Membarrier.name(c).equals(w)) {
                return true;
            }
        }
        return false;
    }

    /** The best command in {@code mask}, or the one {@code wanted} names if offered; -1 if none. */
    static int choose(int mask, String wanted) {
        if (wanted != null && !wanted.isBlank()) {
            String w = wanted.trim().toUpperCase(java.util.Locale.ROOT);
            for (int c : COMMANDS) {
                if (Membarrier.name(c).equals("MEMBARRIER_CMD_" + w) || Membarrier.name(c).equals(w)) {
                    return (mask & c) != 0 ? c : -1;
                }
            }
            return -1;
        }
        for (int c : COMMANDS) {
            if ((mask & c) != 0) {
                return c;
            }
        }
        return -1;
    }

    /** The priority of the command probe() chose; unprobed or unavailable, the best membarrier can offer. */
    @Override
    public int priority() {
        switch (command) {
            case Membarrier.CMD_GLOBAL_EXPEDITED: return PRIORITY_GLOBAL_EXPEDITED;
            case Membarrier.CMD_GLOBAL: return PRIORITY_GLOBAL;
            default: return PRIORITY_PRIVATE_EXPEDITED;
        }
    }

    /**
     * The registration: per process, cannot be undone, and costs an RCU grace period (8-13 ms on a 2-vCPU VM with
     * the JVM's threads running), so it runs once, on a daemon thread of its own, and {@code get()} returns without
     * waiting for it. See {@link #barrier()} for the window until it is done. Only when the kernel offers no
     * {@code GLOBAL} command to fall back on does the caller register here, as before.
     */
    @Override
    public void prepare() {
        int cmd = command;
        if (cmd < 0) {
            throw new IllegalStateException("prepare() before a successful probe()");
        }
        int register = registerCommand(cmd);
        if (register == 0) {
            return; // GLOBAL needs no registration
        }
        if ((mask & Membarrier.CMD_GLOBAL) == 0) {
            Membarrier.call(register, 0); // no fallback if it failed later: fail here, selection moves on
            registration.set(REGISTERED);
            return;
        }
        registration.set(UNCLAIMED); // release: barrier() now claims or waits instead of failing with EPERM
        try {
            // inherits nothing from the get() caller (context class loader, thread group, access-control context)
            LibraryThreads.newThread(new Registrar(this), "processbarrier-membarrier-register").start();
        } catch (OutOfMemoryError | RuntimeException e) {
            // no thread: the first barrier() claims the registration and runs it itself
        }
    }

    private static int registerCommand(int cmd) {
        return cmd == Membarrier.CMD_PRIVATE_EXPEDITED ? Membarrier.CMD_REGISTER_PRIVATE_EXPEDITED
                : cmd == Membarrier.CMD_GLOBAL_EXPEDITED ? Membarrier.CMD_REGISTER_GLOBAL_EXPEDITED : 0;
    }

    /** The background registration's body: a class, not a lambda (the first lambda costs milliseconds). */
    private static final class Registrar implements Runnable {
        private final MembarrierProvider provider;

        Registrar(MembarrierProvider provider) {
            this.provider = provider;
        }

        @Override
        public void run() {
            provider.register();
        }
    }

    /**
     * Runs the registration if nobody has claimed it yet (the background thread, or a barrier() that got there first);
     * whoever claims it publishes the outcome and wakes the barrier() calls waiting for it. Never throws.
     *
     * <p>A failure is logged at WARNING after the outcome is published (the waiting barrier() calls go on at once),
     * by {@link LogHandoff#write} on the thread that registered, never queued: a queued record may be lost when a
     * program exits within {@link LogHandoff}'s hold-off, and this WARNING must reach the log. On the background
     * thread nobody waits for that write; on a barrier() that claimed the registration (the thread could not be
     * started), that heavy() pays for it once. Building and writing the record is guarded: an {@link Error} there (an
     * {@code OutOfMemoryError} building the message) is dropped, never thrown out of a heavy().
     */
    void register() {
        if (!registration.compareAndSet(UNCLAIMED, RUNNING)) { // volatile CAS: exactly one registers
            return;
        }
        int outcome = FAILED;
        Throwable failure = null;
        try {
            registrar.run();
            outcome = REGISTERED;
        } catch (Throwable t) {
            failure = t;
            registrationFailure = t; // plain: published by the volatile store of FAILED below
        } finally {
            synchronized (registration) {
                registration.set(outcome); // volatile: the barrier() that reads it sees the failure too
                registration.notifyAll();
            }
        }
        if (failure != null) {
            warnFailed(failure);
        }
    }

    /** The WARNING of a failed registration, on this thread; never throws. */
    private void warnFailed(Throwable failure) {
        try {
            LogHandoff.write(System.Logger.Level.WARNING, "ProcessBarrier: membarrier("
                    + Membarrier.name(registerCommand(command)) + ") failed after selection: "
                    + ProcessBarrierException.describe(failure) + "; every heavy() now uses MEMBARRIER_CMD_GLOBAL, "
                    + "which orders every thread but waits for an RCU grace period (milliseconds): exclude membarrier "
                    + "(-Dprocessbarrier.exclude=membarrier) to select the next provider instead");
        } catch (Throwable t) {
            // building the record failed (OutOfMemoryError): the outcome stands, preparation() still reports it
        }
    }

    /**
     * One system call; its result is checked (an ErrnoException), never ignored.
     *
     * <p><b>While the registration runs</b> (from {@code get()}'s return until it is done, about 10 ms): readers
     * already use {@code light()}, a compiler barrier, so a {@code heavy()} must not return before it has made
     * every thread execute a full barrier, and {@code PRIVATE_EXPEDITED} before the registration is refused with
     * EPERM. So a barrier in that window claims the registration if no thread has started it, or waits for it
     * (uninterruptibly; the interrupt status is kept), and then issues the registered command: the first
     * {@code heavy()} costs at most the rest of the registration. Once it is done, the check is one volatile load.
     *
     * <p><b>If the registration fails</b> after {@code get()} returned (readers may already rely on {@code light()}
     * being a compiler barrier), this and every later barrier uses {@code MEMBARRIER_CMD_GLOBAL}: it returns only
     * after every CPU has passed an RCU grace period, so every thread of the process has executed a full barrier
     * since the call began, the same guarantee that orders a reader's compiler barrier; it needs no registration
     * ({@link #prepare()} registers on the caller, as before, when the kernel does not offer it). Never a plain fence,
     * which would leave such readers unordered. If GLOBAL fails too, the barrier throws its ErrnoException.
     */
    @Override
    public void barrier() {
        int state = registration.get(); // volatile: a REGISTERED read orders the registration before the call
        if (state == REGISTERED || state == NOT_PREPARED) {
            Membarrier.call(command, 0); // NOT_PREPARED: prepare() skipped, EPERM as the kernel says, never silent
            return;
        }
        if (awaitRegistration() == REGISTERED) {
            Membarrier.call(command, 0);
        } else {
            Membarrier.call(Membarrier.CMD_GLOBAL, 0);
        }
    }

    /** Claims the registration or waits for whoever runs it; the outcome, REGISTERED or FAILED. */
    private int awaitRegistration() {
        register(); // a no-op unless nobody has claimed it (the background thread did not start or has not run yet)
        boolean interrupted = false;
        int state;
        synchronized (registration) {
            while ((state = registration.get()) == RUNNING) {
                try {
                    registration.wait();
                } catch (InterruptedException e) {
                    interrupted = true; // heavy() does not throw InterruptedException: keep the status for later
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return state;
    }

    /** Whether the registration is still running (or not yet started) in the background. */
    public boolean isRegistering() {
        int s = registration.get();
        return s == UNCLAIMED || s == RUNNING;
    }

    @Override
    public String preparation(boolean await) {
        int s = await ? awaitIfStarted() : registration.get();
        if (s == UNCLAIMED || s == RUNNING) {
            return "registering in the background (" + Membarrier.name(registerCommand(command)) + ")";
        }
        if (s == FAILED) {
            return "registration failed after selection (" + ProcessBarrierException.describe(registrationFailure)
                    + "): heavy() uses MEMBARRIER_CMD_GLOBAL";
        }
        return null;
    }

    /** The state once a started registration has ended (claiming it if nobody has); NOT_PREPARED stays. */
    private int awaitIfStarted() {
        return registration.get() == NOT_PREPARED ? NOT_PREPARED : awaitRegistration();
    }

    /** Why the background registration failed, or null. */
    Throwable registrationFailure() {
        return registration.get() == FAILED ? registrationFailure : null;
    }

    /** The command probe() chose, or -1 (tests). */
    int command() {
        return command;
    }

    /**
     * {@code membarrier(MEMBARRIER_CMD_QUERY)}: the bit mask of commands this kernel offers (for diagnostics).
     *
     * @throws io.processbarrier.ErrnoException if the kernel refuses the call
     * @throws ProcessBarrierException if the native library cannot be loaded
     */
    public static int query() {
        NativeLibrary.load(Membarrier.class, "membarrier");
        return Membarrier.call(Membarrier.CMD_QUERY, 0);
    }

    /** The names of the commands set in a QUERY mask, e.g. {@code [GLOBAL, PRIVATE_EXPEDITED]}. */
    public static java.util.List<String> commandNames(int mask) {
        java.util.List<String> names = new java.util.ArrayList<>();
        for (int bit = 0; bit < 31; bit++) {
            if ((mask & (1 << bit)) != 0) {
                names.add(Membarrier.name(1 << bit).replace("MEMBARRIER_CMD_", ""));
            }
        }
        return names;
    }
}
