package io.processbarrier.cli;

import java.io.PrintStream;

/** One doctor command. Output goes to {@code out}; progress and diagnostics to {@code err}. */
interface Command {
    /** One line for the usage text. */
    String summary();

    /** The options this command accepts, for the usage text, e.g. {@code "--json  print JSON"}. */
    String[] options();

    /** @return the process exit status */
    int run(Args args, PrintStream out, PrintStream err);
}
