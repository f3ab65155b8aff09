"""``|`` pipes the open conversation to a command; ``[hooks]`` keys run templated ones.

``|`` asks for a command (``↑``/``↓`` walk the history kept in the data dir): the thread goes
to its stdin as plain text (``inbox/text.html_to_plain``), as JSON with the prefix ``:json``,
or as the raw email of the newest customer thread with ``:raw`` (one request). The output
opens in a pager: ``n`` puts it into a new note, ``r`` into a reply draft, ``escape`` closes
(and stops a command still running). A hook's output goes to the same pager, or straight
into a note or reply (``output = "note"``); a failing one is one line.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import BindingsMap
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from hsinbox.config import Hook
from hsinbox.helpscout.models import Conversation, Customer
from hsinbox.inbox.drafts import Draft
from hsinbox.inbox.pipes import CommandResult, PipeHistory, render_command, run_command
from hsinbox.inbox.reach import thread_json, thread_text
from hsinbox.inbox.text import safe_text
from hsinbox.tui.clipboard import web_url
from hsinbox.tui.key_footer import KeyFooter
from hsinbox.tui.registry import INBOX_CONTEXTS, bindings, specs
from hsinbox.tui.screen_base import InboxScreenBase

PIPE_TIMEOUT = 60.0
JSON_PREFIX = ":json "
RAW_PREFIX = ":raw "
CUSTOMER_HOOK = "customer"


class PipeScreen(ModalScreen[str | None]):
    """One line: the command; enter runs it, escape cancels, up/down walk the history."""

    BINDINGS = bindings("pipe")

    def __init__(self, title: str, history: list[str]) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.history = history
        self._at = len(history)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker"):
            yield Label(Text(self.title_text), classes="dialog-title")
            yield Input(placeholder="a command, e.g. wc -l", id="pipe-command")
            yield Static(
                Text(
                    "stdin: the thread as text · ':json cmd' as JSON · ':raw cmd' the customer's "
                    "raw email · ↑/↓ history"
                ),
                classes="dialog-help",
            )
            yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted, "#pipe-command")
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())

    def action_history(self, delta: int) -> None:
        if not self.history:
            return
        self._at = max(0, min(len(self.history), self._at + delta))
        field = self.query_one(Input)
        field.value = self.history[self._at] if self._at < len(self.history) else ""
        field.cursor_position = len(field.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class OutputScreen(ModalScreen[str | None]):
    """Runs the command (a worker: escape cancels it) and pages its output; ``n`` / ``r``
    hand it back to be inserted into a new note or a reply draft."""

    BINDINGS = bindings("output")

    def __init__(
        self,
        title: str,
        run: Callable[[], Awaitable[CommandResult]],
        *,
        insert_into: str | None = None,
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self._run = run
        self.insert_into = insert_into
        self.result: CommandResult | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog output"):
            yield Label(Text(self.title_text), classes="dialog-title")
            with VerticalScroll(id="output-scroll"):
                yield Static(Text("Running… escape stops it", "dim"), id="output-text")
            yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#output-scroll").focus()
        self.execute()

    @work(exclusive=True, group="command", exit_on_error=False)
    async def execute(self) -> None:
        try:
            result = await self._run()
        except Exception as exc:
            self.app.notify(markup=False, message=f"{self.title_text}: {exc}", severity="error")
            self.dismiss(None)
            return
        self.result = result
        if not result.ok:
            self.app.notify(markup=False, message=result.summary(self.title_text), severity="error")
            self.dismiss(None)
            return
        if self.insert_into is not None:
            self.dismiss(self.insert_into)
            return
        shown = safe_text(result.output) if result.output else Text("(no output)", "dim")
        if result.cut:
            shown.append("\n… (output cut at 1 MB)", "dim")
        self.query_one("#output-text", Static).update(shown)

    @property
    def output(self) -> str:
        return self.result.output if self.result is not None else ""

    def action_insert(self, kind: str) -> None:
        if self.result is None:
            return  # still running
        self.dismiss(kind)

    def action_close(self) -> None:
        self.workers.cancel_group(self, "command")  # kills a command still running
        self.dismiss(None)


def hook_values(conv: Conversation, customer: Customer | None) -> dict[str, str]:
    """What a hook's placeholders stand for (each quoted when the command is built)."""
    person = conv.primary_customer
    email = person.email if person is not None and person.email else ""
    if not email and customer is not None and customer.emails:
        email = customer.emails[0].value
    name = (customer.name if customer is not None else "") or (person.display if person else "")
    return {
        "number": str(conv.number or ""),
        "id": str(conv.id),
        "customer.email": email,
        "customer.name": name,
        "url": web_url(conv.id, conv.number),
        "subject": conv.subject or "",
        "mailbox": str(conv.mailbox_id or ""),
    }


def taken_keys(keymap: dict[str, str]) -> set[str]:
    """Every key the inbox screen binds now (a hook may not take one)."""
    bindings_map = BindingsMap([s.binding() for c in INBOX_CONTEXTS for s in specs(c) if s.keys])
    if keymap:
        bindings_map.apply_keymap(keymap)
    return set(bindings_map.key_to_bindings)


