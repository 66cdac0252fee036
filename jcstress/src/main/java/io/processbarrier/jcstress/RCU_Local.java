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
 * The guarantee of {@link Rcu} on the {@code membarrier} provider with the reader's section entered through its
 * thread's {@link Rcu.Local} ({@link RcuLitmus#localReader}): from its second entry on, the handle emits the acquire
 * fence of the api's asymmetric {@code light()} itself.
 */
@JCStressTest
@Description("membarrier: reader local.enter() { o = ptr; check o.reclaimed x64 (x1024 under -Xint) } | writer old = ptr; ptr = new; synchronize(); old.reclaimed = 1")
@Outcome(id = "0", expect = ACCEPTABLE, desc = "the reader saw the new object")
@Outcome(id = "1", expect = ACCEPTABLE, desc = "the reader saw the old object, intact all through its section")
@Outcome(id = "2", expect = FORBIDDEN, desc = "the reader saw the old object reclaimed inside its section")
@State
public class RCU_Local {
    /** Class initialisation fails (a test error, never a silent pass) if the provider is unavailable. */
    static final Rcu RCU = Rcu.create(ProcessBarrier.of("membarrier"));

    /** Each actor thread's own handle, made on its first trial (the lookup is outside the section). */
    static final ThreadLocal<Rcu.Local> LOCAL = ThreadLocal.withInitial(RCU::local);

    final RcuLitmus.Cell cell = new RcuLitmus.Cell();

    @Actor
    public void reader(I_Result r) {
        r.r1 = RcuLitmus.localReader(LOCAL.get(), cell);
    }

    @Actor
    public void writer() {
        RcuLitmus.writer(RCU, cell);
    }
}
