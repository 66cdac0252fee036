package io.processbarrier.sync;

import io.processbarrier.internal.support.Settings;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Stall warnings for a waiter that waits for other threads to leave a section: a grace period of {@link Rcu}, a
 * writer of {@link ReadMostlyLock}. Linux's RCU stall warnings are the model: when a wait has lasted the threshold,
 * one {@code WARNING} names the waiter, since when it waits, and every thread that still blocks it with how long it
 * has been inside and its stack; then again each time the wait has doubled (1x, 2x, 4x, ... the threshold); and one
 * {@code INFO} when a wait that was warned about completes.
 *
 * <p>Use: {@link #begin(String)} when the wait starts (one clock read; no allocation when warnings are off), then
 * {@link Watch#check(Blockers)} on every wake-up of the wait loop (a clock read and a compare; the blockers are only
 * listed when a warning is due), {@link Watch#nanosToNextWarning()} to bound a park so that the waiter wakes up to
 * warn, and {@link Watch#done()} when the wait is over (also when it ends by an exception). A {@code Watch} belongs
 * to the one thread that waits; a {@code StallWarnings} may be shared by any number of waiters.
 *
 * <p>Fault model: a logger that throws (any {@code Throwable}, an {@code Error} of a log handler included), a
 * {@link Blockers} that throws, or a {@link Thread#getStackTrace()} that fails never escapes {@code check} or
 * {@code done}: the warning is lost (it is counted in {@link #failures()}), the waiter goes on waiting. Nothing here
 * touches the read side: "how long inside" is the caller's estimate (from the epoch a reader stored, say), never a
 * timestamp taken on entry. A waiter that no ended thread can block ({@code Rcu}) has the threads that ended by the
 * time the message is built left out.
 *
 * <p>A stall warning never delays the wait it warns about ({@link #system}): the logger is created on a daemon
 * thread of its own ({@code processbarrier-sync-log}, made as the library's other threads, ending once it has logged
 * what was due), never on the waiting thread, which would otherwise pay for a logging backend's initialisation (a
 * 700 ms section's grace period ended after 1.0-1.1 s under Log4j). Records due before the logger exists are logged
 * by that thread, in order; once it exists, on the waiting thread, as before. If that thread cannot be started, the
 * waiter creates the logger itself rather than lose the record.
 *
 * <p>The threshold is the setting {@value #SETTING} (milliseconds, default {@value #DEFAULT_MILLIS}, 0 = off),
 * read once through {@link Settings#system()}.
 */
final class StallWarnings {
    /** The setting that gives the threshold in milliseconds. */
    static final String SETTING = "processbarrier.sync.stallWarningMillis";
    /** The threshold when the setting is absent. */
    static final long DEFAULT_MILLIS = 10_000;
    /** How many blocking threads one warning lists with their stacks; the rest are counted. */
    static final int MAX_LISTED = 16;
    /** How many frames of each blocking thread's stack one warning shows. */
    static final int MAX_FRAMES = 32;

    /** The watch of a wait while warnings are off: warns about nothing, and building it allocates nothing. */
    static final Watch OFF = new Watch(null, null, 0L, 0L);

    private final Supplier<System.Logger> logger;
    /** Whether the logger is created off the waiting threads (see {@link #log}); else on the first warning's. */
    private final boolean createOffWaiter;
    /** The logger once created (by the creator thread, or on a waiter if that thread cannot be started). */
    private volatile System.Logger created;
    private final java.util.concurrent.atomic.AtomicBoolean creating = new java.util.concurrent.atomic.AtomicBoolean();
    /** Records due before the logger existed, for whoever creates it: {level, message}. */
    private final java.util.concurrent.ConcurrentLinkedQueue<Object[]> pending =
            new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final long thresholdNanos;
    private final LongSupplier clock;
    private final java.util.concurrent.atomic.AtomicLong warnings = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong failures = new java.util.concurrent.atomic.AtomicLong();

    /**
     * @param logger         where warnings go; asked for only when the first message is logged (the first
     *                       {@code System.Logger} of a JVM costs tens of milliseconds)
     * @param thresholdMillis the first warning after this long; 0 turns warnings off
     * @param clock          nanoseconds, as {@link System#nanoTime()} (tests pass their own)
     */
    StallWarnings(Supplier<System.Logger> logger, long thresholdMillis, LongSupplier clock) {
        this(logger, thresholdMillis, clock, false);
    }

    /**
     * @param createOffWaiter create the logger on a thread of its own (a daemon that ends once it has logged what
     *                        was due), never on a waiting thread: the first {@code System.Logger} of a JVM may take
     *                        hundreds of milliseconds (a backend that initialises), and a waiter that paid for it
     *                        would hold up the very wait it warns about
     */
    StallWarnings(Supplier<System.Logger> logger, long thresholdMillis, LongSupplier clock, boolean createOffWaiter) {
        this.createOffWaiter = createOffWaiter;
        if (thresholdMillis < 0) {
            throw new IllegalArgumentException("stall-warning threshold " + thresholdMillis + " ms: use 0 (off) or more");
        }
        this.logger = Objects.requireNonNull(logger, "logger");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.thresholdNanos = thresholdMillis == 0 ? 0 : TimeUnit.MILLISECONDS.toNanos(thresholdMillis);
    }

    /** Warnings with the configured threshold ({@link #configuredMillis()}) and {@link System#nanoTime()}. */
    static StallWarnings system(Supplier<System.Logger> logger) {
        return new StallWarnings(logger, configuredMillis(), System::nanoTime, true);
    }

    /**
     * Logs a record of a waiter; never blocks on the logger's creation when {@code createOffWaiter}: a record due
     * before the logger exists is queued and logged, in order, by the thread that creates it (or by a later waiter
     * that finds it created). If that thread cannot be started, the logger is created here after all, rather than
     * the record lost. May throw what the logger throws (the callers guard it).
     */
    private void log(System.Logger.Level level, String message) {
        if (!createOffWaiter) { // the logger as the supplier gives it, each time (tests pass their own)
            System.Logger l = logger.get();
            if (l.isLoggable(level)) {
                l.log(level, message);
            }
            return;
        }
        System.Logger l = created; // volatile load
        if (l != null) {
            drainPending(l); // records queued before, first
            if (l.isLoggable(level)) {
                l.log(level, message);
            }
            return;
        }
        pending.add(new Object[] {level, message}); // volatile store (the queue's), then the load of created:
        l = created; // a creator that set created before our add drains it after; else we see created here
        if (l != null) {
            drainPending(l);
            return;
        }
        if (creating.compareAndSet(false, true)) {
            try {
                LibraryThreads.newThread(this::createAndDrain, "processbarrier-sync-log").start();
            } catch (Throwable e) { // no thread (OutOfMemoryError, say): create it here rather than lose the record
                createAndDrain();
            }
        }
    }

    /** Creates the logger, then logs what was queued. On the creator thread; never throws. */
    private void createAndDrain() {
        try {
            System.Logger l = logger.get();
            created = l; // volatile store, then the drain: see log()
            drainPending(l);
        } catch (Throwable t) { // the logger cannot be created: the queued records are lost, counted
            for (Object r; (r = pending.poll()) != null; ) {
                failures.incrementAndGet();
            }
            creating.set(false); // the next warning tries again
        }
    }

    private void drainPending(System.Logger l) {
        for (Object[] r; (r = pending.poll()) != null; ) {
            try {
                System.Logger.Level level = (System.Logger.Level) r[0];
                if (l.isLoggable(level)) {
                    l.log(level, (String) r[1]);
                }
            } catch (Throwable t) {
                failures.incrementAndGet();
            }
        }
    }

    /**
     * The threshold of {@value #SETTING}, read once per JVM.
     *
     * @throws io.processbarrier.ProcessBarrierException if the setting is not a whole number from 0 to 86,400,000
     */
    static long configuredMillis() {
        long m = configured; // volatile; -1 until read (a bad setting throws again on every call, not once)
        if (m < 0) {
            m = Settings.system().number(SETTING, DEFAULT_MILLIS, 0, 86_400_000);
            configured = m;
        }
        return m;
    }

    private static volatile long configured = -1;

    /** The threshold in milliseconds; 0 if warnings are off. */
    long thresholdMillis() {
        return TimeUnit.NANOSECONDS.toMillis(thresholdNanos);
    }

    /** Whether warnings are on (a threshold above 0). */
    boolean enabled() {
        return thresholdNanos != 0;
    }

    /** The clock's time now, in nanoseconds: for callers that derive "inside since" on the same clock. */
    long now() {
        return clock.getAsLong();
    }

    /** How many {@code WARNING}s were logged (or attempted). */
    long warnings() {
        return warnings.get();
    }

    /** How many warnings were lost because the logger, the blockers or a stack trace threw. */
    long failures() {
        return failures.get();
    }

    /**
     * Starts watching one wait.
     *
     * @param waiter who waits, for the message (e.g. {@code "Rcu#3 grace period 17 (synchronize() on 'main')"})
     */
    Watch begin(String waiter) {
        if (thresholdNanos == 0) {
            return OFF;
        }
        long t = clock.getAsLong();
        return new Watch(this, waiter, t, t + thresholdNanos);
    }

    /**
     * Starts watching a wait that began at {@code startNanos} on this clock (a waiter that creates its watch only once
     * its wait turns slow, so that a fast wait builds no message). Added after the first version: additive.
     */
    Watch begin(String waiter, long startNanos) {
        return begin(waiter, startNanos, false);
    }

    /**
     * {@link #begin(String, long)} for a waiter that no ended thread can block: its warnings leave out the threads
     * that have ended by the time the message is built (see {@link #message(String, long, List, boolean)}).
     */
    Watch begin(String waiter, long startNanos, boolean skipEnded) {
        if (thresholdNanos == 0) {
            return OFF;
        }
        Watch w = new Watch(this, waiter, startNanos, startNanos + thresholdNanos);
        w.skipEnded = skipEnded;
        return w;
    }

    /** Lists the threads that block a wait, when a warning is due. */
    @FunctionalInterface
    interface Blockers {
        /**
         * @param nowNanos the clock's time of the warning, to derive how long each has been inside
         * @return the threads that still block the wait (may be empty, never null)
         */
        List<Blocker> list(long nowNanos);
    }

    /**
     * A thread that blocks a wait.
     *
     * @param thread      the thread; null if it cannot be named (sections counted on a stripe, or a record whose
     *                    thread ended and was collected): then {@code detail} says what blocks
     * @param insideNanos how long it has been inside, at least (an estimate by the caller); negative if unknown
     * @param detail      what it holds, for the message (e.g. {@code "a read section of grace period 16"}); may be
     *                    null only with a thread
     */
    record Blocker(Thread thread, long insideNanos, String detail) {
        Blocker {
            if (thread == null) {
                Objects.requireNonNull(detail, "detail: say what blocks when no thread can be named");
            }
        }
    }

    /** One wait; used by the waiting thread only. */
    static final class Watch {
        private final StallWarnings owner;
        private final String waiter;
        private final long start;
        private long next;
        private long warned;
        /** Whether the warnings leave out ended threads (see {@link StallWarnings#begin(String, long, boolean)}). */
        private boolean skipEnded;

        Watch(StallWarnings owner, String waiter, long start, long next) {
            this.owner = owner;
            this.waiter = waiter;
            this.start = start;
            this.next = next;
        }

        /** Whether this wait logs anything at all. */
        boolean enabled() {
            return owner != null;
        }

        /** The clock's time when the wait began ({@link #begin}); 0 if warnings are off. */
        long startNanos() {
            return start;
        }

        /** How many warnings this wait has logged. */
        long warned() {
            return warned;
        }

        /** How long until the next warning is due (0 if due now); {@link Long#MAX_VALUE} if warnings are off. */
        long nanosToNextWarning() {
            if (owner == null) {
                return Long.MAX_VALUE;
            }
            return Math.max(0L, next - owner.clock.getAsLong());
        }

        /**
         * Logs a warning if one is due; cheap otherwise (one clock read). Never throws.
         *
         * @return whether a warning was due (and logged, or lost to a failing logger)
         */
        boolean check(Blockers blockers) {
            if (owner == null) {
                return false;
            }
            long now;
            try {
                now = owner.clock.getAsLong();
            } catch (Throwable t) {
                return false;
            }
            if (now - next < 0) {
                return false;
            }
            long waited = now - start;
            // the next warning when the wait has doubled: 1x, 2x, 4x... the threshold (never before the next 1x step)
            next = start + Math.max(2 * waited, waited + owner.thresholdNanos);
            warned++;
            owner.warnings.incrementAndGet();
            try {
                List<Blocker> list = blockers.list(now);
                owner.log(System.Logger.Level.WARNING, message(waiter, waited, list, skipEnded));
            } catch (Throwable t) { // a logger, a handler or a stack walk that fails must not break the waiter
                owner.failures.incrementAndGet();
            }
            return true;
        }

        /** Ends the wait: one {@code INFO} if it was warned about. Never throws. */
        void done() {
            if (owner == null || warned == 0) {
                return;
            }
            try {
                long waited = owner.clock.getAsLong() - start;
                owner.log(System.Logger.Level.INFO, waiter + " completed after " + millis(waited) + " ms (stalled: "
                        + warned + (warned == 1 ? " warning" : " warnings") + ")");
            } catch (Throwable t) {
                owner.failures.incrementAndGet();
            }
        }
    }

    static String message(String waiter, long waitedNanos, List<Blocker> blockers) {
        return message(waiter, waitedNanos, blockers, false);
    }

    /**
     * @param skipEnded leave out the threads that have ended by now: for a waiter that an ended thread cannot block
     *                  (an {@code Rcu} grace period skips it), whose list, taken a moment ago, may name one that
     *                  ended since; it is never shown TERMINATED "in a read section". (A lock's reader that died
     *                  holding it does block: it is listed.)
     */
    static String message(String waiter, long waitedNanos, List<Blocker> listed, boolean skipEnded) {
        List<Blocker> blockers = new java.util.ArrayList<>(listed.size());
        List<Thread.State> states = new java.util.ArrayList<>(listed.size());
        for (Blocker x : listed) {
            Thread t = x.thread(); // null: a blocker counted, not named (see Blocker)
            Thread.State st = t == null ? null : t.getState(); // read once: the state shown is the state filtered on
            if (!skipEnded || st != Thread.State.TERMINATED) {
                blockers.add(x);
                states.add(st);
            }
        }
        StringBuilder b = new StringBuilder(256);
        b.append("stall: ").append(waiter).append(" has waited ").append(millis(waitedNanos)).append(" ms");
        if (blockers.isEmpty()) {
            b.append("; no thread blocks it any more (it is about to complete)");
            return b.toString();
        }
        b.append(" for ").append(blockers.size()).append(blockers.size() == 1 ? " thread:" : " threads:");
        int n = 0;
        for (Blocker x : blockers) {
            Thread.State state = states.get(n);
            if (n++ == MAX_LISTED) {
                b.append("\n  ... and ").append(blockers.size() - MAX_LISTED).append(" more");
                break;
            }
            Thread t = x.thread();
            if (t == null) { // counted, not named (see Blocker)
                b.append("\n  ").append(x.detail());
                if (x.insideNanos() >= 0) {
                    b.append(", inside for at least ").append(millis(x.insideNanos())).append(" ms");
                }
                continue;
            }
            b.append("\n  '").append(t.getName()).append("' (id ").append(t.getId()).append(", ")
                    .append(state);
            if (t.getClass().getName().equals("java.lang.VirtualThread")) { // isVirtual() is JDK 21
                b.append(", virtual");
            }
            b.append(')');
            if (x.detail() != null) {
                b.append(" in ").append(x.detail());
            }
            if (x.insideNanos() >= 0) {
                b.append(", inside for at least ").append(millis(x.insideNanos())).append(" ms");
            }
            StackTraceElement[] stack;
            try {
                stack = t.getStackTrace();
            } catch (Throwable e) {
                stack = new StackTraceElement[0];
                b.append("\n      (no stack: ").append(e).append(')');
            }
            for (int i = 0; i < stack.length && i < MAX_FRAMES; i++) {
                b.append("\n      at ").append(stack[i]);
            }
            if (stack.length > MAX_FRAMES) {
                b.append("\n      ... ").append(stack.length - MAX_FRAMES).append(" more frames");
            }
        }
        return b.toString();
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
