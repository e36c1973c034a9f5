// One client process of `npm run bench:transactions`: Apache Kafka's Java producer (kafka-clients 4.4), run as a
// single-file source program. Same loop as seqlog-client.ts: begin, `records` sends, commitTransaction().
//   java -cp '<kafka libs>/*' TxnBench.java <bootstrap> <topic> <transactions> <records> <size> <warmup>
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class TxnBench {
    public static void main(String[] args) {
        String bootstrap = args[0];
        String topic = args[1];
        int transactions = Integer.parseInt(args[2]);
        int records = Integer.parseInt(args[3]);
        byte[] value = new byte[Integer.parseInt(args[4])];
        java.util.Arrays.fill(value, (byte) 'a');
        int warmup = Integer.parseInt(args[5]);
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("transactional.id", "bench-java-" + topic);
        props.put("key.serializer", ByteArraySerializer.class.getName());
        props.put("value.serializer", ByteArraySerializer.class.getName());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            producer.initTransactions();
            run(producer, topic, warmup, records, value);
            long started = System.nanoTime();
            run(producer, topic, transactions, records, value);
            double ms = (System.nanoTime() - started) / 1e6;
            System.out.println("{\"client\":\"java\",\"transactions\":" + transactions + ",\"ms\":" + ms + "}");
        }
    }

    private static void run(KafkaProducer<byte[], byte[]> producer, String topic, int count, int records, byte[] value) {
        for (int t = 0; t < count; t++) {
            producer.beginTransaction();
            for (int i = 0; i < records; i++) producer.send(new ProducerRecord<>(topic, 0, Integer.toString(i).getBytes(), value));
            producer.commitTransaction();
        }
    }
}
