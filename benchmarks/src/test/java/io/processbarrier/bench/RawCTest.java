package io.processbarrier.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RawCBench's bad set-ups fail with one message that says what to do, before any native code runs. */
class RawCTest {
    @Test
    void anUnknownProviderIsNamedWithTheOnesThatExist() {
        assertEquals(2, RawC.op("signal"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RawC.op("fence"));
        assertTrue(e.getMessage().contains("fence") && e.getMessage().contains("membarrier, mprotect or signal"),
                e.getMessage());
    }

    @Test
    void aMissingLibraryPropertySaysHowToGetTheLibrary() {
        String old = System.clearProperty(RawC.LIBRARY_PROPERTY);
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class, RawC::load);
            assertTrue(e.getMessage().contains("-Dpb.bench.rawc=FILE") && e.getMessage().contains("run.sh"),
                    e.getMessage());
        } finally {
            if (old != null) {
                System.setProperty(RawC.LIBRARY_PROPERTY, old);
            }
        }
    }
}
