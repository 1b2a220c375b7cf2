"""The unified form (表2) as data: every field, its section, kind, options and condition (who receives
it: dialogs.departments)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from dialogs import codes, departments
from dialogs import options as configured


class Kind(StrEnum):
    text = "text"
    name = "name"
    choice = "choice"
    date = "date"
    phone = "phone"
    bank_account = "bank_account"
    address = "address"  # province → city → county → detail line
    region = "region"  # province → city → county, within Hebei
    derived = "derived"  # filled by the eligibility check or another answer, never asked


class Condition(BaseModel):
    model_config = ConfigDict(frozen=True)
    field: str
    values: tuple[str, ...]


class FieldSpec(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    key: str
    label: str
    section: str
    kind: Kind
    required: bool = False
    fixed_options: tuple[tuple[str, str], ...] = Field((), alias="options")
    fixed_common: tuple[str, ...] = Field((), alias="common")  # codes shown first; others found by typing
    option_list: str | None = None  # options from the operator's configuration (dialogs.options)
    fixed_hint: str = Field("", alias="hint")
    condition: Condition | None = None
    default: str | None = None  # a proposed answer (code, or "@field" for another answer)
    skip_label: str = "跳过"
    edit_step: str | None = None  # for derived fields: the step that changes them
    with_detail: bool = True  # address: ask a detail line after the county
    nationwide: bool = False  # address: provinces other than Hebei may be picked
    starred: bool = False  # marked * in 表2 though it may be left out (its section is)
    _fixed_labels: dict[str, str] | None = PrivateAttr(default=None)

    @property
    def step(self) -> str:
        return f"f_{self.key}"

    @property
    def options(self) -> tuple[tuple[str, str], ...]:
        return configured.get(self.option_list).pairs if self.option_list else self.fixed_options

    @property
    def labels(self) -> dict[str, str]:
        """code -> label, the same as dict(self.options), built once per list (the caller must not change it)."""
        if self.option_list:
            return configured.get(self.option_list).names
        if self._fixed_labels is None:
            self._fixed_labels = dict(self.fixed_options)
        return self._fixed_labels

    @property
    def common(self) -> tuple[str, ...]:
        return configured.get(self.option_list).shown if self.option_list else self.fixed_common

    @property
    def hint(self) -> str:
        return self.fixed_hint or (configured.get(self.option_list).hint if self.option_list else "")

    @property
    def configured_default(self) -> bool:
        """Its options are the project's shipped defaults, not an official list."""
        return bool(self.option_list) and configured.get(self.option_list).default

    @property
    def departments(self) -> frozenset[str]:
        """Who receives this field: stated per department in dialogs.departments."""
        return departments.receiving_field(self.key)


S_PERSON = "个人基本信息"
S_EMPLOY = "就业登记信息"
S_GROUP = "特定群体登记信息"
S_ARCHIVE = "档案接收和转递申报信息"
S_MEDICAL = "基本医疗保险参保信息"
S_PENSION = "养老保险参保登记信息"
SECTIONS = (S_PERSON, S_EMPLOY, S_GROUP, S_ARCHIVE, S_MEDICAL, S_PENSION)
SECTION_NOTES = {S_GROUP: "办理就业登记不用填写"}

YES_NO = (("1", "是"), ("0", "否"))
REGISTRATION_TYPES = (("register", "登记就业"), ("terminate", "终止就业"))
EMPLOYMENT_TYPES = (
    ("enterprise", "企业吸纳"),
    ("startup", "自主创业（个体工商户、中小微、大型企业）"),
    ("flexible", "灵活就业"),
    ("institution", "单位（机关、事业单位、民办非企业）就业"),
    ("public_welfare", "公益性岗位"),
    ("other", "其他"),
)
PERSON_CATEGORIES = (("graduate", "毕业学年未就业高校学生"), ("veteran_cadre", "自主择业转业干部"), ("other", "其他"))
SEX = (("男", "男"), ("女", "女"))

