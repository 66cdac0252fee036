/**
 * An application that uses sync and names ProcessBarrier, but requires sync alone (issue: such a module could not
 * name ProcessBarrier): it reads io.processbarrier only through sync's {@code requires transitive}.
 */
module sync.consumer {
    requires io.processbarrier.sync;
}
