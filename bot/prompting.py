"""Builds the chat messages and the JSON schema for one persona request from the versioned templates."""

from __future__ import annotations

import copy
import json
from functools import cache
from string import Template
from typing import Any

from pydantic import BaseModel

from bot.config import Lang
from bot.languages import language
from bot.localized import market_name
from bot.models import PersonaDraft, WriterRequest
from prompts import load_template

SYSTEM_TEMPLATE = "persona_system.v2.txt"
USER_TEMPLATE = "persona_user.v2.txt"
# One worked example per output language, so the model sees the kind of prose wanted in the language it writes.
EXAMPLE_FILES: dict[str, str] = {
    "en": "persona_example.v2.en.json",
    "zh-TW": "persona_example.v2.zh-TW.json",
    "zh-CN": "persona_example.v2.zh-CN.json",
}
# The Chinese hashtags are written for the audience: in the script of its market, whoever reads the card.
MARKET_HASHTAG_LANG: dict[str, Lang] = {"CN": "zh-CN", "TW": "zh-TW", "HK": "zh-TW", "MO": "zh-TW"}
REPAIR_TEMPLATE = "json_repair.v1.txt"

DATA_OPEN = "<segment_data>"
DATA_CLOSE = "</segment_data>"

def data_json(value: Any) -> str:
    """JSON for text that goes inside the delimiters.

    Every `<` and `>` is written as a JSON unicode escape, so no user string can spell a tag (in any case or
    spacing) that closes or reopens the data block, while the document still decodes to the exact text.
    """
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e")


def hashtag_zh_lang(request: WriterRequest) -> Lang:
    """The language whose script the Chinese hashtags are in: the audience's market's (simplified for mainland
    audiences, traditional for Taiwan and Hong Kong), else, for an audience without a known market, the reader's
    (whose own `hashtag_zh_lang` says which script an English reader gets)."""
    segment = request.grounding.segment
    market = (segment.market or "").upper() if segment else ""
    return MARKET_HASHTAG_LANG.get(market) or language(request.lang).hashtag_zh_lang


def hashtag_zh_script(request: WriterRequest) -> str:
    return language(hashtag_zh_lang(request)).hashtag_zh_script


def render_segment_data(request: WriterRequest) -> str:
    """The JSON document inside the delimiters, one app per line to keep it compact yet readable."""
    grounding = request.grounding
    segment = grounding.segment
    demographics = request.demographics
    segment_doc = None if segment is None else {
        "name": segment.localized_name(request.lang),
        "description": segment.localized_description(request.lang),
        # The market's name in the reader's language, so the model writes "Taiwan" or "台灣", never "TW".
        "market": market_name(segment.market, request.lang) if segment.market else None,
    }

    def category(key: str | None) -> str | None:
        labels = grounding.categories.get(key or "")
        return labels.label(request.lang) if labels else key

    # Input order is the salesperson's ranking, so it is kept.
    apps = []
    for app in grounding.apps:
        doc: dict[str, Any] = {"name": app.name, "category": category(app.category), "score": app.score}
        if app.index is not None:
            doc["index"] = round(app.index)
        if app.penetration is not None:
            doc["penetration"] = round(app.penetration, 3)
        apps.append(doc)
    demographics_doc: dict[str, Any] = {
        "age": demographics.age,
        "gender": demographics.gender,
        "source": demographics.source,
        "coverage": round(demographics.coverage, 3),
    }
    if demographics.source == "measured" and demographics.n:
        demographics_doc["people_measured"] = demographics.n
    app_lines = ",\n".join(data_json(app) for app in apps)
    return (
        "{\n"
        f'"segment": {data_json(segment_doc)},\n'
        f'"apps": [\n{app_lines}\n],\n'
        f'"demographics": {data_json(demographics_doc)}\n'
        "}"
    )


def render_user_message(request: WriterRequest) -> str:
    # substitute() is a single pass: a `$name` inside user text is never expanded.
    return Template(load_template(USER_TEMPLATE)).substitute(
        language=language(request.lang).model_name,
        zh_script=hashtag_zh_script(request),
        needs_estimate=json.dumps(request.needs_estimate),
        buckets=data_json(request.buckets),
        segment_data=render_segment_data(request),
    )


@cache
def _example(lang: str) -> tuple[WriterRequest, str]:
    raw = json.loads(load_template(EXAMPLE_FILES.get(lang, EXAMPLE_FILES["en"])))
    request = WriterRequest.model_validate(raw["request"])
    # Validated so that a broken example file fails loudly rather than teaching the model a wrong shape.
    output = PersonaDraft.model_validate(raw["output"])
    return request, json.dumps(output.model_dump(mode="json"), ensure_ascii=False)


