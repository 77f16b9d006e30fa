"""UI strings of the card and the bot's messages in English, Traditional and Simplified Chinese."""

from __future__ import annotations

from bot.config import LANGS, Lang

# key -> (en, zh-TW, zh-CN). Placeholders use str.format names and must be the same in all three.
_STRINGS: dict[str, tuple[str, str, str]] = {
    # Card header and segment line
    "title.pasted": ("Persona for {n} pasted apps", "{n} 個貼上 App 的人物誌", "{n} 个粘贴 App 的用户画像"),
    "title.pasted.one": ("Persona for 1 pasted app", "1 個貼上 App 的人物誌", "1 个粘贴 App 的用户画像"),
    "title.fallback": ("Persona: {name}", "人物誌：{name}", "用户画像：{name}"),
    "segment.size": ("{size} people", "{size} 人", "{size} 人"),
    # Profile fields
    "field.basic_attributes": ("Basic attributes", "基本屬性", "基本属性"),
    "field.personality": ("Personality", "個性", "个性"),
    "field.psychological_state": ("Psychological state", "心理狀態", "心理状态"),
    "field.interests": ("Interests", "興趣", "兴趣"),
    "field.lifestyle": ("Lifestyle", "生活方式", "生活方式"),
    "hashtags": ("Hashtags", "標籤", "标签"),
    # Demographics
    "age": ("Age", "年齡", "年龄"),
    "gender": ("Gender", "性別", "性别"),
    "bucket.female": ("female", "女性", "女性"),
    "bucket.male": ("male", "男性", "男性"),
    "bucket.other": ("other", "其他", "其他"),
    "bucket.unknown": ("unknown", "未知", "未知"),
    "demographics.none": (
        "No age or gender data for these apps.",
        "這些 App 沒有年齡或性別資料。",
        "这些 App 没有年龄或性别数据。",
    ),
    "label.ai_estimate": (
        "AI estimate — not enough audience data",
        "AI 推估 — 受眾資料不足",
        "AI 估算 — 受众数据不足",
    ),
    "label.mixed": (
        "Based on {pct}% of the apps' weight",
        "依據占 App 權重 {pct}% 的資料",
        "基于占 App 权重 {pct}% 的数据",
    ),
    # Grounding apps
    "grounded_on": ("Grounded on {n} apps", "依據 {n} 個 App", "基于 {n} 个 App"),
    "grounded_on.one": ("Grounded on 1 app", "依據 1 個 App", "基于 1 个 App"),
    "unmatched": ("unmatched", "未比對到", "未匹配"),
    "and_more": ("… and {n} more", "… 還有 {n} 個", "… 还有 {n} 个"),
    # Footer
    "source.data": ("Source: data", "來源：資料", "来源：数据"),
    "source.ai_estimate": ("Source: AI estimate", "來源：AI 推估", "来源：AI 估算"),
    "source.mixed": ("Source: mixed", "來源：混合", "来源：混合"),
    "coverage": ("coverage {pct}%", "涵蓋率 {pct}%", "覆盖率 {pct}%"),
    "model": (
        "Model: {model} · prompt {version}",
        "模型：{model} · 提示詞 {version}",
        "模型：{model} · 提示词 {version}",
    ),
    "generated": ("Generated {when}", "產生於 {when}", "生成于 {when}"),
    "cached": ("cached {ago}", "快取 {ago}", "缓存 {ago}"),
    "offline_draft": (
        "Offline draft — written without an LLM",
        "離線草稿 — 未使用 LLM 撰寫",
        "离线草稿 — 未使用 LLM 撰写",
    ),
    "input_truncated": (
        "The pasted list was long; only its first part was used.",
        "貼上的清單太長，只使用了前面的部分。",
        "粘贴的列表太长，只使用了前面的部分。",
    ),
    # Buttons
    "btn.share": ("Share to channel", "分享到頻道", "分享到频道"),
    "btn.regenerate": ("Regenerate", "重新產生", "重新生成"),
    "btn.feedback_up": ("👍", "👍", "👍"),
    "btn.feedback_down": ("👎", "👎", "👎"),
    "btn.export": ("Export", "匯出", "导出"),
    "btn.retry": ("Retry", "重試", "重试"),
    # Messages
    "working": ("Working on it…", "處理中…", "处理中…"),
    "writing": ("Writing the persona…", "正在撰寫人物誌…", "正在撰写用户画像…"),
    "error.generic": ("Something went wrong.", "發生錯誤。", "出错了。"),
    "error.suggestions": ("Did you mean:", "您是不是要找：", "您是不是要找："),
    "error.example": ("Example: {example}", "範例：{example}", "示例：{example}"),
    # Slack messages
    "msg.unknown_segment": (
        "I couldn't find a segment called “{query}”.",
        "找不到名為「{query}」的受眾。",
        "找不到名为“{query}”的人群。",
    ),
    "msg.empty_list": (
        "I couldn't recognise any apps in that text. Paste one app per line or separate them with commas, "
        "optionally with a score.",
        "無法在文字中辨識出任何 App。請每行貼一個 App，或用逗號分隔，可附上分數。",
        "无法在文字中识别出任何 App。请每行粘贴一个 App，或用逗号分隔，可附上分数。",
    ),
    "msg.unexpected": (
        "Something went wrong on our side. Please try again in a minute.",
        "系統發生問題，請稍後再試。",
        "系统出现问题，请稍后再试。",
    ),
    "msg.cannot_post_here": (
        "I can't post in this conversation ({error}). Invite me or try in another channel.",
        "我無法在這個對話中發文（{error}）。請邀請我加入，或改在其他頻道使用。",
        "我无法在这个会话中发消息（{error}）。请邀请我加入，或改在其他频道使用。",
    ),
    "msg.expired": (
        "This persona is no longer available. Run /persona again to get a fresh one.",
        "這份人物誌已失效，請重新執行 /persona。",
        "这份用户画像已失效，请重新运行 /persona。",
    ),
    "msg.share_private": (
        "I can't post in this channel: it is private and I am not a member. Invite me with /invite and try again.",
        "無法在此頻道發文：這是私人頻道，我不是成員。請用 /invite 邀請我後再試一次。",
        "无法在此频道发消息：这是私有频道，我不是成员。请用 /invite 邀请我后再试一次。",
    ),
    "msg.share_archived": (
        "This channel is archived, so nothing can be posted in it.",
        "此頻道已封存，無法發文。",
        "此频道已归档，无法发消息。",
    ),
    "msg.share_restricted": (
        "Posting in this channel is restricted by your workspace settings.",
        "工作區設定限制了在此頻道發文。",
        "工作区设置限制了在此频道发消息。",
    ),
    "msg.share_failed": (
        "Slack refused to post the card ({error}).",
        "Slack 拒絕發布這張卡片（{error}）。",
        "Slack 拒绝发布这张卡片（{error}）。",
    ),
    "msg.unknown_followup": (
        "That follow-up is not available any more. Run /persona again for a fresh card.",
        "這項後續分析已不再提供，請重新執行 /persona 取得新的卡片。",
        "这项后续分析已不再提供，请重新运行 /persona 获取新的卡片。",
    ),
    "msg.shared": ("Shared to <#{channel}>.", "已分享到 <#{channel}>。", "已分享到 <#{channel}>。"),
    "msg.feedback_thanks": (
        "Thanks for the feedback!", "感謝你的回饋！", "感谢你的反馈！",
    ),
    "msg.rate_limited": (
        "You've asked for many personas in a short time. Please try again in {seconds} s.",
        "短時間內的請求太多了，請在 {seconds} 秒後再試。",
        "短时间内的请求太多了，请在 {seconds} 秒后再试。",
    ),
    "msg.team_not_allowed": (
        "Sorry, persona-bot is not enabled for this workspace. Ask your Slack admin to request access.",
        "抱歉，此工作區尚未啟用 persona-bot。請聯絡你的 Slack 管理員申請開通。",
        "抱歉，此工作区尚未启用 persona-bot。请联系你的 Slack 管理员申请开通。",
    ),
    "msg.channel_not_allowed": (
        "Sorry, persona-bot isn't available in this channel. "
        "Try it in a DM with me or in a channel where it is enabled.",
        "抱歉，此頻道無法使用 persona-bot。請改在與我的私訊中，或在已啟用的頻道使用。",
        "抱歉，此频道无法使用 persona-bot。请改在与我的私信中，或在已启用的频道使用。",
    ),
    "export.comment": ("Persona export", "人物誌匯出", "用户画像导出"),
    "export.markdown": ("Persona (Markdown)", "人物誌（Markdown）", "用户画像（Markdown）"),
    "export.csv": ("Persona (CSV)", "人物誌（CSV）", "用户画像（CSV）"),
    "export.failed": (
        "I couldn't upload the export here.", "無法在此上傳匯出檔案。", "无法在此上传导出文件。",
    ),
    # Help, modals, App Home
    "help.intro_plain": (
        "persona-bot turns an audience segment or an app list into a persona card.",
        "persona-bot 把受眾或 App 清單變成人物誌卡片。",
        "persona-bot 把人群或 App 列表变成用户画像卡片。",
    ),
    "help.intro": (
        "*persona-bot* turns an audience segment or its app preference list into a persona card: who these "
        "people are, what drives them, their age and gender from data, and ideas for what to pitch.",
        "*persona-bot* 把受眾或其 App 偏好清單變成人物誌卡片：他們是誰、在意什麼、來自資料的年齡與性別分布，"
        "以及可以提案的方向。",
        "*persona-bot* 把人群或其 App 偏好列表变成用户画像卡片：他们是谁、在意什么、来自数据的年龄与性别分布，"
        "以及可以提案的方向。",
    ),
    "help.usage": (
        "• `/persona fitness` — a segment by name\n• `/persona {example}` — a pasted app list\n"
        "• Mention me or DM me with the same\n• Message shortcut *Persona from message*",
        "• `/persona 健身` — 用名稱找受眾\n• `/persona {example}` — 貼上 App 清單\n"
        "• 在頻道提及我或私訊我\n• 訊息捷徑 *Persona from message*",
        "• `/persona 健身` — 用名称找人群\n• `/persona {example}` — 粘贴 App 列表\n"
        "• 在频道提及我或私信我\n• 消息快捷方式 *Persona from message*",
    ),
    "help.open_modal": ("Pick a segment…", "選擇受眾…", "选择人群…"),
    "modal.title": ("New persona", "新的人物誌", "新的用户画像"),
    "modal.submit": ("Create", "建立", "创建"),
    "modal.close": ("Cancel", "取消", "取消"),
    "modal.analyse": ("Analyse", "分析", "分析"),
    "modal.segment": ("Segment", "受眾", "人群"),
    "modal.segment_placeholder": ("Type to search segments", "輸入以搜尋受眾", "输入以搜索人群"),
    "modal.apps": ("…or paste an app list", "…或貼上 App 清單", "…或粘贴 App 列表"),
    "modal.apps_hint": ("For example: {example}", "例如：{example}", "例如：{example}"),
    "modal.lang": ("Language", "語言", "语言"),
    "modal.need_input": (
        "Pick a segment or paste an app list.", "請選擇受眾或貼上 App 清單。", "请选择人群或粘贴 App 列表。",
    ),
    "modal.product": ("Your product or brand", "你的產品或品牌", "你的产品或品牌"),
    "modal.product_placeholder": ("e.g. a protein drink brand", "例如：高蛋白飲品品牌", "例如：高蛋白饮品品牌"),
    "home.title": ("persona-bot", "persona-bot", "persona-bot"),
    "home.lang": ("Your language", "你的語言", "你的语言"),
    "home.recent": ("Your recent personas", "你最近的人物誌", "你最近的用户画像"),
    "home.no_recent": (
        "None yet. Try `/persona fitness`.", "還沒有。試試 `/persona 健身`。", "还没有。试试 `/persona 健身`。",
    ),
    "followup.next": ("Next actions", "下一步", "下一步"),
    "ago.now": ("just now", "剛剛", "刚刚"),
    "ago.minute": ("{n} min ago", "{n} 分鐘前", "{n} 分钟前"),
    "ago.hour": ("{n} h ago", "{n} 小時前", "{n} 小时前"),
    "ago.day": ("{n} days ago", "{n} 天前", "{n} 天前"),
    "ago.day.one": ("1 day ago", "1 天前", "1 天前"),
}


