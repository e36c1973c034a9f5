# Drives python3-confluent-kafka (librdkafka) for test/golden/capture.ts. Run by capture.ts only.
#   python-client.py version
#   python-client.py produce BOOTSTRAP TOPIC CODEC RECORD...
#   python-client.py consume BOOTSTRAP COUNT TOPIC...
# A RECORD is `key:value:headers`, each part base64 and `~` for null; headers are `name.value` pairs joined by `,`.
# Prints one JSON line on stdout; exits 1 on any error.
import base64
import json
import sys
import time

import confluent_kafka
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition


def unpack(part):
    return None if part == "~" else base64.b64decode(part)


def parse_record(arg):
    key, value, headers = arg.split(":")
    pairs = []
    for pair in filter(None, headers.split(",")):
        name, header_value = pair.split(".")
        pairs.append((unpack(name).decode("utf-8"), unpack(header_value)))
    return unpack(key), unpack(value), pairs


def produce(bootstrap, topic, codec, records):
    failures = []

    def delivered(error, _message):
        if error is not None:
            failures.append(str(error))

    # Idempotence stays off (the librdkafka default) and linger lets every record share one batch.
    producer = Producer({
        "bootstrap.servers": bootstrap,
        "client.id": "golden-python",
        "compression.type": codec,
        "enable.idempotence": False,
        "acks": "all",
        "linger.ms": 200,
    })
    for arg in records:
        key, value, headers = parse_record(arg)
        producer.produce(topic, value=value, key=key, headers=headers, partition=0, on_delivery=delivered)
    remaining = producer.flush(30)
    if remaining or failures:
        raise RuntimeError(f"{remaining} undelivered, failures {failures}")
    return {"produced": len(records)}


def consume(bootstrap, count, topics):
    # No group: the partitions are assigned by hand, so no group coordinator is needed.
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "client.id": "golden-python",
        "group.id": "golden-python-unused",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "fetch.wait.max.ms": 100,
    })
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING) for topic in topics])
    seen = 0
    deadline = time.time() + 30
    try:
        while seen < count:
            if time.time() > deadline:
                raise RuntimeError(f"consumed {seen} of {count}")
            message = consumer.poll(0.2)
            if message is None:
                continue
            if message.error() is not None:
                if message.error().code() == confluent_kafka.KafkaError._PARTITION_EOF:
                    continue
                raise KafkaException(message.error())
            seen += 1
    finally:
        consumer.close()
    return {"consumed": seen}


def main(argv):
    command = argv[0]
    if command == "version":
        result = {"client": confluent_kafka.version()[0], "librdkafka": confluent_kafka.libversion()[0]}
    elif command == "produce":
        result = produce(argv[1], argv[2], argv[3], argv[4:])
    elif command == "consume":
        result = consume(argv[1], int(argv[2]), argv[3:])
    else:
        raise ValueError(f"unknown command {command}")
    print(json.dumps(result))


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except Exception as error:  # noqa: BLE001 - any failure must fail the capture
        print(json.dumps({"error": str(error)}))
        sys.exit(1)
