package io.processbarrier.it;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;
import org.opentest4j.TestAbortedException;

import java.lang.reflect.Method;

/**
 * A skipped container test would look like a pass in CI: an aborted test (a failed assumption, e.g. "no Docker")
 * is turned into a failure here. Registered for every test by auto-detection (junit-platform.properties), together
 * with {@code junit.jupiter.conditions.deactivate=*}, which makes {@code @Disabled} and friends inert.
 */
public final class NeverSkip implements InvocationInterceptor {
    @Override
    public void interceptTestMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> call,
            ExtensionContext context) throws Throwable {
        failIfAborted(invocation, context);
    }

    @Override
    public void interceptTestTemplateMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> call,
            ExtensionContext context) throws Throwable {
        failIfAborted(invocation, context);
    }

    @Override
    public void interceptBeforeAllMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> call,
            ExtensionContext context) throws Throwable {
        failIfAborted(invocation, context);
    }

    @Override
    public void interceptBeforeEachMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> call,
            ExtensionContext context) throws Throwable {
        failIfAborted(invocation, context);
    }

    private static void failIfAborted(Invocation<Void> invocation, ExtensionContext context) throws Throwable {
        try {
            invocation.proceed();
        } catch (TestAbortedException e) {
            throw new AssertionError(context.getDisplayName() + " would have been skipped (" + e.getMessage()
                    + "); the container tests never skip: fix the environment instead", e);
        }
    }
}
