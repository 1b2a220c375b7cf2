"""Form-field steps generated from the schema: how each kind of field is asked and parsed."""

from __future__ import annotations

from datetime import date, timedelta

from dialogs import codes, divisions
from dialogs.addresses import parse_address_detail
from dialogs.doubts import doubt
from dialogs.errors import InputError
from dialogs.form import ASKED, BY_KEY, FieldSpec, Kind, applies, option_label
from dialogs.masks import mask_account, mask_number
from dialogs.model import Reply, Session, UserInput
from dialogs.steps import Again, BaseStep, Done, Stay, btn, nav, rows, typed_choice
from dialogs.values import (
    parse_bank_account,
    parse_date,
    parse_free_text,
    parse_name,
    parse_phone,
)

HEBEI = "130000"
MORE = "more"


def form_progress(s: Session, step: str | None = None) -> tuple[int, int, int]:
    """(answered or skipped, questions that apply, position of `step` among them): the one count
    both the questions ("第x/n项") and /status use."""
    asked = [f for f in ASKED if applies(f, s.answers)]
    done = sum(1 for f in asked if s.answers.get(f.key) not in (None, "") or f.key in s.meta.skipped)
    steps = [f.step for f in asked]
    position = steps.index(step) + 1 if step in steps else 0
    return done, len(asked), position


def resolve_default(spec: FieldSpec, s: Session) -> str | None:
    if spec.default and spec.default.startswith("@"):
        return s.answers.get(spec.default[1:])
    return spec.default


