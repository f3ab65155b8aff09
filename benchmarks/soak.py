"""Soak: hours of an open hsinbox, compressed, and its memory over time.

    .venv/bin/python benchmarks/soak.py                    # 3,600 refreshes: 2 h at one per 2 s
    .venv/bin/python benchmarks/soak.py --refreshes 600    # a short setting (20 minutes' worth)

Not part of the test suite. A sandbox is served on 127.0.0.1 in its own process (its memory
is not counted); this process runs the app in Textual's headless driver and presses keys:
``R`` (the refresh the timer would do every 2 s) over and over, and between refreshes what
an agent's day brings: another agent writes notes and opens conversations (so each refresh
has changes to bring in), and this agent moves down the list, opens a conversation, goes
back, and every so often searches. The resident set (``VmRSS``) is sampled as it goes; the
high-water mark (``VmHWM``) is reported at the end. The figure to look at is the growth
after warm-up (the first tenth): it should stay within noise, not grow with the hours.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # the served sandbox and the client builder


def rss_mb(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def soak(refreshes: int, samples: int, seed: int) -> list[tuple[int, float]]:
    from hsinbox.config import Settings
    from hsinbox.inbox.session import InboxSession
    from hsinbox.tui.app import HsInboxApp

    rng = random.Random(seed)
    points: list[tuple[int, float]] = []
    with bench.served(2_000) as info:
        home = Path(tempfile.mkdtemp())
        os.environ["XDG_CACHE_HOME"] = str(home / "cache")
        client = bench.client_for(info)
        colleague = bench.client_for(info)  # another agent, writing meanwhile
        settings = Settings(
            undo_delay=0, refresh_interval=0, background_share=1.0, background_floor=0
        )
        session = InboxSession(client, settings=settings, data_dir=home / "data")
        app = HsInboxApp(session, settings, state_path=home / "state.json", preview_delay=0.0)
        async with app.run_test(size=bench.SIZE) as pilot:
            screen = app.inbox_screen
            assert screen is not None
            table = screen.table
            await bench.until(lambda: bool(table.row_count) and not screen.loading_view, 60)
            mailbox = session.mailboxes[0].id
            every = max(refreshes // samples, 1)
            started = time.perf_counter()
            for n in range(1, refreshes + 1):
                ids = list(table.conversations)
                if ids and n % 3 == 0:  # a colleague answers somewhere in the mailbox
                    await colleague.add_note(rng.choice(ids), f"<p>Soak note {n}</p>")
                await pilot.press("R")
                await app.workers.wait_for_complete()
                if n % 5 == 0:  # the agent reads one
                    await pilot.press("j", "enter")
                    await app.workers.wait_for_complete()
                    await pilot.press("q")
                if n % 97 == 0:  # and sometimes searches, then clears the filter
                    await pilot.press("slash", *f"soak {n % 7}", "enter")
                    await app.workers.wait_for_complete()
                    await pilot.press("escape")
                    table.focus()
                if n % every == 0 or n == 1:
                    points.append((n, rss_mb()))
                    elapsed = time.perf_counter() - started
                    print(
                        f"refresh {n:>5} (~{n * 2 / 60:5.1f} min of the day) "
                        f"RSS {points[-1][1]:6.1f} MB  [{elapsed:5.0f} s]",
                        file=sys.stderr,
                        flush=True,
                    )
            stored = len(session.store.conversations)
            threads = len(session.store.threads)
        await colleague.aclose()
        await client.aclose()
        print(
            f"store at the end: {stored} conversations, {threads} thread lists (mailbox {mailbox})",
            file=sys.stderr,
        )
    return points


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refreshes", type=int, default=3600, help="R presses (2 s each)")
    parser.add_argument("--samples", type=int, default=20, help="RSS samples over the run")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    points = asyncio.run(soak(args.refreshes, args.samples, args.seed))
    warm = points[max(len(points) // 10, 1)] if len(points) > 1 else points[0]
    last = points[-1]
    growth = last[1] - warm[1]
    print("| refresh | simulated time | RSS |")
    print("|---|---|---|")
    for n, mb in points:
        print(f"| {n:,} | {n * 2 / 60:.0f} min | {mb:.1f} MB |")
    print(
        f"\nAfter warm-up (refresh {warm[0]:,}): {warm[1]:.1f} MB; at the end: {last[1]:.1f} MB "
        f"({growth:+.1f} MB over {(last[0] - warm[0]) * 2 / 60:.0f} simulated minutes); "
        f"peak (VmHWM) {rss_mb('VmHWM'):.1f} MB."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
