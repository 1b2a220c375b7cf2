"""What the notice does not answer (forced hand-off, by topic), and whether typed text is a question.

The notice answers one thing: how to *register* flexible employment (who may, with what, where, how
long, which form fields). A scope model in three parts, each a class of questions the notice has no
answer to, whatever their wording:
- the money and benefits of insurance (amounts, grades, paying and its channels, refunds, claims,
  transfers, retirement), other funds and taxes (公积金, 个税), and other benefits and policies;
- other services and documents (any other certificate, licence or registration; household-register
  affairs; employer disputes), and the service desk itself (phone numbers, hours, progress);
- other places' rules (a place outside Hebei asked about for its own procedure, not an archive).
Each class is named (`topic`), so a hand-off says what it was about and staff see it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from dialogs.faq_text import normalize

_INSURANCE = r"(社保|医保|养老保险?|医疗保险|社会保险|保险费?|保费|养老|社保费|医保费|统筹)"
# what a registration question hands in or fills: "交材料/交表" is the notice's, "交医保" is not
_HANDED_IN = (
    r"(材料|资料|表|申请|证明|介绍信|东西|复印件|原件|身份证|户口|合同|几份|上去|哪些|什么材料|"
    r"啥(?!钱|费)|什么(?!钱|费|档))"
)

_STILL = r"(?!.*(代替|替代|别的|其他|其它|换成|另一个|有一个就行|能办|可以办|能不能办|能登记|影响办))"

# (topic, Chinese label for the hand-off, pattern); the first class that matches names the topic
TOPICS: tuple[tuple[str, str, str], ...] = (
    (
        "pension_benefits",
        "养老金、退休待遇",
        r"养老金|退休金|养老待遇|待遇|领多少|拿多少|能领|领取|领钱|工龄|视同缴费|"
        r"办退休|退休手续|(几|多少)岁退休|什么时候退休|提前退休|可以退休|去世|过世|人死了|死后|丧葬|抚恤|"
        # after retirement: amounts and procedures are not here; "can I still register" is
        # (延迟退休以后 is the reform of the retirement age, which the working-age condition applies)
        r"(?<!延迟)(?<!渐进式延迟)退休(以|之)?后(?!.{0,8}(还能|能不能|可以|还可以|能)(办|登记))(?!.{0,12}(劳动年龄|还算|算不算))",
    ),
    ("housing_fund", "住房公积金", r"公积金"),
    # (申报税务: the 报 of 申报 beside 税务, not 报税)
    ("income_tax", "个人所得税", r"退税|个税|所得税|(?<!申)报税|发票|汇算|交税|纳税|税率|扣税|专项扣除"),
    (
        "contribution_amount",
        "缴费金额、基数和档次",
        r"(交|缴|扣).{0,8}多少(?!份|个|页|张|项|次|天|日|工作日|时间)|(社保|医保|养老).{0,8}多少钱|"
        r"(基数|档次|标准|比例|费率).{0,4}(多少|哪些|最低|最高|怎么选|选哪|是多少|怎么定|怎么算|可以选|区别)|"
        r"(基数|档次|缴费标准|费率).{0,6}(涨|降|调整|调了|变了|变没变)|(最低|最高|最便宜|最少|低|高)的?一?(档|档次|基数)|"
        r"(几个|哪些|哪几个?|什么)(档次|档)|哪个档次|档次.{0,2}好|"
        r"(最低|最高|一年|一个月|每月|每年).{0,4}(交|缴)|交满|(交|缴)(够|满)?.{0,2}(几|多少|十五|15)年|"
        rf"划算|值不值|利息|收益|{_INSURANCE}.{{0,12}}(一样吗|一样不|区别|不同|哪个好)|"
        r"商业保险|大病保险|意外险|(买|购买)(个|份)?.{0,4}保险",
    ),
    (
        "payment",
        "缴费方式和渠道",
        rf"(每|一)个?(月|年).{{0,6}}(交|缴费)|补缴|补交|断缴|断交|停保|退保|欠费|"
        rf"{_INSURANCE}.{{0,6}}(停了|断了|中断|没(交|缴)|续上|接上|续交|续保|补上)|按月交|按年交|一次.{{0,2}}交.{{0,2}}几年|"
        rf"往前补|倒补|扣费|扣款|扣钱|扣不(了|上|成|出)|{_INSURANCE}.{{0,8}}(从|自)?(哪个月|几月|什么时候|啥时候|哪天)(开始|起)?(算|交|扣|缴|生效|起算)|"
        rf"(怎么|如何|在哪|去哪|哪里|什么时候|啥时候|咋)(缴费|缴纳|交社保|交医保)|缴费(方式|渠道|时间|日期|记录|凭证|明细)|"
        rf"{_INSURANCE}(?!登记|参保登记|变更登记|费申报|参保信息|参保区划|缴费基数或档次).{{0,10}}"
        rf"(?<!不|没)(?<!登记)(交|缴|扣)(?!{_HANDED_IN}|费?(基数|档次))|"
        rf"(微信|支付宝|银行|app|小程序|公众号|掌上|电子社保卡|云闪付|税务app|个税app|12366).{{0,8}}(交|缴|扣|查|申报)|"
        rf"(交|缴)了的.{{0,4}}(钱|费).{{0,4}}退|钱.{{0,2}}能退|退钱|退费|(我|已经|之前|以前)(交|缴)的.{{0,4}}(钱|费)|"
        # paying through a channel, and paying for someone else
        rf"(冀时办|手机|网上|线上|在线|app|微信|支付宝|银行).{{0,6}}(交|缴|续|买){_INSURANCE}|"
        rf"(交|缴|续|买){_INSURANCE}(?!登记|材料|的材料).{{0,6}}(冀时办|手机|网上|线上|app|微信|支付宝|银行|去哪|在哪|哪里|哪儿)|"
        rf"给.{{0,2}}(父母|老人|家人|孩子|小孩|老婆|老公|爱人|爸|妈|媳妇|对象|亲戚).{{0,4}}(交|缴|买|续){_INSURANCE}",
    ),
    (
        "insurance_transfer",
        "社保、医保关系转移接续",
        rf"转移接续|社保关系|医保关系|社保.{{0,3}}转移|{_INSURANCE}.{{0,6}}(转到|转回|转去|迁到|转过来|转入|转出|合并|接续)|"
        # insurance paid elsewhere before: what becomes of it is not the notice's (safer handed off)
        r"(外省|省外|外地|老家|在.{2,4}(省|市)?)(交|缴)的(社保|医保|养老)",
    ),
    (
        "medical_use",
        "医保报销和就医",
        r"报销|起付线|门诊|住院|看病|就医|体检|备案|医保卡|(医保|医疗).{0,8}(能报|报多少|报几成|报百分之|报的)|"
        r"能报多少|报几成|(医保|医疗保险).{0,8}(能用|可以用|生效|待遇期|等待期)|"
        r"新生儿|居民医保|新农合|城乡居民",
    ),
    (
        "social_card",
        "社保卡",
        # the card itself (not the form's "是否有社会保障卡" field)
        r"^(?!.*(栏|怎么填|咋填|填什么|填啥|怎么选|咋选|勾哪|选哪))"
        r".*?(?<!没有)(?<!有没有)(?<!是否有)(?<!是否需要有)(电子)?社保卡(?!.{0,6}(填|选|勾|写|那栏|一栏))|办社保卡|"
        r"(申领|补办|挂失|激活|领取?|换).{0,3}社保卡",
    ),
    (
        "other_benefits",
        "失业金、补贴和其他政策",
        r"失业金|失业保险金|失业补助|失业登记|生育|工伤|贷款|低保|救助|补贴|津贴|补助|扶持|优惠政策|奖励|"
        r"公租房|廉租房|创业.{0,4}(政策|扶持|资金)|(推荐|介绍).{0,3}工作|换个?工作|招聘|培训|"
        r"政策.{0,4}(到期|有效期|截止|结束|取消|还有吗)",
    ),
    # what happens after a refusal (appeal, review, reapplying): the notice describes the procedure
    # up to the departments' decision, not remedies against it
    (
        "after_refusal",
        "审核未通过、撤回、修改和申诉",
        r"申诉|复议|行政诉讼|起诉|被(拒|驳回|退回|打回)|驳回|打回来|不予(受理|通过|办理|登记|批准)|"
        r"(没|不|未)(通过|批准|批下来|给办)(的话)?.{0,4}(咋办|怎么办|怎么弄|咋整|能不能|能|可以|还能|再|会)|"
        r"(审核|审批|申请)(没|不|未)过|"
        # taking back or cancelling what was submitted
        r"撤回|撤销|撤掉|反悔|取消(申请|登记)|想取消|"
        # changing what was chosen or submitted afterwards
        r"(选|填|交|提交|登记|报)(完|好|了|上去|错)了?.{0,6}(能|可以|还能|咋|怎么|能不能)(改|修改|更改|变更|换)",
    ),
    (
        "service_desk",
        "办理进度、电话和办公时间",
        r"进度|查询|查不到|预约|^(?!.*(窗口.{0,4}窗口|挨个|各个窗口|几个窗口|每个窗口|多个窗口)).*?排队|叫号|停车|到哪一步|(审核|审批|办理|申请)到(哪|什么)|批了没|批下来没|有结果了(吗|没)|有消息了?(吗|没)|进展|咨询电话|打电话|电话(?!号码)|(电话|号码)是?多少|热线|联系方式|投诉|12333|12345|"
        r"(人社局?|大厅|窗口|政务服务中心|服务中心|局里|你们)的?(具体)?(地址|门牌|在哪条)|年审|每年.{0,4}(审核|审一次|复核)|"
        r"客服|几点|上班时间|下班|午休|中午.{0,3}(休息|上班|开门)|(周六|周日|周末|节假日|休息日|(?<!超)过年|春节)"
        # (周末算不算在办理时间里: whether the days count towards the time limit is the notice's)
        # (过年前能办完吗: the holiday as a date the procedure should end by, the time limit's)
        r"(?!.{0,8}(算|计入|包括|包含|含在|扣除|顺延)|前|之前|以前)"
        r".{0,4}(上班|开门|营业|办公|办)|上班吗|开门吗|工作时间|"
        # whether the office is open on a holiday (国庆节县政务服务中心开门不)
        r"(国庆|元旦|五一|十一|中秋|端午|清明|劳动节|假期|放假|节假|春节|过年|周末|周六|周日)"
        r"[^，,。？?]{0,12}(开门|开不开门|营业|办公|上班(不|吗|么|没)|开(吗|么|不|没)?$)",
    ),
    # using the online platform (accounts, passwords, file sizes) and applying through someone else
    (
        "platform_use",
        "线上平台账号和使用",
        r"密码|登不上|登录不了|登录不上|登不进|进不去|注册不了|验证码|闪退|打不开|"
        r"(怎么|如何|咋|在哪)注册|注册账号|实名认证|认证不了|认证不通过|"
        r"(文件|照片|图片|pdf|扫描件).{0,6}(多大|大小|兆|超过|太大)|几兆|多少兆|多少m(?![a-z])",
    ),
    # asking the help desk to do something for one (帮我查查档案在哪, 帮我填一下表): it answers what
    # the notice says, it does not look up or fill in anything
    (
        "do_for_me",
        "代查、代填等个人事务",
        r"(帮|替)(我|俺)(查|找|填|写|弄|问问|问一下|下载|改|算)",
    ),
    (
        "proxy",
        "委托他人代办",
        r"代办|(替|代)(我|他|她|家人|父母|老人|俺)?(去|办|跑)(?!.{0,3}签)|找人.{0,2}办|"
        r"本人(去|来|到场|到现场)(?!.{0,3}签)|不是本人",
    ),
    # the form asks for the receiving institution's number; where to look it up the notice does not say
    (
        "institution_code",
        "转入机构编号和代理机构的查询",
        r"编号.{0,6}((去|在|上|到|从)(哪|什么地方)|查|找|问谁|谁(给|知道))|编号是?多少|"
        r"(代理机构|社保代理).{0,4}(有哪些|哪家|哪个好|推荐|怎么找|找谁|在哪)",
    ),
    (
        "employer_dispute",
        "劳动争议和用人单位",
        r"(单位|公司|老板|厂里?|平台).{0,4}(不(给|帮)?|给不给|帮不帮|会不会).{0,3}(交|缴)社保|"
        # refusing one of the notice's own materials is answered by the notice (its alternatives)
        r"(单位|公司|老板|厂里?|领导|人事).{0,4}(不给|不肯|不愿意?|拒绝|不让|刁难|卡着|压着)"
        r"(?!.*(介绍信|章|协议|离职\s*(证明|材料)|解除|终止)).{0,4}(开|出|盖|签|办|给|放|转)(?!.{0,4}(?<!签)(?<!签劳动)合同)|拖欠|欠薪|工资|维权|仲裁|赔偿|劳动纠纷|"
        r"不放人|不让(走|辞职|离职)|不批.{0,2}(辞职|离职)|"
        # being dismissed is a dispute, unless it is what to write as the reason on the letter (现因)
        r"^(?!.*(介绍信|现因|原因.{0,4}(写|填))).*?(辞退|开除)",
    ),
    (
        "other_documents",
        "其他证件和事项",
        r"营业执照|工商注册|(注册|成立|开办)(公司|企业)|(公司|企业)注册|(开|注册|申请|成立)一?个?(个体户|个体工商户|公司|企业|店).{0,6}(手续|流程|执照|许可|材料|要|证)|"
        r"(身份证|驾驶证|驾照|护照|结婚证|离婚证).{0,4}(丢|补|挂失|换领|换证|过期|到期|办)|(补办|换领|挂失).{0,3}身份证|"
        r"(户籍|出生|死亡|无犯罪|犯罪记录|收入|婚姻|独生子女|居住|在职|工作|灵活就业|就业|参保|登记)证明|个人账户|继承|余额|"
        # a proof of having registered, and the fees other bodies charge (档案管理费)
        r"(办|登记|弄)(完|好|了).{0,6}(开|打印|出具|给).{0,4}(证明|凭证)|(管理|存档|保管|托管)费|"
        r"上户口|落户|迁户口|户口(迁移|迁出|迁入|怎么(迁|上|落|办))|(孩子|小孩|新生儿|子女|儿子|女儿|闺女).{0,4}(户口|入学|上学|报名|身份证|办证)|"
        r"入学|上学|结婚|离婚|准生|生育登记|不动产|房产证|驾驶证|驾照|护照|签证|港澳|出入境|居住证|"
        r"[残老]疾?(年|人)?证|残疾|优待证|资格证|公务员|事业编|车牌|上牌|违章|年报|许可证|处分|"
        r"档案.{0,6}(查看|查阅|能看|自己看|借出|拿出来|销毁|消除|修改)|档案里(面|头)?都?(有|装|放|是)",
    ),
    (
        # the notice says what to bring and fill in, not how to replace what is lost
        "lost_documents",
        "材料、档案遗失和补办",
        # unless it asks what may stand in for it (the notice's alternatives) or whether the
        # registration can still be done (the notice's conditions)
        rf"(档案|介绍信|户口本|户口簿|户口页|合同|协议|材料|证明|原件|复印件).{{0,4}}"
        rf"(丢了|丢失|弄丢|遗失|找不到|找不着|损坏|毁了){_STILL}|"
        rf"(丢了|丢失|弄丢|遗失)了?.{{0,2}}(档案|介绍信|户口本|户口簿|合同|协议){_STILL}",
    ),
    # a fee of something else (摊位费, 物业费, 滞纳金): the notice's fees are the service's own (收费事项)
    # and the insurance contributions (another class)
    (
        "other_fees",
        "其他费用",
        r"(摊位|物业|学|停车|水电|水|电|燃气|暖气|取暖|卫生|治安|中介|培训|考试|罚|违约|会|网|话|流量|房租|租)费|"
        r"滞纳金|罚款|罚金",
    ),
    ("unrelated", "与本事项无关的问题", r"天气|火车票|机票|彩票|股票"),
    (
        "other_documents_generic",
        "其他证件和事项",
        # any other certificate: the notice's documents are the ID card and the listed materials
        r"(?<=[\u4e00-\u9fff])(?<!身份)(?<!身分)(?<!二代)(?<![保认验核查论])证(?![明件号照书])",
    ),
)
_FEE_CLASSES = ("contribution_amount", "payment")  # what the service itself costs is the notice's 收费事项


@cache
def _each() -> tuple[tuple[str, re.Pattern], ...]:
    """One pattern per class, tried in order (faster than one alternation of them all: each keeps
    its own literal-prefix scan). Compiled on first use or by `warm_up` (the FAQ index's build, in
    a thread after start-up), not at import: ~50 ms of a bot's start-up, which answers no question."""
    return tuple((topic, re.compile(pattern)) for topic, _, pattern in TOPICS)


