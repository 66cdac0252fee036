package io.processbarrier.membarrier;

import io.processbarrier.ErrnoException;
import io.processbarrier.ProcessBarrierException;
import io.processbarrier.spi.Availability;
import io.processbarrier.internal.support.NativeLibrary;
import io.processbarrier.internal.support.Settings;
import io.processbarrier.spi.ProcessBarrierProvider;

/**
 * heavy() = {@code membarrier(2)}. Strategy, best first: PRIVATE_EXPEDITED (IPIs to the CPUs running this
 * process, registered once at creation), GLOBAL_EXPEDITED (IPIs, registered once), GLOBAL (waits for an RCU grace
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

    private final Settings settings;
    private volatile int command = -1;

    public MembarrierProvider() {
        this(Settings.system());
    }

    /** @param settings where {@value #COMMAND_PROPERTY} is read (tests) */
    MembarrierProvider(Settings settings) {
        this.settings = settings;
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

    /** The registration: per process, cannot be undone, and costs an RCU grace period, so once, here. */
    @Override
    public void prepare() {
        int cmd = command;
        if (cmd < 0) {
            throw new IllegalStateException("prepare() before a successful probe()");
        }
        if (cmd == Membarrier.CMD_PRIVATE_EXPEDITED) {
            Membarrier.call(Membarrier.CMD_REGISTER_PRIVATE_EXPEDITED, 0);
        } else if (cmd == Membarrier.CMD_GLOBAL_EXPEDITED) {
            Membarrier.call(Membarrier.CMD_REGISTER_GLOBAL_EXPEDITED, 0);
        }
    }

    /** One system call; its result is checked (an ErrnoException), never ignored. */
    @Override
    public void barrier() {
        Membarrier.call(command, 0);
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
