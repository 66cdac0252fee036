package io.processbarrier.internal.bundle;

import java.net.URL;

/**
 * A natives jar: the library it holds for one platform. Each natives jar provides one as a service, so that on the
 * module path the api's {@code uses} resolves it with no {@code --add-modules}, and on the class path it is found
 * like any service (a shaded copy finds its own, relocated).
 */
public interface NativeBundle {
    /** The platform, e.g. {@code linux-x86_64}. */
    String platform();

    /** {@code libprocessbarrier.so} in this jar. */
    URL library();

    /** Its SHA-256 in hex, the first word of the resource. */
    URL checksum();
}
