"""What every test layer pins: the one "now", the seeded mailboxes, the vendored API examples.

A plain module on ``sys.path`` (pytest puts ``tests/`` there for the root conftest), so the
sandbox, client, session and UI tests agree on one clock instead of keeping their own.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# The same instant as benchmarks/bench.py's FIXED_NOW; the sandbox seeds relative to it.
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
SUPPORT = 8401
BILLING = 8402

# Help Scout's public example payloads, vendored so a fresh clone needs nothing beside it.
API_EXAMPLES = Path(__file__).resolve().parent / "fixtures" / "helpscout-api"


def read_api_example(name: str) -> Any:
    """One example payload (``"docs/users-me.json"``); a missing file fails, never skips."""
    path = API_EXAMPLES / name
    assert path.is_file(), f"vendored fixture {path} is missing"
    return json.loads(path.read_text(encoding="utf-8"))
