"""What the notice does not answer (forced hand-off), and whether typed text is a question at all."""

from __future__ import annotations

import re
import unicodedata

from dialogs.faq_text import normalize

_OUT_OF_SCOPE = re.compile(
    "|".join(
        (
            r"养老金|退休金|养老待遇|待遇|领多少|拿多少|能领|领取|领钱",
            r"公积金|退税|个税|所得税|报税|发票|失业金|失业保险金|失业补助|生育|工伤|贷款|低保|救助",
            r"社保卡.{0,4}(挂失|补办|丢|激活|密码|申领|余额|领|换|照片|相片|制卡|怎么办)|办社保卡|(申领|补办|挂失|激活|领取?|换).{0,3}社保卡",
            r"报销|起付线|门诊|住院|看病|就医|备案|医保卡",
            r"(交|缴|扣).{0,8}多少(?!份|个|页|张|项|次)|(社保|医保|养老).{0,8}多少钱",
            r"(基数|档次|标准|比例|费率).{0,4}(多少|哪些|最低|最高|怎么选|选哪)|哪个档次|档次.{0,2}好",
            r"(每|一)个?(月|年).{0,6}(交|缴费)|交满|补缴|断缴|断交|停保|退保|欠费|按月交|按年交",
            r"(怎么|如何|在哪|去哪|哪里|什么时候)(缴费|缴纳|交社保|交医保)|缴费(方式|渠道|时间|日期|记录)",
            r"(社保|医保|养老保险?|医疗保险).{0,3}(在哪|去哪|怎么|哪里|哪儿)(交|缴)",
            r"转移接续|社保关系|医保关系|社保.{0,3}转移|(社保|医保|养老保险?|医疗保险).{0,4}(转到|转回|转去|迁到)",
            r"补贴|津贴|补助|划算|值不值|利息|收益",
            r"办退休|退休手续|(几|多少)岁退休|什么时候退休|提前退休|可以退休",
            # after retirement: amounts and procedures are not here; "can I still register" is
            r"退休(以|之)?后(?!.{0,8}(还能|能不能|可以|还可以|能)(办|登记))",
            r"进度|查询|查不到|咨询电话|打电话|电话(?!号码)|(电话|号码)是?多少|热线|联系方式|投诉|几点|上班时间|下班",
            r"营业执照|工商注册|落户|迁户口|居住证|护照|签证|驾照|驾驶员证|居民医保|新农合|城乡居民",
            r"(周六|周日|周末|节假日|休息日).{0,4}(上班|开门|营业|办公)|上班吗|开门吗|工作时间",
            r"(开|注册|申请|成立)一?个?(个体户|个体工商户|公司|企业|店).{0,6}(手续|流程|执照|许可)",
            r"(单位|公司|老板|厂里?|平台).{0,4}(不(给|帮)?|给不给|帮不帮|会不会).{0,3}(交|缴)社保|"
            r"拖欠|欠薪|工资|维权|仲裁|赔偿|辞退|开除",
            r"身份证.{0,4}(丢|补办|挂失|换领|换证|过期|到期)|(补办|换领|挂失).{0,3}身份证",
            r"(户籍|出生|死亡|无犯罪|收入|婚姻|独生子女|居住|在职|工作)证明|个人账户|继承|余额",
            r"天气|火车票|机票",
        )
    )
)


def is_out_of_scope(text: str) -> bool:
    raw = unicodedata.normalize("NFKC", text).lower()
    return bool(_OUT_OF_SCOPE.search(raw) or _OUT_OF_SCOPE.search(normalize(text).replace(" ", "")))


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
