package io.processbarrier.membarrier;

/** The raw system call and its commands (include/uapi/linux/membarrier.h). */
final class Membarrier {
    static final int CMD_QUERY = 0;
    static final int CMD_GLOBAL = 1;
    static final int CMD_GLOBAL_EXPEDITED = 1 << 1;
    static final int CMD_REGISTER_GLOBAL_EXPEDITED = 1 << 2;
    static final int CMD_PRIVATE_EXPEDITED = 1 << 3;
    static final int CMD_REGISTER_PRIVATE_EXPEDITED = 1 << 4;
    static final int CMD_PRIVATE_EXPEDITED_SYNC_CORE = 1 << 5;
    static final int CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE = 1 << 6;
    static final int CMD_PRIVATE_EXPEDITED_RSEQ = 1 << 7;
    static final int CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ = 1 << 8;
    static final int CMD_GET_REGISTRATIONS = 1 << 9;

    private Membarrier() {
    }

    /**
     * {@code membarrier(cmd, flags, 0)}.
     *
     * @return the syscall's non-negative result
     * @throws io.processbarrier.ErrnoException when it returns -1
     */
    static native int call(int cmd, int flags);

    static String name(int cmd) {
        switch (cmd) {
            case CMD_QUERY: return "MEMBARRIER_CMD_QUERY";
            case CMD_GLOBAL: return "MEMBARRIER_CMD_GLOBAL";
            case CMD_GLOBAL_EXPEDITED: return "MEMBARRIER_CMD_GLOBAL_EXPEDITED";
            case CMD_REGISTER_GLOBAL_EXPEDITED: return "MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED";
            case CMD_PRIVATE_EXPEDITED: return "MEMBARRIER_CMD_PRIVATE_EXPEDITED";
            case CMD_REGISTER_PRIVATE_EXPEDITED: return "MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED";
            case CMD_PRIVATE_EXPEDITED_SYNC_CORE: return "MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE";
            case CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE: return "MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE";
            case CMD_PRIVATE_EXPEDITED_RSEQ: return "MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ";
            case CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ: return "MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ";
            case CMD_GET_REGISTRATIONS: return "MEMBARRIER_CMD_GET_REGISTRATIONS";
            default: return "command " + cmd;
        }
    }
}
