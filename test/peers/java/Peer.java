// Interop peer on Apache Kafka's Java client (kafka-clients). Contract shared by every peer (see ../README.md):
//   --bootstrap H:P --topic T --count N [--mode all|produce|consume] [--idempotence true|false]
//   [--replication-factor R] [--timeout-ms MS]
// Prints exactly one JSON summary line on stdout; exits 1 on any error or a wrong count.
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public final class Peer {
    private static final String PEER = "java";

    private final String bootstrap;
    private final String topic;
    private final int count;
    private final String mode;
    private final boolean idempotence;
    private final short replicationFactor;
    private final long deadline;
    private final Map<String, Object> summary = new LinkedHashMap<>();

    private Peer(Map<String, String> args) {
        bootstrap = required(args, "bootstrap");
        topic = required(args, "topic");
        count = Integer.parseInt(required(args, "count"));
        mode = args.getOrDefault("mode", "all");
        idempotence = Boolean.parseBoolean(args.getOrDefault("idempotence", "true"));
        replicationFactor = Short.parseShort(args.getOrDefault("replication-factor", "1"));
        deadline = System.currentTimeMillis() + Long.parseLong(args.getOrDefault("timeout-ms", "60000"));
        if (!mode.equals("all") && !mode.equals("produce") && !mode.equals("consume")) {
            throw new IllegalArgumentException("unknown --mode " + mode);
        }
    }

    public static void main(String[] argv) {
        long started = System.currentTimeMillis();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("peer", PEER);
        int status = 0;
        try {
            Peer peer = new Peer(parse(argv));
            out.put("mode", peer.mode);
            out.put("topic", peer.topic);
            peer.run();
            out.putAll(peer.summary);
            out.put("ok", true);
        } catch (Throwable e) {
            out.put("ok", false);
            out.put("error", describe(e));
            status = 1;
        }
        out.put("client", "kafka-clients " + clientVersion());
        out.put("elapsedMs", System.currentTimeMillis() - started);
        System.out.println(toJson(out));
        System.out.flush();
        // The client's background threads must not keep the JVM alive past the summary.
        System.exit(status);
    }

    private void run() throws Exception {
        boolean transactions = mode.equals("all");
        summary.put("idempotent", mode.equals("all") || (mode.equals("produce") && idempotence));
        summary.put("transactions", transactions);
        if (!mode.equals("consume")) {
            createTopic();
            List<String> plain = values(mode.equals("all") || idempotence ? "idem" : "plain");
            produce(plain, mode.equals("all") || idempotence);
            summary.put("produced", plain.size());
        }
        if (transactions) {
            List<String> aborted = values("abort");
            List<String> committed = values("commit");
            transact(aborted, committed);
            summary.put("aborted", aborted.size());
            summary.put("committed", committed.size());
        }
        if (!mode.equals("produce")) {
            int expected = mode.equals("all") ? 2 * count : count;
            List<String> seen = consume();
            summary.put("consumed", seen.size());
            summary.put("expected", expected);
            List<String> wanted = null;
            if (mode.equals("all")) {
                wanted = new ArrayList<>(values("idem"));
                wanted.addAll(values("commit"));
            }
            String problem = verify(seen, expected, wanted);
            if (problem != null) throw new IllegalStateException(problem);
        }
    }

    private List<String> values(String kind) {
        List<String> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) out.add(PEER + "-" + kind + "-" + i);
        return out;
    }

    private void createTopic() throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        try (Admin admin = Admin.create(props)) {
            admin.createTopics(List.of(new NewTopic(topic, 1, replicationFactor))).all().get();
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) throw e;
        }
    }

    private Properties producerProps() {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("acks", "all");
        props.put("key.serializer", StringSerializer.class.getName());
        props.put("value.serializer", StringSerializer.class.getName());
        props.put("delivery.timeout.ms", "30000");
        props.put("request.timeout.ms", "15000");
        return props;
    }

    private void produce(List<String> records, boolean idempotent) throws Exception {
        Properties props = producerProps();
        props.put("enable.idempotence", Boolean.toString(idempotent));
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            List<Future<RecordMetadata>> acks = new ArrayList<>();
            for (int i = 0; i < records.size(); i++) {
                acks.add(producer.send(new ProducerRecord<>(topic, Integer.toString(i), records.get(i))));
            }
            producer.flush();
            for (Future<RecordMetadata> ack : acks) ack.get();
        }
    }

    private void transact(List<String> aborted, List<String> committed) throws Exception {
        Properties props = producerProps();
        props.put("enable.idempotence", "true");
        props.put("transactional.id", PEER + "-" + topic);
        props.put("transaction.timeout.ms", "30000");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            producer.initTransactions();
            producer.beginTransaction();
            for (int i = 0; i < aborted.size(); i++) {
                producer.send(new ProducerRecord<>(topic, Integer.toString(i), aborted.get(i)));
            }
            // Flush first so the aborted records really reach the log and the reader has to skip them.
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            for (int i = 0; i < committed.size(); i++) {
                producer.send(new ProducerRecord<>(topic, Integer.toString(i), committed.get(i)));
            }
            producer.commitTransaction();
        }
    }

    private List<String> consume() throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("isolation.level", "read_committed");
        props.put("enable.auto.commit", "false");
        props.put("auto.offset.reset", "earliest");
        props.put("key.deserializer", StringDeserializer.class.getName());
        props.put("value.deserializer", StringDeserializer.class.getName());
        List<String> seen = new ArrayList<>();
        // Manual assignment: no consumer group, so a broker only needs metadata, list-offsets and fetch.
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo info : partitionsFor(consumer)) partitions.add(new TopicPartition(topic, info.partition()));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            // Read up to the high watermark, not the last stable offset: EndTxn is answered once the commit is
            // decided and the markers follow (Kafka's TransactionCoordinator), so the LSO listed right after a commit
            // may stop before the committed records. The read_committed position passes the marker once it is written.
            Map<TopicPartition, Long> end;
            Properties uncommitted = new Properties();
            uncommitted.putAll(props);
            uncommitted.put("isolation.level", "read_uncommitted");
            try (KafkaConsumer<String, String> watermarks = new KafkaConsumer<>(uncommitted)) {
                end = watermarks.endOffsets(partitions);
            }
            while (true) {
                boolean done = true;
                for (TopicPartition tp : partitions) {
                    if (consumer.position(tp) < end.get(tp)) done = false;
                }
                if (done) break;
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("timed out consuming; saw " + seen.size() + " records, end offsets " + end);
                }
                for (ConsumerRecord<String, String> record : consumer.poll(java.time.Duration.ofMillis(200))) {
                    seen.add(record.value());
                }
            }
        }
        return seen;
    }

    private List<PartitionInfo> partitionsFor(KafkaConsumer<String, String> consumer) {
        while (true) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic);
            if (infos != null && !infos.isEmpty()) return infos;
            if (System.currentTimeMillis() > deadline) throw new IllegalStateException("topic " + topic + " not found");
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted");
            }
        }
    }

    /** Returns null when the read is right, or what is wrong with it. */
    static String verify(List<String> seen, int expected, List<String> wanted) {
        Set<String> unique = new HashSet<>();
        for (String v : seen) {
            if (v == null) return "a record with a null value";
            if (v.contains("-abort-")) return "read an aborted record: " + v;
            if (!unique.add(v)) return "duplicate record: " + v;
        }
        if (seen.size() != expected) return "expected " + expected + " records, read " + seen.size();
        if (wanted != null && !wanted.equals(seen)) return "records out of order or unexpected";
        return null;
    }

    private static Map<String, String> parse(String[] argv) {
        Map<String, String> args = new HashMap<>();
        for (int i = 0; i < argv.length; i++) {
            if (!argv[i].startsWith("--") || i + 1 >= argv.length) throw new IllegalArgumentException("bad argument " + argv[i]);
            args.put(argv[i].substring(2), argv[++i]);
        }
        return args;
    }

    private static String required(Map<String, String> args, String name) {
        String v = args.get(name);
        if (v == null) throw new IllegalArgumentException("missing --" + name);
        return v;
    }

    private static String clientVersion() {
        // kafka-clients ships its version as a resource; reading it avoids depending on an internal class.
        try (java.io.InputStream in = KafkaProducer.class.getClassLoader().getResourceAsStream("kafka/kafka-version.properties")) {
            Properties p = new Properties();
            if (in != null) p.load(in);
            return p.getProperty("version", "unknown");
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    private static String describe(Throwable e) {
        Throwable root = e;
        while ((root instanceof ExecutionException) && root.getCause() != null) root = root.getCause();
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }

    private static String toJson(Map<String, Object> map) {
        StringBuilder sb = new StringBuilder("{");
        boolean first = true;
        for (Map.Entry<String, Object> e : map.entrySet()) {
            if (!first) sb.append(',');
            first = false;
            sb.append(quote(e.getKey())).append(':');
            Object v = e.getValue();
            if (v instanceof Number || v instanceof Boolean) sb.append(v);
            else sb.append(quote(String.valueOf(v)));
        }
        return sb.append('}').toString();
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') sb.append('\\').append(c);
            else if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        return sb.append('"').toString();
    }
}
