package io.processbarrier.sync;

import java.io.File;
import java.lang.ref.WeakReference;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * Child JVM of {@link RcuRedeployTest}, a servlet container in miniature: each round loads the library and
 * {@link RedeployApp} in a class loader of their own (parent: the platform loader, so nothing is shared with this
 * class's loader), runs the application on a request thread whose context class loader is that loader, drops
 * everything without calling anything, and then waits, asking for collections, until the loader is collected and no
 * {@code processbarrier-*} thread is alive, or {@code seconds} pass. Prints per round {@code roundN.used},
 * {@code roundN.collected}, {@code roundN.threadsLeft}, {@code roundN.millis}.
 */
public final class RedeployHost {
    private RedeployHost() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = Integer.parseInt(args[0]);
        long bound = TimeUnit.SECONDS.toNanos(Long.parseLong(args[1]));
        List<URL> urls = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            urls.add(new File(e).toURI().toURL());
        }
        for (int round = 1; round <= rounds; round++) {
            WeakReference<ClassLoader> loader = deployAndDrop(round, urls.toArray(new URL[0]));
            long start = System.nanoTime();
            List<String> left = libraryThreads();
            while ((loader.get() != null || !left.isEmpty()) && System.nanoTime() - start < bound) {
                System.gc();
                byte[][] garbage = new byte[64][];
                for (int i = 0; i < garbage.length; i++) {
                    garbage[i] = new byte[16 * 1024];
                }
                Thread.sleep(10); // paces the requests for a collection; decides nothing
                left = libraryThreads();
            }
            System.out.println("round" + round + ".collected=" + (loader.get() == null));
            System.out.println("round" + round + ".threadsLeft=" + left);
            System.out.println("round" + round + ".millis=" + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        }
    }

    private static WeakReference<ClassLoader> deployAndDrop(int round, URL[] urls) throws Exception {
        URLClassLoader loader = new URLClassLoader("webapp-" + round, urls, ClassLoader.getPlatformClassLoader());
        AtomicReference<Object> result = new AtomicReference<>();
        Thread request = new Thread(() -> {
            try {
                Class<?> app = Class.forName(RedeployApp.class.getName(), true, loader);
                if (app.getClassLoader() != loader) {
                    throw new AssertionError("the application was not loaded by its own loader");
                }
                result.set(app.getMethod("use").invoke(null));
            } catch (Throwable t) {
                result.set(t);
            }
        }, "request-" + round);
        request.setContextClassLoader(loader);
        request.start();
        request.join();
        if (result.get() instanceof Throwable) {
            throw new AssertionError("round " + round, (Throwable) result.get());
        }
        System.out.println("round" + round + ".used=" + result.get());
        loader.close();
        return new WeakReference<>(loader);
    }

    private static List<String> libraryThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith("processbarrier-")).sorted().collect(Collectors.toList());
    }
}
