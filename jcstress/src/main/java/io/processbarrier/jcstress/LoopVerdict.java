package io.processbarrier.jcstress;

/**
 * The verdict of one Loop test case. The reader runs {@code for (i = 1..K) { x = i; light(); if (y != 0) { seen = i;
 * break; } }}; the writer runs {@code y = 1; heavy(); v = x}.
 *
 * <p>heavy() makes the reader execute a full barrier at some point P of its instruction stream: every store before P
 * is visible to the writer's load after heavy() returns, and every load after P sees {@code y = 1} (stored and fenced
 * before heavy() began). Iteration {@code v + 1}'s store was not seen, so it comes after P, and so does its load:
 * the reader must stop at iteration {@code v + 1} at the latest. Hence a correct run has {@code seen <= v + 1}, and
 * {@code seen == 0} (never saw y) only with {@code v == K} (the whole loop ran before P).
 */
final class LoopVerdict {
    /** Iterations: long enough (tens of microseconds under C2) to outlast a heavy() if the JIT hoists the load. */
    static final int K = 1 << 16;

    static final int READER_FIRST = 0;
    static final int SAW_WRITER = 1;
    static final int VIOLATION = 2;

    private LoopVerdict() {
    }

    static int of(int seen, int v) {
        if (seen == 0) {
            return v == K ? READER_FIRST : VIOLATION;
        }
        return seen <= v + 1 ? SAW_WRITER : VIOLATION;
    }
}
