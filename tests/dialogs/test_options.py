"""Option lists as configuration: the form offers what the operator's files say, defaults are marked."""

from __future__ import annotations

import json

import pytest

from dialogs import options
from dialogs.form import BY_KEY
from tests.scripts import ELIGIBILITY, FORM


@pytest.fixture
def restore_defaults():
    yield
    options.install(options.load())


def upto(step: str) -> list:
    i = next(n for n, (_, v) in enumerate(FORM) if isinstance(v, str) and v.startswith(step + "|"))
    return ELIGIBILITY + FORM[:i]


def test_hukou_type_offers_no_abolished_agricultural_labels(chat):
    chat.run(upto("f_hukou_type"))
    assert chat.state == "f_hukou_type"
    assert chat.labels[:2] == ["本省城镇户籍", "本省农村户籍"]
    assert not any("农业" in label for label in chat.labels)


def test_pension_place_offers_the_same_places_as_medical_area(chat):
    chat.run(upto("f_medical_area"))
    medical = [b for b in chat.labels if b not in ("⬅️ 返回", "跳过")]
    chat.run(upto("f_pension_place")[len(upto("f_medical_area")) :])
    assert chat.state == "f_pension_place"
    pension = [b for b in chat.labels if b not in ("⬅️ 返回", "跳过")]
    assert medical == pension
    assert {"定州市（省直管）", "辛集市（省直管）", "雄安新区", "由经办机构确定"} <= set(pension)


def test_archive_agency_lists_county_level_agencies_found_by_typing(chat):
    chat.run(upto("f_archive_agency_code"))
    # 市级 buttons, plus 定州, 辛集 and 雄安; county-level ones (办理层级：市级、县级) by typing
    assert {
        "定州市公共就业和人才服务中心",
        "辛集市公共就业和人才服务中心",
        "雄安新区公共就业和人才服务中心",
        "由经办机构确定",
    } <= set(chat.labels)
    chat.send("text", "正定")
    assert chat.session.answers["archive_agency_code"] == "130123"
    assert chat.session.answers["archive_agency"] == "石家庄市正定县公共就业和人才服务中心"


def test_pension_grade_hint_states_no_range_the_seed_does_not_give(chat):
    chat.run(upto("f_pension_grade"))
    assert "60%–300%" not in chat.text and "以经办机构公布为准" in chat.text
    assert "由经办机构确定" in chat.labels


def test_operator_list_replaces_the_default(chat, tmp_path, restore_defaults):
    (tmp_path / "hukou_type.json").write_text(
        json.dumps(
            {
                "key": "hukou_type",
                "title": "户口性质",
                "default": False,
                "source": "河北省人社厅字典（测试）",
                "options": [{"code": "1", "name": "城镇"}, {"code": "2", "name": "农村"}],
            },
            ensure_ascii=False,
        ),
        "utf-8",
    )
    defaults = options.install(options.load(tmp_path))
    assert "hukou_type" not in defaults and "archive_agency" in defaults
    assert not BY_KEY["hukou_type"].configured_default and BY_KEY["archive_agency_code"].configured_default
    chat.run(upto("f_hukou_type"))
    assert chat.labels[:2] == ["城镇", "农村"]
    chat.send("choose", "f_hukou_type|2")
    assert chat.session.answers["hukou_type"] == "2"


@pytest.mark.parametrize(
    ("body", "fault"),
    [
        (
            {
                "key": "archive_agency",
                "title": "t",
                "default": False,
                "source": "s",
                "options": [{"code": "A1", "name": "某中心"}],
            },
            "由经办机构确定",
        ),
        (
            {
                "key": "hukou_type",
                "title": "t",
                "default": False,
                "source": "s",
                "options": [{"code": "1", "name": "城镇"}, {"code": "1", "name": "农村"}],
            },
            "重复",
        ),
        ({"key": "hukou_type", "title": "t", "default": False, "source": "s", "options": []}, "options"),
        (
            {
                "key": "hukou_type",
                "title": "t",
                "default": False,
                "source": "s",
                "options": [{"code": "a|b", "name": "x"}],
            },
            "code",
        ),
    ],
)
def test_malformed_operator_list_is_refused_at_start_naming_the_file(tmp_path, body, fault):
    (tmp_path / f"{body['key']}.json").write_text(json.dumps(body, ensure_ascii=False), "utf-8")
    with pytest.raises(options.OptionsError) as e:
        options.load(tmp_path)
    assert f"{body['key']}.json" in str(e.value) and fault in str(e.value)


def test_every_shipped_default_names_its_source_and_is_marked():
    for key, found in options.load().items():
        assert found.default and found.source, key
