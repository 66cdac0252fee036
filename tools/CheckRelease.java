import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * The release checker behind tools/check-release.sh (run with java's source launcher, no build needed).
 *
 * <pre>
 *   java tools/CheckRelease.java check STAGING LICENSE       what Maven Central and a company's lawyers need
 *   java tools/CheckRelease.java self-test STAGING LICENSE   the checker's power: broken copies of STAGING fail
 * </pre>
 *
 * STAGING is a Maven repository produced by {@code deploy -DaltDeploymentRepository=local::file:STAGING}: whatever is
 * in it is what the build publishes. For every artifact in it: each archive (.jar, .nar) holds META-INF/LICENSE equal
 * to the root LICENSE; a non-pom artifact has a sources jar (with .java or .c files) and a javadoc jar, which documents
 * no {@code internal} package and never says "All rights reserved" (an Apache-2.0 project); its POM has a
 * name and a description of its own, and url, licenses, scm and developers of its own or from its parent chain, every
 * parent being published too. The BOM lists exactly the published non-pom artifacts, each of which exists.
 */
public final class CheckRelease {
    private static final String BOM_SUFFIX = "-bom";
    /** The starter: it must depend on every published jar but the doctor's, natives with their classifiers. */
    private static final String STARTER_SUFFIX = "-all";
    private static final String DOCTOR_SUFFIX = "-cli";

    public static void main(String[] args) throws Exception {
        if (args.length != 3 || !(args[0].equals("check") || args[0].equals("self-test"))) {
            System.err.println("usage: java tools/CheckRelease.java check|self-test STAGING LICENSE");
            System.exit(2);
        }
        Path staging = Path.of(args[1]);
        byte[] license = Files.readAllBytes(Path.of(args[2]));
        if (args[0].equals("check")) {
            List<String> errors = check(staging, license);
            errors.forEach(e -> System.err.println("check-release: " + e));
            if (!errors.isEmpty()) {
                System.err.println("check-release: " + errors.size() + " problem(s) in " + staging);
                System.exit(1);
            }
            System.err.println("check-release: " + artifacts(staging).size() + " artifacts in " + staging + ": all complete");
        } else {
            System.exit(selfTest(staging, license) ? 0 : 1);
        }
    }

    /** One published artifact: its directory in STAGING and the file name prefix of its newest deployment. */
    record Artifact(String groupId, String artifactId, Path dir, String prefix) {
        Path pom() {
            return dir.resolve(prefix + ".pom");
        }

        /** classifier ("" for the main artifact) and extension, of every archive deployed with the pom */
        Map<String, Path> archives() throws IOException {
            Map<String, Path> out = new TreeMap<>();
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    String n = f.getFileName().toString();
                    if (n.startsWith(prefix) && (n.endsWith(".jar") || n.endsWith(".nar"))) {
                        out.put(n.substring(prefix.length()), f); // e.g. "-sources.jar", ".jar", "-linux-x86_64.jar"
                    }
                }
            }
            return out;
        }
    }

    static List<Artifact> artifacts(Path staging) throws Exception {
        List<Artifact> out = new ArrayList<>();
        if (!Files.isDirectory(staging)) {
            return out;
        }
        try (Stream<Path> walk = Files.walk(staging)) {
            List<Path> versionDirs = walk.filter(Files::isDirectory).filter(CheckRelease::holdsPom).sorted().toList();
            for (Path v : versionDirs) {
                Path pom = newestPom(v);
                String name = pom.getFileName().toString();
                Element p = parse(pom);
                String artifactId = text(p, "artifactId");
                String groupId = Optional.ofNullable(text(p, "groupId"))
                        .orElse(text(child(p, "parent"), "groupId"));
                out.add(new Artifact(groupId, artifactId, v, name.substring(0, name.length() - ".pom".length())));
            }
        }
        return out;
    }

    static boolean holdsPom(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.anyMatch(f -> f.getFileName().toString().endsWith(".pom"));
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    static Path newestPom(Path versionDir) throws IOException {
        try (Stream<Path> s = Files.list(versionDir)) {
            // snapshot deployments are named ...-yyyyMMdd.HHmmss-N.pom: the last in name order is the newest
            return s.filter(f -> f.getFileName().toString().endsWith(".pom"))
                    .max(Comparator.comparing(Path::toString)).orElseThrow();
        }
    }

    static List<String> check(Path staging, byte[] license) throws Exception {
        List<String> errors = new ArrayList<>();
        List<Artifact> all = artifacts(staging);
        if (all.isEmpty()) {
            errors.add("nothing was deployed to " + staging);
            return errors;
        }
        Map<String, Artifact> byId = new TreeMap<>();
        all.forEach(a -> byId.put(a.groupId() + ":" + a.artifactId(), a));
        TreeSet<String> published = new TreeSet<>();
        Artifact bom = null;
        for (Artifact a : all) {
            String id = a.artifactId();
            Element pom = parse(a.pom());
            String packaging = Optional.ofNullable(text(pom, "packaging")).orElse("jar");
            if (id.endsWith(BOM_SUFFIX)) {
                bom = a;
            }
            if (!packaging.equals("pom")) {
                published.add(id);
            }
            checkMetadata(a, pom, byId, staging, errors);
            Map<String, Path> archives = a.archives();
            for (Map.Entry<String, Path> e : archives.entrySet()) {
                checkLicense(id, e.getValue(), license, errors);
            }
            if (packaging.equals("pom")) {
                continue;
            }
            if (!archives.containsKey(".jar") && !archives.containsKey(".nar")) {
                errors.add(id + ": no main archive (" + a.prefix() + ".jar) was deployed");
            }
            Path sources = archives.get("-sources.jar");
            if (sources == null) {
                errors.add(id + ": no sources jar (" + a.prefix() + "-sources.jar)");
            } else if (!holds(sources, n -> n.endsWith(".java") || n.endsWith(".c"))) {
                errors.add(id + ": the sources jar holds no .java or .c file: " + sources.getFileName());
            }
            Path javadoc = archives.get("-javadoc.jar");
            if (javadoc == null) {
                errors.add(id + ": no javadoc jar (" + a.prefix() + "-javadoc.jar)");
            } else if (!holds(javadoc, n -> n.equals("index.html") || n.startsWith("README"))) {
                errors.add(id + ": the javadoc jar has neither index.html nor a README: " + javadoc.getFileName());
            } else {
                checkJavadocContents(id, javadoc, errors);
            }
        }
        if (bom == null) {
            errors.add("no BOM (an artifact named *" + BOM_SUFFIX + ") was deployed");
        } else {
            checkBom(bom, published, byId, errors);
        }
        Artifact starter = all.stream().filter(a -> a.artifactId().endsWith(STARTER_SUFFIX)).findFirst().orElse(null);
        if (starter == null) {
            errors.add("no starter (an artifact named *" + STARTER_SUFFIX + ") was deployed");
        } else {
            checkStarter(starter, published, errors);
        }
        return errors;
    }

    static void checkMetadata(Artifact a, Element pom, Map<String, Artifact> byId, Path staging, List<String> errors)
            throws Exception {
        String id = a.artifactId();
        // Maven does not inherit name; Central wants each POM to say what it is: both must be the module's own
        for (String own : List.of("name", "description")) {
            if (blank(text(pom, own))) {
                errors.add(id + ": POM has no <" + own + "> of its own (" + a.pom().getFileName() + ")");
            }
        }
        // the parent chain, as Maven resolves it for a user: every parent must be published
        List<Element> chain = new ArrayList<>(List.of(pom));
        Element cur = pom;
        while (child(cur, "parent") != null) {
            Element parent = child(cur, "parent");
            String pid = text(parent, "groupId") + ":" + text(parent, "artifactId");
            Artifact p = byId.get(pid);
            if (p == null) {
                errors.add(id + ": its parent " + pid + " is not published: users cannot resolve this POM");
                break;
            }
            cur = parse(p.pom());
            chain.add(cur);
        }
        String[][] inherited = {
                {"url", "url"}, {"licenses", "licenses/license/name"}, {"scm", "scm/url"},
                {"scm connection", "scm/connection"}, {"developers", "developers/developer"}};
        for (String[] need : inherited) {
            boolean found = chain.stream().anyMatch(e -> !blank(path(e, need[1])));
            if (!found) {
                errors.add(id + ": POM has no " + need[0] + " (<" + need[1].replace("/", "><") + ">), neither its own"
                        + " nor from a parent (" + a.pom().getFileName() + ")");
            }
        }
    }

    /** The phrase the javadoc plugin's default footer puts on every page; this project's license says otherwise. */
    static final String RESERVED = "All rights reserved";

    /**
     * A javadoc jar documents the API: no page of an {@code internal} package (the modules' plumbing, exported to
     * the project's own modules at most), and no page that says {@link #RESERVED} (the plugin's default footer).
     */
    static void checkJavadocContents(String id, Path javadoc, List<String> errors) throws IOException {
        try (ZipFile z = new ZipFile(javadoc.toFile())) {
            List<String> internal = z.stream().map(ZipEntry::getName)
                    .filter(n -> n.endsWith(".html") && n.contains("/internal/")).sorted().toList();
            if (!internal.isEmpty()) {
                errors.add(id + ": the javadoc jar documents internal packages (" + internal.size() + " pages, e.g. "
                        + internal.get(0) + "): exclude them (maven-javadoc-plugin excludePackageNames)");
            }
            for (ZipEntry e : java.util.Collections.list(z.entries())) {
                if (!e.getName().endsWith(".html")) {
                    continue;
                }
                try (InputStream in = z.getInputStream(e)) {
                    if (new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).contains(RESERVED)) {
                        errors.add(id + ": the javadoc jar says \"" + RESERVED + "\" (" + e.getName() + ") on an "
                                + "Apache-2.0 project: set the javadoc plugin's <bottom>");
                        break;
                    }
                }
            }
        }
    }

    static void checkLicense(String id, Path archive, byte[] license, List<String> errors) throws IOException {
        try (ZipFile z = new ZipFile(archive.toFile())) {
            ZipEntry e = z.getEntry("META-INF/LICENSE");
            if (e == null) {
                errors.add(id + ": no META-INF/LICENSE in " + archive.getFileName());
                return;
            }
            try (InputStream in = z.getInputStream(e)) {
                if (!Arrays.equals(in.readAllBytes(), license)) {
                    errors.add(id + ": META-INF/LICENSE in " + archive.getFileName() + " differs from the root LICENSE");
                }
            }
        }
    }

    static void checkBom(Artifact bom, TreeSet<String> published, Map<String, Artifact> byId, List<String> errors)
            throws Exception {
        Element managed = child(parse(bom.pom()), "dependencyManagement");
        TreeSet<String> listed = new TreeSet<>();
        for (Element d : children(child(managed, "dependencies"), "dependency")) {
            String aid = text(d, "artifactId");
            listed.add(aid);
            Artifact a = byId.get(text(d, "groupId") + ":" + aid);
            if (a == null) {
                continue; // reported below as listed but not published
            }
            String classifier = text(d, "classifier");
            String type = Optional.ofNullable(text(d, "type")).orElse("jar");
            String suffix = (blank(classifier) ? "" : "-" + classifier) + "." + type;
            if (!a.archives().containsKey(suffix)) {
                errors.add(bom.artifactId() + ": lists " + aid + (blank(classifier) ? "" : ":" + classifier)
                        + " but no " + a.prefix() + suffix + " was deployed");
            }
        }
        for (String p : published) {
            if (!listed.contains(p)) {
                errors.add(bom.artifactId() + ": does not list the published artifact " + p);
            }
        }
        for (String l : listed) {
            if (!published.contains(l)) {
                errors.add(bom.artifactId() + ": lists " + l + ", which is not published");
            }
        }
    }

    /** The starter depends (compile scope) on every published jar but itself and the doctor. */
    static void checkStarter(Artifact starter, TreeSet<String> published, List<String> errors) throws Exception {
        Element deps = child(parse(starter.pom()), "dependencies");
        TreeSet<String> has = new TreeSet<>();
        if (deps != null) {
            for (Element d : children(deps, "dependency")) {
                String scope = Optional.ofNullable(text(d, "scope")).orElse("compile");
                String aid = text(d, "artifactId");
                if (!scope.equals("compile") && !scope.equals("runtime")) {
                    continue;
                }
                if (aid.contains("natives") && blank(text(d, "classifier"))) {
                    errors.add(starter.artifactId() + ": depends on " + aid + " without its classifier");
                }
                has.add(aid);
            }
        }
        for (String p : published) {
            if (!p.equals(starter.artifactId()) && !p.endsWith(DOCTOR_SUFFIX) && !has.contains(p)) {
                errors.add(starter.artifactId() + ": does not depend on the published artifact " + p);
            }
        }
    }

    // ---- the checker's power: each broken copy must fail with its message, the intact copy must pass ----

    static boolean selfTest(Path staging, byte[] license) throws Exception {
        List<Artifact> all = artifacts(staging);
        Artifact bom = all.stream().filter(a -> a.artifactId().endsWith(BOM_SUFFIX)).findFirst().orElse(null);
        Artifact jarArtifact = all.stream().filter(a -> a.artifactId().endsWith("-api")).findFirst().orElse(null);
        Artifact parent = all.stream().filter(a -> a.artifactId().endsWith("-parent")
                && !a.artifactId().contains("natives")).findFirst().orElse(null);
        if (bom == null || jarArtifact == null || parent == null || !check(staging, license).isEmpty()) {
            System.err.println("check-release self-test: needs a complete staging repository (run the check first): "
                    + staging);
            return false;
        }
        String firstListed = text(children(child(child(parse(bom.pom()), "dependencyManagement"), "dependencies"),
                "dependency").get(0), "artifactId");
        String api = jarArtifact.artifactId();
        record Case(String what, String expected, Consumer<Path> breakIt) {}
        List<Case> cases = List.of(
                new Case("intact copy", null, s -> {}),
                new Case("parent POM without <licenses>", api + ": POM has no licenses",
                        s -> editPom(relocate(parent.pom(), staging, s), "licenses", null)),
                new Case("parent POM without <developers>", api + ": POM has no developers",
                        s -> editPom(relocate(parent.pom(), staging, s), "developers", null)),
                new Case("module POM without <description>", api + ": POM has no <description>",
                        s -> editPom(relocate(jarArtifact.pom(), staging, s), "description", null)),
                new Case("parent not published", api + ": its parent",
                        s -> delete(relocate(parent.dir(), staging, s))),
                new Case("BOM missing a module", "does not list the published artifact " + firstListed,
                        s -> editPom(relocate(bom.pom(), staging, s), "dependencyManagement/dependencies/dependency",
                                null)),
                new Case("starter missing a module", "processbarrier-all: does not depend on the published artifact "
                        + "processbarrier-api", s -> all.stream().filter(a -> a.artifactId().endsWith(STARTER_SUFFIX))
                        .forEach(a -> editPom(relocate(a.pom(), staging, s), "dependencies/dependency", null))),
                new Case("BOM listing an unpublished module", "lists processbarrier-benchmarks, which is not published",
                        s -> editPom(relocate(bom.pom(), staging, s), "dependencyManagement/dependencies",
                                "processbarrier-benchmarks")),
                new Case("jar without META-INF/LICENSE", api + ": no META-INF/LICENSE in " + jarArtifact.prefix() + ".jar",
                        s -> dropEntry(relocate(jarArtifact.dir().resolve(jarArtifact.prefix() + ".jar"), staging, s),
                                "META-INF/LICENSE")),
                new Case("javadoc jar without META-INF/LICENSE", "no META-INF/LICENSE in " + jarArtifact.prefix()
                        + "-javadoc.jar", s -> dropEntry(relocate(jarArtifact.dir().resolve(jarArtifact.prefix()
                                + "-javadoc.jar"), staging, s), "META-INF/LICENSE")),
                new Case("javadoc jar with a page of an internal package", api + ": the javadoc jar documents internal "
                        + "packages (1 pages, e.g. io/processbarrier/internal/Selector.html)",
                        s -> addEntry(relocate(jarArtifact.dir().resolve(jarArtifact.prefix() + "-javadoc.jar"),
                                staging, s), "io/processbarrier/internal/Selector.html", "<html></html>")),
                new Case("javadoc jar with the default footer", api + ": the javadoc jar says \"" + RESERVED + "\"",
                        s -> addEntry(relocate(jarArtifact.dir().resolve(jarArtifact.prefix() + "-javadoc.jar"),
                                staging, s), "footer.html", "<footer>Copyright 2026. " + RESERVED + ".</footer>")),
                new Case("no javadoc jar", api + ": no javadoc jar",
                        s -> delete(relocate(jarArtifact.dir().resolve(jarArtifact.prefix() + "-javadoc.jar"),
                                staging, s))),
                new Case("no sources jar", api + ": no sources jar",
                        s -> delete(relocate(jarArtifact.dir().resolve(jarArtifact.prefix() + "-sources.jar"),
                                staging, s))));
        boolean ok = true;
        Path tmp = Files.createTempDirectory("check-release-self-test");
        try {
            for (Case c : cases) {
                Path copy = tmp.resolve("case");
                delete(copy);
                copyTree(staging, copy);
                c.breakIt().accept(copy);
                List<String> errors = check(copy, license);
                boolean pass = c.expected() == null ? errors.isEmpty()
                        : errors.stream().anyMatch(e -> e.contains(c.expected()));
                if (!pass) {
                    ok = false;
                    System.err.println("check-release self-test FAILED: " + c.what() + ": expected "
                            + (c.expected() == null ? "no error" : "an error containing \"" + c.expected() + "\"")
                            + ", got " + errors);
                }
            }
        } finally {
            delete(tmp);
        }
        System.err.println("check-release self-test: " + (ok ? "the intact copy passes and all " + (cases.size() - 1)
                + " broken copies fail with their message" : "FAILED"));
        return ok;
    }

    static Path relocate(Path p, Path from, Path to) {
        return to.resolve(from.relativize(p));
    }

    /** Removes the element at a slash path, or (value != null) appends a dependency with that artifactId to it. */
    static void editPom(Path pom, String path, String value) {
        try {
            Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
            Element target = pathElement(doc.getDocumentElement(), path);
            if (target == null) {
                throw new IllegalStateException("no <" + path + "> in " + pom);
            }
            if (value == null) {
                target.getParentNode().removeChild(target);
            } else {
                Element dep = doc.createElementNS(target.getNamespaceURI(), "dependency");
                for (String[] kv : new String[][] {{"groupId", "io.processbarrier"}, {"artifactId", value},
                        {"version", "${project.version}"}}) {
                    Element e = doc.createElementNS(target.getNamespaceURI(), kv[0]);
                    e.setTextContent(kv[1]);
                    dep.appendChild(e);
                }
                target.appendChild(dep);
            }
            try (OutputStream out = Files.newOutputStream(pom)) {
                TransformerFactory.newInstance().newTransformer().transform(new DOMSource(doc), new StreamResult(out));
            }
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    static void dropEntry(Path zip, String entry) {
        try {
            Path tmp = zip.resolveSibling(zip.getFileName() + ".tmp");
            try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip));
                 ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(tmp))) {
                for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                    if (!e.getName().equals(entry)) {
                        out.putNextEntry(new ZipEntry(e.getName()));
                        in.transferTo(out);
                        out.closeEntry();
                    }
                }
            }
            Files.move(tmp, zip, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    /** Adds (or replaces) one entry of a zip. */
    static void addEntry(Path zip, String entry, String content) {
        try {
            Path tmp = zip.resolveSibling(zip.getFileName() + ".tmp");
            try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip));
                 ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(tmp))) {
                for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                    if (!e.getName().equals(entry)) {
                        out.putNextEntry(new ZipEntry(e.getName()));
                        in.transferTo(out);
                        out.closeEntry();
                    }
                }
                out.putNextEntry(new ZipEntry(entry));
                out.write(content.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                out.closeEntry();
            }
            Files.move(tmp, zip, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
    }

    static void delete(Path p) {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path f : walk.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
                Files.delete(f);
            }
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    // ---- POM reading: namespace-agnostic, direct children only (a <name> inside <license> is not the POM's) ----

    static Element parse(Path pom) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        return f.newDocumentBuilder().parse(pom.toFile()).getDocumentElement();
    }

    static List<Element> children(Element e, String name) {
        List<Element> out = new ArrayList<>();
        if (e == null) {
            return out;
        }
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element c && name.equals(c.getLocalName() != null ? c.getLocalName() : c.getTagName())) {
                out.add(c);
            }
        }
        return out;
    }

    static Element child(Element e, String name) {
        List<Element> c = children(e, name);
        return c.isEmpty() ? null : c.get(0);
    }

    static Element pathElement(Element e, String path) {
        for (String step : path.split("/")) {
            e = child(e, step);
        }
        return e;
    }

    static String path(Element e, String path) {
        Element t = pathElement(e, path);
        return t == null ? null : t.getTextContent().trim();
    }

    static String text(Element e, String name) {
        Element c = child(e, name);
        return c == null ? null : c.getTextContent().trim();
    }

    static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    static boolean holds(Path zip, java.util.function.Predicate<String> name) throws IOException {
        try (ZipFile z = new ZipFile(zip.toFile())) {
            return z.stream().map(e -> e.getName().substring(e.getName().lastIndexOf('/') + 1)).anyMatch(name);
        }
    }
}
