package io.processbarrier;

/**
 * A system call failed. Thrown from native code with the call and its {@code errno}; Linux errno numbers are the
 * same on x86_64 and aarch64 (asm-generic), so {@link #errnoName()} is exact on both.
 */
public class ErrnoException extends ProcessBarrierException {
    private static final long serialVersionUID = 1L;

    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int ESRCH = 3;
    public static final int EINTR = 4;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EFAULT = 14;
    public static final int EBUSY = 16;
    public static final int EINVAL = 22;
    public static final int ENOSYS = 38;

    private final String call;
    private final int errno;

    /** Called from native code: keep the signature {@code (Ljava/lang/String;I)V}. */
    public ErrnoException(String call, int errno) {
        super(call + " failed: " + errnoName(errno) + " (errno " + errno + ", " + explain(errno) + ")");
        this.call = call;
        this.errno = errno;
    }

    /** The system call and its arguments, e.g. {@code membarrier(MEMBARRIER_CMD_QUERY, 0)}. */
    public String call() {
        return call;
    }

    public int errno() {
        return errno;
    }

    public String errnoName() {
        return errnoName(errno);
    }

    public static String errnoName(int errno) {
        switch (errno) {
            case EPERM: return "EPERM";
            case ENOENT: return "ENOENT";
            case ESRCH: return "ESRCH";
            case EINTR: return "EINTR";
            case EAGAIN: return "EAGAIN";
            case ENOMEM: return "ENOMEM";
            case EACCES: return "EACCES";
            case EFAULT: return "EFAULT";
            case EBUSY: return "EBUSY";
            case EINVAL: return "EINVAL";
            case ENOSYS: return "ENOSYS";
            default: return "errno " + errno;
        }
    }

    private static String explain(int errno) {
        switch (errno) {
            case EPERM: return "operation not permitted: a seccomp filter, a missing registration, or a capability";
            case ESRCH: return "no such process or thread";
            case EAGAIN: return "resource temporarily unavailable";
            case ENOMEM: return "out of memory, or over a resource limit such as RLIMIT_MEMLOCK";
            case EACCES: return "permission denied";
            case EINVAL: return "invalid argument, or not supported by this kernel";
            case ENOSYS: return "system call not implemented by this kernel or sandbox";
            default: return "see errno(3)";
        }
    }
}
