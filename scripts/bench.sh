#!/usr/bin/env bash
# One command: set up (the test extras carry psutil), then run every benchmark and write
# bench/RESULTS.md. Flags go to bench/run.py (--quick, --only updates,memory, --applicants N, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
exec .venv/bin/python bench/run.py "$@"
