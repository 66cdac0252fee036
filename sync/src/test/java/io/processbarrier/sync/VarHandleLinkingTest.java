package io.processbarrier.sync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Every {@code VarHandle} access of the lock's classes is linked by the class's static initializer. The JVM links such
 * a call when it first runs, once per class, access mode and type (two call sites with the same mode and type share
 * the link: measured on JDK 17 and Temurin 25 with a full heap), and linking allocates: a first link on a full heap
 * throws {@link OutOfMemoryError} out of the lock (CI of de124bd: a writer's first contended write). A path that only
 * contention, a fault or a waiting reader runs cannot be warmed by a user, so each class runs every mode and type it
 * uses while it is initialized, directly, through a method of its own that the initializer calls, or through a lambda
 * written in one of those ({@link VarHandleLinks} runs each).
 *
 * <p>This reads the class files (their constant pool and code): the set of {@code VarHandle} methods with their
 * types that the class calls anywhere, against the set its static initializer reaches.
 */
class VarHandleLinkingTest {
    @ParameterizedTest
    @ValueSource(classes = {ReadMostlyLockQueue.class, ReadMostlyLock.class, ReaderRegistry.class,
        ReaderStripes.class, StripeOwners.class, Rcu.class, RcuGracePeriods.class, RcuRecord.class,
        RcuReference.class, RcuRetirer.class})
    void theStaticInitializerLinksEveryAccess(Class<?> c) throws IOException {
        ClassCode code = ClassCode.read(c);
        Set<String> used = code.varHandleCalls(code.methods.keySet());
        Set<String> linked = code.varHandleCalls(code.reachableFrom("<clinit>"));
        Set<String> missing = new TreeSet<>(used);
        missing.removeAll(linked);
        assertEquals(Set.of(), missing, c.getSimpleName() + ": VarHandle accesses its static initializer does not"
                + " run (each would be linked, allocating, where it first runs; see the class doc)");
    }

    /** The control: the parse sees the accesses of a class whose initializer links none. */
    @Test
    void controlAClassThatLinksNothingIsCaught() throws IOException {
        ClassCode code = ClassCode.read(ReadMostlyLockReader.class);
        Set<String> used = code.varHandleCalls(code.methods.keySet());
        assertFalse(used.isEmpty(), "ReadMostlyLockReader.abandoned reads active through a VarHandle");
        assertEquals(Set.of(), code.varHandleCalls(code.reachableFrom("<clinit>")));
    }

    /** What a class file says of its methods' calls: enough of the format for that (JVMS 4.4, 4.7.3, 6.5). */
    static final class ClassCode {
        final String name;
        /** Method name + descriptor, to its code. */
        final Map<String, byte[]> methods = new HashMap<>();
        private final Object[] cp;

        private ClassCode(String name, Object[] cp) {
            this.name = name;
            this.cp = cp;
        }

        static ClassCode read(Class<?> c) throws IOException {
            String res = c.getName().replace('.', '/') + ".class";
            try (InputStream in = c.getClassLoader().getResourceAsStream(res)) {
                assertNotNull(in, res);
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                in.transferTo(b);
                return parse(new DataInputStream(new java.io.ByteArrayInputStream(b.toByteArray())));
            }
        }

        private static ClassCode parse(DataInputStream in) throws IOException {
            in.readInt(); // magic
            in.readUnsignedShort();
            in.readUnsignedShort();
            int n = in.readUnsignedShort();
            Object[] cp = new Object[n];
            for (int i = 1; i < n; i++) {
                int tag = in.readUnsignedByte();
                switch (tag) {
                    case 1: cp[i] = in.readUTF(); break;
                    case 3: case 4: in.readInt(); break;
                    case 5: case 6: in.readLong(); i++; break;
                    case 7: case 8: case 16: case 19: case 20: cp[i] = new int[] {in.readUnsignedShort()}; break;
                    case 9: case 10: case 11: case 12: case 17: case 18:
                        cp[i] = new int[] {in.readUnsignedShort(), in.readUnsignedShort(), tag};
                        break;
                    case 15: in.readUnsignedByte(); in.readUnsignedShort(); break;
                    default: throw new IOException("constant pool tag " + tag);
                }
            }
            in.readUnsignedShort();
            int self = in.readUnsignedShort();
            ClassCode code = new ClassCode(null, cp);
            String name = code.utf(((int[]) cp[self])[0]);
            code = new ClassCode(name, cp);
            in.readUnsignedShort();
            in.skipBytes(2 * in.readUnsignedShort()); // interfaces
            for (int f = in.readUnsignedShort(); f > 0; f--) {
                in.skipBytes(6);
                skipAttributes(in);
            }
            for (int m = in.readUnsignedShort(); m > 0; m--) {
                in.readUnsignedShort();
                String key = code.utf(in.readUnsignedShort()) + code.utf(in.readUnsignedShort());
                for (int a = in.readUnsignedShort(); a > 0; a--) {
                    String attr = code.utf(in.readUnsignedShort());
                    int len = in.readInt();
                    if (attr.equals("Code")) {
                        in.skipBytes(4);
                        byte[] bc = new byte[in.readInt()];
                        in.readFully(bc);
                        in.skipBytes(len - 8 - bc.length);
                        code.methods.put(key, bc);
                    } else {
                        in.skipBytes(len);
                    }
                }
            }
            return code;
        }

        private static void skipAttributes(DataInputStream in) throws IOException {
            for (int a = in.readUnsignedShort(); a > 0; a--) {
                in.readUnsignedShort();
                in.skipBytes(in.readInt());
            }
        }

        private String utf(int i) {
            return (String) cp[i];
        }

        /** A method reference: {owner, name, descriptor}. */
        private String[] ref(int i) {
            int[] r = (int[]) cp[i];
            String owner = utf(((int[]) cp[r[0]])[0]);
            int[] nt = (int[]) cp[r[1]];
            return new String[] {owner, utf(nt[0]), utf(nt[1])};
        }

        /** The constant pool indexes of every invoke instruction of {@code bc} (opcodes 0xb6-0xb9). */
        private static List<Integer> invokes(byte[] bc) {
            List<Integer> out = new ArrayList<>();
            int pc = 0;
            while (pc < bc.length) {
                int op = bc[pc] & 0xff;
                if (op >= 0xb6 && op <= 0xb9) {
                    out.add(((bc[pc + 1] & 0xff) << 8) | (bc[pc + 2] & 0xff));
                }
                pc += length(bc, pc, op);
            }
            return out;
        }

        /** JVMS 6.5: the length of the instruction at {@code pc}. */
        private static int length(byte[] bc, int pc, int op) {
            if (op == 0xaa || op == 0xab) { // tableswitch, lookupswitch: padded to 4, then 32-bit operands
                int p = (pc + 4) & ~3;
                if (op == 0xaa) {
                    int low = readInt(bc, p + 4);
                    int high = readInt(bc, p + 8);
                    return p + 12 + 4 * (high - low + 1) - pc;
                }
                return p + 8 + 8 * readInt(bc, p + 4) - pc;
            }
            if (op == 0xc4) { // wide
                return (bc[pc + 1] & 0xff) == 0x84 ? 6 : 4;
            }
            if (op == 0x10 || op == 0x12 || (op >= 0x15 && op <= 0x19) || (op >= 0x36 && op <= 0x3a) || op == 0xa9
                    || op == 0xbc) {
                return 2;
            }
            if (op == 0x11 || op == 0x13 || op == 0x14 || op == 0x84 || (op >= 0x99 && op <= 0xa8)
                    || (op >= 0xb2 && op <= 0xb8) || op == 0xbb || op == 0xbd || op == 0xc0 || op == 0xc1
                    || op == 0xc6 || op == 0xc7) {
                return 3;
            }
            if (op == 0xc5) {
                return 4;
            }
            if (op == 0xb9 || op == 0xba || op == 0xc8 || op == 0xc9) {
                return 5;
            }
            return 1;
        }

        private static int readInt(byte[] b, int p) {
            return ((b[p] & 0xff) << 24) | ((b[p + 1] & 0xff) << 16) | ((b[p + 2] & 0xff) << 8) | (b[p + 3] & 0xff);
        }

        /** The methods of this class that {@code start}'s code reaches through calls within the class. */
        Set<String> reachableFrom(String startName) {
            Set<String> seen = new HashSet<>();
            List<String> todo = new ArrayList<>();
            for (String k : methods.keySet()) {
                if (k.startsWith(startName + "(")) {
                    todo.add(k);
                }
            }
            while (!todo.isEmpty()) {
                String m = todo.remove(todo.size() - 1);
                if (!seen.add(m) || !methods.containsKey(m)) {
                    continue;
                }
                String lambdas = "lambda$" + (m.startsWith("<clinit>") ? "static" : m.substring(0, m.indexOf('(')))
                        + "$";
                for (String k : methods.keySet()) {
                    if (k.startsWith(lambdas)) {
                        todo.add(k); // a lambda written in that method (VarHandleLinks runs each)
                    }
                }
                for (int i : invokes(methods.get(m))) {
                    String[] r = ref(i);
                    if (r[0].equals(name)) {
                        todo.add(r[1] + r[2]);
                    }
                }
            }
            return seen;
        }

        /** The VarHandle calls ({@code name descriptor}, fences aside: static, no link) of {@code ms}. */
        Set<String> varHandleCalls(Set<String> ms) {
            Set<String> out = new TreeSet<>();
            for (String m : ms) {
                byte[] bc = methods.get(m);
                if (bc == null) {
                    continue;
                }
                for (int i : invokes(bc)) {
                    String[] r = ref(i);
                    if (r[0].equals("java/lang/invoke/VarHandle") && !r[1].endsWith("Fence")) {
                        out.add(r[1] + " " + r[2]);
                    }
                }
            }
            return out;
        }
    }
}
