#!/usr/bin/env bash
# One command: set up, migrate and run the assistant (Telegram with BOT_TOKEN, else the terminal).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m bot run "$@"
