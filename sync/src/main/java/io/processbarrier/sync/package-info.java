/**
 * Read-mostly constructs built on {@link io.processbarrier.ProcessBarrier}: readers use only per-thread state and
 * {@code light()}, the rare writer pays {@code heavy()}.
 */
package io.processbarrier.sync;
