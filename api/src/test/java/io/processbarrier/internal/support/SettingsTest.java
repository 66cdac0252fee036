package io.processbarrier.internal.support;

import io.processbarrier.ProcessBarrierException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one rule of every processbarrier.* property: a value is valid, unset (the default), or an error. */
class SettingsTest {
    @Test
    void booleansAreTrueOrFalseInAnyCaseAndNothingElse() {
        for (String yes : List.of("true", "TRUE", " True ")) {
            assertTrue(Settings.of(Map.of("p", yes)).bool("p", false), yes);
        }
        for (String no : List.of("false", "FALSE", " False")) {
            assertFalse(Settings.of(Map.of("p", no)).bool("p", true), no);
        }
        assertTrue(Settings.of(Map.of()).bool("p", true), "unset: the default");
        assertFalse(Settings.of(Map.of("p", "  ")).bool("p", false), "blank: the default");
        for (String bad : List.of("no", "yes", "0", "1", "on", "off", "t")) {
            ProcessBarrierException e = assertThrows(ProcessBarrierException.class,
                    () -> Settings.of(Map.of("p", bad)).bool("p", true));
            assertEquals("p=" + bad + " is not valid: use true or false", e.getMessage());
        }
    }

    @Test
    void numbersAreWholeAndInRange() {
        assertEquals(250, Settings.of(Map.of("n", " 250 ")).number("n", 5, 1, 1000));
        assertEquals(5, Settings.of(Map.of()).number("n", 5, 1, 1000));
        for (String bad : List.of("0", "1001", "1.5", "abc", "99999999999999999999")) {
            ProcessBarrierException e = assertThrows(ProcessBarrierException.class,
                    () -> Settings.of(Map.of("n", bad)).number("n", 5, 1, 1000));
            assertEquals("n=" + bad + " is not valid: use a whole number from 1 to 1000", e.getMessage());
        }
    }

    @Test
    void choicesAreOneOfTheirWordsInAnyCase() {
        assertEquals("auto", Settings.of(Map.of("c", "AUTO")).choice("c", "auto", "auto", "true", "false"));
        assertEquals("true", Settings.of(Map.of()).choice("c", "true", "auto", "true", "false"));
        ProcessBarrierException e = assertThrows(ProcessBarrierException.class,
                () -> Settings.of(Map.of("c", "sometimes")).choice("c", "auto", "auto", "true", "false"));
        assertEquals("c=sometimes is not valid: use one of auto, true, false", e.getMessage());
    }

    @Test
    void stringsAreTrimmedAndBlankIsUnset() {
        assertEquals("x", Settings.of(Map.of("s", " x ")).string("s"));
        assertNull(Settings.of(Map.of("s", " ")).string("s"));
        assertNull(Settings.of(Map.of()).string("s"));
    }
}
