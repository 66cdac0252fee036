package io.processbarrier.sync;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.internal.support.DeferredBarrier;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.function.LongSupplier;

import static io.processbarrier.sync.ReadMostlyLockQueue.INTERRUPTIBLE;
import static io.processbarrier.sync.ReadMostlyLockQueue.TIMED;
import static io.processbarrier.sync.ReadMostlyLockQueue.TRY;
import static io.processbarrier.sync.ReadMostlyLockQueue.UNINTERRUPTIBLE;

/**
 * A drop-in {@link ReadWriteLock} for read-mostly state whose readers pay no hardware fence, no atomic
 * read-modify-write and no write to a cache line that another thread writes: the percpu-rwsem / BRAVO design on top
 * of {@link ProcessBarrier}. A reader marks its own per-thread record, calls {@link ProcessBarrier#light()} and reads
 * the writer's flag; the rare writer raises the flag, calls {@link ProcessBarrier#heavy()} and waits, parked, for the
 * readers inside to leave.
 *
 * <h2>Contract</h2>
 * Both locks implement the whole {@link Lock} contract ({@code lock}, {@code lockInterruptibly}, {@code tryLock},
 * {@code tryLock(time, unit)}, {@code unlock}) and are reentrant. The write-lock holder may take the read lock
 * (downgrade: take the read lock, then release the write lock). Asking for the write lock while holding only the
 * read lock throws {@link IllegalMonitorStateException} at once, from every acquisition method, where
 * {@link java.util.concurrent.locks.ReentrantReadWriteLock} would deadlock ({@code lock}) or fail ({@code tryLock}).
 * {@code writeLock().newCondition()} behaves as {@code ReentrantReadWriteLock}'s: {@code await} releases the write
 * lock fully (readers can proceed) and reacquires it with the same hold count before it returns or throws;
 * {@code readLock().newCondition()} throws {@link UnsupportedOperationException}. {@code unlock()} by a thread that
 * does not hold the lock throws {@link IllegalMonitorStateException}. An acquisition that fails (interrupt, timeout,
 * {@code tryLock} returning {@code false}) leaves no hold and does not block anyone. Lock acquisition and release
 * have the memory effects of {@link Lock}: a successful {@code lock} of either kind happens-after the
 * {@code unlock} of the write lock that preceded it, and the {@code unlock} of a read lock happens-before the
 * {@code lock} of the write lock that follows it.
 *
 * <p><b>Fairness.</b> Phase-fair between readers and writers: once a writer has claimed the lock, new readers wait;
 * the readers inside leave (read sections are finite), so a stream of readers cannot starve a writer. When a writer
 * releases the lock, every reader that was waiting for it is admitted before the next writer may claim it, so a
 * stream of writers cannot starve readers (an admitted reader that is not scheduled within 20 ms, e.g. a virtual
 * thread whose carriers are all busy, loses its turn and enters after the next writer, so that it cannot hold back
 * every writer). Among writers, barging with a bound (see "Writers" below): a running writer takes a free lock even
 * if others queue, and a writer queued for more than 4 ms is handed the lock by the next release. A reader that
 * already holds the read lock re-enters without waiting (as in {@code ReentrantReadWriteLock}: anything else would
 * deadlock).
 *
 * <p><b>{@code tryLock()}.</b> The read lock's {@code tryLock()} succeeds unless a writer has claimed the lock (it
 * is draining the readers or holds it); writers that only queue do not stop it, a writer waiting for the readers
 * inside does ({@code ReentrantReadWriteLock}'s read {@code tryLock()} barges past such a writer; this one keeps the
 * phase). The write lock's {@code tryLock()} succeeds if the lock is free at that moment, whoever queues (as
 * {@link Lock#tryLock()} says, and as {@code ReentrantReadWriteLock}'s does even in fair mode): no writer claims or
 * holds it and no reader is inside (it may pay a {@code heavy()} to find out). One exception, kept on purpose:
 * readers that the last writer's release admitted and that have not entered yet count as holders for up to 20 ms
 * (the admission grace), so that a spinning {@code tryLock()} cannot take their turn, which is what bounds a
 * reader's wait among writers (measured: a spinning {@code tryLock()} against 3 contending writers succeeds in well
 * under 100 ms, {@code ReadMostlyLockContentionTest}).
 *
 * <p><b>Introspection</b> as {@code ReentrantReadWriteLock}'s: {@link #isWriteLocked()} (true only while a writer
 * holds the lock, not while it waits for readers to leave), {@link #isWriteLockedByCurrentThread()},
 * {@link #getWriteHoldCount()}, {@link #getReadHoldCount()} and {@link #getReadLockCount()}; meant for monitoring
 * and assertions, not for synchronization control.
 *
 * <p>Platform and virtual threads are both supported: waiting is by {@link LockSupport#park} on the lock's own
 * state, and the internal mutex is a {@link java.util.concurrent.locks.ReentrantLock} held for short sections only
 * (no {@code synchronized}, so a waiting virtual thread does not pin its carrier).
 *
 * <h2>Algorithm and access modes</h2>
 * Shared state: {@code flag} (the readers' gate, 0 = fast path allowed), the writers' claim word in
 * {@code ReadMostlyLockQueue} (taken by a CAS: it orders the writers and the end of a burst, and it is what a reader
 * on the fenced path checks), {@code scanner} (the writer parked while readers drain), one padded record per reader
 * thread with {@code active} (1 while inside), and {@code writing} (the claim is a writer's, draining or holding: for
 * {@code toString} and the claimant's own checks; no reader reads it). Everything else
 * lives under an internal {@code ReentrantLock} used only on slow paths.
 * <pre>
 * reader fast path                            writer
 *   active = 1            (opaque store)        take the claim (a CAS, a full fence; see "Writers")
 *   light()                                     in a sealed burst: writing = true (plain);
 *                                                 nobody inside (one pass): hold; else drain
 *   if flag == 0 (acquire load): inside         else under the mutex: writing = true;
 *   else fenced path:                             if flag == 0: flag = 1 (volatile); need = !sealed
 *     fullFence()                                 if need: heavy(), sealed
 *     if the claim is free or mine                for each record: while active != 0 (volatile load):
 *        (volatile load): inside                    spin (at most 20 µs), then scanner = me (volatile),
 *     else active = 0 (volatile), unpark the        re-check, park (1 ms, re-check)
 *          scanner, spin (at most 20 µs) for a    scanner = null (volatile) if set; inside
 *          free claim, then park until the
 *          writer leaves
 * reader exit                                   release: writing = false, give the claim back
 *   active = 0            (release store)         (a CAS; under the mutex only to admit waiting readers);
 *   light()                                       the flag stays raised, the burst timer is armed
 *   if flag != 0 (acquire load): unpark scanner (volatile load)
 * </pre>
 * On x86_64 the fast path is plain {@code mov}s: an opaque store, a compiler barrier, an acquire load (a {@code mov}
 * the compiler may not hoist later loads above), and on exit a release store (a {@code mov}), a compiler barrier, an
 * acquire load. The record is per thread and per lock, found through the lock's own table indexed by thread id (see
 * {@code ReaderRegistry}: cheaper than a {@code ThreadLocal}), and padded by 128 bytes on each side.
 *
 * <h2>Why a writer that returned from heavy() and saw no reader inside excludes every reader</h2>
 * Take a reader R on the fast path and a writer W that raised the flag (volatile store, then a full fence inside
 * {@code heavy()}). {@code heavy()} makes R execute a full barrier at some point P between its call and its return.
 * <ul>
 *   <li>If R's store {@code active = 1} precedes P in R's program order, P drains it: it is visible when
 *       {@code heavy()} returns, so W's later volatile load sees 1 and W waits for R's exit, whose release store
 *       of 0 W's volatile load then reads: R's reads happen-before W's writes.</li>
 *   <li>Otherwise R's load of the flag also follows P ({@code light()} keeps the JIT from moving it above the
 *       store; the barrier orders the hardware), so it reads 1 (the flag was visible before W called
 *       {@code heavy()}): R does not enter on the fast path.</li>
 * </ul>
 * This is the store-buffering contract of {@link ProcessBarrier}, with {@code x = active} and {@code y = flag}.
 * While the flag stays raised no reader can enter on the fast path any more (a load after P of a flag nobody lowered
 * reads 1), so the next writers of a burst skip {@code heavy()}: the readers that may be inside entered through the
 * fenced path, whose store of {@code active}, full fence and volatile load of the claim word pair with the writer's
 * CAS of the claim and its volatile loads of {@code active} (a Dekker pair: a full fence on the reader's side, and on
 * the writer's the CAS itself, a volatile read-modify-write, so no fence of its own), or through the mutex. A reader
 * that reads the flag as 0 after it was lowered reads it with acquire from a release store made under the mutex after
 * the last writer released it under the same mutex: it sees every write of that writer.
 *
 * <p><b>Wake-up.</b> W spins up to 20 µs on a reader's {@code active}; then it sets {@code scanner} (volatile),
 * loads {@code active} again, and parks for at most 1 ms at a time and re-checks. Readers that leave while W only spins
 * find {@code scanner} null and pay no unpark (measured: 0.45 unparks per write at 2 threads when W published itself
 * before spinning, about 1 in 700 writes since). A reader leaving while the flag is raised (any exit during a burst,
 * and any reader W is waiting for: W saw it inside, so its {@code active = 0} came after P and its acquire load of
 * the flag after {@code light()} reads 1) loads {@code scanner} and unparks it. That load is not fenced: it may pass
 * the reader's own store of {@code active = 0} (still in its store buffer) and read {@code null} while W reads 1 and
 * parks. Such a missed wake-up delays W by one re-check period at most and never affects exclusion; a fence on
 * every exit during a burst would cost every read instead. A reader that backs out of the fenced path stores
 * {@code active = 0} with a volatile store (a full fence on x86_64) before it loads {@code scanner}, so that wake-up
 * is never missed.
 *
 * <p><b>Bursts</b> (as percpu-rwsem's {@code rcu_sync}). The flag is not lowered when a writer leaves: readers keep
 * the fenced path (a full fence on entry, still no shared write) and a writer arriving meanwhile pays
 * no {@code heavy()}. The burst ends, and readers are back on the fast path, once a burst window (1 ms) has passed
 * since the last writer left and no writer holds, drains or waits: a reader on the fenced path checks the clock every
 * 256th fenced entry of its thread (a clock read is a few tens of ns), and, whatever the readers' threads (a thread
 * per request never gets to its 256th entry), the lock's burst timer ends it once the longer of the window and
 * {@link #BURST_END_DELAY_NANOS} has passed with no write (see {@link #burstTimerFired} and {@code BurstEnder}: one
 * process-wide daemon thread while a burst is open, none otherwise). The next writer then pays one {@code heavy()}.
 *
 * <p><b>Sealed.</b> A raised flag is trusted (a writer skips {@code heavy()}) only if a {@code heavy()} that began
 * after it was raised completed. A writer whose {@code heavy()} throws leaves the flag raised (readers take the
 * fenced path, which is correct on its own) but unsealed, and the next writer runs its own {@code heavy()}: a
 * reader whose store of {@code active} was still in its store buffer when it read the flag as 0 may be inside, and
 * only a completed {@code heavy()} makes that store visible.
 *
 * <h2>Writers: who may barge, and why nobody starves</h2>
 * Writers exclude each other through a claim word ({@code ReadMostlyLockQueue}: a CAS from free to claimed; readers
 * on the fenced path see it; its holder then drains the readers and holds the lock; the release is one CAS back to
 * free when nobody asked for anything). The policy, as the JDK's non-fair locks since JDK 16 and Linux's
 * optimistic spinning:
 * <ol>
 *   <li><b>A running writer barges.</b> A writer that finds the claim free takes it, whoever queues; if it is held,
 *       it looks once more, then queues and parks, with no timed spin: a spinner on another CPU only takes the
 *       claim's cache line away from the holder (measured: {@code ReadMostlyLockQueue.lookAgain}). Only the first
 *       in line competes after a wake-up (others park until they are first), and a release unparks it only if it
 *       asked (a bit in the claim word that it sets when it parks). It asks once: woken, if it finds the claim
 *       taken again by a running writer, that writer is writing in a loop, and the first in line then looks again
 *       every 20 µs without asking, until it reserves (below). Why: a hand-over to a parked thread costs a wake-up
 *       per write (about 30 µs: 30-35 writes/ms, issue 28), while a running writer that takes the free lock costs
 *       nothing extra; and a first in line woken by each release of a writer that keeps barging made every
 *       release an unpark, and took the lock's lines to the other CPU whenever it won (two platform writers on
 *       2 vCPUs: 850,000 wake-ups and a million trips through the queue in 2.3 s, 32,000 writes/ms; looking every
 *       20 µs instead: 7,400 and 22,000, 56,000-74,000 writes/ms). A write burst runs at the speed of one thread;
 *       a free claim waits for the first in line about 20 µs plus the timer's slack (see
 *       {@code ReadMostlyLockQueue.POLL_NANOS}).</li>
 *   <li><b>Bound: a writer first in line for more than 4 ms reserves the claim.</b> From then on nobody but it (and
 *       a {@code tryLock()}) may claim; the holder's release unparks it, and the running writers queue behind
 *       it. So a queued writer waits at most the writers ahead of it, each for 4 ms plus one hand-over
 *       (12 ms or so behind three writers, whatever the arrival rate), and the reservation costs the others one
 *       wake-up per 4 ms (about 1% of a burst's throughput).</li>
 *   <li><b>Readers between writers</b> (phase-fair, as before): a reader that finds a writer claimed waits; the
 *       claim's release admits every reader waiting (a bit in the claim word makes the release take the mutex for
 *       it), and the next claimant, barging or queued, checks whether the readers of the last admission have all
 *       entered before its CAS (if not, it takes the claim only under the mutex, once they have, or their 20 ms
 *       grace ran out), and again after it: a release that admitted readers between its look and its CAS makes it
 *       give the claim back (an admitted reader that saw the claim then backs out and waits for the next release;
 *       rare, and bounded by one writer's turn). So a reader that
 *       arrives while writers contend waits for at most one writer's section, its admission, and the drain of the
 *       readers already inside; a stream of writers cannot keep it out, and a stream of readers cannot keep a
 *       claimed writer out.</li>
 *   <li><b>Virtual threads:</b> a writer waiting for the claim parks ({@link LockSupport#park}) after one more
 *       look, nothing is {@code synchronized}, so a waiting virtual writer never pins its carrier; a running virtual
 *       writer that keeps barging is stopped by the reservation, parks, and frees the carrier for the writer it must
 *       let in.</li>
 * </ol>
 * Exclusion does not depend on the policy: whoever takes the claim, it is the Dekker pair of the claim word and
 * {@code active} (and {@code heavy()} at a burst's start) that keeps readers out, as below. A release inside a
 * burst reads no clock (a clock read here costs as much as the rest of the write): it counts its exit, and whoever
 * asks when the last writer left (a reader's burst check, the burst timer) takes its own time for an exit it has not
 * seen yet, so a burst may end one look late, never early.
 *
 * <p><b>A write inside a burst</b> is the claim's CAS, {@code writing = true} (plain), one pass of volatile
 * loads over the records' {@code active} and the stripes' counts (the stripes only if a thread without a record
 * entered since the burst began: its start, which pays a {@code heavy()} anyway, resets {@code ReaderStripes}'
 * view when they are all empty, and the next such reader marks it again), and at its release two plain stores and
 * the claim's CAS back: no mutex, no clock read, no unpark unless a writer parked and asked for one, and no look-up of
 * the writer's own read holds (it was a {@code ThreadLocal} and a registry search per write). An upgrade is still
 * refused at once, by every acquisition method: a read hold of the caller keeps its record's {@code active} (or its
 * stripe's count) non-zero, so the pass finds it busy, and the drain, which checks a busy record or stripe for the
 * caller's own hold before it waits, throws; the claim was taken by one attempt that never waits, so no other writer
 * was waited for, and its release on the way out admits any reader that saw it. A write that fails that first
 * attempt (or starts a burst) looks its holds up before it spins, queues or raises the flag, as before.
 *
 * <h2>Threads that read rarely</h2>
 * A record costs its thread a registration under the mutex (an allocation, a copy of the registry's dense array):
 * nothing for a thread that reads all day, microseconds for a virtual thread per request whose first read is its
 * last. So a thread without a record takes the read lock on a <em>stripe</em> instead (one of a few padded counters,
 * chosen by a hash of its thread id, never by its carrier: a virtual thread may park holding the lock and resume on
 * another carrier), as percpu-rwsem counts on per-CPU counters: {@code count[stripe] += 1} (an atomic, a full fence),
 * then the fenced path's check: inside if the flag is 0 or no writer claims; else it backs out
 * ({@code count[stripe] -= 1}, then wakes the scanner) and waits for the writer as a registered reader. Release:
 * {@code count[stripe] -= 1} (an atomic: the section's accesses before it), and the scanner is woken if the flag is
 * raised. A virtual thread (most likely a request's, whose first read is its last) keeps its holds in its stripe's
 * owner slot, taken with a CAS by its first hold and given back by its last release (as
 * {@code ReentrantReadWriteLock}'s {@code firstReader}; see {@code StripeOwners}); a platform thread (most likely a
 * pool's, which reads again), or a virtual thread that found its slot taken, keeps them in a {@code ThreadLocal} whose
 * value is an {@code int[]} (a JDK class: an entry left in a pool thread's map pins nothing of this library, and it
 * dies with its thread). That is what {@code ReentrantReadWriteLock}'s read lock pays (one atomic each way, and the
 * slot's CAS), with no lock, nothing whose size grows with the threads, and for a virtual thread no allocation unless
 * its slot was taken. A re-entry looks where the thread's holds are first, so it never takes the first hold's path and
 * never waits for a writer that waits for it. A writer, after its {@code heavy()} (or fence) and the records, waits
 * until every stripe's count is 0: the Dekker pair of the fenced path (the reader's atomic increment, then its volatile
 * loads of the flag and the claim; the writer's volatile store of the flag and {@code heavy()}, or in a burst its
 * claim's CAS, then its volatile loads of the counts), so either the writer sees the reader counted or the reader sees
 * the writer and backs out. A thread that has taken the read lock {@value #PROMOTE_AFTER} times this way (a virtual
 * thread's counted in a small table by thread id), one that holds or claims the write lock (a downgrade stays on the
 * record the writer's drain skips), one that must wait for a writer, and every {@link #localReadLock()} get a record.
 * {@link #getReadLockCount()} and {@link #getReadHoldCount()} count both; a stall warning counts a stripe's holds and
 * names the last thread to enter it if it is a live platform thread (the JDK lists no virtual threads; a thread dump
 * names them).
 *
 * <h2>Fault model</h2>
 * <ul>
 *   <li>{@code heavy()} throws (the signal provider's timeout, a sandbox that starts refusing the syscall): the
 *       {@code lock()} that called it throws the same exception, holds nothing and leaves the flag unsealed (above);
 *       the next writer tries again.</li>
 *   <li>An interrupt: {@code lockInterruptibly} and {@code tryLock(time, unit)} throw {@link InterruptedException}
 *       and leave no hold (a writer that was draining lowers its claim and admits the readers that waited for it);
 *       {@code lock()} ignores it and returns with the interrupt status set.</li>
 *   <li>A thread that dies holding the read lock keeps it held, as in {@code ReentrantReadWriteLock}: writers wait
 *       for it for ever. After {@code processbarrier.sync.stallWarningMillis} (default 10 s; 0 = off) a waiting
 *       writer logs one WARNING through {@code System.Logger} ({@code io.processbarrier.sync.ReadMostlyLock})
 *       naming every reader still inside, how long it has been, and its stack (a dead one is said to be dead), then
 *       again each time the wait has doubled, and an INFO when the wait ends. A logger that throws is survived.</li>
 *   <li>A {@code StackOverflowError} or {@code OutOfMemoryError} at a call inside an acquisition leaves no reader
 *       marked inside, and a writer's claim is released on the way out (not if the error strikes inside that
 *       release itself), also when it strikes between the claim and the code that guards it (on a full heap the JVM
 *       throws one where it links a call site that runs for the first time, at no allocation of ours); a
 *       reservation of the claim that such an error kept a writer that left the queue from giving up is dropped by
 *       the next writer. A write-lock request from inside the writer's own acquisition (a log handler of its stall
 *       warning that takes this lock) throws {@link IllegalMonitorStateException} instead of entering. An
 *       {@code OutOfMemoryError} out of a wake-up (on a full heap, the JDK failing to schedule a virtual thread it
 *       has already marked unparked) does not undo the release, admission or signal that woke it, and is not thrown
 *       on: that operation is complete ({@code ReadMostlyLockQueue.wake}).</li>
 *   <li>Conditions of the write lock keep their own FIFO list of waiters (guarded by the write lock), and a
 *       signalled waiter takes the write lock back as any writer does: nothing, condition waiters included, waits in
 *       the internal mutex's queue behind a reader. An interrupt after a signal does not cancel it; a waiter that
 *       timed out never takes a signal from the next ({@code ReadMostlyLockCondition}). A timeout of zero or less,
 *       down to {@code Long.MIN_VALUE}, times out at once. On a full heap a wait that cannot allocate its waiter
 *       returns as a spurious wake-up after a short park, and an {@code OutOfMemoryError} never makes {@code await}
 *       return or throw without the write lock (as {@code AbstractQueuedSynchronizer}'s conditions since JDK 20).</li>
 *   <li>The burst timer cannot take a lock down: if its thread cannot be started, readers still end the burst on
 *       their 256th fenced entry, and the next writer's release schedules the timer again; if its thread dies of an
 *       error (an {@code OutOfMemoryError} included: its loop and its failure path allocate nothing), every lock it
 *       had armed is told, and the next write of each arms it again ({@code BurstEnder}).</li>
 * </ul>
 *
 * <h2>Costs</h2>
 * Measured by {@code ReadMostlyLockBench} (JMH, {@code benchmarks/run.sh rml}) on 2 vCPU AMD EPYC under Firecracker,
 * Linux 6.18, OpenJDK 17; see {@code docs/read-mostly-lock.md} for the numbers and their ratios to
 * {@code ReentrantReadWriteLock}, {@code StampedLock} and {@code synchronized}. A read lock/unlock pair is two
 * lookups of the reader record (a few dependent loads each) and a few {@code mov}s on the fast path, plus one full
 * fence on the fenced path; through {@link #localReadLock()} the same without the lookups; for a thread without a
 * record (its first {@value #PROMOTE_AFTER} read locks) two atomics on its stripe. A write lock/unlock pair costs
 * one {@code heavy()} and two sections of the internal mutex at the start of a burst; inside a burst, two CASes of the
 * claim word and a scan of the reader records (and of the stripes, only if a thread without a record has read since
 * the burst started), with no mutex, no clock read and no fence of its own (see "A write inside a burst";
 * {@code WriteAloneBench}, one thread, Temurin 25, 2 vCPU Intel Xeon: 15.3-15.5 ns; 20.3-20.4 ns when the writer
 * published its {@code Thread} with a full fence of its own; {@code ReentrantReadWriteLock} 12.8 ns). Contended
 * writers: {@code WriteContention} ({@code benchmarks/run.sh rml}).
 *
 * <h2>Memory</h2>
 * About 1.1 KB per lock for finding the records (a front cache of 256 references and a small table), plus one record
 * (about 300 bytes) per thread that has used the read lock: a lock is meant to guard a structure, not to be made per
 * entry; threads that read rarely have none (see above), only an {@code int[4]} in their own thread-local map (a
 * virtual thread not even that, unless it found its stripe's slot taken); the lock has 4 x CPUs stripes of 128 bytes,
 * as many slots of about 290 bytes, and a table of 64 bytes per stripe ({@code StripeOwners}). A record is referenced
 * by the lock's registry only and refers to its thread weakly (see {@code ReaderRegistry}), so no ended thread, and no
 * context class loader of one, stays reachable from the lock, without any write or call; records of dead threads that
 * hold no read lock are dropped when the registry has grown to twice its size after the last clean-up, and every 1024th
 * write. A thread that dies holding the read lock keeps it held, as in {@code ReentrantReadWriteLock} (and, if it held
 * through a slot, stays reachable from it, as from that class's {@code firstReader}).
 */
