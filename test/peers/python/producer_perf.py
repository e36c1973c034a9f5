"""Producer throughput and ack latency on librdkafka (confluent-kafka-python), for bench/producer.bench.ts.

  producer_perf.py --bootstrap H:P --topic T --records N --value-bytes B --partitions P [--window W]

Idempotent, acks=all, librdkafka's defaults otherwise (linger.ms 5). Record i goes to partition i % P; at most
W records are awaiting their delivery report at any time (the same driver shape as the Node clients in the
bench). Latency is produce() to delivery report; cpuSeconds is the whole process's (librdkafka's threads included)
CPU time in the timed part. Prints exactly one JSON line; exits 1 if any record failed.
"""

import argparse
import json
import sys
import time

import confluent_kafka
from confluent_kafka import Producer


def percentile(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1, int(p / 100 * len(sorted_values)))]


def main(argv):
    p = argparse.ArgumentParser()
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--topic", required=True)
    p.add_argument("--records", required=True, type=int)
    p.add_argument("--value-bytes", required=True, type=int)
    p.add_argument("--partitions", required=True, type=int)
    p.add_argument("--window", default=2000, type=int)
    args = p.parse_args(argv)

    producer = Producer({
        "bootstrap.servers": args.bootstrap,
        "enable.idempotence": True,
        "acks": "all",
        "message.timeout.ms": 60000,
    })
    value = b"a" * args.value_bytes
    latencies = [0.0] * args.records
    failures = []
    state = {"outstanding": 0}

    def on_delivery(i, t0):
        def callback(err, _msg):
            state["outstanding"] -= 1
            latencies[i] = (time.perf_counter() - t0) * 1000
            if err is not None:
                failures.append(str(err))
        return callback

    # One record first: connection, metadata and InitProducerId are not part of the measurement.
    producer.produce(args.topic, value=value, partition=0)
    if producer.flush(30) != 0:
        raise RuntimeError("the warm-up record was not delivered within 30 s")

    start = time.perf_counter()
    cpu_start = time.process_time()
    for i in range(args.records):
        while state["outstanding"] >= args.window:
            producer.poll(0.001)
        state["outstanding"] += 1
        while True:
            try:
                producer.produce(args.topic, value=value, partition=i % args.partitions, on_delivery=on_delivery(i, time.perf_counter()))
                break
            except BufferError:
                producer.poll(0.001)
        producer.poll(0)
    remaining = producer.flush(120)
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    if remaining != 0 or failures:
        print(json.dumps({"ok": False, "undelivered": remaining, "failures": failures[:5], "failed": len(failures)}))
        return 1
    ordered = sorted(latencies)
    print(json.dumps({
        "ok": True,
        "library": f"librdkafka {confluent_kafka.libversion()[0]} via confluent-kafka {confluent_kafka.version()[0]}",
        "records": args.records,
        "seconds": seconds,
        "recordsPerSec": args.records / seconds,
        "mbPerSec": args.records * args.value_bytes / seconds / 1e6,
        "p50Ms": percentile(ordered, 50),
        "p99Ms": percentile(ordered, 99),
        "cpuSeconds": cpu_seconds,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
