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
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * The third case of the Rcu correctness argument (docs/rcu.md): the scan reads a later section's epoch and does not
 * wait; the earlier section's accesses must still happen-before the reclamation. Holds because the entry store is a
 * release store ({@link RcuLitmus#readerThenLaterSection}), on the process's default barrier.
 */
@JCStressTest
@Description("reader { o = ptr; check o; plain o.freed } { later section } | writer ptr = new; synchronize(); old.freed = 1")
@Outcome(id = "0", expect = ACCEPTABLE, desc = "the reader saw the new object")
@Outcome(id = "1", expect = ACCEPTABLE, desc = "the reader saw the old object, intact all through its section")
@Outcome(id = "2", expect = FORBIDDEN, desc = "the earlier section saw the old object freed")
@State
public class RCU_LaterSection {
    static final Rcu RCU = Rcu.create(ProcessBarrier.get());

    final RcuLitmus.Cell cell = new RcuLitmus.Cell();

    @Actor
    public void reader(I_Result r) {
        r.r1 = RcuLitmus.readerThenLaterSection(RCU, cell);
    }

    @Actor
    public void writer() {
        RcuLitmus.writerFreeing(RCU, cell);
    }
}