public final class ReadMostlyLock implements ReadWriteLock {
    /** Time after the last writer left before the burst may end and readers go back to the fast path. */
    static final long DEFAULT_BURST_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** A reader on the fenced path reads the clock once per this many entries of its thread (a power of two). */
    static final int BURST_CHECK_PERIOD = 256;
    /**
     * When the burst timer looks, after the last writer left (or after the window, if longer), and the time with no
     * write after which it ends a burst (see {@link #burstTimerFired}): late enough that a lock written continuously
     * wakes the timer at most 100 times a second, early enough that a burst is over well within 50 ms of the last
     * write.
     */
    static final long BURST_END_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    /**
     * How long a writer waiting for a reader, or a reader waiting for a writer, spins before it parks: sections are
     * usually far shorter than a park and unpark (whose wake-up takes a scheduler's latency), and 20 µs is about the
     * cost of one heavy().
     */
    private static final long SPIN_NANOS = 20_000L;
    /** A writer waiting for a reader looks this many times between two clock reads while it spins. */
    private static final int QUICK_LOOKS = 32;
    /**
     * Every this many writes (a power of two: the count is {@link #exits}), the registry drops the records of dead
     * threads that hold no read lock (an O(records) scan, amortized to a few ns per write), besides the pruning on
     * registration, so that a lock nobody new reads does not keep dead threads' records (each about 300 bytes; they
     * refer to their threads weakly).
     */
    private static final int PRUNE_EVERY_WRITES = 1024;
    /** The default of {@link #promoteAfter}: a thread that has read this often is likely to go on reading. */
    static final int PROMOTE_AFTER = 64;
    private static final int R_HOLDS = 0;
    private static final int R_STRIPE = 1;
    private static final int R_SECTIONS = 2;
    private static final int R_SPILLED = 3;
    /** A writer parked for a reader re-checks after this long even if no reader unparked it. */
    private static final long PARK_RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    static final VarHandle ACTIVE;
    private static final VarHandle HOLDS;
    private static final VarHandle FLAG;
    private static final VarHandle OWNER;
    private static final VarHandle SCANNER;
    private static final VarHandle LAST_EXIT;
    private static final VarHandle EXITS;
    private static final VarHandle STAMPED;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            ACTIVE = l.findVarHandle(ReadMostlyLockReaderFields.class, "active", int.class);
            HOLDS = l.findVarHandle(ReadMostlyLockReaderFields.class, "holds", int.class);
            FLAG = l.findVarHandle(ReadMostlyLock.class, "flag", int.class);
            OWNER = l.findVarHandle(ReadMostlyLock.class, "owner", Thread.class);
            SCANNER = l.findVarHandle(ReadMostlyLock.class, "scanner", Thread.class);
            LAST_EXIT = l.findVarHandle(ReadMostlyLock.class, "lastExit", long.class);
            EXITS = l.findVarHandle(ReadMostlyLock.class, "exits", long.class);
            STAMPED = l.findVarHandle(ReadMostlyLock.class, "stamped", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
        linkAccesses();
        JdkFailurePaths.load();
    }