F = FieldSpec
FIELDS: tuple[FieldSpec, ...] = (
    F(
        key="name",
        label="姓名",
        section=S_PERSON,
        kind=Kind.name,
        required=True,
        hint="请输入与身份证件一致的姓名，例如：张三",
    ),
    F(key="sex", label="性别", section=S_PERSON, kind=Kind.derived, required=True, options=SEX, edit_step="id_number"),
    F(
        key="ethnic",
        label="民族",
        section=S_PERSON,
        kind=Kind.choice,
        required=True,
        options=codes.ETHNIC_GROUPS,
        common=tuple(codes.ETHNIC_COMMON),
        hint="可点选，或输入民族名称（如“满族”或“满”）",
    ),
    F(key="political", label="政治面貌", section=S_PERSON, kind=Kind.choice, options=codes.POLITICAL_STATUS),
    F(
        key="phone",
        label="手机号码",
        section=S_PERSON,
        kind=Kind.phone,
        hint="请输入11位手机号码，例如：13812345678；也可点下方按钮分享本机号码",
    ),
    F(key="id_type", label="证件类型", section=S_PERSON, kind=Kind.derived, required=True, edit_step="id_type"),
    F(key="id_number", label="证件号码", section=S_PERSON, kind=Kind.derived, required=True, edit_step="id_number"),
    F(key="hukou_type", label="户口性质", section=S_PERSON, kind=Kind.choice, required=True, option_list="hukou_type"),
    F(key="hukou_address", label="户籍地址", section=S_PERSON, kind=Kind.address, required=True, nationwide=True),
    F(key="home_address", label="常住地址", section=S_PERSON, kind=Kind.address, required=True, nationwide=True),
    F(
        key="employed_on",
        label="就业时间",
        section=S_EMPLOY,
        kind=Kind.date,
        required=True,
        hint="例如：2026-03-01、2026年3月1日、20260301 或“今天”",
    ),
    F(
        key="registration_type",
        label="登记类型",
        section=S_EMPLOY,
        kind=Kind.choice,
        required=True,
        options=REGISTRATION_TYPES,
    ),
    F(key="birth_month", label="出生年月", section=S_EMPLOY, kind=Kind.derived, edit_step="id_number"),
    F(key="education", label="文化程度", section=S_EMPLOY, kind=Kind.choice, options=codes.EDUCATION),
    F(
        key="employment_type",
        label="就业类型",
        section=S_EMPLOY,
        kind=Kind.choice,
        required=True,
        options=EMPLOYMENT_TYPES,
        default="flexible",
    ),
    F(
        key="employer",
        label="就业单位",
        section=S_EMPLOY,
        kind=Kind.text,
        hint="如有就业单位请填写名称；灵活就业没有单位可跳过",
    ),
    F(key="work_place", label="就业地点", section=S_EMPLOY, kind=Kind.region, required=True, with_detail=False),
    F(
        key="person_category",
        label="人员类别",
        section=S_GROUP,
        kind=Kind.choice,
        options=PERSON_CATEGORIES,
        skip_label="本部分不填写（办理就业登记不用填写）",
        starred=True,
    ),
    F(
        key="archive_agency_code",
        label="转入机构编号",
        section=S_ARCHIVE,
        kind=Kind.choice,
        required=True,
        option_list="archive_agency",
    ),
    F(
        key="archive_agency",
        label="档案转入机构",
        section=S_ARCHIVE,
        kind=Kind.derived,
        edit_step="f_archive_agency_code",
    ),
    F(key="medical_area", label="医保参保区划", section=S_MEDICAL, kind=Kind.choice, option_list="insured_place"),
    F(key="bank_name", label="开户行名称", section=S_MEDICAL, kind=Kind.text, hint="例如：中国工商银行石家庄长安支行"),
    F(key="bank_holder", label="银行户名", section=S_MEDICAL, kind=Kind.name, default="@name"),
    F(
        key="bank_account",
        label="银行账号",
        section=S_MEDICAL,
        kind=Kind.bank_account,
        hint="请输入12–19位银行卡号，可带空格",
    ),
    F(key="personal_status", label="个人身份", section=S_PENSION, kind=Kind.choice, option_list="personal_status"),
    F(key="pension_place", label="养老保险参保地", section=S_PENSION, kind=Kind.choice, option_list="insured_place"),
    F(
        key="pension_start",
        label="养老保险申请参保时间",
        section=S_PENSION,
        kind=Kind.date,
        hint="例如：2026-12-01 或“今天”",
    ),
    F(
        key="pension_grade",
        label="养老保险缴费基数或档次",
        section=S_PENSION,
        kind=Kind.choice,
        option_list="pension_grade",
    ),
    F(key="has_si_card", label="是否有社会保障卡", section=S_PENSION, kind=Kind.choice, options=YES_NO),
    F(key="si_agent", label="是否委托社保代理", section=S_PENSION, kind=Kind.choice, options=YES_NO),
    F(
        key="si_agent_name",
        label="社保代理名称",
        section=S_PENSION,
        kind=Kind.text,
        condition=Condition(field="si_agent", values=("1",)),
    ),
)

BY_KEY = {f.key: f for f in FIELDS}
BY_STEP = {f.step: f for f in FIELDS}
ASKED = tuple(f for f in FIELDS if f.kind != Kind.derived)
FORM_STEPS = tuple(f.step for f in ASKED)


def option_label(spec: FieldSpec, code: str) -> str:
    return spec.labels.get(code, code)


def applies(spec: FieldSpec, answers: dict) -> bool:
    c = spec.condition
    return c is None or str(answers.get(c.field)) in c.values


def fields_for(department: str) -> tuple[FieldSpec, ...]:
    return tuple(f for f in FIELDS if department in f.departments)
