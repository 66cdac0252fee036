package io.processbarrier.sync;

import io.processbarrier.ProcessBarrier;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/** A barrier that counts the {@code heavy()} calls of a real one, and can be told to fail the next one. */
final class CountingBarrier implements ProcessBarrier {
    private final ProcessBarrier real;
    final AtomicInteger heavies = new AtomicInteger();
    final AtomicReference<RuntimeException> failNext = new AtomicReference<>();
    /** Thrown once by the next light(): stands for a StackOverflowError at the call, say. */
    final AtomicReference<Error> failNextLight = new AtomicReference<>();

    CountingBarrier(ProcessBarrier real) {
        this.real = real;
    }

    @Override
    public void heavy() {
        heavies.incrementAndGet();
        RuntimeException e = failNext.getAndSet(null);
        if (e != null) {
            throw e;
        }
        real.heavy();
    }

    @Override
    public void light() {
        Error e = failNextLight.getAndSet(null);
        if (e != null) {
            throw e;
        }
        real.light();
    }

    @Override
    public String name() {
        return "counting-" + real.name();
    }

    @Override
    public boolean isAsymmetric() {
        return real.isAsymmetric();
    }
}