    /**
     * Links every VarHandle access this class makes ({@link VarHandleLinks} says why): one lambda per access mode and
     * type, as the calls in this file make them ({@code null} is a {@code Void}).
     */
    private static void linkAccesses() {
        ReadMostlyLock none = null;
        ReadMostlyLockReader noReader = null;
        ReaderRegistry.Slot noSlot = null;
        Thread me = Thread.currentThread();
        VarHandleLinks.link(
                () -> { int n = (int) FLAG.getAcquire(none); },
                () -> { boolean b = OWNER.getAcquire(none) == null; },
                () -> { int n = (int) FLAG.getOpaque(none); },
                () -> { long l = (long) EXITS.getOpaque(none); },
                () -> { boolean b = OWNER.getOpaque(none) == null; },
                () -> { Thread t = (Thread) OWNER.getOpaque(none); },
                () -> { Thread t = (Thread) SCANNER.getVolatile(none); },
                () -> { int n = (int) ACTIVE.getOpaque(noSlot); },
                () -> { int n = (int) FLAG.getVolatile(none); },
                () -> { int n = (int) ACTIVE.getVolatile(noReader); },
                () -> { int n = (int) ACTIVE.getVolatile(noSlot); },
                () -> EXITS.setOpaque(none, 0L),
                () -> ACTIVE.setOpaque(noReader, 0),
                () -> FLAG.setRelease(none, 0),
                () -> OWNER.setRelease(none, me),
                () -> OWNER.setRelease(none, null),
                () -> ACTIVE.setRelease(noReader, 0),
                () -> FLAG.setVolatile(none, 0),
                () -> SCANNER.setVolatile(none, me),
                () -> SCANNER.setVolatile(none, null),
                () -> ACTIVE.setVolatile(noReader, 0));
    }

    /** Not final: a settled DeferredBarrier is exchanged for its selection on the writer's path (writerHeavy). */
    private ProcessBarrier barrier;
    private final long burstNanos;
    /**
     * The burst timer's window, the longer of {@link #burstNanos} and {@link #BURST_END_DELAY_NANOS}: its first look
     * after it was armed, and the time with no write after which it ends a burst (see {@link #burstTimerFired}).
     */
    private final long timerWindowNanos;
    /** The clock of bursts and of the admission grace: {@link System#nanoTime()}, or a test's own. */
    private final LongSupplier clock;
    private final StallWarnings stalls;
    private final Lock readLock = new ReadMostlyLockViews.Read(this);
    private final Lock writeLock = new ReadMostlyLockViews.Write(this);

