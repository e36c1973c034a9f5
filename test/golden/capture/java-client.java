// Drives Apache Kafka's Java client (kafka-clients) for test/golden/capture.ts, run with the single-file source
// launcher (`java -cp <kafka-clients classpath> java-client.java ...`). Run by capture.ts only.
//   version
//   produce BOOTSTRAP TOPIC CODEC RECORD...
//   consume BOOTSTRAP COUNT TOPIC...
// A RECORD is `key:value:headers`, each part base64 and `~` for null; headers are `name.value` pairs joined by `,`.
// Prints one JSON line on stdout; exits 1 on any error.
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Future;

import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

final class GoldenJavaClient {
    private GoldenJavaClient() {}

    public static void main(String[] args) {
        try {
            String result;
            switch (args[0]) {
                case "version":
                    result = "{\"client\":\"" + clientVersion() + "\"}";
                    break;
                case "produce":
                    result = produce(args[1], args[2], args[3], List.of(args).subList(4, args.length));
                    break;
                case "consume":
                    result = consume(args[1], Integer.parseInt(args[2]), List.of(args).subList(3, args.length));
                    break;
                default:
                    throw new IllegalArgumentException("unknown command " + args[0]);
            }
            System.out.println(result);
        } catch (Exception error) {
            System.out.println("{\"error\":\"" + String.valueOf(error).replace("\\", "\\\\").replace("\"", "'") + "\"}");
            System.exit(1);
        }
    }

    /** The version kafka-clients reports about itself (the resource its own AppInfoParser reads). */
    private static String clientVersion() throws java.io.IOException {
        Properties props = new Properties();
        try (java.io.InputStream in = KafkaProducer.class.getResourceAsStream("/kafka/kafka-version.properties")) {
            props.load(in);
        }
        return props.getProperty("version");
    }

    private static byte[] unpack(String part) {
        return part.equals("~") ? null : Base64.getDecoder().decode(part);
    }

    private static String produce(String bootstrap, String topic, String codec, List<String> records) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("client.id", "golden-java");
        props.put("key.serializer", ByteArraySerializer.class.getName());
        props.put("value.serializer", ByteArraySerializer.class.getName());
        props.put("compression.type", codec);
        // Idempotence is on by default since Kafka 3.0; it needs InitProducerId, which this capture avoids.
        props.put("enable.idempotence", "false");
        props.put("acks", "all");
        // Every record goes into one batch.
        props.put("linger.ms", "200");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (String record : records) {
                String[] parts = record.split(":", -1);
                RecordHeaders headers = new RecordHeaders();
                for (String pair : parts[2].split(",")) {
                    if (pair.isEmpty()) continue;
                    String[] nameValue = pair.split("\\.", -1);
                    headers.add(new String(unpack(nameValue[0]), StandardCharsets.UTF_8), unpack(nameValue[1]));
                }
                sent.add(producer.send(new ProducerRecord<>(topic, 0, null, unpack(parts[0]), unpack(parts[1]), headers)));
            }
            producer.flush();
            for (Future<RecordMetadata> future : sent) future.get();
        }
        return "{\"produced\":" + records.size() + "}";
    }

    private static String consume(String bootstrap, int count, List<String> topics) {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("client.id", "golden-java");
        props.put("key.deserializer", ByteArrayDeserializer.class.getName());
        props.put("value.deserializer", ByteArrayDeserializer.class.getName());
        // No group.id: partitions are assigned by hand, so no group coordinator is needed.
        props.put("enable.auto.commit", "false");
        props.put("auto.offset.reset", "earliest");
        props.put("fetch.max.wait.ms", "100");
        int seen = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : topics) partitions.add(new TopicPartition(topic, 0));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.currentTimeMillis() + 30_000;
            while (seen < count) {
                if (System.currentTimeMillis() > deadline) throw new IllegalStateException("consumed " + seen + " of " + count);
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
                seen += records.count();
            }
        }
        return "{\"consumed\":" + seen + "}";
    }
}
