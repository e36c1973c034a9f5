#!/usr/bin/env bash
# Runs Apache Kafka's own producer benchmark (org.apache.kafka.tools.ProducerPerformance from kafka-tools, the
# class behind kafka-producer-perf-test.sh) from the jars that scripts/setup-peers.sh installed. Arguments go
# to it unchanged, e.g.:
#   test/peers/java/producer-perf.sh --topic t --num-records 100000 --record-size 100 --throughput -1 \
#     --producer-props bootstrap.servers=127.0.0.1:9092 acks=all enable.idempotence=true
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
libs=$root/.cache/kafka-4.4.0/libs
[ -d "$libs" ] || { echo "producer-perf: $libs is missing; run bash scripts/setup-peers.sh" >&2; exit 1; }
exec "${JAVA_HOME:+$JAVA_HOME/bin/}java" -Xmx512m -XX:+UseG1GC \
  "-Dlog4j2.configurationFile=$root/test/peers/java/log4j2.properties" \
  -cp "$libs/*" org.apache.kafka.tools.ProducerPerformance "$@"