def example_pair(lang: str = "en") -> tuple[WriterRequest, PersonaDraft]:
    """The few-shot example of `lang` as models (for tests and documentation)."""
    request, output = _example(lang)
    return request, PersonaDraft.model_validate_json(output)


def render_persona_messages(request: WriterRequest) -> list[dict[str, str]]:
    """System prompt, the worked example in the request's language (user/assistant), then the request itself."""
    example_request, example_output = _example(request.lang)
    return [
        {"role": "system", "content": load_template(SYSTEM_TEMPLATE)},
        {"role": "user", "content": render_user_message(example_request)},
        {"role": "assistant", "content": example_output},
        {"role": "user", "content": render_user_message(request)},
    ]


def render_repair_message(problems: str) -> str:
    return Template(load_template(REPAIR_TEMPLATE)).substitute(problems=problems)


def extract_segment_data(message: str) -> dict[str, Any]:
    """Inverse of the data block rendering: the decoded JSON between the delimiters of one user message."""
    # The tags sit on lines of their own; nothing inside the block can contain them (see `data_json`).
    start = message.index(f"\n{DATA_OPEN}\n") + len(DATA_OPEN) + 2
    end = message.index(f"\n{DATA_CLOSE}", start)
    return json.loads(message[start:end])


# --- JSON schema for structured outputs ------------------------------------------------------------------


def _resolve_ref(root: dict[str, Any], ref: str) -> dict[str, Any]:
    node: Any = root
    for key in ref.removeprefix("#/").split("/"):
        node = node[key]
    return node


def _strictify(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    # Mirrors the rules of the SDK's own converter, for SDK versions that do not ship it.
    for sub in (node.get("$defs") or {}).values():
        _strictify(sub, root)
    if node.get("type") == "object" and "additionalProperties" not in node:
        node["additionalProperties"] = False
    properties = node.get("properties")
    if isinstance(properties, dict):
        node["required"] = list(properties)
        node["properties"] = {key: _strictify(sub, root) for key, sub in properties.items()}
    if isinstance(node.get("items"), dict):
        node["items"] = _strictify(node["items"], root)
    if isinstance(node.get("anyOf"), list):
        node["anyOf"] = [_strictify(sub, root) for sub in node["anyOf"]]
    if isinstance(node.get("allOf"), list):
        if len(node["allOf"]) == 1:
            node.update(_strictify(node.pop("allOf")[0], root))
        else:
            node["allOf"] = [_strictify(sub, root) for sub in node["allOf"]]
    if "default" in node and node["default"] is None:
        node.pop("default")
    # Strict mode does not allow siblings next to a `$ref`, so such refs are inlined.
    if "$ref" in node and len(node) > 1:
        resolved = _resolve_ref(root, node.pop("$ref"))
        merged = {**copy.deepcopy(resolved), **node}
        node.clear()
        node.update(merged)
        return _strictify(node, root)
    return node


def build_strict_schema(model: type[BaseModel]) -> dict[str, Any]:
    """Strict structured-output schema built without the SDK's converter."""
    schema = model.model_json_schema()
    return _strictify(schema, schema)


def strict_json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """Schema for OpenAI structured outputs (`strict: true`) from a pydantic model."""
    try:
        from openai.lib._pydantic import to_strict_json_schema
    except ImportError:
        return build_strict_schema(model)
    return to_strict_json_schema(model)


def _bucket_object(buckets: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {bucket: {"type": "number"} for bucket in buckets},
        "required": list(buckets),
        "additionalProperties": False,
    }


def draft_json_schema(request: WriterRequest | None = None) -> dict[str, Any]:
    """Strict schema of `PersonaDraft`.

    Without a request the estimate's age/gender maps stay open (`additionalProperties: number`), which strict
    mode does not accept. With a request the schema is fully strict: the estimate is `null` when the data
    covers the figures, or an object with exactly the request's buckets when an estimate is needed.
    """
    schema = strict_json_schema(PersonaDraft)
    if request is None:
        return schema
    properties = schema["properties"]
    if not request.needs_estimate:
        properties["demographics_estimate"] = {"type": "null"}
        schema.get("$defs", {}).pop("DemographicsEstimate", None)
        return schema
    properties["demographics_estimate"] = {
        "type": "object",
        "properties": {
            "age": _bucket_object(request.buckets.get("age", [])),
            "gender": _bucket_object(request.buckets.get("gender", [])),
        },
        "required": ["age", "gender"],
        "additionalProperties": False,
    }
    schema.get("$defs", {}).pop("DemographicsEstimate", None)
    return schema
