#!/usr/bin/env bash
# Runs Apache Kafka's own consumer benchmark (org.apache.kafka.tools.ConsumerPerformance, the class behind
# kafka-consumer-perf-test.sh) from the jars that scripts/setup-peers.sh installed. Arguments go to it unchanged:
#   test/peers/java/consumer-perf.sh --bootstrap-server 127.0.0.1:9092 --topic t --messages 100000 --group g
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
libs=$root/.cache/kafka-4.4.0/libs
[ -d "$libs" ] || { echo "consumer-perf: $libs is missing; run bash scripts/setup-peers.sh" >&2; exit 1; }
exec "${JAVA_HOME:+$JAVA_HOME/bin/}java" -Xmx512m -XX:+UseG1GC \
  "-Dlog4j2.configurationFile=$root/test/peers/java/log4j2.properties" \
  -cp "$libs/*" org.apache.kafka.tools.ConsumerPerformance "$@"
