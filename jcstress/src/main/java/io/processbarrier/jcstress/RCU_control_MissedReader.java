package io.processbarrier.jcstress;

import io.processbarrier.ProcessBarrier;
import io.processbarrier.sync.Rcu;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.I_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;

/**
 * Control for the RCU_ tests: the same trial, but the writer's grace period misses the reader (it is run by another
 * {@link Rcu} than the one the reader entered: what any bug that loses a reader's record, or compares its epoch
 * wrongly, amounts to). Outcome 2 is expected in every mode: it shows that the RCU_ tests would catch a grace period
 * that does not wait for a reader. It runs their reader ({@link RcuLitmus#reader}), whose section is longer under the
 * interpreter: with the compiled modes' 64 rounds a grace period there reclaimed only after the section had ended, and
 * this control (and so the RCU_ tests) caught about 1 in 10,000 trials, none in some whole runs.
 *
 * <p>The subtler break, a synchronize() whose heavy() does nothing, leaves a window of one store-buffer drain: by
 * hand, under C2 on an idle machine, it showed a few to a few hundred violations per million trials (C1 and the
 * interpreter none), too few to judge a bounded run on a shared machine; see docs/rcu.md.
 */
@JCStressTest
@Description("control, grace period of another Rcu: reader READERS.read() { o = ptr; check o.reclaimed x64 (x1024 under -Xint) } | writer old = ptr; ptr = new; WRITERS.synchronize(); old.reclaimed = 1")
@Outcome(id = "0", expect = ACCEPTABLE, desc = "the reader saw the new object")
@Outcome(id = "1", expect = ACCEPTABLE, desc = "the reader saw the old object, intact all through its section")
@Outcome(id = "2", expect = ACCEPTABLE_INTERESTING, desc = "the reader saw the old object reclaimed: a grace period that missed the reader was caught")
@State
public class RCU_control_MissedReader {
    static final Rcu READERS = Rcu.create(ProcessBarrier.of("fence"));
    static final Rcu WRITERS = Rcu.create(ProcessBarrier.of("fence"));

    final RcuLitmus.Cell cell = new RcuLitmus.Cell();

    @Actor
    public void reader(I_Result r) {
        r.r1 = RcuLitmus.reader(READERS, cell);
    }

    @Actor
    public void writer() {
        RcuLitmus.writer(WRITERS, cell);
    }
}
