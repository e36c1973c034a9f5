"""Interop peer on librdkafka through confluent-kafka-python (Debian's python3-confluent-kafka or PyPI's wheel).

Contract shared by every peer (see ../README.md):
  --bootstrap H:P --topic T --count N [--mode all|produce|consume] [--idempotence true|false]
  [--replication-factor R] [--timeout-ms MS] [--peer-name NAME]
Prints exactly one JSON summary line on stdout; exits 1 on any error or a wrong count.
"""

import argparse
import json
import sys
import time

import confluent_kafka
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic


class PeerError(Exception):
    pass


def parse_args(argv):
    p = argparse.ArgumentParser()
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--topic", required=True)
    p.add_argument("--count", required=True, type=int)
    p.add_argument("--mode", default="all", choices=["all", "produce", "consume"])
    p.add_argument("--idempotence", default="true", choices=["true", "false"])
    p.add_argument("--replication-factor", default=1, type=int)
    p.add_argument("--timeout-ms", default=60000, type=int)
    # The same program runs on two builds of the library; the caller names which one it is.
    p.add_argument("--peer-name", default="python")
    return p.parse_args(argv)


def values(peer, kind, count):
    return [f"{peer}-{kind}-{i}" for i in range(count)]


def create_topic(args):
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    futures = admin.create_topics([NewTopic(args.topic, 1, args.replication_factor)], request_timeout=15)
    try:
        futures[args.topic].result(timeout=args.timeout_ms / 1000)
    except KafkaException as e:
        if e.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
            raise


def base_conf(args):
    return {"bootstrap.servers": args.bootstrap, "acks": "all", "message.timeout.ms": 30000}


def deliver_all(producer, topic, records):
    failures = []

    def on_delivery(err, _msg):
        if err is not None:
            failures.append(str(err))

    for i, value in enumerate(records):
        while True:
            try:
                producer.produce(topic, key=str(i), value=value, on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.1)
    # flush() serves the delivery callbacks; in a transaction it also makes the records reach the log.
    remaining = producer.flush(30)
    if remaining:
        raise PeerError(f"{remaining} records undelivered after flush")
    if failures:
        raise PeerError(f"delivery failed: {failures[0]}")


def produce(args, records, idempotent):
    conf = base_conf(args)
    conf["enable.idempotence"] = idempotent
    producer = Producer(conf)
    deliver_all(producer, args.topic, records)


def transact(args, aborted, committed):
    conf = base_conf(args)
    conf["enable.idempotence"] = True
    conf["transactional.id"] = f"{args.peer_name}-{args.topic}"
    conf["transaction.timeout.ms"] = 30000
    producer = Producer(conf)
    producer.init_transactions(30)
    producer.begin_transaction()
    deliver_all(producer, args.topic, aborted)
    producer.abort_transaction(30)
    producer.begin_transaction()
    deliver_all(producer, args.topic, committed)
    producer.commit_transaction(30)


def partitions_of(consumer, topic, deadline):
    while time.monotonic() < deadline:
        md = consumer.list_topics(topic, timeout=5)
        t = md.topics.get(topic)
        if t is not None and t.error is None and t.partitions:
            return sorted(t.partitions.keys())
        time.sleep(0.2)
    raise PeerError(f"topic {topic} not found")


def consume(args, deadline, expected):
    # confluent-kafka 1.x refuses a consumer without group.id; partitions are still assigned by hand,
    # so the group is never joined and no offsets are committed.
    consumer = Consumer({
        "bootstrap.servers": args.bootstrap,
        "group.id": f"{args.peer_name}-{args.topic}",
        "isolation.level": "read_committed",
        "enable.auto.commit": False,
        "enable.partition.eof": True,
        "auto.offset.reset": "earliest",
    })
    seen = []
    try:
        parts = partitions_of(consumer, args.topic, deadline)
        consumer.assign([TopicPartition(args.topic, p, confluent_kafka.OFFSET_BEGINNING) for p in parts])
        # Under read_committed, partition EOF is reported at the last stable offset. Right after a commit that can
        # still precede the committed records (Kafka's coordinator answers EndTxn before it writes the markers), so
        # the reader also waits for the records it expects; more than that is still seen, before the EOF.
        at_eof = set()
        while len(at_eof) < len(parts) or len(seen) < expected:
            if time.monotonic() > deadline:
                raise PeerError(f"timed out consuming; read {len(seen)} records")
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            err = msg.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF:
                    at_eof.add(msg.partition())
                    continue
                raise KafkaException(err)
            at_eof.discard(msg.partition())
            seen.append(msg.value().decode("utf-8") if msg.value() is not None else None)
    finally:
        consumer.close()
    return seen


def verify(seen, expected, wanted):
    unique = set()
    for v in seen:
        if v is None:
            return "a record with a null value"
        if "-abort-" in v:
            return f"read an aborted record: {v}"
        if v in unique:
            return f"duplicate record: {v}"
        unique.add(v)
    if len(seen) != expected:
        return f"expected {expected} records, read {len(seen)}"
    if wanted is not None and wanted != seen:
        return "records out of order or unexpected"
    return None


def run(args, summary):
    deadline = time.monotonic() + args.timeout_ms / 1000
    peer, n = args.peer_name, args.count
    idempotent = args.mode == "all" or (args.mode == "produce" and args.idempotence == "true")
    summary["idempotent"] = idempotent
    summary["transactions"] = args.mode == "all"
    if args.mode != "consume":
        create_topic(args)
        records = values(peer, "idem" if idempotent else "plain", n)
        produce(args, records, idempotent)
        summary["produced"] = n
    if args.mode == "all":
        transact(args, values(peer, "abort", n), values(peer, "commit", n))
        summary["aborted"] = n
        summary["committed"] = n
    if args.mode != "produce":
        expected = 2 * n if args.mode == "all" else n
        seen = consume(args, deadline, expected)
        summary["consumed"] = len(seen)
        summary["expected"] = expected
        wanted = values(peer, "idem", n) + values(peer, "commit", n) if args.mode == "all" else None
        problem = verify(seen, expected, wanted)
        if problem:
            raise PeerError(problem)


def version_of(v):
    # 1.x answers (string, int); later releases may answer the string alone.
    return v[0] if isinstance(v, tuple) else v


def main(argv):
    started = time.monotonic()
    summary = {"peer": "python"}
    status = 0
    try:
        args = parse_args(argv)
        summary.update(peer=args.peer_name, mode=args.mode, topic=args.topic)
        run(args, summary)
        summary["ok"] = True
    except SystemExit:
        raise
    except Exception as e:  # noqa: BLE001 - every failure becomes the summary's error
        summary["ok"] = False
        summary["error"] = f"{type(e).__name__}: {e}"
        status = 1
    summary["client"] = f"confluent-kafka {version_of(confluent_kafka.version())} librdkafka {version_of(confluent_kafka.libversion())}"
    summary["elapsedMs"] = round((time.monotonic() - started) * 1000)
    print(json.dumps(summary), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
