package io.processbarrier.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.processbarrier.it.DoctorContainer.Result;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The amd64 verify oracle on made-up reports (no container): "verified" passes; a run whose control showed nothing
 * ("inconclusive": zero power), a forbidden outcome, or no trials fail. Runs with the unit tests, without Docker.
 */
class ChecksTest {
    private static final Result RUN = new Result("made-up verify report", 0, "", "");

    private static JsonNode report(String verdict, long forbidden, long controlForbidden, long trials)
            throws Exception {
        return new ObjectMapper().readTree("{\"providers\":[{\"provider\":\"mprotect\",\"available\":true,"
                + "\"trials\":" + trials + ",\"forbidden\":" + forbidden + ",\"controlTrials\":40960,"
                + "\"controlForbidden\":" + controlForbidden + ",\"verdict\":\"" + verdict + "\",\"error\":null}]}");
    }

    @Test
    void aVerifiedProviderPasses() throws Exception {
        Checks.verified(report("verified", 0, 57, 10240), "mprotect", RUN);
    }

    @Test
    void anInconclusiveProviderFails() throws Exception {
        AssertionError e = assertThrows(AssertionError.class,
                () -> Checks.verified(report("inconclusive", 0, 0, 10240), "mprotect", RUN));
        assertTrue(e.getMessage().contains("mprotect must be verified (its control showed the forbidden outcome 0 "
                + "times in 40960 trials)"), e.getMessage());
    }

    @Test
    void aForbiddenOutcomeFails() throws Exception {
        AssertionError e = assertThrows(AssertionError.class,
                () -> Checks.verified(report("FAILED", 3, 57, 10240), "mprotect", RUN));
        assertTrue(e.getMessage().contains("mprotect let a forbidden outcome through"), e.getMessage());
    }

    @Test
    void aProviderThatRanNoTrialsFails() throws Exception {
        AssertionError e = assertThrows(AssertionError.class,
                () -> Checks.verified(report("verified", 0, 57, 0), "mprotect", RUN));
        assertTrue(e.getMessage().contains("mprotect must have run trials"), e.getMessage());
    }
}
