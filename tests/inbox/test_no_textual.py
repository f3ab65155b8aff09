from __future__ import annotations

import subprocess
import sys


def test_importing_inbox_does_not_import_textual() -> None:
    code = (
        "import sys, hsinbox.inbox, hsinbox.inbox.session, hsinbox.inbox.worker;"
        "print(sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
