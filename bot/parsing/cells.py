"""Reading a pasted list as text: lines, cells, spreadsheet headers, bullets, numbering, names and scores."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

_CELL_SEP = re.compile(r"\t|[,;、|]|\s+/\s+|\s+[·•]\s+")

_QUOTED = re.compile(r'"[^"]*"|“[^”]*”|「[^」]*」|『[^』]*』')
_INLINE_SCORE = re.compile(
    r"(?:(?<=\s)(?:0?\.\d+|1\.0+|\d{1,3}(?:\.\d+)?\s*%)|[(\[]\s*(?:\d+(?:\.\d+)?|\.\d+)\s*%?\s*[)\]])"
    r"(?=\s+[^\s\d.%()\[\]])"
)
_SEQUENCE_NUMBER = re.compile(r"(?P<n>\d{1,3})[.:]\s*(?=[^\d\s])")
_NUM = r"(?P<num>\d+(?:\.\d+)?|\.\d+)"
# "分" (points) is how Chinese pastes often mark a score: "小红书 92分".
_PCT = r"\s*(?:(?P<pct>%)|(?P<unit>分))?"
_NUMBER_CELL = re.compile(rf"{_NUM}{_PCT}")
_NEGATIVE_CELL = re.compile(r"-\s*(?:\d+(?:\.\d+)?|\.\d+)\s*%?")
# After an explicit marker a minus sign makes the value negative, i.e. not a score.
_MARKED_NEGATIVE = re.compile(r"(?:[:=(\[]|->|=>|→)\s*(?P<num>-\s*(?:\d+(?:\.\d+)?|\.\d+)\s*%?)")
# A hyphen after whitespace that touches the digits ("Keep -3") is a minus sign or a dash written tightly;
# the whole paste decides which (see `_out_of_range` in bot/parsing/__init__.py).
_TIGHT_HYPHEN = re.compile(r"\s-$")
_DASH_SCORE = re.compile(rf"(?:\s+[-–—]+\s*|\s*[-–—]+\s+){_NUM}{_PCT}$")
_TRAILING_SCORES: tuple[tuple[re.Pattern[str], bool], ...] = (
    (re.compile(rf"\s*[(\[]\s*{_NUM}{_PCT}\s*[)\]]$"), True),
    (re.compile(rf"\s*(?:[:=]|->|=>|→)\s*{_NUM}{_PCT}$"), True),
    (_DASH_SCORE, True),
    (re.compile(rf"\s+{_NUM}{_PCT}$"), False),
    # Chinese pastes often glue the score on: "小红书92%", "小红书0.92".
    (re.compile(r"(?<=[^\d.\s])(?P<num>\d+(?:\.\d+)?|\.\d+)\s*(?:(?P<pct>%)|(?P<unit>分))$"), True),
    (re.compile(r"(?<=[\u3400-\u9fff\uf900-\ufaff])(?P<num>0?\.\d+|1\.0+)(?P<pct>)$"), True),
)
_KEYED = re.compile(r"(?P<key>[^:=]{1,30}?)\s*[:=]\s*(?P<val>.*)")

_BULLETS = frozenset("-*•·▪▫◦‣●○■□►▶▸▹→⇒>+–—~⁃∙・✓✔✗✘☐☑☒")
_QUOTES = "\"'`“”‘’「」『』《》〈〉«»‹›"
_NUMBERING = re.compile(
    r"(?:\(\d{1,3}\)|\[\d{1,3}\]|#\d{1,3}(?!\d)|\d{1,3}(?:[)\]、]|\.\)|[.:](?=\s|[^\x00-\x7f]|[A-Z]))"
    r"|[\u2460-\u249b\u24ea-\u24ff\u2776-\u2793]|[0-9#*]\ufe0f?\u20e3)\s*"
)
_TRAILING_PUNCT = ",.;:、。"

_NAME_WORDS = frozenset(
    {
        "app", "apps", "app name", "app_name", "appname", "name", "application", "applications",
        "application name", "title", "top apps", "app list", "apps list", "應用", "应用", "應用程式",
        "应用程序", "應用名稱", "应用名称", "名稱", "名称", "app名稱", "app名称", "軟體", "软件", "產品", "产品",
    }
)  # fmt: skip
_SCORE_WORDS = frozenset(
    {
        "score", "scores", "confidence", "conf", "weight", "preference", "affinity", "probability", "prob",
        "pct", "percent", "percentage", "%", "share", "分數", "分数", "得分", "信心", "信心度", "信心分數",
        "信心分数", "置信度", "權重", "权重", "偏好", "偏好度", "偏好分數", "偏好分数", "比例", "機率", "概率",
        "占比", "佔比",
    }
)  # fmt: skip
_RANK_WORDS = frozenset({"rank", "ranking", "#", "no", "no.", "idx", "排名", "名次", "序號", "序号", "編號", "编号"})
_OTHER_WORDS = frozenset(
    {
        "category", "categories", "type", "genre", "id", "app id", "app_id", "appid", "package", "reach",
        "users", "downloads", "類別", "类别", "分類", "分类", "類型", "类型", "下載量", "下载量", "用戶數", "用户数",
    }
)  # fmt: skip

Role = Literal["name", "score", "rank", "other"]
Kind = Literal["none", "explicit", "ambiguous"]



@dataclass
class Item:
    name: str
    # The whole cell, for when an ambiguous trailing number turns out to belong to the name.
    full: str
    value: float | None = None
    percent: bool = False
    integer: bool = False
    kind: Kind = "none"
    # The number as typed ("-3", "150", "150%") when it stood where a score goes but no score can be that.
    out_of_range: str | None = None
    # How a score after a dash was written: "spaced" ("Keep - 0.92", "Keep- 0.92") or "tight" ("Keep -0.5").
    dash: Literal["spaced", "tight"] | None = None

    def set_score(self, value: float, percent: bool, integer: bool) -> None:
        if self.kind == "ambiguous":
            self.name = self.full
        self.value, self.percent, self.integer, self.kind = value, percent, integer, "explicit"


@dataclass(frozen=True)
class Number:
    value: float
    percent: bool
    integer: bool

    @property
    def is_score(self) -> bool:
        return 0 <= self.value <= 100

    @property
    def text(self) -> str:
        return f"{self.value:g}{'%' if self.percent else ''}"



# --- text ------------------------------------------------------------------------------------------------------


def text_items(text: str) -> list[Item]:
    lines = [_strip_line_brackets(line) for line in text.splitlines()]
    lines = _strip_sequential_numbering([line for line in lines if line])
    items: list[Item] = []
    roles: list[Role] | None = None
    seen_content = False
    for index, line in enumerate(lines):
        cells = _split_cells(line)
        if not cells:
            continue
        more_follow = index < len(lines) - 1
        if len(cells) == 1 and cells[0].endswith(":") and more_follow:
            continue  # a title such as "Top apps:" or "以下是 App 列表："
        if not seen_content:
            seen_content = True
            header = _header_roles(cells)
            if header is not None:
                roles = header
                continue
        if roles is not None and len(cells) == len(roles) and "name" in roles:
            _add_row_by_roles(cells, roles, items)
        else:
            _add_row(cells, items)
    return items


def _strip_sequential_numbering(lines: list[str]) -> list[str]:
    """Drop "1." "2." ... even before a lowercase letter ("1.keep") once the lines clearly count 1, 2, 3.

    On a single line "163.com" must stay a name, which is why `_NUMBERING` alone does not strip these.
    """
    numbered = [(index, _SEQUENCE_NUMBER.match(line)) for index, line in enumerate(lines)]
    found = [(index, match) for index, match in numbered if match is not None]
    if len(found) < 2 or [int(match["n"]) for _, match in found] != list(range(1, len(found) + 1)):
        return lines
    stripped = list(lines)
    for index, match in found:
        stripped[index] = lines[index][match.end() :]
    return stripped


def _strip_line_brackets(line: str) -> str:
    """Drop the brackets of JSON-ish lines ("['Keep', 'Strava']") but not a bracketed score ("Keep [92%]")."""
    line = line.strip()
    while line and line[0] in "[{" and not re.match(r"\[\d{1,3}\]", line):
        line = line[1:].lstrip()
    while line and line[-1] in "]}" and line.count("[" if line[-1] == "]" else "{") < line.count(line[-1]):
        line = line[:-1].rstrip()
    return line


def _split_cells(line: str) -> list[str]:
    quoted = [match.span() for match in _QUOTED.finditer(line)]
    cells: list[str] = []
    start = 0
    for match in _CELL_SEP.finditer(line):
        # CSV-style quoting: "Keep, Inc", 0.9 is one name and one score.
        if any(left < match.start() < right for left, right in quoted):
            continue
        cells.extend(_split_after_inline_scores(line[start : match.start()]))
        start = match.end()
    cells.extend(_split_after_inline_scores(line[start:]))
    return [cell.strip() for cell in cells if cell.strip()]


def _split_after_inline_scores(cell: str) -> list[str]:
    """Split "Keep 0.9 Strava 0.8" after each unambiguous score that more text follows: two items, not one."""
    pieces: list[str] = []
    start = 0
    for match in _INLINE_SCORE.finditer(cell):
        pieces.append(cell[start : match.end()])
        start = match.end()
    pieces.append(cell[start:])
    return pieces


def _header_key(cell: str) -> str:
    key = unicodedata.normalize("NFKC", cell).casefold().strip().strip(_QUOTES).strip()
    key = re.sub(r"\s*\(.*\)$", "", key)
    return " ".join(key.split())


def role_of(word: str) -> Role | None:
    key = _header_key(word)
    if key in _NAME_WORDS:
        return "name"
    if key in _SCORE_WORDS:
        return "score"
    if key in _RANK_WORDS:
        return "rank"
    if key in _OTHER_WORDS:
        return "other"
    return None


def _header_roles(cells: list[str]) -> list[Role] | None:
    """Column roles when the cells are a header row, else None. [] is a header whose columns cannot be told."""
    roles = [role_of(cell) for cell in cells]
    if all(role is not None for role in roles):
        return [role for role in roles if role is not None]
    # A header typed with spaces ("應用 分數") arrives as one cell; its rows will too, so no column mapping.
    words = cells[0].split()
    if len(cells) == 1 and len(words) >= 2 and all(role_of(word) is not None for word in words):
        return []
    return None


def _add_row_by_roles(cells: list[str], roles: list[Role], items: list[Item]) -> None:
    item: Item | None = None
    number: Number | None = None
    negative: str | None = None
    for cell, role in zip(cells, roles, strict=True):
        if role == "name" and item is None:
            item = parse_cell(cell)
        elif role == "score" and number is None:
            number = parse_number(cell)
            negative = negative_text(cell)
    if item is None or not is_name(item.name):
        return
    if number is not None and number.is_score:
        item.set_score(number.value, number.percent, number.integer)
    elif number is not None:
        item.out_of_range = number.text  # the column is headed as a score, so this can only be one
    elif negative is not None:
        item.out_of_range = negative
    items.append(item)


def _add_row(cells: list[str], items: list[Item]) -> None:
    line_items: list[Item] = []
    pending: Number | None = None
    for position, cell in enumerate(cells):
        # A row that is only a number continues the previous row (a two-column table copied as one column).
        previous = line_items[-1] if line_items else (items[-1] if items and len(cells) == 1 else None)
        negative = negative_text(cell)
        if negative is not None:
            if previous is not None and previous.kind != "explicit":
                previous.out_of_range = negative  # "Keep, -3": where the score goes, but below 0
            continue
        number = parse_number(cell)
        if number is not None:
            has_more = position < len(cells) - 1
            if previous is not None and previous.kind != "explicit" and number.is_score:
                previous.set_score(number.value, number.percent, number.integer)
            elif not line_items and has_more and number.integer and not number.percent:
                pass  # a rank column
            elif not line_items and has_more and number.is_score:
                pending = number  # a score column placed before the name
            elif previous is not None and previous.kind != "explicit" and (number.percent or not number.integer):
                previous.out_of_range = number.text  # "150%" or "150.5" after a name: a score out of range
            elif number.integer and number.value > 100:
                line_items.append(Item(name=_clean_name(cell), full=_clean_name(cell)))  # "12306", "2048"
            continue
        keyed = _keyed_cell(cell)
        if keyed is not None:
            role, value = keyed
            if role == "name" and value:
                line_items.append(parse_cell(value))
            elif role == "score" and previous is not None and previous.kind != "explicit":
                number = parse_number(value)
                if number is not None and number.is_score:
                    previous.set_score(number.value, number.percent, number.integer)
                elif number is not None or negative_text(value) is not None:
                    previous.out_of_range = number.text if number is not None else negative_text(value)
            continue
        item = parse_cell(cell)
        if not is_name(item.name):
            continue
        if pending is not None and item.kind != "explicit":
            item.set_score(pending.value, pending.percent, pending.integer)
        pending = None
        line_items.append(item)
    items.extend(item for item in line_items if is_name(item.name))


def _keyed_cell(cell: str) -> tuple[Role, str] | None:
    """`name: Keep` / `score: 0.9` (YAML-ish or labelled pastes), but not `Keep: 0.9`."""
    match = _KEYED.fullmatch(_strip_lead(cell))
    if match is None:
        return None
    role = role_of(match["key"])
    if role is None:
        return None
    return role, match["val"].strip()


def parse_number(cell: str) -> Number | None:
    match = _NUMBER_CELL.fullmatch(cell.strip().strip(_QUOTES).strip())
    if match is None:
        return None
    return Number(float(match["num"]), bool(match["pct"]), "." not in match["num"])


def negative_text(cell: str) -> str | None:
    """The cell's negative number as typed, compacted ("-3", "-0.5%"), when the cell is nothing else."""
    stripped = cell.strip().strip(_QUOTES).strip()
    return "".join(stripped.split()) if _NEGATIVE_CELL.fullmatch(stripped) else None


