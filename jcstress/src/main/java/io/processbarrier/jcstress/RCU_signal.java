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

/** The guarantee of {@link Rcu} on the {@code signal} provider ({@link RcuLitmus}). */
@JCStressTest
@Description("signal: reader read() { o = ptr; check o.reclaimed x64 (x1024 under -Xint) } | writer old = ptr; ptr = new; synchronize(); old.reclaimed = 1")
@Outcome(id = "0", expect = ACCEPTABLE, desc = "the reader saw the new object")
@Outcome(id = "1", expect = ACCEPTABLE, desc = "the reader saw the old object, intact all through its section")
@Outcome(id = "2", expect = FORBIDDEN, desc = "the reader saw the old object reclaimed inside its section")
@State
public class RCU_signal {
    /** Class initialisation fails (a test error, never a silent pass) if the provider is unavailable. */
    static final Rcu RCU = Rcu.create(ProcessBarrier.of("signal"));

    final RcuLitmus.Cell cell = new RcuLitmus.Cell();

    @Actor
    public void reader(I_Result r) {
        r.r1 = RcuLitmus.reader(RCU, cell);
    }

    @Actor
    public void writer() {
        RcuLitmus.writer(RCU, cell);
    }
}
