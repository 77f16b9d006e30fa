"""What a model writes for a follow-up, and how the plain-text form a reader watches arrive is read back into it.

Asked for JSON (`complete_json`), the model fills a `FollowUpDraft` directly. Asked for text to stream
(`prompts/followup_answer_text.v1.txt`), it writes the same three parts in a fixed layout that reads well as it
arrives and is read back here once it is complete: the summary first, then one point per line starting with "- ",
then one next step per line starting with "→".
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict


class FollowUpDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    summary: str
    points: list[str]
    next_actions: list[str]


# Models number their points or use another bullet now and then, and type "->" for the arrow.
_POINT = re.compile(r"^(?:[-•*]|\d{1,2}[.)、])\s+")
_ACTION = re.compile(r"^(?:→|->|=>)\s*")
# A heading a model adds despite the layout ("Next steps:", "**下一步：**"): it says nothing of its own.
_HEADING = re.compile(r"^[*_#\s]*[^.!?。！？]{0,40}[:：][*_\s]*$")


def draft_from_text(text: str) -> FollowUpDraft:
    """The streamed text of a follow-up as its three parts.

    Lines before the first point or step are the summary; a line that is neither a point nor a step after them
    goes on with the item before it, so an item the model wrapped is kept whole; a line that is only a heading is
    left out. Nothing is checked here: the draft goes through the same checks as a JSON answer.
    """
    summary: list[str] = []
    points: list[str] = []
    actions: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if (found := _ACTION.match(line)) is not None:
            actions.append(line[found.end():].strip())
        elif (found := _POINT.match(line)) is not None:
            points.append(line[found.end():].strip())
        elif _HEADING.match(line):
            continue
        elif not points and not actions:
            summary.append(line)
        else:
            items = actions or points
            items[-1] = f"{items[-1]} {line}".strip()
    return FollowUpDraft(summary=" ".join(summary), points=[p for p in points if p],
                         next_actions=[a for a in actions if a])