def parse_cell(cell: str) -> Item:
    body = _strip_lead(cell)
    while body and _is_edge_noise(body[-1]):
        body = body[:-1]
    full = _clean_name(body)
    negative = _MARKED_NEGATIVE.search(body)
    if negative is not None:
        return Item(name=full, full=full, out_of_range="".join(negative["num"].split()))
    for pattern, explicit in _TRAILING_SCORES:
        match = pattern.search(body)
        if match is None:
            continue
        name = _clean_name(body[: match.start()])
        if not is_name(name):
            continue
        number = Number(float(match["num"]), bool(match["pct"]), "." not in match["num"])
        marked = number.percent or bool(match.groupdict().get("unit"))
        if not number.is_score or (number.percent and number.value > 100):
            # Only where the number can be nothing but a score is it out of range; "Office 365" is a name.
            return Item(name=full, full=full, out_of_range=number.text if explicit or marked else None)
        unambiguous = explicit or marked or (not number.integer and number.value <= 1)
        kind: Kind = "explicit" if unambiguous else "ambiguous"
        item = Item(name, full, number.value, number.percent, number.integer, kind)
        if pattern is _DASH_SCORE:
            item.dash = "tight" if _TIGHT_HYPHEN.search(body[: match.start("num")]) else "spaced"
        return item
    return Item(name=full, full=full)


