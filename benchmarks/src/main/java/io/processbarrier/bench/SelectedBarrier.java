package io.processbarrier.bench;

import io.processbarrier.ProcessBarrier;

/**
 * The process's barrier once its selection is over. Since issue 29 the first {@code ProcessBarrier.get()} of a JVM
 * may return before the selection has ended, with a barrier whose {@code light()} reads one field more for good (sync's
 * constructs exchange it on their writers' path, but a benchmark of reads alone never writes): a benchmark measures
 * the steady state of an application that has been running, so it takes the selected barrier itself.
 */
final class SelectedBarrier {
    private SelectedBarrier() {
    }

    static ProcessBarrier get() {
        ProcessBarrier.get().name(); // waits for a selection in progress
        return ProcessBarrier.get();
    }
}
