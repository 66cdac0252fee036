/**
 * Everything ProcessBarrier offers, as one dependency: the api and {@code sync}, required transitively, so that
 * {@code requires io.processbarrier.all} reads both. The providers and the natives modules are not required: the api
 * {@code uses} their services, so the module system resolves whichever of them are on the module path (jlink:
 * {@code --add-modules} them, or {@code --bind-services}).
 */
module io.processbarrier.all {
    requires transitive io.processbarrier;
    requires transitive io.processbarrier.sync;
}
