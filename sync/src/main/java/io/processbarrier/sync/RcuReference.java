package io.processbarrier.sync;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * A reference whose replaced values are reclaimed after a grace period of an {@link Rcu}: liburcu's
 * {@code rcu_xchg_pointer} plus {@code call_rcu}, folly's {@code rcu_obj_base::retire}, as one object. For values that
 * hold something that must be released on time (off-heap memory, a mapped file, a pooled buffer, a native handle, a
 * lease); for plain heap objects a {@code volatile} field and the garbage collector already do the job.
 *
 * <pre>{@code
 * static final RcuReference<Table> TABLE = new RcuReference<>(Rcu.shared(), Table.open(), Table::close);
 * long find(long key) { return TABLE.read(t -> t.find(key)); }        // readers: any thread, no fence
 * void add(long key, long v) { TABLE.update(t -> t.with(key, v)); }   // writers: any number, none lost
 * }</pre>
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>Every value replaced (by {@link #update} or {@link #set}) is passed to {@code reclaim} exactly once, through
 *       {@link Rcu#retire}: after a grace period that begins after the replacement, so never while a
 *       {@link #read} (or a section of the same {@code Rcu} around {@link #get}) that saw it is running. The value in
 *       place when the reference is dropped is never reclaimed by it.</li>
 *   <li>Concurrent {@code update}/{@code set} calls never lose one another: each replacement is one atomic
 *       compare-and-set or get-and-set of the field (volatile, so a replacement happens-before every read that sees
 *       the new value, which therefore sees it fully built).</li>
 *   <li>{@code update(next)} is a CAS loop: {@code next} may run more than once when writers race (as in
 *       {@link java.util.concurrent.atomic.AtomicReference#updateAndGet}), so it must have no side effects and must
 *       return a new value (or the current one: then nothing is replaced or reclaimed). Chosen over a lock so that a
 *       writer never blocks another and {@code update} may be called from a retire callback or inside a read
 *       section without deadlock; the price is that {@code next} may be wasted work under contention.</li>
 *   <li>Hazard: never pass to {@code set}/{@code update} a value that was already replaced (it may be reclaimed
 *       again), and do not keep a value past the end of its section.</li>
 * </ul>
 *
 * <p>Costs: {@code read} is an {@code Rcu} section plus one acquire load (on x86 a plain load) and the call of
 * {@code reader}; {@code update}/{@code set} a CAS/swap plus {@code retire} (one CAS and 24 bytes).
 *
 * @param <T> the type of the values
 */
public final class RcuReference<T> {
    private static final VarHandle VALUE;

    static {
        try {
            VALUE = MethodHandles.lookup().findVarHandle(RcuReference.class, "value", Object.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
        linkAccesses();
    }

    /** Links every VarHandle access this class makes: see {@link VarHandleLinks}. */
    private static void linkAccesses() {
        RcuReference<?> none = null;
        VarHandleLinks.link(
                () -> { boolean b = VALUE.compareAndSet(none, (Object) null, (Object) null); },
                () -> { Object o = VALUE.getAcquire(none); },
                () -> { Object o = VALUE.getAndSet(none, (Object) null); },
                () -> { Object o = VALUE.getVolatile(none); },
                () -> VALUE.setRelease(none, (Object) null));
    }

    private final Rcu rcu;
    private final Consumer<? super T> reclaim;
    /** The current value: acquire loads by readers, CAS / getAndSet (volatile) by writers. */
    private volatile T value;

    /**
     * @param rcu     whose sections protect the values and whose retire thread reclaims them
     * @param initial the first value (not null)
     * @param reclaim what to do with a replaced value once no reader can hold it (runs on the {@code Rcu}'s retire
     *                thread, or on a writer that helps it: see {@link Rcu#retire})
     * @throws NullPointerException if any argument is null
     */
    public RcuReference(Rcu rcu, T initial, Consumer<? super T> reclaim) {
        this.rcu = Objects.requireNonNull(rcu, "rcu: pass Rcu.shared() or your own Rcu");
        this.reclaim = Objects.requireNonNull(reclaim, "reclaim: what to do with a replaced value (e.g. T::close)");
        VALUE.setRelease(this, Objects.requireNonNull(initial, "initial value is null"));
    }

    /**
     * Runs {@code reader.apply(current)} inside a read section of the {@code Rcu} and returns its result: the value
     * passed cannot be reclaimed before {@code reader} returns (or throws). Do not let it escape.
     *
     * @throws IllegalStateException after the {@code Rcu} is closed
     */
    @SuppressWarnings("unchecked")
    public <R> R read(Function<? super T, ? extends R> reader) {
        Object s = rcu.enterAny(); // a section without a handle object (as Rcu.read(Supplier))
        try {
            return reader.apply((T) VALUE.getAcquire(this)); // LoadLoad: after the section's entry, sees the value built
        } finally {
            rcu.exitAny(s);
        }
    }

    /**
     * The current value (an acquire load). The caller must be inside a read section of the {@code Rcu} (see
     * {@link Rcu#read()}) for as long as it uses the value; not checked (that would cost the read side).
     */
    @SuppressWarnings("unchecked")
    public T get() {
        return (T) VALUE.getAcquire(this);
    }

    /**
     * Replaces the value by {@code next.apply(current)} atomically and retires the value replaced; returns the new
     * value. {@code next} may run more than once (a CAS loop, see the class javadoc); if it returns the current value
     * itself, nothing is replaced.
     *
     * @throws NullPointerException  if {@code next} is null or returns null
     * @throws IllegalStateException if the {@code Rcu} is closed (then the value is replaced but the old one cannot be
     *                               retired any more: it is not reclaimed)
     */
    @SuppressWarnings("unchecked")
    public T update(UnaryOperator<T> next) {
        Objects.requireNonNull(next, "update(next): next is null");
        while (true) {
            T cur = (T) VALUE.getVolatile(this);
            T n = Objects.requireNonNull(next.apply(cur), "update(next): next returned null");
            if (n == cur) {
                return cur;
            }
            if (VALUE.compareAndSet(this, cur, n)) { // volatile: the replacement is one atomic step
                rcu.retire(cur, reclaim); // unlinked above: no section that begins now can see it
                return n;
            }
        }
    }

    /**
     * Replaces the value unconditionally (an atomic swap) and retires the value replaced (unless it is
     * {@code value} itself).
     *
     * @throws NullPointerException  if {@code value} is null
     * @throws IllegalStateException if the {@code Rcu} is closed (as {@link #update})
     */
    @SuppressWarnings("unchecked")
    public void set(T value) {
        Objects.requireNonNull(value, "set(value): value is null");
        T old = (T) VALUE.getAndSet(this, value);
        if (old != value) {
            rcu.retire(old, reclaim);
        }
    }

    @Override
    public String toString() {
        return "RcuReference[" + rcu + "]";
    }
}
