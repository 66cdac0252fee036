import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;

/**
 * One run of tools/stress-tests, read from Surefire's XML reports: a line {@code FAILED <run> <class>.<method>: <why>}
 * for every test case that failed or erred, then {@code P passed, F failed, S skipped}. The build runs with
 * {@code maven.test.failure.ignore}, so a build that failed anyway (a fork that crashed or timed out, a compile
 * error) is one more failed case, named by the log: a hang never passes as a green run.
 *
 * <p>{@code java tools/StressReport.java RUN MAVEN_EXIT_CODE LOG REPORT_DIR...}
 */
public final class StressReport {
    public static void main(String[] args) throws Exception {
        String run = args[0];
        int mavenExit = Integer.parseInt(args[1]);
        String log = args[2];
        int passed = 0;
        int failed = 0;
        int skipped = 0;
        List<String> lines = new ArrayList<>();
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        for (int i = 3; i < args.length; i++) {
            for (Path xml : reports(Path.of(args[i]))) {
                Document doc = f.newDocumentBuilder().parse(xml.toFile());
                NodeList cases = doc.getElementsByTagName("testcase");
                for (int c = 0; c < cases.getLength(); c++) {
                    Element tc = (Element) cases.item(c);
                    String name = tc.getAttribute("classname") + "." + tc.getAttribute("name");
                    Element bad = first(tc, "failure");
                    if (bad == null) {
                        bad = first(tc, "error");
                    }
                    if (bad != null) {
                        failed++;
                        lines.add("FAILED " + run + " " + name + ": " + why(bad));
                    } else if (first(tc, "skipped") != null) {
                        skipped++;
                    } else {
                        passed++;
                    }
                }
            }
        }
        if (mavenExit != 0) { // test failures are ignored by the build (maven.test.failure.ignore): this is something else
            failed++;
            lines.add("FAILED " + run + " (the build itself, exit " + mavenExit + "; a crashed or timed-out fork?): see "
                    + log);
        }
        lines.forEach(System.out::println);
        System.out.println(passed + " passed, " + failed + " failed, " + skipped + " skipped");
    }

    private static List<Path> reports(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches("TEST-.*\\.xml")).sorted().toList();
        }
    }

    private static Element first(Element parent, String tag) {
        NodeList l = parent.getElementsByTagName(tag);
        return l.getLength() == 0 ? null : (Element) l.item(0);
    }

    /** The first line of the failure's message (or its type), so that each failure stays one line. */
    private static String why(Element bad) {
        String m = bad.getAttribute("message");
        if (m.isBlank()) {
            m = bad.getAttribute("type");
        }
        m = m.strip();
        int nl = m.indexOf('\n');
        if (nl >= 0) {
            m = m.substring(0, nl) + " ...";
        }
        return m.length() > 300 ? m.substring(0, 300) + " ..." : m;
    }
}
