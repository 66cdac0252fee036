package io.processbarrier.internal.support;

import io.processbarrier.ProcessBarrierException;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
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

    @Test
    void anUnknownNameIsAWarningWithTheClosestKnownNameOnlyWhenClose() {
        // not an error: an older copy must survive a setting a newer copy added
        Settings typo = Settings.of(Map.of("processbarrier.provder", "fence"));
        typo.judge();
        assertTrue(typo.unknownNamesWarning().contains("ignoring processbarrier.provder, not a setting of this "
                + "version: did you mean processbarrier.provider? ("), typo.unknownNamesWarning());
        assertTrue(Settings.of(Map.of("processbarrier.signal.timeout", "100")).unknownNamesWarning()
                .contains("did you mean processbarrier.signal.timeoutMillis?"));
        assertTrue(Settings.of(Map.of("processbarrier.requireasymmetric", "true")).unknownNamesWarning()
                .contains("did you mean processbarrier.requireAsymmetric?"));
        // far from every known name: no suggestion (it was "did you mean processbarrier.exclude?")
        String debug = Settings.of(Map.of("processbarrier.debug", "true")).unknownNamesWarning();
        assertTrue(debug.contains("ignoring processbarrier.debug, not a setting of this version ("), debug);
        assertFalse(debug.contains("did you mean"), debug);
        assertFalse(Settings.of(Map.of("processbarrier.sync.newThing", "1")).unknownNamesWarning()
                .contains("did you mean"));
        // several names: one record, one line
        String two = Settings.of(Map.of("processbarrier.debug", "1", "processbarrier.provder", "x"))
                .unknownNamesWarning();
        assertTrue(two.contains("processbarrier.debug") && two.contains("processbarrier.provder"), two);
        assertFalse(two.contains("\n"), two);
        // known names only, or names outside processbarrier.*: nothing to say
        assertNull(Settings.of(Map.of("os.name", "Linux", "processbarrierx", "1", "java.io.tmpdir", "/tmp",
                "processbarrier.coalesce", "true")).unknownNamesWarning());
    }

    @Test
    void strictSettingsMakeAnUnknownNameFailAndBadValuesFailAlways() {
        ProcessBarrierException e = assertThrows(ProcessBarrierException.class,
                () -> Settings.of(Map.of("processbarrier.provder", "fence", Settings.STRICT, "true")).judge());
        assertEquals("processbarrier.provder is not a setting: did you mean processbarrier.provider? "
                + "(processbarrier.strictSettings=true refuses names this version does not know)", e.getMessage());
        e = assertThrows(ProcessBarrierException.class,
                () -> Settings.of(Map.of("processbarrier.debug", "1", Settings.STRICT, " TRUE ")).judge());
        assertEquals("processbarrier.debug is not a setting (processbarrier.strictSettings=true refuses names this "
                + "version does not know)", e.getMessage());
        Settings.of(Map.of("processbarrier.provder", "fence", Settings.STRICT, "false")).judge();
        // a wrong value for a known setting fails without strict, next to an unknown name
        e = assertThrows(ProcessBarrierException.class,
                () -> Settings.of(Map.of("processbarrier.coalesce", "no", "processbarrier.newer", "1")).judge());
        assertTrue(e.getMessage().startsWith("processbarrier.coalesce=no is not valid"), e.getMessage());
        assertThrows(ProcessBarrierException.class,
                () -> Settings.of(Map.of(Settings.STRICT, "yes")).judge());
    }

    @Test
    void closeMeansFewEditsForTheLengthOrACutShortName() {
        assertTrue(Settings.isClose("processbarrier.provder", "processbarrier.provider"));
        assertTrue(Settings.isClose("processbarrier.signal.timeout", "processbarrier.signal.timeoutMillis"));
        assertFalse(Settings.isClose("processbarrier.debug", "processbarrier.exclude"));
        assertFalse(Settings.isClose("processbarrier.trace", "processbarrier.exclude"));
        assertFalse(Settings.isClose("processbarrier.x", "processbarrier.exclude"));
    }

    @Test
    void everySettingIsJudgedWhetherOrNotItsPartRuns() {
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("processbarrier.signal.timeoutMillis", "-1");
        bad.put("processbarrier.signal.skipBlockingThreads", "sometimes");
        bad.put("processbarrier.signal.number", "SIGFOO");
        bad.put("processbarrier.membarrier.command", "SLOW");
        bad.put("processbarrier.mprotect.allowInvlpgb", "maybe");
        bad.put("processbarrier.coalesce", "no");
        bad.put("processbarrier.requireAsymmetric", "yes");
        bad.put("processbarrier.sync.stallWarningMillis", "-1");
        for (Map.Entry<String, String> b : bad.entrySet()) {
            ProcessBarrierException e = assertThrows(ProcessBarrierException.class,
                    () -> Settings.of(Map.of(b.getKey(), b.getValue())).judge(), b.toString());
            assertTrue(e.getMessage().startsWith(b.getKey() + "=" + b.getValue() + " is not"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        }
        assertEquals("processbarrier.signal.timeoutMillis=-1 is not valid: use a whole number of milliseconds from 1 "
                + "to 86400000 (the default is 5000)", assertThrows(ProcessBarrierException.class,
                () -> Settings.of(Map.of("processbarrier.signal.timeoutMillis", "-1")).judge()).getMessage());
        // judged through a function too (only the known names can be asked)
        assertThrows(ProcessBarrierException.class,
                () -> Settings.of(Map.of("processbarrier.coalesce", "no")::get).judge());
        for (String standard : List.of("10", "SIGRTMIN+40", "65")) {
            assertThrows(ProcessBarrierException.class,
                    () -> Settings.of(Map.of("processbarrier.signal.number", standard)).judge(), standard);
        }
    }

    @Test
    void validValuesAndTheTableDefaultsPass() {
        Map<String, String> good = new LinkedHashMap<>();
        good.put("processbarrier.provider", "membarrier");
        good.put("processbarrier.exclude", "mprotect,signal");
        good.put("processbarrier.requireAsymmetric", " TRUE ");
        good.put("processbarrier.native.dir", "/opt/pb");
        good.put("processbarrier.membarrier.command", "global_expedited");
        good.put("processbarrier.mprotect.allowInvlpgb", "false");
        good.put("processbarrier.signal.number", "SIGRTMAX-3");
        good.put("processbarrier.signal.timeoutMillis", "86400000");
        good.put("processbarrier.signal.skipBlockingThreads", "AUTO");
        good.put("processbarrier.coalesce", "false");
        good.put("processbarrier.sync.stallWarningMillis", "0");
        Settings s = Settings.of(good);
        s.judge();
        assertEquals("GLOBAL_EXPEDITED", s.choice("processbarrier.membarrier.command"), "as the table writes it");
        assertEquals(86_400_000L, s.number("processbarrier.signal.timeoutMillis"));
        assertEquals(0L, s.number("processbarrier.sync.stallWarningMillis"));
        assertTrue(s.bool("processbarrier.requireAsymmetric"));
        Settings none = Settings.of(Map.of());
        none.judge();
        assertEquals(5000L, none.number("processbarrier.signal.timeoutMillis"));
        assertEquals(10_000L, none.number("processbarrier.sync.stallWarningMillis"));
        assertEquals("auto", none.choice("processbarrier.signal.skipBlockingThreads"));
        assertNull(none.choice("processbarrier.membarrier.command"));
        assertEquals("SIGRTMAX-3", none.signal("processbarrier.signal.number"));
        assertTrue(none.bool("processbarrier.coalesce"));
        assertFalse(none.bool("processbarrier.requireAsymmetric"));
    }

    /** The sync module reads its setting with the explicit form: the same range as the table's entry. */
    @Test
    void theTableHoldsSyncsStallWarningAndTheExplicitFormAgrees() {
        Settings.Setting stall = Settings.KNOWN.get("processbarrier.sync.stallWarningMillis");
        assertEquals(Settings.Kind.NUMBER, stall.kind());
        assertEquals("10000", stall.defaultValue());
        Settings s = Settings.of(Map.of("processbarrier.sync.stallWarningMillis", "86400001"));
        assertThrows(ProcessBarrierException.class, s::judge);
        assertThrows(ProcessBarrierException.class,
                () -> s.number("processbarrier.sync.stallWarningMillis", 10000, 0, 86_400_000));
        assertEquals(10000, Settings.of(Map.of()).number("processbarrier.sync.stallWarningMillis", 10000, 0,
                86_400_000));
    }

    @Test
    void everyKnownNameIsUnderTheOnePrefix() {
        for (String n : Settings.KNOWN.keySet()) {
            assertTrue(n.startsWith(Settings.PREFIX), n);
            assertEquals(n, Settings.closest(n), "a known name is its own closest");
        }
    }
}