LABELS = {topic: label for topic, label, _ in TOPICS}
LABELS["other_region"] = "其他省市的规定"
LABELS["delivery"] = "邮寄、到账等办结以外的时间"
LABELS["archive_transfer"] = "省外档案转入的手续"

# another province's own procedure (not an archive kept there, not a person from there)
_SERVICE_FEE = re.compile(r"手续费|工本费|服务费|邮寄费|快递费|邮费|收费|收不收|要钱吗|花钱")
_HOME = re.compile(r"河北|我省|咱省|本省|省内|这边|这里|咱们这|在这")
_FROM_THERE = re.compile(r"^(人|户口|户籍|老家|的人|籍)")
_REGISTERED_THERE = re.compile(r"(户口|户籍|籍贯|老家)(是|在|落在|属于|本来是|还在)?$")


@cache
def _region():
    from dialogs.situations import _place_re  # the provinces and cities of the division register

    return _place_re()


# another place's rules set beside Hebei's (北京那边…跟河北一样不): naming Hebei does not make it ours
_COMPARED = re.compile(r"一样|相同|不同|区别|差别|差不多|有啥不|比(河北|这边|咱|我们|起来)")
_HEBEI = re.compile(r"河北|这边|咱省|本省|我省|咱这|咱们这")
# an archive kept outside the province, asked how to move it here: the transfer procedure itself
_MOVE_HOW = re.compile(
    r"(怎么|咋|如何|怎样)(才能)?.{0,4}(转|调|迁|弄)|(转|调|迁).{0,10}(手续|流程|步骤|怎么办|咋办|怎么弄)"
)


