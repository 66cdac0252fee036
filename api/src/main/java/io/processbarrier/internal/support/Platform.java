package io.processbarrier.internal.support;

import java.util.Locale;

/** What os.name and os.arch mean to ProcessBarrier, in one place (the loader and every provider ask here). */
public final class Platform {
    private Platform() {
    }

    public static boolean isLinux(String osName) {
        return osName != null && osName.toLowerCase(Locale.ROOT).startsWith("linux");
    }

    public static boolean isX86_64(String osArch) {
        String a = osArch == null ? "" : osArch.toLowerCase(Locale.ROOT);
        return a.equals("amd64") || a.equals("x86_64");
    }

    public static boolean isAarch64(String osArch) {
        String a = osArch == null ? "" : osArch.toLowerCase(Locale.ROOT);
        return a.equals("aarch64") || a.equals("arm64");
    }
}