    /** The readers' gate: 0 lets them in on the fast path. Written under the mutex only (volatile or release). */
    private int flag;
    /**
     * Whether a {@code heavy()} that began after the flag was raised has completed (see "Sealed" in the class doc).
     * Written by the claiming writer, or under the mutex while no writer claims; the mutex carries it to the next.
     */
    private boolean sealed;
    /**
     * Whether the claim's holder is a writer (draining the readers, or holding the write lock), not the end of a
     * burst: set by the writer right after its claim, cleared before its release. Read by the claim's holder, to ask
     * whether it is inside its own acquisition ({@link #strandedClaim}, {@link #claimSlowly}), and by
     * {@link #toString}. No reader looks at it: they check the claim word. A boolean, not the writer's {@code Thread}:
     * a reference store pays the collector's write barrier, and two of them per write cost 2-2.5 ns of a 17 ns write
     * ({@code WriteAloneBench}, Temurin 25, G1, 2 vCPU Intel Xeon, two pairs of runs: 17.0-17.1 ns with them, 14.8-15.1
     * ns without).
     */
    private boolean writing;
    /** The thread that holds the write lock (drained, not yet released); written by it only. */
    private Thread owner;
    /** The writer parked while the readers drain, for readers to unpark; written by that writer only. */
    private Thread scanner;
    /** The clock's time when the last writer left; opaque, written under the mutex. */
    private long lastExit;
    /**
     * Write-lock releases so far; opaque, incremented by the releasing writer (the claim orders the writers); every
     * {@link #PRUNE_EVERY_WRITES}th release prunes the registry. A release inside a burst reads no clock (a clock
     * read costs as much as the rest of a contended write): whoever looks at {@link #lastExit} and finds this moved
     * since {@link #stamped} takes its own time as the last exit.
     */
    private long exits;
    /** The value of {@link #exits} that {@link #lastExit} accounts for; opaque. */
    private long stamped;
    /**
     * At {@code [TIMER_SEEN]} the value of {@link #exits} at the burst timer's last look, and at the next index that
     * look's time: written by the timer only, padded by 128 bytes on each side, so that the timer never writes a line
     * the writers use.
     */
    private final long[] timerSeen = new long[2 * TIMER_SEEN + 2];
    private static final int TIMER_SEEN = 16;
    /** Write holds of the writer; accessed by the holder only (the mutex carries it from one holder to the next). */
    int writeHolds;
    /**
     * Whether the burst timer is armed for this lock; written under the mutex, read (volatile) by a releasing writer
     * that skips the mutex only while it is armed.
     */
    volatile boolean burstTimerArmed;

    /** The writers' queue and the readers waiting for a writer, with the mutex of every slow path. */
    final ReadMostlyLockQueue queue;
    /**
     * Every reader record, registered under the mutex (so a registering reader sees a raised flag); writers scan its
     * {@code slots()} with a volatile load.
     */
    private final ReaderRegistry<ReadMostlyLockReader> registry;
    /** The registry's front cache, in a final field of our own: see {@link ReaderRegistry#front()}. */
    private final ReadMostlyLockReader[] front;
    /**
     * The read holds of threads without a record, one counter per stripe (see "Threads that read rarely" in the class
     * doc): incremented on every acquisition of such a thread, decremented on every release.
     */
    private final ReaderStripes stripes = new ReaderStripes(2); // {holds, id of the last entrant}
    /**
     * The state of a platform thread that reads without a record, or of a virtual thread that found its stripe's slot
     * taken (see {@link StripeOwners}): {@code {holds, stripe, outermost sections so far, 1 if counted in the slot's
     * spills}}, sections {@code < 0} once it has a record. The value is an {@code int[]} (a JDK class) and the key a
     * plain {@code ThreadLocal}: an entry left in a pool thread's map after this library's class loader is gone pins
     * nothing of it, and the entry dies with its thread.
     */
    private final ThreadLocal<int[]> rare = new ThreadLocal<>();
    /**
     * Where a virtual thread without a record keeps its holds: its stripe's owner slot, free in the common case (see
     * {@link StripeOwners}), else {@link #rare}.
     */
    private final StripeOwners owners = new StripeOwners(stripes.count());
    /** Outermost sections through the stripes after which a thread registers a record; tests may lower it. */
    int promoteAfter = PROMOTE_AFTER;

    /** A lock on the process-wide default barrier, {@link ProcessBarrier#get()}. */
    public ReadMostlyLock() {
        this(ProcessBarrier.get());
    }

    /**
     * A lock on the given barrier; an asymmetric one (e.g. {@code ProcessBarrier.of("membarrier")}) gives fence-free
     * readers, the {@code fence} provider gives a correct lock whose readers pay a full fence each.
     *
     * @throws NullPointerException if {@code barrier} is null
     */
    public ReadMostlyLock(ProcessBarrier barrier) {
        this(barrier, DEFAULT_BURST_NANOS);
    }

    /** For tests: a burst window other than the default. */
    ReadMostlyLock(ProcessBarrier barrier, long burstNanos) {
        this(barrier, burstNanos, System::nanoTime, null);
    }

    /** For tests: a burst window, a clock of bursts and admissions, and stall warnings of their own (or null). */
    ReadMostlyLock(ProcessBarrier barrier, long burstNanos, LongSupplier clock, StallWarnings stalls) {
        this.barrier = Objects.requireNonNull(barrier, "barrier: pass a ProcessBarrier, e.g. ProcessBarrier.get()");
        if (burstNanos < 0) {
            throw new IllegalArgumentException("burstNanos must be >= 0, got " + burstNanos);
        }
        this.burstNanos = burstNanos;
        this.timerWindowNanos = Math.max(burstNanos, BURST_END_DELAY_NANOS);
        this.clock = Objects.requireNonNull(clock, "clock");
        this.stalls = stalls != null ? stalls : StallWarnings.system(Log::logger);
        this.queue = new ReadMostlyLockQueue(this, clock);
        this.registry = new ReaderRegistry<>(ReadMostlyLockReader::new, ReadMostlyLockReader[]::new, queue.mutex);
        this.front = registry.front();
    }

    /**
     * A writer's heavy(), through the barrier the construct was made with or, once a {@link DeferredBarrier}'s
     * selection is over, through the barrier it selected: stored after heavy() (a plain store, once, by a writer,
     * which the claim or the grace-period lock serializes), so that readers stop paying the deferred one's check; a
     * reader that still reads the deferred one is ordered as well (see DeferredBarrier).
     */
    private void writerHeavy() {
        ProcessBarrier b = barrier;
        ProcessBarrier r = DeferredBarrier.resolve(b);
        r.heavy();
        if (r != b) {
            barrier = r;
        }
    }

    /**
     * The read lock. Memory ordering: its {@code lock} happens-after the {@code unlock} of the previous write lock;
     * its {@code unlock} happens-before the {@code lock} of the next write lock. Fast path: no fence, no atomic
     * read-modify-write, no write to a shared cache line.
     */
    @Override
    public Lock readLock() {
        return readLock;
    }

    /**
     * The calling thread's read lock: {@code lock()}/{@code unlock()} without the lookup of the thread's record, for a
     * thread that reads in a loop (an event loop, a worker) and keeps the handle. Registers the thread's record now if
     * it has none. Only that thread may use it: any method of it called on another thread throws
     * {@link IllegalStateException}. Otherwise it is {@link #readLock()} (the same holds, reentrancy, exclusion and
     * {@link IllegalMonitorStateException} rules: a hold taken through one is released through either). The handle
     * holds its thread (it is the caller's object); the lock's record of the thread does not.
     */
    public Lock localReadLock() {
        Thread t = Thread.currentThread();
        return new ReadMostlyLockViews.LocalRead(this, registry.current(t), t);
    }

    /**
     * The write lock, exclusive of every read and write lock of other threads. Memory ordering: its {@code lock}
     * happens-after the {@code unlock} of every read lock and write lock before it; its {@code unlock}
     * happens-before every later {@code lock}. Costs one {@code heavy()} at the start of a burst of writes.
     */
    @Override
    public Lock writeLock() {
        return writeLock;
    }

    // ------------------------------------------------------------------------------------------------ introspection

    /**
     * Whether some thread holds the write lock, as {@code ReentrantReadWriteLock.isWriteLocked()}: true only once a
     * writer has acquired it (its readers drained), not while a writer still waits for readers to leave. For
     * monitoring, not for synchronization control. An acquire load.
     */
    public boolean isWriteLocked() {
        return OWNER.getAcquire(this) != null;
    }

    /** Whether the calling thread holds the write lock. */
    public boolean isWriteLockedByCurrentThread() {
        return OWNER.getOpaque(this) == Thread.currentThread(); // only this thread stores itself there
    }

    /** The calling thread's reentrant holds of the write lock: 0 if it does not hold it. */
    public int getWriteHoldCount() {
        return isWriteLockedByCurrentThread() ? writeHolds : 0;
    }

    /** The calling thread's reentrant holds of the read lock: 0 if it holds none. */
    public int getReadHoldCount() {
        ReadMostlyLockReader r = ownReader();
        return (r == null ? 0 : r.holds) + rareHolds();
    }

    /**
     * The number of read holds of all threads (reentrant holds counted), as
     * {@code ReentrantReadWriteLock.getReadLockCount()}. For monitoring: it scans every thread's record (O(threads
     * that have read this lock), one opaque load each), and each count may be stale by the time it returns.
     */
    public int getReadLockCount() {
        long n = 0;
        for (ReaderRegistry.Slot s : registry.slots()) {
            n += (int) HOLDS.getOpaque(s);
        }
        n += stripes.sum(0); // the holds of threads without a record (a hold being taken or backed out included)
        return (int) Math.max(0L, Math.min(Integer.MAX_VALUE, n));
    }

