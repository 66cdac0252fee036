package io.processbarrier.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** ColdWrite's arguments: a bad one is refused with one message that says what to give, before anything runs. */
class ColdWriteTest {
    @Test
    void anUnknownArgumentIsRefusedWithTheUsage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ColdWrite.main(new String[] {"secs=5"}));
        assertEquals("unknown argument secs=5 (usage: ColdWrite [seconds=N])", e.getMessage());
    }

    @Test
    void secondsThatAreNotAPositiveWholeNumberAreRefused() {
        for (String bad : new String[] {"abc", "0", "-3", "1.5", ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ColdWrite.main(new String[] {"seconds=" + bad}), bad);
            assertEquals("seconds=" + bad + ": give a whole number of seconds above 0 (usage: ColdWrite [seconds=N])",
                    e.getMessage());
        }
    }
}
