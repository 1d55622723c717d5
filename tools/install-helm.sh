#!/usr/bin/env bash
# Placeholder: builds the pinned helm with go install (filled in by the chart work).
echo "install-helm: not yet implemented" >&2
