"""The bot process imports what a conversation needs: the PDF stack stays in the intake pool's
processes (upload checks) and in the worker's rendering (packets), imported when first used."""

from __future__ import annotations

import json
import subprocess
import sys

PDF_STACK = ("fontTools", "fpdf", "pypdf", "pikepdf", "PIL")

PROBE = """
import json, sys
from bot.serve import compose_run
from bot.settings import Settings
settings = Settings(_env_file=None, bot_token="42:TEST", data_dir=sys.argv[1], helpdesk_chat_id=-1001,
                    window_chat_id=-1002, embedded_worker=True)
services, bot, dp, *_ = compose_run(settings)
services.worker()  # the embedded worker is built too; it renders (and imports) on its first packet
services.intake.close()
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def loaded_after_compose_run(tmp_path) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path)], capture_output=True, text=True, timeout=120, check=True
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_building_run_imports_no_pdf_or_image_library(tmp_path):
    loaded = loaded_after_compose_run(tmp_path)
    assert "aiogram" in loaded and "sqlalchemy" in loaded  # the probe did build the bot
    assert sorted(set(PDF_STACK) & loaded) == []
