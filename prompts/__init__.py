"""Versioned prompt templates, shipped as package data next to this module."""

from __future__ import annotations

from importlib import resources

# Bump with any change to a template file: it is recorded in each result's meta and keys the cache,
# so cards written by an older prompt are never served as if the new one had written them.
PERSONA_PROMPT_VERSION = "persona-v2"
# Follow-up analyses (partnership ideas, competitor analysis) have their own templates and version.
FOLLOWUP_PROMPT_VERSION = "followup-v3"
# The written summary of a comparison (compare_system / compare templates).
COMPARE_PROMPT_VERSION = "compare-v1"


def load_template(name: str) -> str:
    """The text of a template file in this package, e.g. `load_template("persona_system.v1.txt")`."""
    # A name with a path separator could read files outside the package.
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise FileNotFoundError(f"not a prompt template name: {name!r}")
    path = resources.files(__package__).joinpath(name)
    if not path.is_file():
        raise FileNotFoundError(f"no prompt template named {name!r}")
    return path.read_text(encoding="utf-8")