    @Override
    public String toString() {
        Thread o = (Thread) OWNER.getOpaque(this);
        Thread w = writing ? queue.claimant() : null; // plain, racy reads: a snapshot for the message only
        return super.toString() + "[barrier=" + DeferredBarrier.nameNow(barrier)
                + (o != null ? ", write-locked by " + o.getName()
                : w != null ? ", write-claimed by " + w.getName() + " (waiting for readers)" : ", not write-locked")
                + ", read holds=" + getReadLockCount() + "]";
    }

    // ------------------------------------------------------------------------------------------------ readers

    /** The calling thread's record, or null if it has none (or its id was unstable: see ReaderRegistry). */
    private ReadMostlyLockReader lookup(Thread t) {
        ReadMostlyLockReader r = ReaderRegistry.cached(front, t);
        return r != null ? r : registry.lookup(t);
    }

    /** The calling thread's record, or null if it never registered one. */
    private ReadMostlyLockReader ownReader() {
        ReadMostlyLockReader r = ReaderRegistry.cached(front, Thread.currentThread());
        return r != null ? r : registry.find();
    }

    /** The calling thread's read holds taken through the stripes (0 if none, or if it never read without a record). */
    private int rareHolds() {
        if (stripes.allZero(0)) {
            // nobody holds through the stripes, so neither do we (our own increments are in program order): no
            // ThreadLocal look-up, which would make an entry on a thread that never read without a record, an
            // allocation that a writer's upgrade check must not make (a full heap: ReadMostlyLockFullHeapTest)
            return 0;
        }
        Thread t = Thread.currentThread();
        if (StripeOwners.isVirtual(t)) {
            StripeOwners.Owner o = owners.slot(stripes.stripeOf(t));
            if (o.inside(t)) {
                return o.depth; // a thread holds through its slot or its ThreadLocal, never both (see acquireRare)
            }
            if (!o.spilled()) {
                return 0;
            }
        }
        int[] st;
        try {
            st = rare.get();
        } catch (OutOfMemoryError full) {
            // get() allocates only to make the entry (or the thread's map) that is missing: no entry, no holds.
            // A writer of a fresh thread asks this while another thread reads through the stripes, heap full or not
            return 0;
        }
        return st == null ? 0 : st[R_HOLDS];
    }

    /** Read lock; {@code how}: one of {@link ReadMostlyLockQueue}'s modes. */
    boolean acquireRead(int how, long nanos) throws InterruptedException {
        Thread t = Thread.currentThread();
        ReadMostlyLockReader r = ReaderRegistry.cached(front, t);
        if (r == null && (r = registry.lookup(t)) == null) {
            return acquireRare(t, how, nanos); // no record: a thread that reads rarely, or for the first time
        }
        return acquireRecord(r, how, nanos);
    }

    /** Read lock through the thread's record {@code r}: the fast path. */
    boolean acquireRecord(ReadMostlyLockReader r, int how, long nanos) throws InterruptedException {
        int h = r.holds; // plain: owner only
        if (h > 0) {
            if (h == Integer.MAX_VALUE) {
                throw new Error("Maximum lock count exceeded");
            }
            r.holds = h + 1;
            return true;
        }
        ACTIVE.setOpaque(r, 1); // opaque store to our own line: no fence
        try {
            barrier.light(); // StoreLoad only together with a writer's heavy()
            if ((int) FLAG.getAcquire(this) == 0) { // acquire load (a plain mov on x86): LoadLoad|LoadStore after
                r.holds = 1;
                return true;
            }
            return readSlow(r, how, nanos);
        } catch (Throwable x) { // e.g. a StackOverflowError at a call: a failed acquisition must not stay "inside"
            if (r.holds == 0) {
                ACTIVE.setVolatile(r, 0);
                wakeScanner();
            }
            throw x;
        }
    }

    /**
     * Read lock for a thread without a record: its holds in its stripe's counter (one atomic, a full fence); its
     * state in {@link #rare} for a platform thread, in its stripe's owner slot for a virtual thread (one CAS; see
     * {@link StripeOwners}), or in {@link #rare} if the slot is taken. A re-entry looks where the thread's holds are
     * (the slot, then {@link #rare} if some thread of the stripe spilled) before anything else, so it never takes the
     * first hold's path, which may back out and wait for a writer that waits for this very thread. A thread that has
     * read {@link #promoteAfter} times, one that holds the write lock or claims it (a downgrade, a log handler of its
     * own stall warning), and one that must wait for a writer get a record and go on through it.
     */
    private boolean acquireRare(Thread t, int how, long nanos) throws InterruptedException {
        if (!StripeOwners.isVirtual(t)) {
            return acquireSpilled(t, null, rare.get(), how, nanos);
        }
        int stripe = stripes.stripeOf(t);
        StripeOwners.Owner o = owners.slot(stripe);
        if (o.inside(t)) { // reentrant: inside already, so no writer can be in; never waits
            int h = o.depth;
            if (h == Integer.MAX_VALUE) {
                throw new Error("Maximum lock count exceeded");
            }
            stripes.add(stripe, 0, 1L); // volatile RMW: counted before the section's accesses
            o.depth = h + 1;
            return true;
        }
        int[] st = o.spilled() ? rare.get() : null; // maybe holding through rare (no map made where none spilled)
        if (st != null && st[R_HOLDS] > 0) {
            return acquireSpilled(t, o, st, how, nanos); // its re-entry
        }
        if (OWNER.getOpaque(this) == t // opaque: only t stores itself there
                || owners.route(t.getId(), promoteAfter) == StripeOwners.PROMOTE) {
            return acquireRecord(promote(t, null), how, nanos);
        }
        if (!owners.claim(t, o)) {
            return acquireSpilled(t, o, st != null ? st : rare.get(), how, nanos);
        }
        boolean in = false;
        try {
            in = enterStripe(t, stripe);
        } finally {
            if (in) {
                o.depth = 1;
            } else {
                owners.release(o); // backed out (or an Error): the slot's next thread may come
            }
        }
        return in || acquireRecord(promote(t, null), how, nanos); // wait for the writer as a registered reader
    }

    /**
     * The first hold of a thread without a record, on {@code stripe}: counts it, then the fenced path's check; inside
     * if the flag is 0 or no writer claims, else backed out (the count undone, the scanner woken) and false.
     */
    private boolean enterStripe(Thread t, int stripe) {
        stripes.noteEntrant(stripe, 1, t.getId()); // for stall warnings only; before the count, which is undone below
        stripes.add(stripe, 0, 1L); // volatile RMW, a full fence: StoreLoad before the loads of flag and writer
        boolean in = false;
        try {
            stripes.markUsed(); // after the increment, before the loads: writers read the stripes (ReaderStripes)
            // volatile loads: the Dekker pair with a writer's volatile store of flag (or its claim's CAS) and its
            // volatile loads of the stripes (see "Threads that read rarely")
            in = (int) FLAG.getVolatile(this) == 0 || queue.claimFree();
        } finally {
            if (!in) { // a writer claims (or an Error struck): back out before anything else
                stripes.add(stripe, 0, -1L); // volatile RMW: then the load of scanner
                wakeScanner();
            }
        }
        return in;
    }

    /**
     * Read lock with the state in {@link #rare}: a platform thread's ({@code slot} null), or a virtual thread's whose
     * stripe's slot {@code slot} is taken (then counted in the slot's spills while it holds). {@code st}: the thread's
     * value of {@link #rare}, as the caller looked it up (null if it has none yet).
     */
    private boolean acquireSpilled(Thread t, StripeOwners.Owner slot, int[] st, int how, long nanos)
            throws InterruptedException {
        if (st == null) {
            st = new int[] {0, stripes.stripeOf(t), 0, 0};
            rare.set(st);
        }
        int h = st[R_HOLDS];
        if (h > 0) { // reentrant: inside already, so no writer can be in; never waits
            if (h == Integer.MAX_VALUE) {
                throw new Error("Maximum lock count exceeded");
            }
            stripes.add(st[R_STRIPE], 0, 1L); // volatile RMW: counted before the section's accesses
            st[R_HOLDS] = h + 1;
            return true;
        }
        if (st[R_SECTIONS] < 0) { // registered, but the lookup missed: an unstable getId() (see ReaderRegistry)
            return acquireRecord(registry.current(t), how, nanos);
        }
        if (++st[R_SECTIONS] > promoteAfter || OWNER.getOpaque(this) == t) { // opaque: only t stores itself there
            return acquireRecord(promote(t, st), how, nanos);
        }
        if (slot != null) {
            owners.spill(slot, 1); // before the hold: a re-entry of ours, or our upgrade check, must look in rare
        }
        boolean in = false;
        try {
            in = enterStripe(t, st[R_STRIPE]);
        } finally {
            if (in) {
                st[R_SPILLED] = slot != null ? 1 : 0;
                st[R_HOLDS] = 1;
            } else if (slot != null) {
                owners.spill(slot, -1);
            }
        }
        return in || acquireRecord(promote(t, st), how, nanos); // wait for the writer as a registered reader
    }

    /**
     * Registers the calling thread's record (under the mutex, so it sees a raised flag) and marks it in {@code st}, if
     * any.
     */
    private ReadMostlyLockReader promote(Thread t, int[] st) {
        ReadMostlyLockReader r = registry.current(t);
        if (st != null) {
            st[R_SECTIONS] = -1;
        }
        return r;
    }

    /** The fenced path: {@code active} is 1 and the flag was raised. */
    private boolean readSlow(ReadMostlyLockReader r, int how, long nanos) throws InterruptedException {
        long deadline = how == TIMED ? System.nanoTime() + nanos : 0L;
        Thread me = Thread.currentThread();
        VarHandle.fullFence(); // StoreLoad: our active = 1 before the load of the claim (pairs with its CAS)
        if (!queue.claimedByOther(me) || rareHolds() > 0) { // the last: holds through the stripes make this re-entrant
            r.holds = 1;
            if ((++r.fencedEntries & (BURST_CHECK_PERIOD - 1)) == 0) {
                maybeEndBurst();
            }
            return true;
        }
        ACTIVE.setVolatile(r, 0); // volatile store (StoreLoad after): back out before reading scanner
        wakeScanner();
        if (how == TRY || (how == TIMED && nanos <= 0)) {
            return false;
        }
        long spinEnd = System.nanoTime() + SPIN_NANOS;
        while (System.nanoTime() - spinEnd < 0L) { // write sections are short too: try again before blocking
            Thread.onSpinWait();
            if (queue.claimFree()) { // volatile load
                ACTIVE.setOpaque(r, 1);
                VarHandle.fullFence(); // the fenced path's Dekker pair, as above
                if (queue.claimFree()) {
                    r.holds = 1;
                    return true;
                }
                ACTIVE.setVolatile(r, 0);
                wakeScanner();
            }
        }
        return queue.awaitWriterGone(r, how, deadline);
    }

