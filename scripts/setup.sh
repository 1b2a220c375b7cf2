#!/usr/bin/env bash
# Sets up everything the assistant needs on a fresh machine: a virtualenv with the pinned
# packages and (where the machine allows) a Chinese font for the form PDFs. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "Python 3.11 or newer is required (found: $("$PY" --version 2>&1))." >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
extras=${1:-}
stamp=".venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)${extras:+-$extras}"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".${extras:+[$extras]}"
  touch "$stamp"
fi
# The form PDF embeds Noto Sans CJK (it has rare name characters such as 𫖮). Install it where
# we may; otherwise the PDF falls back to another CJK font, or says how to install one.
if ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    font_log=$(mktemp)
    step="apt-get update"
    if apt-get update -qq >"$font_log" 2>&1 && step="apt-get install fonts-noto-cjk poppler-utils" \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk poppler-utils >"$font_log" 2>&1; then
      :
    else
      {
        echo "note: could not install fonts-noto-cjk: '$step' failed; its last lines:"
        tail -n 15 "$font_log" | sed 's/^/    /'
        echo "set CJK_FONT_PATH to a CJK font, or install fonts-noto-cjk by hand"
      } >&2
    fi
    rm -f "$font_log"
  else
    echo "note: install the Noto Sans CJK font (Debian: fonts-noto-cjk) or set CJK_FONT_PATH" >&2
  fi
fi
# The form PDFs draw from a cached subset of the CJK face (dispatch/fontcache.py): build it now,
# once per machine (~7 s of CPU a face), so that no first delivery pays for it.
.venv/bin/python -m dispatch.fontcache 2>/dev/null || echo "note: the CJK font cache was not built; the first form PDF builds it" >&2
