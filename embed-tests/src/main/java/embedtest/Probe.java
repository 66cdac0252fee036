package embedtest;

import java.io.File;
import java.lang.ref.WeakReference;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs in a child JVM and reports, one line per fact, what each copy of ProcessBarrier got. A copy is named by the
 * package its classes live in (the unshaded {@code io.processbarrier} or a relocated one), and found either on this
 * JVM's class path or in a class loader of its own.
 * <pre>
 *   copies SPEC...      SPEC = [cl:]PACKAGE[@JAR,JAR...][=PROVIDER]: get() (or of(PROVIDER)), heavy(), providers()
 *   redeploy N JAR,...  N rounds: a class loader uses the signal provider, is closed and collected, a late signal
 *                       arrives; prints what happened in each round
 *   stall PACKAGE       the copy's Rcu and ReadMostlyLock each wait for a reader that leaves only once the stall
 *                       warning was logged (set -Dprocessbarrier.sync.stallWarningMillis low); prints
 *                       "logger NAME LEVEL: first line" of each stall record that reaches java.util.logging
 * </pre>
 */
public final class Probe {
    private Probe() {
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "copies":
                List<Object> keep = new ArrayList<>(); // every copy stays alive until all have run
                for (int i = 1; i < args.length; i++) {
                    keep.add(copy(args[i]));
                }
                System.out.println("copies: " + keep.size());
                break;
            case "redeploy":
                redeploy(Integer.parseInt(args[1]), urls(args[2]));
                break;
            case "stall":
                stall(args[1]);
                break;
            default:
                throw new IllegalArgumentException(args[0]);
        }
    }

    /** One copy: prints "copy LABEL: provider NAME", the membarrier line of providers(), and returns the loader. */
    private static Object copy(String spec) throws Exception {
        String label = spec;
        String provider = null;
        int eq = spec.indexOf('=');
        if (eq > 0) {
            provider = spec.substring(eq + 1);
            spec = spec.substring(0, eq);
        }
        ClassLoader loader = Probe.class.getClassLoader();
        String pkg = spec;
        if (spec.startsWith("cl:")) {
            int at = spec.indexOf('@');
            pkg = spec.substring(3, at);
            loader = new URLClassLoader(label, urls(spec.substring(at + 1)), ClassLoader.getPlatformClassLoader());
        }
        Class<?> pb = Class.forName(pkg + ".ProcessBarrier", true, loader);
        try {
            Object barrier = provider == null ? pb.getMethod("get").invoke(null)
                    : pb.getMethod("of", String.class).invoke(null, provider);
            for (int i = 0; i < 100; i++) {
                pb.getMethod("heavy").invoke(barrier);
            }
            System.out.println("copy " + label + ": provider " + pb.getMethod("name").invoke(barrier));
        } catch (InvocationTargetException e) {
            System.out.println("copy " + label + ": failed " + e.getCause());
        }
        if (provider == null) {
            for (Object status : (List<?>) pb.getMethod("providers").invoke(null)) {
                Method name = status.getClass().getMethod("name");
                if ("membarrier".equals(name.invoke(status))) {
                    System.out.println("copy " + label + ": membarrier available="
                            + status.getClass().getMethod("available").invoke(status) + " cause="
                            + status.getClass().getMethod("causeMessage").invoke(status));
                }
            }
        }
        return loader;
    }

    /**
     * The logger names a copy's stall warnings use. Each construct waits (synchronize(), the write lock) for a reader
     * that leaves only when the warning has reached the handler: no timing decides the outcome.
     */
    private static void stall(String pkg) throws Exception {
        java.util.concurrent.atomic.AtomicReference<java.util.concurrent.CountDownLatch> warned =
                new java.util.concurrent.atomic.AtomicReference<>();
        java.util.logging.Logger.getLogger("").addHandler(new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                String m = r.getMessage();
                if (m != null && m.startsWith("stall:")) {
                    System.out.println("logger " + r.getLoggerName() + " " + r.getLevel() + ": " + m.lines().findFirst()
                            .orElse(""));
                    warned.get().countDown();
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
        Class<?> pb = Class.forName(pkg + ".ProcessBarrier");
        Object barrier = pb.getMethod("get").invoke(null);

        Class<?> rcuClass = Class.forName(pkg + ".sync.Rcu");
        Object rcu = rcuClass.getMethod("create", pb).invoke(null, barrier);
        Method read = rcuClass.getMethod("read");
        warned.set(new java.util.concurrent.CountDownLatch(1));
        Thread reader = readerUntilWarned("rcu-reader", () -> (AutoCloseable) read.invoke(rcu), warned.get());
        rcuClass.getMethod("synchronize").invoke(rcu); // waits for the reader, which waits for the warning
        reader.join();
        ((AutoCloseable) rcu).close();

        Class<?> lockClass = Class.forName(pkg + ".sync.ReadMostlyLock");
        java.util.concurrent.locks.ReadWriteLock lock =
                (java.util.concurrent.locks.ReadWriteLock) lockClass.getConstructor(pb).newInstance(barrier);
        warned.set(new java.util.concurrent.CountDownLatch(1));
        reader = readerUntilWarned("lock-reader", () -> {
            lock.readLock().lock();
            return () -> lock.readLock().unlock();
        }, warned.get());
        lock.writeLock().lock(); // waits for the reader, which waits for the warning
        lock.writeLock().unlock();
        reader.join();
        System.out.println("stall: done");
    }

    /** A section a reader thread enters; closing it leaves. */
    private interface Section {
        AutoCloseable enter() throws Exception;
    }

    /** Starts a thread that enters {@code section}, and leaves it once {@code warned} opens; returns once inside. */
    private static Thread readerUntilWarned(String name, Section section, java.util.concurrent.CountDownLatch warned)
            throws InterruptedException {
        java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1);
        Thread t = new Thread(() -> {
            try (AutoCloseable s = section.enter()) {
                inside.countDown();
                if (!warned.await(5, TimeUnit.MINUTES)) { // bounds liveness only
                    System.out.println(name + ": no stall warning in 5 minutes");
                }
            } catch (Exception e) {
                e.printStackTrace();
                inside.countDown();
            }
        }, name);
        t.start();
        inside.await();
        return t;
    }

    private static void redeploy(int rounds, URL[] jars) throws Exception {
        long pid = ProcessHandle.current().pid();
        for (int round = 1; round <= rounds; round++) {
            WeakReference<ClassLoader> ref = useSignalAndClose(round, jars);
            boolean collected = false;
            for (int i = 0; i < 200 && !collected; i++) {
                System.gc();
                Thread.sleep(10);
                collected = ref.get() == null;
            }
            System.out.println("round " + round + ": class loader collected=" + collected);
            // a late signal (SIGRTMAX-3, 61 on Linux) reaches the handler the unloaded copy installed
            Process kill = new ProcessBuilder("kill", "-s", "61", Long.toString(pid)).inheritIO().start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -s 61 " + pid + " failed");
            }
            Thread.sleep(200);
            System.out.println("round " + round + ": survived a late signal");
        }
    }

    private static WeakReference<ClassLoader> useSignalAndClose(int round, URL[] jars) throws Exception {
        URLClassLoader loader = new URLClassLoader("round-" + round, jars, ClassLoader.getPlatformClassLoader());
        Class<?> pb = Class.forName("io.processbarrier.ProcessBarrier", true, loader);
        Object barrier = pb.getMethod("of", String.class).invoke(null, "signal");
        for (int i = 0; i < 20; i++) {
            pb.getMethod("heavy").invoke(barrier);
        }
        System.out.println("round " + round + ": signal heavy() ok");
        loader.close();
        return new WeakReference<>(loader);
    }

    private static URL[] urls(String jars) throws Exception {
        List<URL> out = new ArrayList<>();
        for (String j : jars.split(",")) {
            out.add(new File(j).toURI().toURL());
        }
        return out.toArray(new URL[0]);
    }
}
