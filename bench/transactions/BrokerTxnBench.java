// One run of `npm run bench:transactions-broker`: Apache Kafka's Java producer (kafka-clients 4.4), run as a
// single-file source program, creating its topic first (the brokers compared may not auto-create it). N transactions
// of R records of S bytes, begin -> R sends -> commit, after W warm-up transactions. Prints one JSON line.
//   java -cp '<kafka libs>/*' BrokerTxnBench.java <bootstrap> <topic> <transactions> <records> <size> <warmup>
import java.util.Collections;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public final class BrokerTxnBench {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    int transactions = Integer.parseInt(args[2]);
    int records = Integer.parseInt(args[3]);
    int size = Integer.parseInt(args[4]);
    int warmup = Integer.parseInt(args[5]);

    Properties adminProps = new Properties();
    adminProps.put("bootstrap.servers", bootstrap);
    try (Admin admin = Admin.create(adminProps)) {
      admin.createTopics(Collections.singleton(new NewTopic(topic, 1, (short) 1))).all().get();
    } catch (java.util.concurrent.ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) throw e;
    }

    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "txn-bench-" + topic);
    props.put(ProducerConfig.LINGER_MS_CONFIG, "0");
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    byte[] value = new byte[size];
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
      producer.initTransactions();
      long started = 0;
      for (int t = 0; t < warmup + transactions; t++) {
        if (t == warmup) started = System.nanoTime();
        producer.beginTransaction();
        for (int r = 0; r < records; r++) producer.send(new ProducerRecord<>(topic, value));
        producer.commitTransaction();
      }
      double ms = (System.nanoTime() - started) / 1e6;
      System.out.printf("{\"transactions\":%d,\"ms\":%.1f,\"perSecond\":%.1f}%n", transactions, ms, transactions * 1000.0 / ms);
    }
  }
}
