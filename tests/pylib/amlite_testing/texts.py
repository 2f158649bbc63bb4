"""Azure's error texts as amlite's named constructors render them, for assertions: the golden file
`azure_texts.json` beside this module, which the Rust test `tests/api/azure_texts.rs` renders from
the server's own constructors and keeps in step (a Python suite never copies a text)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

GOLDEN = Path(__file__).with_name("azure_texts.json")


@lru_cache(maxsize=1)
def azure_texts() -> dict[str, str]:
    """Key: the constructor (and its arguments, for a template), e.g. `ISO-1`,
    `ResourceGroupNotFound(no-such-rg)`; value: the exact message amlite sends."""
    return json.loads(GOLDEN.read_text())


def azure_text(key: str) -> str:
    """One text; a KeyError names the keys there are (add new ones in tests/api/azure_texts.rs)."""
    texts = azure_texts()
    if key not in texts:
        raise KeyError(f"{key!r} is not in {GOLDEN.name}; known: {sorted(texts)}")
    return texts[key]
