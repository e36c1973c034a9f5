"""librdkafka's producer (through confluent-kafka) as a line-driven writer for the exactly-once harness.

The harness (src/testkit/librdkafka-producer.ts) picks every value and partition; this program only hands them to
librdkafka and reports what librdkafka says about each one, so the history records real sends, acks and errors.

  history-producer.py --bootstrap H:P --idempotence true|false [--client-id ID] [--linger-ms MS]
                      [--batch-num-messages N] [--message-timeout-ms MS] [--request-timeout-ms MS]

stdin, one JSON object per line:
  {"id": 7, "topic": "t", "value": "v", "partition": 1}    produce one record (acks=all)
  {"flush": true}                                         flush; answered by {"flushed": remaining}
  end of input                                            flush, print {"closed": remaining}, exit 0
stdout, one JSON object per line:
  {"ready": true, "client": "confluent-kafka 2.x", "librdkafka": "2.x"}           first line
  {"id": 7, "partition": 1, "offset": 42}                                         delivery report: acked
  {"id": 7, "error": {"code": -192, "name": "_MSG_TIMED_OUT", "message": "...",
                      "retriable": false, "fatal": false}}                        delivery report: failed
The producer never retries above the library: a record is produced once; librdkafka's own retries are the
only ones. Exit status 1 on a fatal producer error or a bad input line.
"""

import argparse
import json
import queue
import sys
import threading
import time

import confluent_kafka
from confluent_kafka import Producer


def parse_args(argv):
    p = argparse.ArgumentParser()
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--idempotence", required=True, choices=["true", "false"])
    p.add_argument("--client-id", default="seqlog-verify-librdkafka")
    p.add_argument("--linger-ms", default=1, type=int)
    p.add_argument("--batch-num-messages", default=10000, type=int)
    p.add_argument("--message-timeout-ms", default=120000, type=int)
    p.add_argument("--request-timeout-ms", default=5000, type=int)
    p.add_argument("--flush-timeout-ms", default=180000, type=int)
    return p.parse_args(argv)


def version_of(v):
    # 1.x answers (string, int); later releases may answer the string alone.
    return v[0] if isinstance(v, tuple) else v


class Out:
    """stdout, flushed once per loop turn rather than per line."""

    def __init__(self):
        self.lines = []

    def emit(self, obj):
        self.lines.append(json.dumps(obj, separators=(",", ":")))

    def flush(self):
        if self.lines:
            sys.stdout.write("\n".join(self.lines) + "\n")
            sys.stdout.flush()
            self.lines = []


def read_stdin(lines):
    for line in sys.stdin:
        lines.put(line)
    lines.put(None)


def main(argv):
    args = parse_args(argv)
    out = Out()
    fatal = []

    def on_error(err):
        # Connection resets are reported here too; only a fatal error ends the run.
        if err.fatal():
            fatal.append(str(err))

    conf = {
        "bootstrap.servers": args.bootstrap,
        "client.id": args.client_id,
        "acks": "all",
        "enable.idempotence": args.idempotence == "true",
        "linger.ms": args.linger_ms,
        "batch.num.messages": args.batch_num_messages,
        "message.timeout.ms": args.message_timeout_ms,
        "request.timeout.ms": args.request_timeout_ms,
        "retry.backoff.ms": 20,
        "reconnect.backoff.ms": 10,
        "reconnect.backoff.max.ms": 200,
        "error_cb": on_error,
    }
    producer = Producer(conf)
    out.emit({"ready": True, "client": f"confluent-kafka {version_of(confluent_kafka.version())}", "librdkafka": version_of(confluent_kafka.libversion())})
    out.flush()

    def report(record_id):
        def on_delivery(err, msg):
            if err is None:
                out.emit({"id": record_id, "partition": msg.partition(), "offset": msg.offset()})
            else:
                out.emit({"id": record_id, "error": {"code": err.code(), "name": err.name(), "message": err.str(), "retriable": err.retriable(), "fatal": err.fatal()}})

        return on_delivery

    lines = queue.Queue()
    threading.Thread(target=read_stdin, args=(lines,), daemon=True).start()
    while True:
        if fatal:
            out.flush()
            sys.stderr.write(f"fatal producer error: {fatal[0]}\n")
            return 1
        try:
            line = lines.get(timeout=0.005) if lines.empty() else lines.get_nowait()
        except queue.Empty:
            producer.poll(0)
            out.flush()
            continue
        if line is None:
            remaining = producer.flush(args.flush_timeout_ms / 1000)
            out.emit({"closed": remaining})
            out.flush()
            return 0 if not fatal else 1
        if not line.strip():
            continue
        command = json.loads(line)
        if command.get("flush"):
            remaining = producer.flush(args.flush_timeout_ms / 1000)
            out.emit({"flushed": remaining})
            out.flush()
            continue
        while True:
            try:
                producer.produce(command["topic"], value=command["value"].encode("utf-8"), partition=command["partition"], on_delivery=report(command["id"]))
                break
            except BufferError:
                producer.poll(0.05)
                out.flush()
        producer.poll(0)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
