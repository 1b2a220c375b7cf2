#!/usr/bin/env bash
# Lint and format check with the ruff configured in pyproject.toml (pinned in the test extras).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
.venv/bin/ruff check .
.venv/bin/ruff format --check .
