package io.processbarrier.internal;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.spi.Availability;
import io.processbarrier.spi.ProcessBarrierProvider;

import java.lang.invoke.VarHandle;

/** The symmetric fallback: a full fence on both sides. Correct everywhere, by the JMM alone. */
final class FenceBarrier implements ProcessBarrier {
    static final String NAME = "fence";
    static final FenceBarrier INSTANCE = new FenceBarrier();

    /** Not loaded through ServiceLoader: the fallback must exist even when service loading is broken. */
    static final ProcessBarrierProvider PROVIDER = new ProcessBarrierProvider() {
        @Override
        public String name() {
            return NAME;
        }

        @Override
        public Availability probe() {
            return Availability.available("VarHandle.fullFence() on both sides (symmetric)");
        }

        @Override
        public int priority() {
            return 0;
        }

        /** Never called: selection gives out {@link #INSTANCE}, whose heavy() and light() are both this fence. */
        @Override
        public void barrier() {
            VarHandle.fullFence();
        }
    };

    private FenceBarrier() {
    }

    @Override
    public void heavy() {
        VarHandle.fullFence();
    }

    @Override
    public void light() {
        VarHandle.fullFence();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean isAsymmetric() {
        return false;
    }

    @Override
    public String toString() {
        return "ProcessBarrier[fence]";
    }
}
