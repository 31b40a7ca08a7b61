"""The labelled reply corpus Saldo writes and ships (``<language>.jsonl``).

One JSON object per line: ``text``, ``intent``, ``language``, ``today`` (the reference day the
gold date is relative to), ``promised_on`` and ``amount`` (gold, or null), ``split`` (``train``
or ``heldout``; held-out examples are never trained on) and ``phrase`` (which hand-written
phrase it came from). ``generate.py`` rebuilds the files.
"""

from __future__ import annotations

import json
from pathlib import Path

from replies import LANGUAGES

FOLDER = Path(__file__).resolve().parent


def load_corpus(split: str | None = None, languages=LANGUAGES) -> list[dict]:
    """The examples of ``split`` ("train", "heldout", or None for both) in ``languages``."""
    rows = []
    for language in languages:
        with (FOLDER / f"{language}.jsonl").open(encoding="utf-8") as handle:
            rows.extend(json.loads(line) for line in handle if line.strip())
    return [row for row in rows if split is None or row["split"] == split]
