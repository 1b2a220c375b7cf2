"""docs/ holds the machines' diagrams as generated now; `python -m bot.diagrams --check` says when not."""

from __future__ import annotations

from bot import diagrams


def test_committed_diagrams_are_up_to_date():
    assert diagrams.stale() == [], "a machine changed: run `python -m bot.diagrams` and commit docs/"


def test_check_fails_on_a_stale_or_missing_diagram_and_passes_after_writing(tmp_path, capsys):
    assert diagrams.main(["--check", "--docs", str(tmp_path)]) == 1
    assert diagrams.main(["--docs", str(tmp_path)]) == 0
    assert diagrams.main(["--check", "--docs", str(tmp_path)]) == 0
    doc = tmp_path / "lifecycle.md"
    doc.write_text(doc.read_text(encoding="utf-8").replace(": accept", ": approve"), encoding="utf-8")
    assert diagrams.main(["--check", "--docs", str(tmp_path)]) == 1
    assert f"stale: {doc}" in capsys.readouterr().out


def test_the_docs_do_not_pass_the_lifecycle_off_as_the_seeds_chart():
    text = diagrams.lifecycle()
    assert "They are not the seed's 五（二）办理流程图" in text
    assert "本图补上" not in text


def test_conversation_diagram_covers_every_form_and_material_step():
    from dialogs.form import FORM_STEPS
    from dialogs.materials import MATERIAL_STEPS

    text = diagrams.conversation()
    for step in (*FORM_STEPS, *MATERIAL_STEPS):
        assert f" as {step}\n" in text
    assert 'state "f_name 姓名" as f_name' in text