    /**
     * When the last writer left, as far as {@code now} can tell: its own clock reading if it released outside a burst,
     * else {@code now} for the first look after it (see {@link #exits}): a burst may end late by one look, never early.
     * Opaque loads and stores: a hint, never a premise of exclusion.
     */
    private long lastExitAt(long now) {
        long e = (long) EXITS.getOpaque(this);
        if (e != (long) STAMPED.getOpaque(this)) {
            STAMPED.setOpaque(this, e);
            LAST_EXIT.setOpaque(this, now);
            return now;
        }
        return (long) LAST_EXIT.getOpaque(this);
    }

    /** Lowers the flag if the burst window has passed and no writer holds, drains or waits. */
    private void maybeEndBurst() {
        long now = clock.getAsLong();
        if (now - lastExitAt(now) < burstNanos || !queue.mutex.tryLock()) {
            return;
        }
        try {
            now = clock.getAsLong();
            if (now - lastExitAt(now) < burstNanos) {
                return; // a writer left meanwhile: its window starts again
            }
            lowerFlagLocked();
        } finally {
            queue.mutex.unlock();
        }
    }

    /**
     * Under the mutex: ends the burst if no writer holds, drains, spins or waits, holding the writers' claim meanwhile
     * (writers of a burst claim without the mutex: the claim is what keeps them out).
     */
    private boolean lowerFlagLocked() {
        if ((int) FLAG.getOpaque(this) == 0) {
            return false;
        }
        Thread me = Thread.currentThread();
        boolean claimed;
        try {
            claimed = queue.claimForBurstEnd();
        } catch (Throwable e) {
            if (strandedClaim(me)) { // the caller may be the writer itself, reading inside its write section
                queue.releaseClaim();
            }
            throw e;
        }
        if (!claimed) {
            return false;
        }
        try {
            if ((int) FLAG.getOpaque(this) == 0) { // opaque: written only by a claim holder; our CAS came after
                return false;
            }
            // release: a reader that loads 0 with acquire sees what the last writer wrote (it gave the claim back
            // before our CAS took it)
            FLAG.setRelease(this, 0);
            sealed = false;
            return true;
        } finally {
            queue.releaseClaim();
        }
    }

    /**
     * Run by the burst timer: ends the burst (under the mutex) if no writer has left for the timer's window
     * ({@link #timerWindowNanos}) and no writer holds, drains or waits, and says how long until it should look again
     * ({@code 0}: not again, the burst is over or a writer's release will arm the timer).
     * The timer's window is longer than the readers' (the burst window, 1 ms by default, checked on their 256th fenced
     * entry) because the timer ends it from another CPU: the mutex and the flag then move to that CPU's cache, and a
     * lock written every few ms would pay for it on its next write. It is a backstop for readers that never get to
     * their 256th entry; the burst is still over within about 30 ms of the last write.
     */
    long burstTimerFired() {
        long now = clock.getAsLong();
        long last = timerLastExit(now);
        if (last == Long.MIN_VALUE && (int) FLAG.getOpaque(this) != 0) {
            return timerWindowNanos; // writes inside the burst since the last look: look again a window later
        }
        long left = last + timerWindowNanos - now;
        if (left > 0L && (int) FLAG.getOpaque(this) != 0) {
            // a writer left within the timer's window: look again, having written nothing (no tryLock), so that
            // the next write finds the mutex and the flag in its own CPU's cache, not in the timer's
            return Math.max(left, BURST_END_DELAY_NANOS);
        }
        if (!queue.mutex.tryLock()) {
            return BURST_END_DELAY_NANOS; // busy: look again later rather than queue behind a reader
        }
        try {
            if ((int) FLAG.getOpaque(this) == 0) {
                burstTimerArmed = false;
                return 0L;
            }
            if (!queue.noWriter()) {
                return BURST_END_DELAY_NANOS; // stay armed: a queued writer may give up without a release
            }
            now = clock.getAsLong();
            last = timerLastExit(now);
            if (last == Long.MIN_VALUE) {
                return timerWindowNanos;
            }
            left = last + timerWindowNanos - now;
            if (left > 0L) {
                return Math.max(left, BURST_END_DELAY_NANOS);
            }
            lowerFlagLocked();
            burstTimerArmed = false;
            return 0L;
        } finally {
            queue.mutex.unlock();
        }
    }

    /**
     * The burst timer's view of the last exit, writing nothing of the lock's own (see {@link #burstTimerFired}):
     * its clock reading if every exit was stamped; else, if no writer left since the timer's last look, that look's
     * time (the unstamped exits came before it); else {@link Long#MIN_VALUE} (writers left since: look again later),
     * and the timer remembers this look.
     */
    private long timerLastExit(long now) {
        long e = (long) EXITS.getOpaque(this);
        long last = (long) LAST_EXIT.getOpaque(this);
        if (e == (long) STAMPED.getOpaque(this)) {
            return last;
        }
        if (e != timerSeen[TIMER_SEEN]) {
            timerSeen[TIMER_SEEN] = e;
            timerSeen[TIMER_SEEN + 1] = now;
            return Long.MIN_VALUE;
        }
        return Math.max(last, timerSeen[TIMER_SEEN + 1]);
    }

    /** The burst timer could not re-arm itself: the next writer's release arms it again. */
    void burstTimerLost() {
        queue.lockForWriter();
        try {
            burstTimerArmed = false;
        } finally {
            queue.mutex.unlock();
        }
    }

    void releaseRead() {
        Thread t = Thread.currentThread();
        ReadMostlyLockReader r = ReaderRegistry.cached(front, t);
        if (r == null) {
            r = registry.lookup(t);
        }
        releaseRecord(r, t);
    }

    /** Read unlock through {@code r}, the record of {@code t} (the calling thread), or null if it has none. */
    void releaseRecord(ReadMostlyLockReader r, Thread t) {
        int h = r == null ? 0 : r.holds;
        if (h <= 0) {
            releaseRare(t);
            return;
        }
        r.holds = h - 1;
        if (h > 1) {
            return;
        }
        ACTIVE.setRelease(r, 0); // release store (a plain mov on x86): our reads before it
        barrier.light(); // StoreLoad only together with a writer's heavy()
        if ((int) FLAG.getAcquire(this) != 0) { // a writer may be draining: wake it
            wakeScanner(); // no fence: a missed wake-up costs the writer one re-check period, not a read a fence
        }
    }

    /** Read unlock of a thread whose record holds nothing: a hold through the stripes, or a misuse. */
    private void releaseRare(Thread t) {
        if (StripeOwners.isVirtual(t)) {
            int stripe = stripes.stripeOf(t);
            StripeOwners.Owner o = owners.slot(stripe);
            if (o.inside(t)) {
                int h = o.depth;
                o.depth = h - 1; // before the count: an Error after it leaves the slot ours at depth 0, never "inside"
                try {
                    stripes.add(stripe, 0, -1L); // volatile RMW: the section's accesses before it (release), a fence
                } finally {
                    if (h == 1) {
                        owners.release(o); // whatever the count did: no slot held for a hold that is over
                    }
                }
                if (h == 1 && (int) FLAG.getVolatile(this) != 0) { // a writer may be draining: wake it (never missed)
                    wakeScanner();
                }
                return;
            }
        }
        int[] st = rare.get();
        int h = st == null ? 0 : st[R_HOLDS];
        if (h <= 0) {
            ReadMostlyLockReader r = registry.find(); // an unstable getId(): the lookup may have missed the record
            if (r != null && r.holds > 0 && r.ownedBy(t)) {
                r.holds--;
                if (r.holds == 0) {
                    ACTIVE.setRelease(r, 0);
                    barrier.light();
                    if ((int) FLAG.getAcquire(this) != 0) {
                        wakeScanner();
                    }
                }
                return;
            }
            throw new IllegalMonitorStateException("unlock() of the read lock of " + this
                    + " by a thread that does not hold it (" + t.getName() + ")");
        }
        st[R_HOLDS] = h - 1;
        stripes.add(st[R_STRIPE], 0, -1L); // volatile RMW: the section's accesses before it (release), then a fence
        if (h == 1) {
            if (st[R_SPILLED] != 0) {
                owners.spill(owners.slot(st[R_STRIPE]), -1); // first: an Error at the call leaves the flag to retry
                st[R_SPILLED] = 0;
            }
            if ((int) FLAG.getVolatile(this) != 0) { // a writer may be draining: wake it (never missed here)
                wakeScanner();
            }
        }
    }

    /** Unparks a writer parked while readers drain (also for the queue: a reader backing out of an admission). */
    void wakeScanner() {
        Thread s = (Thread) SCANNER.getVolatile(this);
        if (s != null) {
            queue.wake(s);
        }
    }

    // ------------------------------------------------------------------------------------------------ writers

    /**
     * For tests: the writer that claimed the write lock, draining or holding; null if none. Readers do not look here
     * (they check the claim word), so this is only a diagnostic view.
     */
    Thread claimant() {
        return writing ? queue.claimant() : null;
    }

    /**
     * After an {@link Error} out of a claim attempt (the write path's or the burst end's): whether {@code me} holds a
     * claim that the attempt took and nothing guards yet (see the queue's claimant), which would otherwise be held by
     * nobody for ever and keep every writer out. Not when {@code me} is the lock's writer already: then the claim is
     * that outer acquisition's or write section's (a log handler of its stall warning that asks for the write lock, a
     * writer reading inside its write section), which goes on and releases it itself.
     */
    private boolean strandedClaim(Thread me) {
        return queue.claimedBy(me) && !writing; // writing: our own store if the claim is ours
    }

