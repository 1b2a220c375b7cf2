"""Fixed texts of the assistant: welcome, help, menus, notice browsing, splitting long text."""

from __future__ import annotations

from dialogs import departments, notice
from dialogs.callbacks import GlobalCb
from dialogs.model import Button, Reply

TELEGRAM_TEXT_LIMIT = 4096

WELCOME = (
    "您好！这里是河北省" + notice.SERVICE_NAME + "服务助手。\n\n"
    "一次告知、一张表单、一套材料、一次提交，即可办理以下6个事项：\n"
    + "\n".join(f"{i}. {m}" for i, m in enumerate(notice.SIX_MATTERS, 1))
    + "\n\n提交后由"
    + departments.JOINED
    + "部门并联办理，办理时限"
    + str(notice.TIME_LIMIT_DAYS)
    + "个工作日。"
)

HELP = (
    "可用命令：\n"
    "/start 首页\n/guide 办事指南（一次性告知）\n/apply 开始或继续办理\n"
    "/status 查看填写或办理进度\n/ask 咨询问题\n/cancel 放弃当前填写的申请\n"
    "/mydata 查看我们保存的个人信息\n/delete 删除未提交的草稿\n/help 帮助\n\n"
    "填写过程中可随时点“↩ 返回”回到上一步，已填写的内容不会丢失。"
)

COMMANDS = (
    ("start", "首页"),
    ("guide", "办事指南"),
    ("apply", "开始办理"),
    ("status", "办理进度"),
    ("ask", "咨询问题"),
    ("cancel", "放弃当前申请"),
    ("mydata", "我的个人信息"),
    ("delete", "删除草稿"),
    ("help", "帮助"),
)

NON_TEXT = {
    "sticker": "贴纸",
    "voice": "语音",
    "video": "视频",
    "video_note": "视频消息",
    "location": "位置",
    "animation": "动图",
    "audio": "音频",
    "photo": "照片",
    "document": "文件",
    "contact": "联系人",
    "poll": "投票",
    "dice": "骰子",
}


def g(value: str, label: str) -> Button:
    return Button(label=label, data=GlobalCb(value).pack())


def welcome(in_progress: bool) -> Reply:
    buttons = [[g("notice", "📖 办事指南"), g("apply", "📝 开始办理")], [g("ask", "💬 常见问题")]]
    if in_progress:
        buttons[0][1] = g("resume", "📝 继续办理")
    return Reply(text=WELCOME, buttons=buttons)


def notice_index(in_progress: bool) -> Reply:
    buttons = [[g("n:" + p.key, p.title)] for p in notice.PAGES]
    buttons.append([g("resume" if in_progress else "apply", "📝 继续办理" if in_progress else "📝 开始办理")])
    return Reply(text=notice.SERVICE_NAME + "办事指南（一次性告知）\n请选择要查看的内容：", buttons=buttons)


def notice_page(key: str, in_progress: bool) -> list[Reply]:
    keys = [p.key for p in notice.PAGES]
    page = notice.PAGE_BY_KEY[key]
    i = keys.index(key)
    nav = []
    if i > 0:
        nav.append(g("n:" + keys[i - 1], "◀ 上一页"))
    nav.append(g("notice", "目录"))
    if i + 1 < len(keys):
        nav.append(g("n:" + keys[i + 1], "下一页 ▶"))
    action = [g("resume", "📝 继续办理")] if in_progress else [g("apply", "📝 开始办理")]
    chunks = split_text(f"{page.title}\n\n{page.body}")
    replies = [Reply(text=c) for c in chunks]
    replies[-1].buttons = [nav, action]
    return replies


def split_text(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Split at line breaks so that no message exceeds Telegram's limit."""
    if len(text) <= limit:
        return [text]
    chunks, current = [], ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks


def download_failed(count: int = 1) -> Reply:
    """Telegram did not hand over an uploaded file, even after retries: nothing else is lost."""
    what = "这个文件" if count == 1 else f"这{count}个文件"
    return Reply(
        text=f"⚠️ 暂时无法从 Telegram 取得您刚才发送的{what}（网络繁忙）。"
        f"请稍候片刻，再重新发送{what}；已填写和已上传的其他内容都已保存。"
    )


def no_space_for_upload(count: int = 1) -> Reply:
    """The upload arrived but could not be stored (the server's disk is full): nothing else is lost."""
    what = "这个文件" if count == 1 else f"这{count}个文件"
    return Reply(
        text=f"⚠️ 系统存储空间暂时不足，您刚才发送的{what}未能保存。"
        f"请稍后再重新发送{what}；已填写和已上传的其他内容都已保存。"
    )


SORRY_KEPT = (
    "系统繁忙，回复未能及时发出。您刚才发送的内容已经保存，下一步的提示稍后会自动发送给您；也可以发送 /apply 继续办理。"
)
SORRY_NOT_KEPT = "系统繁忙，您刚才发送的内容未能保存，请稍后重新发送。此前已填写的内容不会丢失。"