def _is_edge_noise(char: str) -> bool:
    category = unicodedata.category(char)
    return (
        char.isspace()
        or category in ("So", "Sk", "Cf", "Me", "Cc")
        or "\ufe00" <= char <= "\ufe0f"
        or "\U0001f3fb" <= char <= "\U0001f3ff"
    )


def _strip_lead(text: str) -> str:
    while True:
        before = text
        text = text.lstrip()
        while text and (text[0] in _BULLETS or _is_edge_noise(text[0])):
            text = text[1:]
        match = _NUMBERING.match(text)
        if match:
            text = text[match.end() :]
        if text == before:
            return text


def _clean_name(text: str) -> str:
    text = _strip_lead(text)
    while True:
        before = text
        text = text.strip().strip(_QUOTES + "[]{}")
        while text and (_is_edge_noise(text[-1]) or text[-1] in _TRAILING_PUNCT):
            text = text[:-1]
        while text and _is_edge_noise(text[0]):
            text = text[1:]
        if text.startswith("(") and text.endswith(")") and text.count("(") == 1 and text.count(")") == 1:
            text = text[1:-1]
        if text == before:
            break
    return " ".join(text.split())


def is_name(text: str) -> bool:
    return any(unicodedata.category(char)[0] in "LN" for char in text)


