package io.processbarrier.membarrier;

import io.processbarrier.ErrnoException;
import io.processbarrier.ProcessBarrier;
import io.processbarrier.internal.AsymmetricProcessBarrier;
import io.processbarrier.internal.support.NativeLibrary;

/**
 * Runs in a fresh JVM (registration is per process and permanent): the membarrier selftest's
 * "PRIVATE_EXPEDITED before REGISTER gives EPERM" sequence, printed as key=value lines.
 */
public final class RegistrationChild {
    public static void main(String[] args) {
        NativeLibrary.load(Membarrier.class, "membarrier");
        System.out.println("registrationsBefore=" + Membarrier.call(Membarrier.CMD_GET_REGISTRATIONS, 0));
        try {
            Membarrier.call(Membarrier.CMD_PRIVATE_EXPEDITED, 0);
            System.out.println("beforeRegister=0");
        } catch (ErrnoException e) {
            System.out.println("beforeRegister=" + e.errnoName());
        }
        // a barrier created without its registration must fail loudly, never silently do nothing
        MembarrierProvider provider = new MembarrierProvider();
        if (!provider.probe().isAvailable() || provider.command() != Membarrier.CMD_PRIVATE_EXPEDITED) {
            throw new IllegalStateException("this kernel offers no PRIVATE_EXPEDITED: " + provider.probe());
        }
        ProcessBarrier unregistered = new AsymmetricProcessBarrier(provider, true); // prepare() skipped
        try {
            unregistered.heavy();
            System.out.println("unregisteredHeavy=returned");
        } catch (ErrnoException e) {
            System.out.println("unregisteredHeavy=" + e.getClass().getSimpleName() + ":" + e.errnoName());
            System.out.println("unregisteredHeavyMessage=" + e.getMessage());
        }
        System.out.println("register=" + Membarrier.call(Membarrier.CMD_REGISTER_PRIVATE_EXPEDITED, 0));
        System.out.println("afterRegister=" + Membarrier.call(Membarrier.CMD_PRIVATE_EXPEDITED, 0));
        System.out.println("registrationsAfter=" + Membarrier.call(Membarrier.CMD_GET_REGISTRATIONS, 0));
        unregistered.heavy();
        System.out.println("heavyAfterRegister=ok");
    }
}
