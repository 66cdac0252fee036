package io.processbarrier.sync;

import java.util.concurrent.locks.LockSupport;

/**
 * The child JVM of {@link JdkFailurePathsTest}, run with class loading logged to its stdout. Argument: {@code lock}
 * (makes a {@link ReadMostlyLock}), {@code rcu} (makes an {@link Rcu}) or {@code none} (neither). Each then runs what
 * a virtual thread's scheduling runs when nothing fails, where the JDK supports them: a virtual thread that parks, is
 * unparked, yields and parks on a timer.
 */
final class JdkFailurePathsMain {
    private JdkFailurePathsMain() {
    }

    public static void main(String[] args) throws Exception {
        io.processbarrier.ProcessBarrier.get().name();
        if (args[0].equals("lock")) {
            new ReadMostlyLock().writeLock().lock();
        } else if (args[0].equals("rcu")) {
            Rcu.create().close();
        }
        if (Runtime.version().feature() >= 21) {
            Thread t = ReadMostlyLockThreads.newThread(true, "parker", () -> {
                LockSupport.park();
                Thread.yield();
                LockSupport.parkNanos(1_000_000L);
            });
            t.start();
            while (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TERMINATED) {
                Thread.onSpinWait();
            }
            LockSupport.unpark(t);
            t.join();
        }
        System.out.println("done=" + args[0]);
    }
}
