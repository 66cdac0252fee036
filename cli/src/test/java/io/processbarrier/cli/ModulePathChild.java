package io.processbarrier.cli;

import io.processbarrier.ProcessBarrier;

/** Launched with the project's jars on the module path: prints whether the api ran as a named module. */
public final class ModulePathChild {
    public static void main(String[] args) {
        ProcessBarrier b = ProcessBarrier.get();
        b.heavy();
        System.out.println("module=" + ProcessBarrier.class.getModule().getName());
        System.out.println("providerModule=" + b.getClass().getModule().getName());
        System.out.println("selected=" + b.name());
    }
}
