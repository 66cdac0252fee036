package io.processbarrier.internal;

import io.processbarrier.spi.Availability;
import io.processbarrier.spi.ProcessBarrierProvider;

import java.util.concurrent.atomic.AtomicInteger;

/** Providers with scripted behaviour, for the selection policy. */
final class TestProviders {
    private TestProviders() {
    }

    /** A provider whose availability, priority and creation are given; counts barrier() calls. */
    static class Scripted implements ProcessBarrierProvider {
        final String name;
        final int priority;
        final Availability availability;
        final RuntimeException createFailure;
        final AtomicInteger creations = new AtomicInteger();
        final AtomicInteger barriers = new AtomicInteger();
        final AtomicInteger probes = new AtomicInteger();

        Scripted(String name, int priority, Availability availability, RuntimeException createFailure) {
            this.name = name;
            this.priority = priority;
            this.availability = availability;
            this.createFailure = createFailure;
        }

        static Scripted available(String name, int priority) {
            return new Scripted(name, priority, Availability.available(name + " works"), null);
        }

        static Scripted unavailable(String name, int priority, String why) {
            return new Scripted(name, priority, Availability.unavailable(why), null);
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Availability probe() {
            probes.incrementAndGet();
            return availability;
        }

        @Override
        public int priority() {
            return priority;
        }

        @Override
        public void prepare() {
            creations.incrementAndGet();
            if (createFailure != null) {
                throw createFailure;
            }
        }

        @Override
        public void barrier() {
            barriers.incrementAndGet();
        }
    }

    /** Registered in META-INF/services: selectable through the real ServiceLoader. */
    public static final class ServiceGood extends Scripted {
        /** When set, probe() throws it (DeferredFailureChild: an Error in a selection that runs in the background). */
        static volatile Error probeError;
        /** The last instance made (OfBeforeGetChild counts its system barriers). */
        static volatile ServiceGood last;

        public ServiceGood() {
            super("service-good", 50, Availability.available("registered in META-INF/services"), null);
            last = this;
        }

        @Override
        public Availability probe() {
            Error e = probeError;
            if (e != null) {
                throw e;
            }
            return super.probe();
        }
    }

    /** Registered in META-INF/services: its constructor throws, as a provider with a broken static state would. */
    public static final class ServiceThrowsInConstructor extends Scripted {
        public ServiceThrowsInConstructor() {
            super("never", 0, null, null);
            throw new IllegalStateException("constructor exploded");
        }
    }

    /** Registered in META-INF/services: probing throws an Error, as an UnsatisfiedLinkError would. */
    public static final class ServiceThrowsInProbe extends Scripted {
        public ServiceThrowsInProbe() {
            super("service-probe-throws", 60, null, null);
        }

        @Override
        public Availability probe() {
            throw new UnsatisfiedLinkError("no libnothing in java.library.path");
        }
    }
}
