// Runs Apache Kafka's command-line tools in one JVM, one after the other, for tests that call many of them:
// a JVM start with Kafka's classpath costs seconds, a tool run in a warm JVM a fraction of that.
// Protocol: one JSON request per stdin line, {"main": "<tool class>", "args": [...], "input": "<stdin>" | null};
// one answer per request on stdout, on a line starting with ANSWER_PREFIX (the tools' log lines may share
// stdout), {"status": <exit code>, "stdout": "...", "stderr": "..."}. The tools end with Kafka's `Exit.exit`,
// whose procedure is replaced here by an Error that unwinds the tool's `main`. In a JVM of its own the first
// `Exit.exit` ends the process, so the first one decides the run's status, and what a tool prints after it (some
// catch every Throwable, report it and exit again) is cut off.
//   java --add-opens java.base/java.lang=ALL-UNNAMED -cp '<kafka libs>/*' ToolRunner.java
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.utils.internals.Exit;

public class ToolRunner {
    static final String ANSWER_PREFIX = "@@tool-runner@@ ";

    /** An Error, not an exception: a tool's `catch (Exception e)` must not swallow its own exit. */
    static final class ExitCalled extends Error {
        final int status;

        ExitCalled(int status) {
            super("exit " + status, null, false, false);
            this.status = status;
        }
    }

    /** The current run's captured output and its first exit, if any (runs are sequential). */
    private static ByteArrayOutputStream out;
    private static ByteArrayOutputStream err;
    private static Integer firstExit;
    private static int outAtExit;
    private static int errAtExit;
    private static final List<Runnable> hooks = new ArrayList<>();

    private static synchronized void exit(int status) {
        if (firstExit == null) {
            System.out.flush();
            System.err.flush();
            firstExit = status;
            outAtExit = out.size();
            errAtExit = err.size();
        }
        throw new ExitCalled(status);
    }

    public static void main(String[] argv) throws Exception {
        PrintStream answers = System.out;
        InputStream requests = System.in;
        Exit.setExitProcedure((status, message) -> exit(status));
        Exit.setHaltProcedure((status, message) -> exit(status));
        // A tool's shutdown hooks (closing clients, printing final statistics) run when its run ends, as they would
        // when its own JVM exits.
        Exit.setShutdownHookAdder((name, hook) -> hooks.add(hook));
        ObjectMapper json = new ObjectMapper();
        BufferedReader reader = new BufferedReader(new InputStreamReader(requests, StandardCharsets.UTF_8));
        answers.println(ANSWER_PREFIX + "{\"ready\":true}");
        answers.flush();
        for (String line; (line = reader.readLine()) != null; ) {
            JsonNode request = json.readTree(line);
            String mainClass = request.get("main").asText();
            JsonNode argNodes = request.get("args");
            String[] args = new String[argNodes.size()];
            for (int i = 0; i < args.length; i++) args[i] = argNodes.get(i).asText();
            JsonNode input = request.get("input");
            byte[] stdin = input == null || input.isNull() ? new byte[0] : input.asText().getBytes(StandardCharsets.UTF_8);

            out = new ByteArrayOutputStream();
            err = new ByteArrayOutputStream();
            firstExit = null;
            PrintStream savedOut = System.out;
            PrintStream savedErr = System.err;
            InputStream savedIn = System.in;
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            System.setIn(new ByteArrayInputStream(stdin));
            Set<Thread> jvmHooksBefore = jvmShutdownHooks();
            int status = run(mainClass, args);
            synchronized (ToolRunner.class) {
                if (firstExit != null) {
                    status = firstExit;
                    out = truncated(out, outAtExit);
                    err = truncated(err, errAtExit);
                    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
                    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
                }
                firstExit = -1;
            }
            for (Thread hook : newJvmShutdownHooks(jvmHooksBefore)) {
                Runtime.getRuntime().removeShutdownHook(hook);
                hooks.add(() -> {
                    hook.start();
                    try {
                        hook.join();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
            for (Runnable hook : hooks) {
                try {
                    hook.run();
                } catch (Throwable e) {
                    if (!(e instanceof ExitCalled)) e.printStackTrace();
                }
            }
            hooks.clear();
            System.out.flush();
            System.err.flush();
            String stdout = out.toString(StandardCharsets.UTF_8);
            String stderr = err.toString(StandardCharsets.UTF_8);
            System.setOut(savedOut);
            System.setErr(savedErr);
            System.setIn(savedIn);

            ObjectNode answer = json.createObjectNode();
            answer.put("status", status);
            answer.put("stdout", stdout);
            answer.put("stderr", stderr);
            answers.println(ANSWER_PREFIX + json.writeValueAsString(answer));
            answers.flush();
        }
    }

    /**
     * The JVM's registered shutdown hooks (`ApplicationShutdownHooks.hooks`, readable with
     * --add-opens java.base/java.lang=ALL-UNNAMED): some tools register theirs with the Runtime, not with Exit.
     */
    @SuppressWarnings("unchecked")
    private static Set<Thread> jvmShutdownHooks() throws ReflectiveOperationException {
        Field field = Class.forName("java.lang.ApplicationShutdownHooks").getDeclaredField("hooks");
        field.setAccessible(true);
        synchronized (Class.forName("java.lang.ApplicationShutdownHooks")) {
            Map<Thread, Thread> hooks = (Map<Thread, Thread>) field.get(null);
            return hooks == null ? Set.of() : new HashSet<>(hooks.keySet());
        }
    }

    private static List<Thread> newJvmShutdownHooks(Set<Thread> before) throws ReflectiveOperationException {
        List<Thread> added = new ArrayList<>();
        for (Thread hook : jvmShutdownHooks()) if (!before.contains(hook)) added.add(hook);
        return added;
    }

    private static ByteArrayOutputStream truncated(ByteArrayOutputStream buffer, int length) {
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        copy.write(buffer.toByteArray(), 0, length);
        return copy;
    }

    private static int run(String mainClass, String[] args) {
        try {
            Class.forName(mainClass).getMethod("main", String[].class).invoke(null, (Object) args);
            return 0;
        } catch (InvocationTargetException e) {
            for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
                if (cause instanceof ExitCalled exit) return exit.status;
            }
            e.getCause().printStackTrace();
            return 1;
        } catch (ExitCalled exit) {
            return exit.status;
        } catch (ReflectiveOperationException e) {
            e.printStackTrace();
            return 1;
        }
    }
}
