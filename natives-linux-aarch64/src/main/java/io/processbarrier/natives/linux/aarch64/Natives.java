package io.processbarrier.natives.linux.aarch64;

import io.processbarrier.internal.bundle.NativeBundle;

import java.net.URL;

/** The library of this jar. Resources under META-INF are not encapsulated, so the api's loader may also look. */
public final class Natives implements NativeBundle {
    private static final String LIBRARY = "/META-INF/native/linux-aarch64/libprocessbarrier.so";

    @Override
    public String platform() {
        return "linux-aarch64";
    }

    @Override
    public URL library() {
        return Natives.class.getResource(LIBRARY);
    }

    @Override
    public URL checksum() {
        return Natives.class.getResource(LIBRARY + ".sha256");
    }
}