def _outside_places(text: str) -> list[re.Match[str]]:
    """Places outside Hebei named as places (not a person's origin: 户口河南的, 河南人)."""
    pattern, names = _region()
    out = []
    for m in pattern.finditer(text):
        full, in_hebei = names[m.group(0)]
        if in_hebei:
            continue
        if _FROM_THERE.match(text[m.end() :]) or _REGISTERED_THERE.search(text[max(0, m.start() - 4) : m.start()]):
            continue
        out.append(m)
    return out


def _archive_from_outside(text: str) -> bool:
    return "档" in text and bool(_MOVE_HOW.search(text)) and bool(_outside_places(text))


# a place named as "that side" (江苏那边要档案吗): its own practice, not where one is (在北京那边上班)
_THAT_SIDE = re.compile(r"^(那边|那里|那儿|那块)")
_BEING_AT = re.compile(r"(在|去|回|到|从|来自|跑)$")


def _compared_with_hebei(text: str) -> bool:
    places = [m for m in _outside_places(text) if m.group(0) not in ("外省", "省外", "外地")]
    if any(
        _THAT_SIDE.match(text[m.end() :]) and not _BEING_AT.search(text[max(0, m.start() - 2) : m.start()])
        for m in places
    ):
        return True
    if "档" in text or not _COMPARED.search(text) or not _HEBEI.search(text):
        return False
    return bool(places)


