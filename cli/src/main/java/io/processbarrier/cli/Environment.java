package io.processbarrier.cli;

import io.processbarrier.ProcessBarrierException;
import io.processbarrier.membarrier.MembarrierProvider;
import io.processbarrier.internal.support.NativeLibrary;

import java.util.Map;

/** What the doctor reports about the machine, the JVM and the kernel before it says anything about providers. */
final class Environment {
    private Environment() {
    }

    static Map<String, Object> collect() {
        Map<String, Object> env = Json.object();
        env.put("os", System.getProperty("os.name"));
        env.put("kernel", System.getProperty("os.version"));
        env.put("arch", System.getProperty("os.arch"));
        String platform;
        try {
            platform = NativeLibrary.platform();
        } catch (ProcessBarrierException e) {
            platform = "none (" + e.getMessage() + ")";
        }
        env.put("nativesPlatform", platform);
        env.put("cpus", Runtime.getRuntime().availableProcessors());
        env.put("jdk", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                + " (" + System.getProperty("java.vendor") + ")");
        try {
            int mask = MembarrierProvider.query();
            env.put("membarrierQueryMask", "0x" + Integer.toHexString(mask));
            env.put("membarrierCommands", MembarrierProvider.commandNames(mask));
            env.put("membarrierError", null);
        } catch (ProcessBarrierException e) {
            env.put("membarrierQueryMask", null);
            env.put("membarrierCommands", java.util.List.of());
            env.put("membarrierError", ProcessBarrierException.describe(e));
        } catch (NoClassDefFoundError e) { // the thin jar on a class path without processbarrier-spi-membarrier
            env.put("membarrierQueryMask", null);
            env.put("membarrierCommands", java.util.List.of());
            env.put("membarrierError", "not asked: processbarrier-spi-membarrier is not on the class path");
        }
        return env;
    }

    static String render(Map<String, Object> env) {
        Table t = new Table("", "");
        t.row("os", env.get("os") + " " + env.get("kernel"));
        t.row("arch", env.get("arch") + " (natives: " + env.get("nativesPlatform") + ")");
        t.row("cpus", env.get("cpus"));
        t.row("jdk", env.get("jdk"));
        Object mask = env.get("membarrierQueryMask");
        t.row("membarrier", mask != null ? "QUERY mask " + mask + " " + env.get("membarrierCommands")
                : "QUERY failed: " + env.get("membarrierError"));
        String s = t.render("  ");
        return s.substring(s.indexOf('\n') + 1); // no header row
    }
}