    /**
     * For tests: run by a writer right after it took the claim, before its write path guards the claim: where an
     * {@link Error} of the JVM can strike (see {@code ReadMostlyLockQueue}'s claimant). Plain: set by the test before
     * the writer it affects starts.
     */
    Runnable claimedHook;

    boolean acquireWrite(int how, long nanos) throws InterruptedException {
        return acquireWrite(how, nanos, false);
    }

    /**
     * {@code reacquire}: after a condition's await, where read holds kept through the wait do not refuse it.
     *
     * <p>{@code lock()} and {@code tryLock()} by a thread that does not hold the write lock go straight to the claim
     * and the drain, in methods small enough for the JIT to compile into the caller. The one method of 333 bytecodes
     * it was before stayed a call ("hot method too big" at the default {@code FreqInlineSize} of 325), which cost
     * about 2 ns of a write alone: {@code WriteAloneBench}, one thread, 11.0-13.5 ns before, 9.0-9.4 ns after (two
     * interleaved runs; {@code ReentrantReadWriteLock} 4.5-4.8 ns; 2 vCPU AMD EPYC, JDK 17, 2026-12-07).
     */
    boolean acquireWrite(int how, long nanos, boolean reacquire) throws InterruptedException {
        Thread me = Thread.currentThread();
        // opaque: only this thread ever stores itself there
        if ((how != UNINTERRUPTIBLE && how != TRY) || reacquire || OWNER.getOpaque(this) == me) {
            return acquireWriteFully(me, how, nanos, reacquire);
        }
        boolean tryOnly = how == TRY; // neither checks the interrupt status
        return claimAndDrain(me, how, 0L, tryOnly, false);
    }

    /** Every other acquisition: the interrupt check, a re-entry, a timed or interruptible one, a reacquisition. */
    private boolean acquireWriteFully(Thread me, int how, long nanos, boolean reacquire) throws InterruptedException {
        if (how != UNINTERRUPTIBLE && how != TRY && Thread.interrupted()) {
            throw new InterruptedException(); // before the reentrant shortcut, as ReentrantReadWriteLock
        }
        if (OWNER.getOpaque(this) == me) { // opaque: only this thread ever stores itself there
            if (writeHolds == Integer.MAX_VALUE) {
                throw new Error("Maximum lock count exceeded");
            }
            writeHolds++;
            return true;
        }
        boolean tryOnly = how == TRY || (how == TIMED && nanos <= 0);
        long deadline = how == TIMED ? System.nanoTime() + nanos : 0L;
        return claimAndDrain(me, how, deadline, tryOnly, reacquire);
    }

    /**
     * The claim, then the drain, with one guard around both: an {@link Error} anywhere from the claim's CAS to the
     * drain's own {@code finally} (a {@link StackOverflowError} at the call of {@link #drainClaimed}, say) gives back
     * a claim that nothing else would (see {@link #strandedClaim}). After the drain's own release the claim is no
     * longer ours, and this finds nothing to do.
     */
    private boolean claimAndDrain(Thread me, int how, long deadline, boolean tryOnly, boolean reacquire)
            throws InterruptedException {
        try {
            return claim(me, how, deadline, tryOnly, reacquire) && drainClaimed(me, how, reacquire, deadline, tryOnly);
        } catch (Throwable e) {
            if (strandedClaim(me)) { // not for claimSlowly's refusal of a call from inside our own acquisition
                releaseFailed();
            }
            throw e;
        }
    }

    /**
     * The claim first: it excludes the other writers and the end of a burst (the class doc's "Writers"). One attempt
     * before anything else: a write in a burst pays no look-up of its own read holds, the drain finds them if there
     * are any (a hold of ours keeps its record's active, or its stripe's count, non-zero). That attempt never waits,
     * so an upgrade that it lets through waits for no other writer before it is refused. An {@link Error} on the way
     * is {@link #claimAndDrain}'s to handle.
     *
     * @return false if a try, or a timeout while queued, took nothing
     */
    private boolean claim(Thread me, int how, long deadline, boolean tryOnly, boolean reacquire)
            throws InterruptedException {
        boolean claimed = (!reacquire && queue.claimNow(me, tryOnly))
                || claimSlowly(me, how, reacquire, deadline, tryOnly);
        Runnable h = claimedHook;
        if (h != null && claimed) {
            h.run();
        }
        return claimed;
    }

    /**
     * Holding the claim: waits for the readers inside to leave (starting the burst first if it is not sealed), then
     * holds the write lock; or gives the claim back.
     *
     * @return false if a try or a timeout found readers that did not leave in time: nothing held
     */
    private boolean drainClaimed(Thread me, int how, boolean reacquire, long deadline, boolean tryOnly)
            throws InterruptedException {
        boolean done = false;
        try {
            // opaque: the flag and sealed are written only by a claim holder, and our CAS of the claim came after the
            // last holder gave it back
            if ((int) FLAG.getOpaque(this) != 0 && sealed) { // a write inside a burst: the usual case, kept small
                writing = true; // our claim's CAS (a full fence) is what readers see; this is for our own checks
                done = nobodyInside() || drain(me, how, reacquire, deadline, tryOnly);
            } else {
                done = startBurstAndDrain(me, how, reacquire, deadline, tryOnly);
            }
        } finally {
            if (!done) {
                releaseFailed(); // a try, a timeout, an interrupt, an upgrade refused, heavy() or an Error threw
            }
        }
        if (!done) {
            return false;
        }
        writeHolds = 1;
        OWNER.setRelease(this, me); // release: isWriteLocked() readers see a holder that has drained
        return true;
    }

    /**
     * The claim after the first attempt failed: refuses a call from inside our own acquisition and an upgrade, then
     * spins or queues ({@link ReadMostlyLockQueue#claim}).
     */
    private boolean claimSlowly(Thread me, int how, boolean reacquire, long deadline, boolean tryOnly)
            throws InterruptedException {
        if (queue.claimedBy(me) && writing) { // still draining: e.g. a log handler of our own stall warning
            throw new IllegalMonitorStateException("the write lock of " + this + " was asked for by "
                    + me.getName() + " while that thread was still acquiring it (waiting for readers to leave):"
                    + " called back from inside the acquisition, e.g. by a log handler that takes this lock");
        }
        if (!reacquire && holdsReadLock()) {
            throw upgradeRefused(me);
        }
        return queue.claim(me, how, deadline, tryOnly);
    }

    /** Holding the claim outside a sealed burst: refuses an upgrade, starts the burst, then drains. */
    private boolean startBurstAndDrain(Thread me, int how, boolean reacquire, long deadline, boolean tryOnly)
            throws InterruptedException {
        if (!reacquire && holdsReadLock()) { // before the flag is raised and heavy() paid for nothing
            throw upgradeRefused(me);
        }
        startBurst();
        stripes.resetView(0); // the burst's writes read the stripes only if readers without a record come again
        return nobodyInside() || drain(me, how, reacquire, deadline, tryOnly);
    }

    /** A claimed acquisition that fails: leaves no trace, and admits the readers that waited for us. */
    private void releaseFailed() {
        queue.lockForWriter();
        try {
            releaseWriteLocked();
        } finally {
            queue.mutex.unlock();
        }
    }

    /**
     * The claim's holder, outside a sealed burst: marks the claim a writer's and raises the flag under the
     * mutex, then pays the {@code heavy()} if the flag is not sealed yet (else nothing: the claim's CAS orders the
     * drain's loads).
     */
    private void startBurst() {
        boolean needHeavy;
        queue.lockForWriter(); // raising the flag under the mutex: a reader that registers sees it
        try {
            writing = true; // for our own checks and diagnostics: readers look at the claim
            if ((int) FLAG.getOpaque(this) == 0) {
                FLAG.setVolatile(this, 1); // visible before heavy() starts (heavy() begins with a full fence)
                sealed = false;
            }
            needHeavy = !sealed; // a flag raised by a writer whose heavy() threw seals nothing
        } finally {
            queue.mutex.unlock();
        }
        if (needHeavy) {
            writerHeavy(); // throws: sealed stays false, and the next writer runs its own
            sealed = true;
        } // else the claim's CAS was the fence that orders it before our loads of active (see the class doc)
    }

    /**
     * One pass of the drain's loads, for the common case of a write that finds no reader inside (nor a read hold of
     * its own: that keeps its record's {@code active} or its stripe's count non-zero): volatile loads of every
     * record's {@code active}, then of every stripe's count.
     */
    private boolean nobodyInside() {
        for (ReaderRegistry.Slot s : registry.slots()) { // volatile load of the registry
            if ((int) ACTIVE.getVolatile(s) != 0) {
                return false;
            }
        }
        return stripes.noneCounted(0);
    }

    /** Whether the calling thread holds the read lock (through its record or a stripe). */
    private boolean holdsReadLock() {
        ReadMostlyLockReader self = ownReader();
        return (self != null && self.holds > 0) || rareHolds() > 0;
    }

    private IllegalMonitorStateException upgradeRefused(Thread me) {
        return new IllegalMonitorStateException("the write lock of " + this + " was asked for by "
                + me.getName() + ", which holds only the read lock: an upgrade would deadlock. Release the read"
                + " lock first (and re-check what you read), or take the write lock from the start");
    }

