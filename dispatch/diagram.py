"""Regenerates docs/lifecycle.md (the seed's missing 办理流程图) from the state machines."""

from __future__ import annotations

import sys
from pathlib import Path

from dialogs.status import APPLICATION_STATUS, CASE_STATUS
from states.application import mermaid

DOC = Path(__file__).resolve().parent.parent / "docs" / "lifecycle.md"

INTRO = """# 办理流程图 · Case lifecycle

本图补上种子文件“五、线上线下办理流程 （二）办理流程图”缺失的流程图：申请经“一件事一次办”窗口一窗综合受理后，
推送至人社、医保、税务三个部门并联办理；各部门办结或不予办理后汇总为申请的最终结果。

This is the seed's missing 办理流程图: the application's lifecycle at the one window and the
lifecycle of each department's case (run three times in parallel), joined into the final result.
It is generated from the transitions machines in `states/application.py` by
`python -m dispatch.diagram`; do not edit it by hand.

A clerk who finishes, returns or refuses (办结 / 要求补正 / 不予办理) a case nobody has claimed
claims it in the same step: the `claim` transition fires first and is logged as `case_claim`, so a
case always goes delivered → claimed → done (or correction, rejected), and the reply says
"已认领，已办结". A case claimed by someone else is refused.
"""


def render() -> str:
    case_labels = {**CASE_STATUS, "withdrawn": "已撤回"}
    return f"{INTRO}\n```mermaid\n{mermaid(APPLICATION_STATUS, case_labels)}```\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else DOC
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
