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
            return PRIORITY_FENCE;
        }

        @Override
        public ProcessBarrier create() {
            return INSTANCE;
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