    /**
     * Waits, parked, until no reader other than the caller is inside: every record's {@code active} is 0, then
     * every stripe's count of holds (threads without a record: the writer never holds any there, see acquireRare).
     * A busy record or stripe is checked for the caller's own read holds (the writes of a burst look them up only
     * here, where something is inside): with {@code reacquire} (a condition's await, which keeps them) its record is
     * skipped, else the acquisition is an upgrade and is refused with {@link IllegalMonitorStateException}.
     */
    private boolean drain(Thread me, int how, boolean reacquire, long deadline, boolean tryOnly)
            throws InterruptedException {
        boolean interrupted = false;
        boolean published = false; // whether readers are asked to unpark us (only once we are about to park)
        StallWarnings.Watch watch = null;
        boolean full = false; // the watch's last allocation failed: the heap is full
        long start = 0L;
        try {
            ReaderRegistry.Slot[] recs = registry.slots(); // volatile load of the registry
            int n = recs.length + stripes.count();
            for (int i = 0; i < n; i++) {
                ReadMostlyLockReader x = i < recs.length ? (ReadMostlyLockReader) recs[i] : null;
                int stripe = i - recs.length;
                long spinEnd = 0L;
                int looks = 0;
                // volatile loads: of the record's active, or of the stripe's count (whose increments are full fences)
                while (x != null ? (int) ACTIVE.getVolatile(x) != 0 : stripes.get(stripe, 0) != 0) {
                    if (spinEnd == 0L) { // the first look that found it busy: is it our own hold?
                        if (x != null ? x.ownedBy(me) && x.holds > 0 : rareHolds() > 0) {
                            if (x != null && reacquire) {
                                break; // our own read holds (a downgraded writer awaiting a condition)
                            }
                            throw upgradeRefused(me); // our release of the claim, on the way out, admits the readers
                        }
                    }
                    if (tryOnly) {
                        return false;
                    }
                    if (spinEnd == 0L) {
                        spinEnd = System.nanoTime() + SPIN_NANOS;
                    }
                    if (++looks < QUICK_LOOKS) { // a read section is often shorter than a clock read: look first
                        Thread.onSpinWait();
                        continue;
                    }
                    looks = 0;
                    if (System.nanoTime() - spinEnd < 0L) {
                        Thread.onSpinWait(); // read sections are short: most end within the spin
                        continue;
                    }
                    if (!published) { // spinning, we need no unpark: readers that leave meanwhile pay none
                        SCANNER.setVolatile(this, me); // volatile store, then the loop's load of active again
                        published = true;
                        start = stalls.now();
                        continue;
                    }
                    long wait = PARK_RECHECK_NANOS; // a missed unpark costs one period (class doc)
                    try { // on a full heap the wait goes on unwatched (AQS's acquire, too, waits out a full heap)
                        if (watch == null) { // with warnings off, no message is built and nothing allocated
                            watch = !stalls.enabled() ? StallWarnings.OFF : stalls.begin("ReadMostlyLock@"
                                    + Integer.toHexString(hashCode()) + ": the writer '" + me.getName() + "'", start);
                        }
                        if (watch.enabled()) {
                            long from = start;
                            watch.check(now -> blockers(me, reacquire, now - from));
                            wait = Math.min(wait, watch.nanosToNextWarning());
                        }
                        full = false;
                    } catch (OutOfMemoryError oom) {
                        // the watch's message or the check's object: tried again at the next park
                        full = true;
                    }
                    if (how == TIMED) {
                        long rem = deadline - System.nanoTime();
                        if (rem <= 0L) {
                            return false;
                        }
                        wait = Math.min(wait, rem);
                    }
                    if (full) { // a virtual writer must not wait on the JDK's timer there (FullHeapPause)
                        FullHeapPause.pause(this, Math.max(1L, wait));
                    } else {
                        LockSupport.parkNanos(this, Math.max(1L, wait));
                    }
                    if (Thread.interrupted()) {
                        if (how != UNINTERRUPTIBLE) {
                            throw new InterruptedException();
                        }
                        interrupted = true;
                    }
                }
            }
            return true;
        } finally {
            if (published) {
                SCANNER.setVolatile(this, null);
            }
            if (watch != null) {
                watch.done();
            }
            if (interrupted) {
                me.interrupt(); // lock() is not interruptible, but the interrupt is not lost
            }
        }
    }

    /** The readers inside that block a writer (for a stall warning); each has been inside for at least the wait. */
    private List<StallWarnings.Blocker> blockers(Thread me, boolean reacquire, long waited) {
        List<StallWarnings.Blocker> out = new ArrayList<>();
        for (ReaderRegistry.Slot s : registry.slots()) {
            if (!(reacquire && s.ownedBy(me)) && (int) ACTIVE.getVolatile(s) != 0) {
                Thread t = s.owner(); // null once a thread that ended was collected
                out.add(new StallWarnings.Blocker(t, waited, t != null && t.isAlive()
                        ? "a read section (read holds: " + (int) HOLDS.getOpaque(s) + ")"
                        : "a read section it never left: the thread died holding the read lock, which stays held, as"
                        + " in ReentrantReadWriteLock, and no writer can ever have it; release it in a finally block"));
            }
        }
        for (int i = 0; i < stripes.count(); i++) {
            long k = stripes.get(i, 0);
            if (k != 0) { // threads without a record are counted: name the last one to enter, if it can be found
                long id = stripes.get(i, 1);
                Thread last = ReaderStripes.liveThread(id);
                String what = k + " read hold(s) on stripe " + i + " of " + stripes.count() + ", taken by threads"
                        + " without a record (threads that read this lock rarely)";
                out.add(last != null
                        ? new StallWarnings.Blocker(last, waited, "a read section, most likely (the last thread to"
                        + " enter " + what + ")")
                        : new StallWarnings.Blocker(null, waited, what + "; the last to enter had id " + id + ", which"
                        + " no live platform thread has: a virtual thread (a thread dump names it), or a thread"
                        + " that ended holding the read lock (it stays held, as in ReentrantReadWriteLock)"));
            }
        }
        return out;
    }

    /**
     * Under the mutex: the claiming or holding writer leaves (and gives the claim back); the flag stays raised for
     * the rest of the burst.
     */
    void releaseWriteLocked() {
        try {
            long e = (long) EXITS.getOpaque(this) + 1;
            if ((e & (PRUNE_EVERY_WRITES - 1)) == 0) { // a lock nobody new reads must still drop dead threads
                try {
                    registry.prune(); // allocates the kept slots' array when some are abandoned
                } catch (OutOfMemoryError oom) {
                    // housekeeping only: on a full heap the release must still happen, and the next 1024 writes retry
                }
            }
            LAST_EXIT.setOpaque(this, clock.getAsLong());
            EXITS.setOpaque(this, e);
            STAMPED.setOpaque(this, e); // this exit is stamped with its own time
            OWNER.setRelease(this, null);
            writing = false; // readers see our release through the claim's (below)
            queue.writerLeft();
            if (!burstTimerArmed && (int) FLAG.getOpaque(this) != 0) {
                burstTimerArmed = BurstEnder.arm(this, timerWindowNanos);
            }
        } finally {
            queue.releaseClaim(); // after the admission: the next claimant sees it and lets those readers in first
        }
    }

    void releaseWrite() {
        if (OWNER.getOpaque(this) != Thread.currentThread() || writeHolds <= 0) {
            throw new IllegalMonitorStateException("unlock() of the write lock of " + this
                    + " by a thread that does not hold it (" + Thread.currentThread().getName() + ")");
        }
        if (--writeHolds > 0) {
            return;
        }
        long e = (long) EXITS.getOpaque(this) + 1; // opaque: written by claim holders only, and we hold it
        if ((e & (PRUNE_EVERY_WRITES - 1)) != 0 && burstTimerArmed) { // volatile load
            releaseWriteInBurst(e);
            return;
        }
        queue.lockForWriter();
        try {
            releaseWriteLocked();
        } finally {
            queue.mutex.unlock();
        }
    }

    /**
     * A release without the mutex (the burst timer is armed, no pruning due): what {@link #releaseWriteLocked} does,
     * where the claim's release admits the blocked readers (under the mutex) only if there are any. The clock is read
     * only if no other writer spins or queues: one that does will write and read it (and while one does, no burst
     * ends).
     */
    private void releaseWriteInBurst(long e) {
        try {
            EXITS.setOpaque(this, e); // no clock: see exits
            OWNER.setRelease(this, null);
            writing = false; // readers see our release through the claim's (below)
        } finally {
            queue.releaseClaim();
        }
    }

    void checkWriteHeld() {
        if (OWNER.getOpaque(this) != Thread.currentThread()) {
            throw new IllegalMonitorStateException("a condition of " + this + " was used by "
                    + Thread.currentThread().getName() + ", which does not hold the write lock");
        }
    }

    // ------------------------------------------------------------------------------------------------ for tests

    /** The number of reader records in the registry (tests of the clean-up of dead threads). */
    int registeredReaders() {
        return registry.size();
    }

    /** Threads holding the read lock through a stripe's slot (tests of the slots, see StripeOwners). */
    int slotsHeld() {
        return owners.slotsHeld();
    }

    /**
     * Ends the current burst now if no writer holds, drains or waits, as a reader does after the window: the
     * jcstress tests call it (by reflection) before each trial so that the trial exercises the fast path and
     * {@code heavy()}, not the fenced path.
     */
    boolean endBurst() {
        queue.mutex.lock();
        try {
            return lowerFlagLocked();
        } finally {
            queue.mutex.unlock();
        }
    }

    /**
     * For the controls (torture, jcstress): from now on writers see no reader record (readers still find theirs), so
     * they drain nobody: a lock that does not exclude readers.
     */
    void forgetReaders() {
        registry.forgetAll();
        stripes.forgetAll();
    }

    /** For the controls: writers no longer wait for the stripes (threads without a record), records still count. */
    void forgetStripes() {
        stripes.forgetAll();
    }

    /** Whether writers read the stripes on their one pass (tests of the stripes' view). */
    boolean writersReadStripes() {
        return stripes.inView();
    }

    /** Whether readers are kept off the fast path right now (tests of bursts). */
    boolean flagRaised() {
        return (int) FLAG.getVolatile(this) != 0;
    }

    /** The logger, created on first use (the first System.Logger costs tens of milliseconds). */
    private static final class Log {
        static final System.Logger LOGGER = System.getLogger(ReadMostlyLock.class.getName());

        static System.Logger logger() {
            return LOGGER;
        }
    }
}
