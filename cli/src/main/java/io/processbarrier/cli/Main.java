package io.processbarrier.cli;

import io.processbarrier.ProcessBarrierException;
import io.processbarrier.internal.support.Settings;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code java -jar processbarrier-cli-<version>.jar [command] [options]} (what Maven resolves; a source build makes
 * cli/target/processbarrier-doctor.jar): with no command, the doctor. The usage names the jar it runs from, so it
 * agrees with whichever file the user has. A new command is one class implementing {@link Command} and one line in
 * {@link #COMMANDS}.
 */
public final class Main {
    static final Map<String, Supplier<Command>> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("doctor", DoctorCommand::new);
        COMMANDS.put("bench", BenchCommand::new);
        COMMANDS.put("verify", VerifyCommand::new);
    }

    private Main() {
    }

    public static void main(String[] argv) {
        System.exit(run(argv, System.out, System.err));
    }

    static int run(String[] argv, PrintStream out, PrintStream err) {
        String name = argv.length > 0 && !argv[0].startsWith("-") ? argv[0] : "doctor";
        String[] rest = argv.length > 0 && !argv[0].startsWith("-")
                ? java.util.Arrays.copyOfRange(argv, 1, argv.length) : argv;
        if (name.equals("help") || java.util.List.of(rest).contains("--help") || java.util.List.of(rest).contains("-h")) {
            out.print(usage());
            return 0;
        }
        Supplier<Command> c = COMMANDS.get(name);
        if (c == null) {
            err.println("processbarrier: unknown command '" + name + "'. Commands: " + String.join(", ", COMMANDS.keySet())
                    + ". Run with --help for usage.");
            return 2;
        }
        String bad = badSetting();
        if (bad != null) {
            err.println("processbarrier " + name + ": " + bad);
            return 2;
        }
        Command command = c.get();
        Args args;
        try {
            args = Args.parse(rest, command.options());
        } catch (IllegalArgumentException e) {
            err.println("processbarrier " + name + ": " + e.getMessage() + ". Run with --help for usage.");
            return 2;
        }
        try {
            return command.run(args, out, err);
        } catch (IllegalArgumentException e) {
            err.println("processbarrier " + name + ": " + e.getMessage());
            return 2;
        }
    }

    /**
     * A {@code processbarrier.*} setting that breaks the rule, in one line, or null. Every {@code get()} and
     * {@code of()} would throw it; judged here once, so that the doctor says it and exits 2 instead of dying with a
     * stack trace in the first command that asks.
     */
    static String badSetting() {
        try {
            Settings.system().judge();
            return null;
        } catch (ProcessBarrierException e) {
            return e.getMessage();
        }
    }

    /** How to start the doctor that is running: {@link #invocation(Path, boolean)} of this class's own location. */
    static String invocation() {
        Path self = location(Main.class);
        return invocation(self, self != null && self.equals(location(io.processbarrier.ProcessBarrier.class)));
    }

    /**
     * {@code java -jar FILE} for a jar that holds the library too (the doctor Maven resolves, or the build's
     * processbarrier-doctor.jar), {@code java -cp <class path>:FILE io.processbarrier.cli.Main} for the doctor alone
     * (classifier thin) or classes in a directory.
     */
    static String invocation(Path self, boolean withLibrary) {
        String file = self == null || self.getFileName() == null ? null : self.getFileName().toString();
        if (file != null && file.endsWith(".jar") && withLibrary) {
            return "java -jar " + file;
        }
        return "java -cp <class path>" + (file == null ? "" : java.io.File.pathSeparator + file) + " "
                + Main.class.getName();
    }

    private static Path location(Class<?> c) {
        try {
            java.security.CodeSource cs = c.getProtectionDomain().getCodeSource();
            return cs == null || cs.getLocation() == null ? null : Path.of(cs.getLocation().toURI());
        } catch (RuntimeException | java.net.URISyntaxException e) { // not a file: the generic form
            return null;
        }
    }

    static String usage() {
        StringBuilder sb = new StringBuilder("usage: " + invocation() + " [command] [options]\n\n");
        for (Map.Entry<String, Supplier<Command>> e : COMMANDS.entrySet()) {
            Command c = e.getValue().get();
            sb.append(String.format("  %-8s %s%n", e.getKey(), c.summary()));
            for (String o : c.options()) {
                sb.append("             ").append(o).append('\n');
            }
        }
        sb.append("\nWith no command: doctor. System properties such as -Dprocessbarrier.provider=NAME apply as in any"
                + " application.\n");
        return sb.toString();
    }
}
