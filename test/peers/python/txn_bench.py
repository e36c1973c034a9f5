"""One client process of `npm run bench:transactions` on librdkafka (confluent-kafka-python).

  txn_bench.py <bootstrap> <topic> <transactions> <records> <size> <warmup>

Each transaction: begin_transaction, `records` produce() calls of `size` bytes to partition 0, commit_transaction
(which flushes them). Prints exactly one JSON line with "transactions" and "ms"; exits 1 on any error.
"""

import json
import sys
import time

import confluent_kafka
from confluent_kafka import Producer


def main(argv):
    bootstrap, topic, transactions, records, size, warmup = argv
    transactions, records, size, warmup = int(transactions), int(records), int(size), int(warmup)
    producer = Producer({
        "bootstrap.servers": bootstrap,
        "transactional.id": "bench-librdkafka-" + topic,
    })
    value = b"a" * size
    failures = []

    def on_delivery(err, _msg):
        if err is not None:
            failures.append(str(err))

    def run(count):
        for _ in range(count):
            producer.begin_transaction()
            for i in range(records):
                producer.produce(topic, value=value, key=str(i).encode(), partition=0, on_delivery=on_delivery)
            producer.commit_transaction(60)
            if failures:
                raise RuntimeError(failures[0])

    producer.init_transactions(60)
    run(warmup)
    started = time.perf_counter()
    run(transactions)
    ms = (time.perf_counter() - started) * 1000
    print(json.dumps({"client": "librdkafka", "version": confluent_kafka.libversion()[0], "transactions": transactions, "ms": ms}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
