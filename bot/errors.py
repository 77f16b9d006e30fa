"""Errors a user can cause or meet. Each carries a friendly one-line message safe to show anywhere."""

from __future__ import annotations

from bot.i18n import has, t


class PersonaError(Exception):
    """Base class: `str(err)` is a friendly message for the user, never a traceback."""

    exit_code = 1


class UnknownSegment(PersonaError):
    exit_code = 2

    def __init__(self, query: str, suggestions: list[tuple[str, str]]):
        self.query = query
        # (segment_id, name) of the closest matches, best first.
        self.suggestions = suggestions
        hint = ""
        if suggestions:
            hint = " Closest matches: " + "; ".join(f"{name} ({sid})" for sid, name in suggestions) + "."
        super().__init__(f"No segment matches {query!r}.{hint}")


class EmptyAppList(PersonaError):
    exit_code = 2

    EXAMPLE = "小红书 0.92, Keep 0.85, 美团 0.8"

    def __init__(self) -> None:
        super().__init__(
            "No apps found in that text. Paste one app per line or separated by commas, "
            f"optionally with a score, e.g. {self.EXAMPLE}"
        )


def listed(items: list[str], limit: int = 8) -> str:
    """`a, b, c` for a message, at most `limit` items and then how many more."""
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


class ScoresOutOfRange(PersonaError):
    """A paste with scores no reading places in 0–1 (bot/parsing: "Out of range"); never clamped."""

    exit_code = 2

    def __init__(self, items: list[str]):
        # Each as pasted, with its number: "小红书 1.5", "Keep -3".
        self.items = items
        super().__init__(
            "Scores must be between 0 and 1 (0.92) or percentages up to 100 (92 or 92%); "
            f"out of range: {listed(items)}. Fix them and paste the list again."
        )


class NoKnownApps(PersonaError):
    """A paste in which no app is in the catalog: with no data and no language model there is nothing to say."""

    exit_code = 2

    def __init__(self, names: list[str], suggestions: dict[str, str] | None = None):
        self.names = names
        # pasted name -> the catalog app it may have meant
        self.suggestions = suggestions or {}
        shown = [f"{name} (did you mean {self.suggestions[name]}?)" if name in self.suggestions else name
                 for name in names]
        super().__init__(
            f"None of these apps is in the catalog: {listed(shown)}. Check the names, or pick a segment instead "
            "(persona-bot segments; in Slack, /persona help)."
        )


class DatasetError(PersonaError):
    """A dataset file failed validation; names the file, row and column."""

    exit_code = 2

    def __init__(self, file: str, message: str, row: int | None = None, column: str | None = None):
        self.file, self.row, self.column = file, row, column
        where = file
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {message}")


class WarehouseError(PersonaError):
    """The warehouse could not answer (unreachable, permission, quota)."""


class LLMError(PersonaError):
    """The LLM failed after retries; callers fall back to the offline writer.

    `str(err)` is the English message, for logs and the command line; `reason` and `values` name the same fault so a
    card can say it in its reader's language (`for_reader`, the UI strings `llm.<reason>`).
    """

    def __init__(self, reason: str = "failed", /, **values: object):
        # A fault without words of its own ("unknown") is a failed call to the reader.
        self.reason = reason if has(f"llm.{reason}") else "failed"
        self.values = values
        super().__init__(self.for_reader("en"))

    def for_reader(self, lang: str) -> str:
        values = dict(self.values)
        if self.reason == "unusable":
            # The checks that failed, each named in the reader's words.
            codes = [str(code) for code in values.pop("checks", ())] or ["unusable"]
            values["checks"] = t("llm.checks_joiner", lang).join(_check_name(code, lang) for code in codes)
        return t(f"llm.{self.reason}", lang, **values)


def _check_name(code: str, lang: str) -> str:
    key = f"llm.check.{code}"
    return t(key, lang) if has(key) else code


def llm_note(exc: BaseException, lang: str) -> str:
    """Why the model's answer is not on the card, in the reader's language: the fault for an `LLMError`, and a
    plain "unusable answer" for anything else (a bug must not put a Python message on a card)."""
    return exc.for_reader(lang) if isinstance(exc, LLMError) else t("llm.crashed", lang)