class FieldStep(BaseStep):
    def __init__(self, spec: FieldSpec):
        self.spec = spec
        self.name = spec.step

    def optional(self, s):
        return not self.spec.required

    def applies(self, s):
        return applies(self.spec, s.answers)

    def progress(self, s: Session) -> str:
        """Counted like /status counts: the form's questions that apply to this applicant."""
        done, total, position = form_progress(s, self.name)
        return f"【{self.spec.section}】第{position}/{total}项"

    def question(self, s: Session) -> str:
        star = "*" if self.spec.required else "（选填）"
        text = f"{self.progress(s)}\n请填写：{self.spec.label}{star}"
        if self.spec.hint:
            text += f"\n{self.spec.hint}"
        current = s.answers.get(self.spec.key)
        if current not in (None, ""):
            text += f"\n当前已填：{shown_value(self.spec, current)}"
        return text

    def nav(self, s):
        """返回 (and 跳过 for an optional field); 保持不变 when the field already has an answer."""
        keep = [[btn(self.name, "keep", "保持不变")]] if s.answers.get(self.spec.key) not in (None, "") else []
        return [*keep, *nav(self.name, skip=None if self.spec.required else self.spec.skip_label)]

    def level_up(self, s: Session) -> dict | None:
        """返回 inside an address: the picking one level up (county → city → province), or None at
        its first level, where 返回 goes to the previous question."""
        if self.spec.kind not in (Kind.address, Kind.region):
            return None
        part = self._level(s)
        if "county" in part:
            return {k: v for k, v in part.items() if k != "county"}
        province = part.get("province")
        if "city" in part and len(divisions.cities(province)) > 1:
            return {k: v for k, v in part.items() if k != "city"}
        if not self.spec.nationwide or province is None:
            return None
        if province in (HEBEI, MORE):
            return {"step": self.name}
        return {"step": self.name, "province": MORE}

    # Text-like kinds
    def prompt(self, s, inp):
        kind = self.spec.kind
        if kind == Kind.choice:
            return self.prompt_choice(s)
        if kind in (Kind.address, Kind.region):
            return self.prompt_region(s)
        buttons = []
        default = resolve_default(self.spec, s)
        if default:
            buttons.append([btn(self.name, "default", f"使用“{default}”")])
        return [Reply(text=self.question(s), buttons=[*buttons, *self.nav(s)], request_contact=kind == Kind.phone)]

    def accept(self, s, inp):
        kind = self.spec.kind
        current = s.answers.get(self.spec.key)
        if self.choice_value(inp) == "keep" and current not in (None, ""):
            return Done(values={self.spec.key: current}, meta={"partial": None, "pending_value": None})
        if kind == Kind.choice:
            return self.accept_choice(s, inp)
        if kind in (Kind.address, Kind.region):
            return self.accept_region(s, inp)
        if kind == Kind.phone and inp.kind == "contact":
            raw = inp.text
        elif self.choice_value(inp) == "default" and resolve_default(self.spec, s):
            raw = resolve_default(self.spec, s)
        elif self.choice_value(inp) in ("confirm_doubt", "redo"):
            return self.settle_doubt(s, inp)
        elif self.choice_value(inp) == "confirm" and kind == Kind.bank_account:
            pending = s.meta.pending_account
            if pending:
                return Done(values={self.spec.key: pending}, meta={"pending_account": None})
            return Again("请输入银行账号。")
        elif inp.kind == "text":
            raw = inp.text
        else:
            return Again(f"请直接输入{self.spec.label}。")
        try:
            value = self.parse(s, raw, inp.today)
        except InputError as e:
            return Again(e.message)
        if kind == Kind.bank_account:
            digits, luhn = value
            if not luhn:
                return Stay(
                    meta={"pending_account": digits},
                    replies=[
                        Reply(
                            text=(
                                f"您输入的账号 {mask_account(digits)} 未通过常见的卡号校验规则，"
                                "部分银行的卡号也可能如此。请核对卡面号码：无误请点“确认无误”，否则请重新输入。"
                            ),
                            buttons=[[btn(self.name, "confirm", "确认无误")], *self.nav(s)],
                        )
                    ],
                )
            value = digits
        return self.checked(s, {self.spec.key: value}, inp)

    def parse(self, s: Session, raw: str, today: date):
        kind = self.spec.kind
        if kind == Kind.name:
            return parse_name(raw)
        if kind == Kind.phone:
            return parse_phone(raw)
        if kind == Kind.bank_account:
            return parse_bank_account(raw)
        if kind == Kind.date:
            return check_date(self.spec, s, parse_date(raw, today), today).isoformat()
        return parse_free_text(raw, 100)

    # Choices
    def prompt_choice(self, s):
        spec = self.spec
        shown = list(spec.common) if spec.common else [c for c, _ in spec.options]
        buttons = [btn(self.name, c, option_label(spec, c)) for c in shown]
        per_row = 1 if max(len(b.label) for b in buttons) > 10 else 2 if len(buttons) < 9 else 3
        extra = [[btn(self.name, MORE, "其他（输入名称查找）")]] if spec.common else []
        default = resolve_default(spec, s)
        text = self.question(s)
        if default and not s.answers.get(spec.key):
            text += f"\n默认：{option_label(spec, default)}（可直接点选其他项修改）"
        return [Reply(text=text, buttons=[*rows(buttons, per_row), *extra, *self.nav(s)])]

    def accept_choice(self, s, inp):
        spec = self.spec
        value = self.choice_value(inp)
        options = spec.labels  # read only
        if value == MORE:
            return Stay(
                [Reply(text=f"请输入{spec.label}名称或其中的字，例如：{_examples(spec)}。", buttons=self.nav(s))]
            )
        if value in ("confirm_doubt", "redo"):
            return self.settle_doubt(s, inp)
        if value in options:
            return self.checked(s, self.derive({spec.key: value}), inp)
        if inp.kind == "text":
            typed = inp.text.strip()
            matches = (
                codes.find_ethnic(typed)
                if spec.key == "ethnic"
                else [(c, n) for c, n in spec.options if typed and (typed == n or typed in n)]
            )
            exact = [c for c, n in matches if n == typed or n.removesuffix("族") == typed]
            if len(matches) == 1 or len(exact) == 1:
                code = exact[0] if len(exact) == 1 else matches[0][0]
                return self.checked(s, self.derive({spec.key: code}), inp)
            if matches:
                buttons = [btn(self.name, c, n) for c, n in matches[:12]]
                return Stay([Reply(text=f"找到以下{spec.label}，请点选：", buttons=[*rows(buttons, 3), *self.nav(s)])])
            return Again(f"没有找到“{typed[:20]}”。请点击按钮选择{spec.label}，或换个写法再输入。")
        return Again(f"请点击下方按钮选择{spec.label}。")

    # Doubtful answers (dialogs.doubts): kept aside until confirmed
    def checked(self, s: Session, values: dict, inp: UserInput):
        question = doubt(self.spec.key, values[self.spec.key], s.answers, inp.today)
        if question is None:
            return Done(values=values)
        shown = display_value(self.spec, values[self.spec.key])
        return Stay(
            [
                Reply(
                    text=f"{question}\n\n{self.spec.label}：{shown}\n请确认：无误请点“确认无误”，否则请点“重新填写”。",
                    buttons=[
                        [btn(self.name, "confirm_doubt", "确认无误"), btn(self.name, "redo", "重新填写")],
                        *self.nav(s),
                    ],
                )
            ],
            meta={"pending_value": {"step": self.name, "values": values}},
        )

    def settle_doubt(self, s: Session, inp: UserInput):
        pending = s.meta.pending_value or {}
        if self.choice_value(inp) == "confirm_doubt" and pending.get("step") == self.name:
            return Done(values=dict(pending["values"]), meta={"pending_value": None})
        return Stay(None, meta={"pending_value": None})

    def derive(self, values: dict) -> dict:
        if self.spec.key == "archive_agency_code":
            code = values[self.spec.key]
            values["archive_agency"] = option_label(self.spec, code)
        return values

    # Addresses: province → city → county (→ detail line)
    def prompt_region(self, s):
        part = self._level(s)
        spec = self.spec
        if "province" not in part and spec.nationwide:
            buttons = [btn(self.name, "p:" + HEBEI, "河北省"), btn(self.name, "p:" + MORE, "其他省份")]
            return [Reply(text=self.question(s) + "\n请选择省份：", buttons=[buttons, *self.nav(s)])]
        if part.get("province") == MORE:
            buttons = [btn(self.name, "p:" + r.code, r.name) for r in divisions.provinces() if r.code != HEBEI]
            return [
                Reply(text=f"{spec.label}：请选择省（自治区、直辖市）：", buttons=[*rows(buttons, 3), *self.nav(s)])
            ]
        if "city" not in part:
            buttons = [btn(self.name, "c:" + r.code, r.name) for r in divisions.cities(part["province"])]
            if buttons:
                head = self.question(s) + "\n" if not spec.nationwide else ""
                return [
                    Reply(
                        text=f"{head}{spec.label}：{_path(part)} 请选择市：", buttons=[*rows(buttons, 3), *self.nav(s)]
                    )
                ]
        if "county" not in part and divisions.counties(part["city"]):
            buttons = [btn(self.name, "x:" + r.code, r.name) for r in divisions.counties(part["city"])]
            return [
                Reply(
                    text=f"{spec.label}：{_path(part)} 请选择县（市、区）：", buttons=[*rows(buttons, 3), *self.nav(s)]
                )
            ]
        return [
            Reply(
                text=f"{spec.label}：{_path(part)}\n请输入详细地址（街道、门牌号等），例如：建设北大街12号3单元501",
                buttons=self.nav(s),
            )
        ]

    def _level(self, s) -> dict[str, str]:
        """Where the applicant is in picking this address (a copy: prompts do not write state)."""
        part = dict(s.meta.partial or {})
        if part.get("step") != self.name:
            part = {"step": self.name}
            if not self.spec.nationwide:
                part["province"] = HEBEI
        if part.get("province") not in (None, MORE) and "city" not in part:
            found = divisions.cities(part["province"])
            if len(found) <= 1:  # a municipality's one city level, or none (香港, 澳门, 台湾)
                part["city"] = found[0].code if found else part["province"]
        return part

    def accept_region(self, s, inp):
        part = self._level(s)
        value = self.choice_value(inp) or ""
        level, _, code = value.partition(":")
        if level == "p" and (code == MORE or divisions.lookup(code)):
            part = {"step": self.name, "province": code}
        elif level == "c" and divisions.lookup(code):
            part["city"] = code
            part.pop("county", None)
        elif level == "x" and divisions.lookup(code):
            part["county"] = code
        elif inp.kind == "text" and not self._levels_done(part) and self._typed_level(part, inp.text):
            return self.accept_region(
                s,
                inp.model_copy(
                    update={"kind": "choose", "payload": f"{self.name}|{self._typed_level(part, inp.text)}"}
                ),
            )
        elif inp.kind == "text" and self._needs_detail(part):
            try:
                detail = parse_address_detail(inp.text)
            except InputError as e:
                return Again(e.message)
            return self._finish(s, part, detail)
        else:
            return Again("请点击按钮逐级选择地区。")
        if self._complete_without_detail(part):
            return self._finish(s, part, None)
        return Stay(None, meta={"partial": part})

    def _typed_level(self, part, text: str) -> str | None:
        """A typed name at the level being asked, as that level's button value (p:/c:/x:code)."""
        if "province" not in part or part.get("province") == MORE:
            options = [(r.code, r.name) for r in divisions.provinces()]
            level = "p"
        elif "city" not in part:
            options, level = [(r.code, r.name) for r in divisions.cities(part["province"])], "c"
        else:
            options, level = [(r.code, r.name) for r in divisions.counties(part["city"])], "x"
        code = typed_choice(text, options)
        return f"{level}:{code}" if code else None

    def expects_choice(self, s):
        if self.spec.kind == Kind.choice:
            return True
        return self.spec.kind in (Kind.address, Kind.region) and not self._levels_done(self._level(s))

    def _levels_done(self, part) -> bool:
        if part.get("province") in (None, MORE) or "city" not in part:
            return False
        return "county" in part or not divisions.counties(part["city"])

    def _needs_detail(self, part) -> bool:
        return self.spec.with_detail and self._levels_done(part)

    def _complete_without_detail(self, part) -> bool:
        return not self.spec.with_detail and self._levels_done(part)

    def _finish(self, s, part, detail):
        value = {k: part[k] for k in ("province", "city", "county") if part.get(k)}
        if detail:
            value["detail"] = detail
        return Done(values={self.spec.key: value}, meta={"partial": None})


