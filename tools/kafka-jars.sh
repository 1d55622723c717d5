#!/usr/bin/env bash
# Placeholder: resolves the Kafka broker's jars (filled in by the broker work).
echo "kafka-jars: not yet implemented" >&2
