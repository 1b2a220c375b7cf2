"""Option lists an operator configures (data files, validated at start); shipped defaults are marked so."""

from __future__ import annotations

import json
import logging
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

log = logging.getLogger(__name__)

UNDECIDED_NAME = "由经办机构确定"
# key -> whether the list must offer 由经办机构确定 (the applicant cannot be expected to know)
LISTS: dict[str, bool] = {
    "hukou_type": False,
    "personal_status": False,
    "pension_grade": True,
    "archive_agency": True,
    "insured_place": True,  # 医保参保区划 and 养老保险参保地 offer the same places
}
MAX_CODE = 32  # a button payload is "<step>|<code>" within Telegram's 64 bytes


class OptionsError(ValueError):
    """A configured option list is missing or malformed; the message names the file and the fault."""


class Option(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    code: str = Field(min_length=1, max_length=MAX_CODE, pattern=r"^[A-Za-z0-9_.\-]+$")
    name: str = Field(min_length=1, max_length=40)
    first: bool = False  # shown as a button; the others are found by typing


class OptionList(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    key: str
    title: str
    source: str = Field(min_length=1)  # where the list comes from, with its date
    default: bool  # True: the project's shipped default, not an official list
    hint: str = ""  # shown under the question
    options: tuple[Option, ...] = Field(min_length=1)
    _pairs: tuple[tuple[str, str], ...] | None = PrivateAttr(default=None)
    _names: dict[str, str] | None = PrivateAttr(default=None)

    @field_validator("options")
    @classmethod
    def _unique(cls, options: tuple[Option, ...]) -> tuple[Option, ...]:
        for attr in ("code", "name"):
            seen = [getattr(o, attr) for o in options]
            dupes = sorted({v for v in seen if seen.count(v) > 1})
            if dupes:
                raise ValueError(f"重复的{attr}: {', '.join(dupes)}")
        return options

    @model_validator(mode="after")
    def _undecided(self) -> OptionList:
        if LISTS.get(self.key) and not any(o.name == UNDECIDED_NAME for o in self.options):
            raise ValueError(f"必须包含“{UNDECIDED_NAME}”一项")
        return self

    @property
    def pairs(self) -> tuple[tuple[str, str], ...]:
        if self._pairs is None:  # built once: a question's buttons look up every label in it
            self._pairs = tuple((o.code, o.name) for o in self.options)
        return self._pairs

    @property
    def names(self) -> dict[str, str]:
        """code -> name (the caller must not change it)."""
        if self._names is None:
            self._names = dict(self.pairs)
        return self._names

    @property
    def shown(self) -> tuple[str, ...]:
        """Codes offered as buttons: those marked `first`, or all when none is."""
        marked = tuple(o.code for o in self.options if o.first)
        return marked if marked and len(marked) < len(self.options) else ()


def _parse(text: str, origin: str, key: str) -> OptionList:
    try:
        found = OptionList.model_validate(json.loads(text))
    except (ValueError, ValidationError) as e:
        raise OptionsError(f"选项表 {origin} 无效：{e}") from e
    if found.key != key:
        raise OptionsError(f"选项表 {origin} 的 key 应为 {key}，实为 {found.key}")
    return found


def load(directory: Path | None = None) -> dict[str, OptionList]:
    """Every list: `<directory>/<key>.json` when the operator supplies it, else the shipped default."""
    lists = {}
    for key in LISTS:
        path = directory / f"{key}.json" if directory else None
        if path is not None and path.exists():
            lists[key] = _parse(path.read_text(encoding="utf-8"), str(path), key)
        else:
            shipped = resources.files("dialogs").joinpath("data", "options", f"{key}.json")
            lists[key] = _parse(shipped.read_text(encoding="utf-8"), f"dialogs/data/options/{key}.json", key)
    if directory is not None and not directory.is_dir():
        raise OptionsError(f"选项表目录不存在：{directory}")
    return lists


_active: dict[str, OptionList] = {}


def install(lists: dict[str, OptionList]) -> list[str]:
    """Make `lists` the ones the form offers; returns the keys still on shipped defaults."""
    _active.clear()
    _active.update(lists)
    defaults = [k for k, v in lists.items() if v.default]
    if defaults:
        log.info("option lists on shipped defaults (replace via OPTIONS_DIR): %s", ", ".join(defaults))
    return defaults


def get(key: str) -> OptionList:
    if not _active:
        _active.update(load())
    return _active[key]
