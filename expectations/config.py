"""Suite thresholds, read from expectations/thresholds.yml (the only place they are set)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

THRESHOLDS_PATH = Path(__file__).with_name("thresholds.yml")


@cache
def load_thresholds(path: Path = THRESHOLDS_PATH) -> dict[str, Any]:
    """Return the thresholds by subject (`raw`, `volume`, `marts`)."""
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