def normalize_lang(lang: str | None) -> Lang:
    """Map a Slack locale or loose tag (`zh-tw`, `zh-Hant`, `zh_CN`, `en-US`) onto a supported language."""
    if not lang:
        return "en"
    tag = lang.replace("_", "-").lower()
    if tag in ("zh-tw", "zh-hk", "zh-mo") or tag.startswith("zh-hant"):
        return "zh-TW"
    if tag == "zh" or tag.startswith("zh-"):
        return "zh-CN"
    return "en"


def t(key: str, lang: str, **kw: object) -> str:
    """The UI string `key` in `lang`, formatted with `kw`. Unknown keys raise KeyError.

    A count `n` of 1 picks the `<key>.one` variant where there is one ("1 app", not "1 apps").
    """
    if kw.get("n") == 1 and f"{key}.one" in _STRINGS:
        key = f"{key}.one"
    strings = _STRINGS[key]
    template = strings[LANGS.index(normalize_lang(lang))]
    return template.format(**kw)


def bucket_label(bucket: str, lang: str) -> str:
    """A demographic bucket as shown to the user: known ones translated, age ranges as in the data."""
    key = f"bucket.{bucket.strip().lower()}"
    return t(key, lang) if key in _STRINGS else bucket


def keys() -> list[str]:
    return list(_STRINGS)