class PipeAndHooks(InboxScreenBase):
    """Mixed into ``InboxScreen``: ``|``, the ``[hooks]`` keys and the customer hook."""

    _hook_keys: dict[str, str] | None = None

    def hook_keys(self) -> dict[str, str]:
        """key → hook name, for the hooks with a key no binding uses (one line for each
        that collides, once)."""
        if self._hook_keys is None:
            taken = taken_keys(dict(self.inbox_app.current_keymap()))
            keys: dict[str, str] = {}
            for name, hook in self.inbox_app.settings.hooks.items():
                if hook.key is None:
                    continue
                if hook.key in taken or hook.key in keys:
                    self.notify(
                        markup=False,
                        message=f"[hooks.{name}] key {hook.key} is taken; the hook is off.",
                        severity="warning",
                    )
                    continue
                keys[hook.key] = name
            self._hook_keys = keys
        return self._hook_keys

    def on_key(self, event: events.Key) -> None:
        name = self.hook_keys().get(event.key)
        if name is None or isinstance(self.focused, Input):
            return
        event.stop()
        self.run_hook(name)

    def _conversation(self) -> Conversation | None:
        conv = self.thread.conversation or self.table.current
        if conv is None:
            self.notify(markup=False, message="Open a conversation first.", timeout=3)
        return conv

    def run_hook(self, name: str) -> None:
        conv = self._conversation()
        hook = self.inbox_app.settings.hooks.get(name)
        if conv is None or hook is None:
            return
        customer = self.customer
        person = conv.primary_customer
        if customer is not None and person is not None and customer.id != person.id:
            customer = None  # the panel shows another conversation's customer
        command = render_command(hook.command, hook_values(conv, customer))
        insert = None if hook.output == "pager" else hook.output

        async def run() -> CommandResult:
            return await run_command(command, timeout=hook.timeout)

        self._show_output(f"Hook {name}", conv, run, insert)

    def _show_output(
        self,
        title: str,
        conv: Conversation,
        run: Callable[[], Awaitable[CommandResult]],
        insert: str | None = None,
    ) -> None:
        screen = OutputScreen(title, run, insert_into=insert)

        def done(kind: str | None) -> None:
            if kind in ("note", "reply") and screen.output.strip():
                self.insert_into_draft(kind, conv, screen.output)

        self.app.push_screen(screen, done)

    def insert_into_draft(self, kind: str, conv: Conversation, text: str) -> None:
        """Add ``text`` to the conversation's local note or reply draft, then open it."""
        drafts = self.session.drafts
        saved = drafts.load(conv.id, kind)
        body = text.rstrip("\n")
        if saved is not None and saved.text.strip():
            drafts.save(dataclasses.replace(saved, text=saved.text.rstrip() + "\n\n" + body))
        else:
            drafts.save(Draft(conversation_id=conv.id, kind=kind, text=body))
        self._open_composer(kind, conv)

    def action_pipe(self) -> None:
        conv = self._conversation()
        if conv is None:
            return
        history = PipeHistory(self.session.data_dir)

        def chosen(command: str | None) -> None:
            if command is None:
                return
            history.add(command)
            self._pipe(conv, command)

        number = conv.number or conv.id
        self.app.push_screen(PipeScreen(f"Pipe #{number} to a command", history.load()), chosen)

    def _pipe(self, conv: Conversation, typed: str) -> None:
        mode, command = "text", typed
        for prefix, name in ((JSON_PREFIX, "json"), (RAW_PREFIX, "raw")):
            if typed.startswith(prefix):
                mode, command = name, typed.removeprefix(prefix).strip()
        session = self.session

        async def run() -> CommandResult:
            threads = session.store.threads.get(conv.id)
            if threads is None:
                threads = await session.load_threads(conv.id)
            if mode == "raw":
                customer_threads = [t for t in threads if t.type == "customer" and t.id > 0]
                if not customer_threads:
                    raise ValueError("this conversation has no customer email to pipe")
                stdin = await session.original_source(conv.id, customer_threads[-1].id)
            elif mode == "json":
                stdin = thread_json(conv, threads)
            else:
                stdin = thread_text(conv, threads)
            return await run_command(command, stdin, timeout=PIPE_TIMEOUT)

        self._show_output(f"| {command}", conv, run)

    @work(group="customer-hook", exit_on_error=False)
    async def run_customer_hook(self, customer: Customer) -> None:
        """The ``customer`` hook, once per customer per session; its output in the panel."""
        hook: Hook | None = self.inbox_app.settings.hooks.get(CUSTOMER_HOOK)
        conv = self.thread.conversation or self.table.current
        known = self.customer_hook_output
        if hook is None or conv is None or customer.id in known:
            return
        command = render_command(hook.command, hook_values(conv, customer))
        result = await run_command(command, timeout=hook.timeout)
        if not result.ok:
            self.report_error(result.summary("The customer hook"))
            return
        self.customer_hook_output = {**known, customer.id: result.output}
        if self.customer is not None and self.customer.id == customer.id:
            self.query_one("#customer", Static).update(self.customer_panel_text(self.customer))