def _examples(spec: FieldSpec) -> str:
    if spec.key == "ethnic":
        return "满族、蒙古、维吾尔"
    rest = [n for c, n in spec.options if c not in spec.common]
    return "、".join(rest[:2])


def _path(part: dict) -> str:
    """The province, city and county picked so far, as one name (北京市朝阳区, 河北省保定市雄县)."""
    return divisions.full_name(*(part.get(k) for k in ("province", "city", "county") if part.get(k) != MORE))


def check_date(spec: FieldSpec, s: Session, d: date, today: date) -> date:
    if d > today + timedelta(days=366):
        raise InputError(f"{spec.label}不能晚于一年后，请核对。例如：{today:%Y-%m-%d}")
    birth = s.answers.get("birth")
    if birth:
        b = date.fromisoformat(birth)
        sixteen = date(b.year + 16, b.month, 28 if (b.month, b.day) == (2, 29) else b.day)
        if d < sixteen:
            raise InputError(f"{spec.label}不能早于您年满16周岁的日期（{sixteen:%Y年%m月%d日}），请核对。")
    if d.year < 1950:
        raise InputError(f"{spec.label}的年份不正确，请核对。例如：{today:%Y-%m-%d}")
    return d


def display_value(spec: FieldSpec, value) -> str:
    if value in (None, ""):
        return "未填写"
    if spec.kind in (Kind.address, Kind.region) and isinstance(value, dict):
        return _path(value) + (value.get("detail") or "")
    if spec.options:
        return option_label(spec, str(value))
    return str(value)


def shown_value(spec: FieldSpec, value) -> str:
    """What a chat message may show: phone and bank numbers masked (the full value never echoes)."""
    if spec.kind is Kind.bank_account and value:
        return mask_account(str(value))
    if spec.kind is Kind.phone and value:
        return mask_number(str(value))
    return display_value(spec, value)


FIELD_STEPS = tuple(FieldStep(spec) for spec in ASKED)
__all__ = ["FIELD_STEPS", "FieldStep", "display_value", "BY_KEY"]