def _other_region(text: str) -> bool:
    if _compared_with_hebei(text):
        return True
    if "档" in text or _HOME.search(text):
        return False
    pattern, names = _region()
    found = [(m, *names[m.group(0)]) for m in pattern.finditer(text)]
    if any(in_hebei and full for _, full, in_hebei in found):
        return False  # a Hebei place named too: asked about here (户口河南的 在廊坊能办吗)
    for m, full, in_hebei in found:
        if in_hebei or full in ("外省", "省外", "外地"):
            continue
        if _FROM_THERE.match(text[m.end() :]) or _REGISTERED_THERE.search(text[max(0, m.start() - 4) : m.start()]):
            continue  # a person from there (户口河南的, 河南人)
        return True
    return False


# a class that a question names only as the person's circumstance, then asks whether it can still
# register (已经退休领养老金了还能办吗 asks the working-age condition; 办了还能领养老金吗 does not)
_UNLESS = {
    "pension_benefits": re.compile(
        r"(养老金|退休金|退休|待遇)了?.{0,6}(还能|还可以|能不能|可不可以|可以|能)(办|登记|参加|申请)"
        r"(灵活就业|这个|吗|不|么|登记|$)"
    ),
}


_BOUNDARY = re.compile(r"[，,。？?！!；;\n]")


