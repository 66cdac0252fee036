package sync.consumer;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.sync.ReadMostlyLock;
import io.processbarrier.sync.Rcu;

import java.util.concurrent.locks.Lock;

public final class Main {
    public static void main(String[] args) {
        ProcessBarrier b = ProcessBarrier.get();
        System.out.println("selected=" + b.name());
        System.out.println("barrierModule=" + ProcessBarrier.class.getModule().getName());
        System.out.println("reads=" + Main.class.getModule().canRead(ProcessBarrier.class.getModule()));
        try (Rcu rcu = Rcu.create(b)) {
            System.out.println("read=" + rcu.read(() -> "in section"));
            rcu.synchronize();
            System.out.println("gracePeriods=" + rcu.gracePeriodsCompleted());
        }
        ReadMostlyLock lock = new ReadMostlyLock(b);
        Lock read = lock.readLock();
        read.lock();
        read.unlock();
        Lock write = lock.writeLock();
        System.out.println("writeLocked=" + write.tryLock());
        write.unlock();
        System.out.println("modules=" + ModuleLayer.boot().modules().stream().map(Module::getName)
                .filter(n -> n.startsWith("io.processbarrier")).sorted().toList());
    }
}
