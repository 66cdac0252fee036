/**
 * Not API: the test tools of {@code io.processbarrier.sync} ({@link io.processbarrier.sync.internal.RcuTorture}, used
 * by the doctor's {@code verify} and the tests, and their virtual-thread helper). Not exported by the module
 * {@code io.processbarrier.sync}; may change in any release.
 */
package io.processbarrier.sync.internal;