def _within_a_clause(pattern: re.Pattern[str], text: str, strict: bool) -> bool:
    """Whether the class's words are found; `strict` (the asking clause asks one of the notice's
    own things: which materials, how long …): inside one clause, for a match that runs on from a
    statement into that clause (…想自己交社保医保，去办的话都得提交些啥…) joins words never said
    together. A clause asking whether (社保，能转到河北吗) asks about the clause before it."""
    m = pattern.search(text)
    if m is None:
        return False
    if not strict or not _BOUNDARY.search(m.group(0)):
        return True
    start = 0
    for b in (*_BOUNDARY.finditer(text), None):
        end = b.start() if b else len(text)
        if end > start and pattern.search(text, start, end):
            return True
        start = b.end() if b else end
    return False


def _first_class(text: str, fees: bool, strict: bool = False) -> str | None:
    for name, pattern in _each():
        if name in _UNLESS and _UNLESS[name].search(text):
            continue
        if (fees or name not in _FEE_CLASSES) and _within_a_clause(pattern, text, strict):
            return "other_documents" if name == "other_documents_generic" else name
    return None


# a document named only to ask whether to bring it (毕业证结婚证啥的要不要带上): which materials to
# bring is the notice's (表1, and nothing else), not a matter of that document; doing something
# with it (办, 补, 换, 丢了) stays the other document's own matter
_DOING = re.compile(r"办|补|换|丢|挂失|申请|申领|领|开|注册|过期|到期|迁|落|上户|登记")
_CERTIFICATE = re.compile(r"[\u4e00-\u9fff]{1,3}证(?![明件号照书])")


