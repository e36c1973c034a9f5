"""Consumer throughput on librdkafka (confluent-kafka-python), for bench/consumer.bench.ts.

  consumer_perf.py --bootstrap H:P --topic T --records N [--check-crcs]

Reads T from the beginning (a fresh group, read_uncommitted, no commits) until N records arrived, with
consume() in batches of 1000. Timed from the first record to the last, like the other clients in the bench.
--check-crcs turns on librdkafka's check.crcs (off by default there; the Java consumer's check.crcs is on by
default): the same work per batch as a consumer that verifies every batch's CRC-32C.
Prints exactly one JSON line {"records", "bytes", "seconds", "cpuSeconds"}; cpuSeconds is the whole process's
(librdkafka's threads included) CPU time over the same span.
"""

import argparse
import json
import os
import sys
import time

from confluent_kafka import Consumer


def main(argv):
    p = argparse.ArgumentParser()
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--topic", required=True)
    p.add_argument("--records", required=True, type=int)
    p.add_argument("--check-crcs", action="store_true")
    args = p.parse_args(argv)
    consumer = Consumer({
        "bootstrap.servers": args.bootstrap,
        "group.id": "bench-librdkafka-%d" % os.getpid(),
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "isolation.level": "read_uncommitted",
        "check.crcs": args.check_crcs,
    })
    consumer.subscribe([args.topic])
    count = 0
    total = 0
    first = None
    cpu_first = 0.0
    deadline = time.monotonic() + 300
    while count < args.records and time.monotonic() < deadline:
        for message in consumer.consume(num_messages=1000, timeout=1.0):
            if message.error():
                continue
            if first is None:
                first = time.perf_counter()
                cpu_first = time.process_time()
            value = message.value()
            total += 0 if value is None else len(value)
            count += 1
    seconds = time.perf_counter() - (first or time.perf_counter())
    cpu_seconds = time.process_time() - cpu_first if first is not None else 0.0
    consumer.close()
    print(json.dumps({"records": count, "bytes": total, "seconds": seconds, "cpuSeconds": cpu_seconds}))
    return 0 if count >= args.records else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
