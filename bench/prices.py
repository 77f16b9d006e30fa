"""LLM prices per million tokens, for the cost figures of the token measurement.

Source: OpenAI's API pricing page, standard tier; these are the prices published for the models since their launch
(the gpt-4.1 family on 2025-04-14), recorded here on 2026-11-22. Prices change: check the page and pass
`--price-input` / `--price-output` (USD per million tokens) to the bench when they do.
"""

from __future__ import annotations

from dataclasses import dataclass

SOURCE = "OpenAI API pricing, standard tier (recorded 2026-11-22)"


@dataclass(frozen=True)
class Price:
    input: float  # USD per 1M prompt tokens
    output: float  # USD per 1M completion tokens
    cached_input: float | None = None
    source: str = SOURCE

    def cost(self, prompt_tokens: float, completion_tokens: float) -> float:
        return (prompt_tokens * self.input + completion_tokens * self.output) / 1_000_000


PRICES: dict[str, Price] = {
    "gpt-4.1-mini": Price(input=0.40, output=1.60, cached_input=0.10),
    "gpt-4.1": Price(input=2.00, output=8.00, cached_input=0.50),
    "gpt-4.1-nano": Price(input=0.10, output=0.40, cached_input=0.025),
    "gpt-4o-mini": Price(input=0.15, output=0.60, cached_input=0.075),
    "gpt-4o": Price(input=2.50, output=10.00, cached_input=1.25),
}


def price_for(model: str, *, input: float | None = None, output: float | None = None) -> Price | None:
    """The table's price for `model`, with either figure overridden; None when neither table nor flags know it."""
    known = PRICES.get(model)
    if known is None and (input is None or output is None):
        return None
    base = known or Price(input=0.0, output=0.0, source="command-line flags")
    if input is None and output is None:
        return base
    return Price(
        input=base.input if input is None else input,
        output=base.output if output is None else output,
        cached_input=base.cached_input,
        source=f"{base.source}, overridden by flags" if known else "command-line flags",
    )