def _bring_only(raw: str) -> bool:
    from dialogs import faq_parse

    clause = faq_parse.asking_clause(raw)
    return faq_parse.asks_kind(clause) == "materials" and bool(_CERTIFICATE.search(raw)) and not _DOING.search(raw)


# how to find out where one's archive is now (我档案现在在哪儿怎么查, 不知道档案被单位放哪了，去哪查):
# the notice says where an archive must be, not how to trace it. Read on the question's structure:
# the asking clause asks how or where to find something out, and the question asks where the
# archive is (not where it must be: 档案放哪才符合 has no finding out)
_FIND_OUT = re.compile(r"(查|打听|问谁|问哪|找谁|找哪|问问)")
_HOW_OR_WHERE = re.compile(r"怎么|咋|如何|怎样|去哪|在哪|哪里|哪儿|上哪|到哪|找谁|问谁|哪个部门|哪个单位|哪能")
_WHERE_IS = re.compile(
    r"档[案按][^，,。？?！!]{0,10}(在哪|哪儿|哪里|放哪|搁哪|存哪|在什么|哪个|哪家|去向|下落|什么地方|啥地方)"
)


# or said as not known where it has gone (不知道学校把我档案寄哪去了, 后来不知道转哪去了), unless
# what is asked is whether one can still register (不清楚档案放哪了，能办吗: the condition)
_NOT_KNOWN = re.compile(r"不知道|不清楚|不晓得|搞不清|弄不清|说不清")
_GONE = re.compile(r"档[案按][^。？?！!]{0,16}(哪|什么地方|啥地方)(里|儿)?去?了")


def _traces_archive(raw: str) -> bool:
    from dialogs import faq_parse

    clause = faq_parse.asking_clause(raw)
    if _FIND_OUT.search(clause) and _HOW_OR_WHERE.search(clause) and _WHERE_IS.search(raw):
        return True
    kind = faq_parse.asks_kind(clause)
    asks_the_notice = kind in ("can", "how_long", "cost", "materials", "fill")
    return bool(_NOT_KNOWN.search(raw) and _GONE.search(raw)) and not asks_the_notice


# the one time the notice gives is the time limit of the procedure (15个工作日 to 办结); a time asked
# of something else (邮寄几天能到, 多久到账) is not answered by it
_NOT_THE_PROCEDURE = re.compile(r"邮寄|寄过来|寄到|寄回|快递|邮政|到账|到手|送达|送到")
_THE_PROCEDURE = re.compile(r"办|批|审|结果|登记|受理")


def _other_time(raw: str) -> bool:
    from dialogs import faq_parse  # the asking clause (faq_parse reads places through situations)

    clause = faq_parse.asking_clause(raw)
    return (
        faq_parse.asks_kind(clause) == "how_long"
        and bool(_NOT_THE_PROCEDURE.search(clause))
        and not _THE_PROCEDURE.search(clause)
    )


# a document lost, then asked whether something else serves or the registration still goes ahead
# (户口本找不着了，拿劳动合同顶替行不行): the notice's alternatives and conditions answer that; asking
# how to replace the document (介绍信丢了能补开吗) is the document's own matter
_REPLACE = re.compile(r"补|重新|重开|再开|挂失|找回|怎么办|咋办|怎么弄")


def _asks_instead(raw: str) -> bool:
    from dialogs import faq_parse

    parts = faq_parse.clauses(raw)
    clause = faq_parse.asking_clause(raw)
    if len(parts) < 2 or dict(_each())["lost_documents"].search(clause):
        return False  # the loss and the question in one clause: asked about the loss
    return faq_parse.asks_kind(clause) in ("can", "materials") and not _REPLACE.search(clause)


_FILL_WORDS = re.compile(r"填|写|栏|勾|选")


# the form's 转入机构编号 asked where to fill in (转入机构编号在哪填): the form's field, not a look-up
def _fills_number(raw: str) -> bool:
    from dialogs import faq_parse

    named = [c for c in faq_parse.clauses(raw) if "编号" in c]
    return bool(named) and all(_FILL_WORDS.search(c) for c in named)


def topic(text: str) -> str | None:
    """The out-of-scope class a question belongs to, or None when the notice may answer it."""
    from dialogs import faq_parse

    raw = faq_parse.set_aside(unicodedata.normalize("NFKC", text).lower())  # not what they ask
    fees = not _SERVICE_FEE.search(raw)
    # the asking clause asks one of the notice's own things (which materials, how long …): a class
    # is read within one clause (_within_a_clause)
    strict = faq_parse.asks_kind(faq_parse.asking_clause(raw)) in faq_parse.FAMILY_KINDS
    found = (
        _first_class(raw, fees, strict)
        or _first_class(normalize(raw).replace(" ", ""), fees, strict)
        or _first_class(faq_parse.plain_questions(raw), fees, strict)  # 上不上班 read as 上班吗
    )
    if found == "other_documents" and _bring_only(raw):
        found = None
    if found == "other_fees" and faq_parse.asks_kind(faq_parse.asking_clause(raw)) == "materials":
        found = None  # a bill asked of as a material (电费单能当材料吗): the notice's list answers
    if found == "lost_documents" and _asks_instead(raw):
        found = None
    if found == "institution_code" and _fills_number(raw):
        found = None
    if found is None and _traces_archive(raw):
        return "other_documents"
    if found is None and _archive_from_outside(raw):
        return "archive_transfer"
    if found is None and _other_time(raw):
        return "delivery"
    return found or ("other_region" if _other_region(raw) else None)


def words() -> set[str]:
    """The words the scope classes are written in (退休, 户口, 过期, 上班 …): for reading a typo of
    one (退绣手续怎么办) as that word before the classes are tried."""
    return {w for _, _, pattern in TOPICS for w in re.findall(r"[\u4e00-\u9fff]{2,4}", pattern)}


def warm_up() -> None:
    """Build the classes' and the place names' patterns now rather than on the first question."""
    _each()
    _region()


def is_out_of_scope(text: str) -> bool:
    return topic(text) is not None


_QUESTION_END = re.compile(r"[?？]\s*$")
_QUESTION_CUES = re.compile(
    r"吗|呢|怎么|怎样|如何|为什么|为啥|什么|啥|哪|能不能|可不可以|是不是|要不要|有没有|"
    r"需不需要|多久|多少|几天|几个|咋|请问|不知道|不清楚|不懂|多会|几时|[呀嘛么不]\s*$"
)
_DIGITISH = re.compile(r"^[\d\s\-/.:年月日号xX+()]*$")


def looks_like_question(text: str) -> bool:
    """Cheap test for free text typed during a form step that is a question, not an answer."""
    t = unicodedata.normalize("NFKC", text).strip()
    if len(t) < 3 or _DIGITISH.match(t):
        return False
    return bool(_QUESTION_END.search(t)) or (len(t) >= 4 and bool(_QUESTION_CUES.search(t)))
