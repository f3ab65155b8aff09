"""Every key of the app, once: id, default keys, description, where it applies, what it does.

The footer (through each class's ``BINDINGS``), the help screen (``?``), the command palette,
read-only gating (``WRITE_ACTIONS``), the keys that need a conversation
(``NEEDS_CONVERSATION``), the names ``[keymap]`` may use (``known_binding_ids``) and the README's
key table (a test compares them) all come from ``ACTIONS``. A new key is one line here plus the
``action_…`` method; nothing else lists keys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypedDict

from textual.binding import Binding, BindingsMap, BindingType


@dataclass(frozen=True)
class ActionSpec:
    """One key binding of one context."""

    context: str
    """Which class binds it: a key of ``CONTEXTS``."""
    id: str | None
    """The binding id: the name ``[keymap]`` uses. None for a context's own arrow keys."""
    keys: str
    """Default key(s), comma-separated, as Textual writes them; "" for a palette-only
    command (no binding, so no id and no footer entry either)."""
    action: str
    description: str
    show: bool = True
    """Shown in the footer."""
    writes: bool = False
    """Changes something in Help Scout: off in read-only mode."""
    needs_conversation: bool = False
    """Off while no conversation is under the cursor."""
    palette: bool = True
    """Offered by the command palette (only the inbox's contexts are)."""
    priority: bool = False
    tooltip: str = ""
    """The longer description help shows (the footer keeps the short one)."""

    @property
    def action_name(self) -> str:
        """The action without its namespace: ``screen.open`` is ``open``."""
        return self.action.removeprefix("screen.")

    def binding(self) -> Binding:
        return Binding(
            self.keys,
            self.action,
            self.description,
            show=self.show,
            priority=self.priority,
            id=self.id,
            tooltip=self.tooltip,
        )


# Where a binding applies, with the title the help screen gives it (None: not in help).
CONTEXTS: dict[str, str | None] = {
    "app": "Anywhere",
    "inbox": "Inbox",
    "list": "List",
    "thread": "Thread",
    "sidebar": "Sidebar",
    "composer": "Composer",
    "picker": "Picker",
    "status": "Status",
    "tags": "Tags",
    "new_conversation": None,
    "customer_edit": None,
    "confirm": None,
    "help": None,
    "sign_in": None,
    "drafts": None,
    "collision": None,
    "quit": None,
    "snooze": "Snooze",
    "fields": "Fields",
    "attachments": "Attachments",
    "composer_files": "Composer files",
    "close_ask": None,
    "attach_path": None,
    "pager": None,
    "subject": None,
    "messages": None,
    "reauth": None,
    "pipe": None,
    "output": None,
    "send_later": None,
}

# The contexts of the inbox screen: the palette offers them, the README's key table lists them.
INBOX_CONTEXTS = ("app", "inbox", "list", "thread", "sidebar")


class _Flags(TypedDict, total=False):
    writes: bool
    needs_conversation: bool


_W: _Flags = {"writes": True, "needs_conversation": True}


def _form_keys(context: str) -> tuple[ActionSpec, ...]:
    """Tab in a form is a priority binding: Textual's own runs only once the key has bubbled
    up from the focused field, and by then the keys typed after it (a fast typist, a paste)
    had gone to the old field. A priority binding moves the focus before the next key."""
    return (
        ActionSpec(
            context, "form.next", "tab", "app.focus_next", "Next field", show=False, priority=True
        ),
        ActionSpec(
            context,
            "form.previous",
            "shift+tab",
            "app.focus_previous",
            "Previous field",
            show=False,
            priority=True,
        ),
    )


_C: _Flags = {"needs_conversation": True}

ACTIONS: tuple[ActionSpec, ...] = (
    # ctrl+q is the way out when a keymap hides q.
    ActionSpec(
        "app",
        "quit",
        "ctrl+q,ctrl+c",
        "quit",
        "Quit (anywhere)",
        show=False,
        priority=True,
        palette=False,
    ),
    # --- the inbox screen ---
    ActionSpec("inbox", "reply", "r", "reply", "Reply", **_W),
    ActionSpec("inbox", "note", "n", "note", "Note", **_W),
    ActionSpec("inbox", "status", "s", "status", "Status", **_W),
    ActionSpec("inbox", "close_next", "e", "close_next", "Close+next", **_W),
    ActionSpec("inbox", "assign", "a", "assign", "Assign", **_W),
    ActionSpec("inbox", "assign_me", "A", "assign_me", "Assign to me", show=False, **_W),
    ActionSpec("inbox", "take_next", "N", "take_next", "Take next", show=False, writes=True),
    ActionSpec("inbox", "move", "v", "move", "Move", show=False, **_W),
    ActionSpec("inbox", "tags", "t", "tags", "Tags", **_W),
    ActionSpec("inbox", "delete", "d", "delete", "Delete", show=False, **_W),
    ActionSpec(
        "inbox", "new_conversation", "c", "new_conversation", "New", show=False, writes=True
    ),
    ActionSpec("inbox", "edit_customer", "I", "edit_customer", "Edit customer", show=False, **_W),
    # --- the agent day ---
    ActionSpec("inbox", "snooze", "z", "snooze", "Snooze", show=False, **_W),
    ActionSpec("inbox", "unsnooze", "Z", "unsnooze", "Unsnooze", show=False, **_W),
    ActionSpec("inbox", "custom_fields", "f", "custom_fields", "Custom fields", show=False, **_W),
    ActionSpec("inbox", "workflow", "w", "workflow", "Run workflow", show=False, **_W),
    ActionSpec("inbox", "attachments", "F", "attachments", "Attachments", show=False, **_C),
    ActionSpec("inbox", "edit_subject", "E", "edit_subject", "Edit subject", show=False, **_W),
    ActionSpec(
        "inbox",
        "customer_history",
        "H",
        "customer_history",
        "Customer's conversations",
        show=False,
        **_C,
    ),
    # --- the customer panel: the organization's conversations, the properties ---
    ActionSpec(
        "inbox",
        "organization_conversations",
        "C",
        "organization_conversations",
        "Organization's conversations",
        show=False,
        **_C,
    ),
    ActionSpec(
        "inbox",
        "edit_properties",
        "P",
        "edit_properties",
        "Edit customer properties",
        show=False,
        **_W,
    ),
    # --- pipe and hooks ---
    ActionSpec("inbox", "pipe", "vertical_line", "pipe", "Pipe to a command", show=False, **_C),
    # --- send later: the open conversation's scheduled reply ---
    ActionSpec(
        "inbox",
        "send_scheduled_now",
        "S",
        "send_scheduled_now",
        "Send scheduled reply now",
        show=False,
        **_W,
    ),
    ActionSpec("inbox", "unschedule", "U", "unschedule", "Unschedule reply", show=False, **_W),
    ActionSpec(
        "inbox", "edit_scheduled", "L", "edit_scheduled", "Edit scheduled reply", show=False, **_W
    ),
    ActionSpec("inbox", "filter", "slash", "filter", "Filter", show=False),
    ActionSpec(
        "inbox",
        "refresh",
        "R",
        "refresh",
        "Refresh",
        show=False,
    ),
    ActionSpec(
        "inbox",
        "reload_view",
        "f5",
        "reload_view",
        "Reload view",
        show=False,
    ),
    ActionSpec("inbox", "customer_panel", "i", "customer_panel", "Customer", show=False, **_C),
    ActionSpec("inbox", "copy_number", "y", "copy_number", "Copy number", show=False, **_C),
    ActionSpec("inbox", "copy_url", "Y", "copy_url", "Copy web link", show=False, **_C),
    ActionSpec("inbox", "open_web", "O", "open_web", "Open in browser", show=False, **_C),
    ActionSpec("inbox", "undo", "u", "undo", "Undo"),
    ActionSpec("inbox", "drafts", "D", "drafts", "Unsent drafts", show=False),
    ActionSpec("inbox", "messages", "M", "messages", "Messages log", show=False),
    ActionSpec("inbox", "watch", "b", "watch", "Watch / unwatch", show=False, **_C),
    # On the screen, not the list, so they work while the thread or the sidebar has the focus.
    ActionSpec("inbox", "sort", "o", "sort", "Sort", show=False),
    ActionSpec("inbox", "sort_waiting", "W", "sort_waiting", "Longest waiting first", show=False),
    ActionSpec("inbox", "grow_list", "plus", "grow_list", "Bigger list", show=False),
    ActionSpec("inbox", "shrink_list", "underscore", "shrink_list", "Smaller list", show=False),
    ActionSpec(
        "inbox", "toggle_sidebar", "ctrl+b", "toggle_sidebar", "Hide/show sidebar", show=False
    ),
    ActionSpec("inbox", "next_pane", "tab", "next_pane", "Next pane", show=False),
    ActionSpec("inbox", "previous_pane", "shift+tab", "previous_pane", "Previous pane", show=False),
    ActionSpec("inbox", "help", "question_mark", "help", "Help"),
    ActionSpec("inbox", "back", "q", "back", "Back/quit"),
    ActionSpec("inbox", "back_only", "escape", "back_only", "Back / clear marks", show=False),
    # --- palette only (no key) ---
    ActionSpec("inbox", None, "", "sync_mailbox", "Sync mailbox for offline search", show=False),
    ActionSpec("inbox", None, "", "cancel_sync", "Cancel mailbox sync", show=False),
    ActionSpec("inbox", None, "", "search_everywhere", "Search every mailbox", show=False),
    ActionSpec("inbox", None, "", "watching", "Watched conversations", show=False),
    ActionSpec("inbox", None, "", "save_search_view", "Save this search as a view", show=False),
    # --- the conversation list ---
    ActionSpec("list", "down", "j,down", "cursor_down", "Down", show=False, palette=False),
    ActionSpec("list", "up", "k,up", "cursor_up", "Up", show=False, palette=False),
    ActionSpec("list", "top", "g,home", "cursor_top", "Top", show=False, palette=False),
    ActionSpec("list", "bottom", "G,end", "cursor_bottom", "Bottom", show=False, palette=False),
    ActionSpec("list", "page_up", "pageup", "page_up_rows", "Page up", show=False, palette=False),
    ActionSpec(
        "list", "page_down", "pagedown", "page_down_rows", "Page down", show=False, palette=False
    ),
    # "open" like the screen's action, so the palette (which runs it there) opens too.
    ActionSpec("list", "open", "enter", "open", "Open", show=False, **_C),
    ActionSpec(
        "list",
        "mark",
        "x,space",
        "screen.toggle_mark",
        "Mark",
        tooltip="Mark or unmark, then move down",
    ),
    # --- the thread pane ---
    # Unanimated and immediate: every key of a burst counts (auto-repeat over SSH).
    ActionSpec(
        "thread", "thread.down", "j,down", "line(1)", "Scroll down", show=False, palette=False
    ),
    ActionSpec("thread", "thread.up", "k,up", "line(-1)", "Scroll up", show=False, palette=False),
    ActionSpec("thread", "thread.top", "g,home", "top", "Top", show=False, palette=False),
    ActionSpec("thread", "thread.bottom", "G,end", "bottom", "Bottom", show=False, palette=False),
    ActionSpec("thread", "toggle_quoted", "T", "screen.toggle_quoted", "Quoted text"),
    ActionSpec("thread", "expand_message", "X", "screen.expand_message", "Show all", show=False),
    # --- the sidebar (the palette does not offer it: it moves within the sidebar) ---
    ActionSpec("sidebar", "sidebar.down", "j", "cursor_down", "Down", show=False, palette=False),
    ActionSpec("sidebar", "sidebar.up", "k", "cursor_up", "Up", show=False, palette=False),
    # --- the reply/note composer ---
    ActionSpec("composer", "composer.send", "ctrl+s", "send", "Send", priority=True),
    ActionSpec(
        "composer", "composer.leave", "escape", "leave", "Leave (keep draft)", priority=True
    ),
    ActionSpec(
        "composer", "composer.editor", "ctrl+e", "external_editor", "$EDITOR", priority=True
    ),
    ActionSpec("composer", "saved_reply", "ctrl+t", "saved_reply", "Saved reply", priority=True),
    ActionSpec("composer", "attach", "ctrl+o", "attach", "Attach file", priority=True),
    ActionSpec(
        "composer", "send_later", "ctrl+l", "send_later", "Send later", show=False, priority=True
    ),
    *_form_keys("composer"),
    # --- the new-conversation form and the customer form ---
    ActionSpec("new_conversation", "new.create", "ctrl+s", "create", "Create", priority=True),
    ActionSpec(
        "new_conversation", "new.cancel", "escape", "cancel", "Leave (keep draft)", priority=True
    ),
    *_form_keys("new_conversation"),
    ActionSpec("customer_edit", "customer.save", "ctrl+s", "save", "Save", priority=True),
    ActionSpec("customer_edit", "customer.cancel", "escape", "cancel", "Cancel", priority=True),
    *_form_keys("customer_edit"),
    # --- pickers ---
    ActionSpec("picker", "picker.cancel", "escape", "cancel", "Cancel"),
    ActionSpec("picker", "picker.choose", "enter", "choose", "Choose", priority=True),
    ActionSpec("picker", None, "down", "move(1)", "Down", show=False, priority=True),
    ActionSpec("picker", None, "up", "move(-1)", "Up", show=False, priority=True),
    ActionSpec("status", "status.active", "a", "pick('active')", "Active"),
    ActionSpec("status", "status.pending", "p", "pick('pending')", "Pending"),
    ActionSpec("status", "status.closed", "c", "pick('closed')", "Closed"),
    ActionSpec("status", "status.spam", "s", "pick('spam')", "Spam"),
    ActionSpec("status", "picker.cancel", "escape", "pick('')", "Cancel"),
    ActionSpec("tags", "picker.cancel", "escape", "cancel", "Cancel"),
    ActionSpec("tags", "tags.toggle", "enter", "toggle", "Toggle tag", priority=True),
    ActionSpec("tags", "tags.apply", "ctrl+s", "apply", "Apply", priority=True),
    ActionSpec("tags", None, "down", "move(1)", "Down", show=False, priority=True),
    ActionSpec("tags", None, "up", "move(-1)", "Up", show=False, priority=True),
    # --- small dialogs ---
    ActionSpec("confirm", "confirm.yes", "y", "answer(True)", "Yes"),
    ActionSpec("confirm", "confirm.no", "n,escape", "answer(False)", "No"),
    ActionSpec("help", "help.close", "escape,q,question_mark", "close", "Close"),
    ActionSpec("help", "help.down", "j", "move(1)", "Down", show=False),
    ActionSpec("help", "help.up", "k", "move(-1)", "Up", show=False),
    # Priority: the help table's own home/end would win otherwise.
    ActionSpec("help", "help.top", "g,home", "edge(0)", "Top", show=False, priority=True),
    ActionSpec("help", "help.bottom", "G,end", "edge(1)", "Bottom", show=False, priority=True),
    ActionSpec("sign_in", "signin.quit", "q,escape", "app.quit", "Quit"),
    ActionSpec("drafts", "drafts.resume", "enter", "resume", "Resume", priority=True),
    ActionSpec("drafts", "drafts.discard", "d,delete", "discard", "Discard"),
    ActionSpec("drafts", "drafts.close", "escape,q", "close", "Close"),
    ActionSpec("collision", "collision.send", "s", "answer('send')", "Send anyway"),
    ActionSpec("collision", "collision.edit", "e", "answer('edit')", "Edit"),
    ActionSpec("collision", "collision.cancel", "escape,c", "answer('cancel')", "Cancel"),
    ActionSpec("messages", "messages.close", "escape,q,M", "close", "Close"),
    ActionSpec("messages", "messages.down", "j,down", "line(1)", "Down", show=False),
    ActionSpec("messages", "messages.up", "k,up", "line(-1)", "Up", show=False),
    ActionSpec("messages", "messages.top", "g,home", "edge(0)", "Top", show=False),
    ActionSpec("messages", "messages.bottom", "G,end", "edge(1)", "Bottom", show=False),
    ActionSpec("snooze", "snooze.cancel", "escape", "cancel", "Cancel"),
    ActionSpec("snooze", "snooze.choose", "enter", "choose", "Snooze", priority=True),
    ActionSpec(
        "snooze", "snooze.toggle_wake", "ctrl+r", "toggle_wake", "Wake on reply", priority=True
    ),
    ActionSpec("snooze", None, "down", "move(1)", "Down", show=False, priority=True),
    ActionSpec("snooze", None, "up", "move(-1)", "Up", show=False, priority=True),
    ActionSpec("fields", "fields.save", "ctrl+s", "save", "Save", priority=True),
    ActionSpec("fields", "fields.cancel", "escape", "cancel", "Cancel", priority=True),
    ActionSpec("close_ask", "close_ask.fill", "f", "answer('fill')", "Fill now"),
    ActionSpec("close_ask", "close_ask.close", "c", "answer('close')", "Close anyway"),
    ActionSpec("close_ask", "close_ask.cancel", "escape,n", "answer('')", "Cancel"),
    ActionSpec("attachments", "attachments.cancel", "escape", "cancel", "Close"),
    ActionSpec("attachments", "attachments.save", "enter", "choose", "Save", priority=True),
    ActionSpec("attachments", "attachments.open", "o", "open", "Open (image, PDF, text)"),
    ActionSpec("pager", "pager.close", "escape,q", "close", "Close"),
    ActionSpec("pager", "pager.down", "j,down", "line(1)", "Down", show=False),
    ActionSpec("pager", "pager.up", "k,up", "line(-1)", "Up", show=False),
    ActionSpec("pager", "pager.page_down", "pagedown,space", "page(1)", "Page down", show=False),
    ActionSpec("pager", "pager.page_up", "pageup", "page(-1)", "Page up", show=False),
    ActionSpec("pager", "pager.top", "g,home", "edge(0)", "Top", show=False),
    ActionSpec("pager", "pager.bottom", "G,end", "edge(1)", "Bottom", show=False),
    ActionSpec("attach_path", "attach.cancel", "escape", "cancel", "Cancel"),
    ActionSpec("attach_path", "attach.complete", "tab", "complete", "Complete", priority=True),
    ActionSpec(
        "composer_files",
        "composer.remove_attachment",
        "delete,backspace",
        "screen.remove_attachment",
        "Remove file",
    ),
    ActionSpec("subject", "subject.cancel", "escape", "cancel", "Cancel"),
    ActionSpec("quit", "quit.send", "s", "answer('send')", "Send now and quit"),
    ActionSpec("quit", "quit.later", "l", "answer('later')", "Quit, send next time"),
    ActionSpec("quit", "quit.cancel", "c,escape", "answer(None)", "Cancel"),
    ActionSpec("send_later", "send_later.cancel", "escape", "cancel", "Cancel"),
    ActionSpec("send_later", "send_later.choose", "enter", "choose", "Schedule", priority=True),
    ActionSpec(
        "send_later",
        "send_later.toggle",
        "ctrl+r",
        "toggle_wake",
        "Cancel on reply",
        priority=True,
    ),
    ActionSpec("send_later", None, "down", "move(1)", "Down", show=False, priority=True),
    ActionSpec("send_later", None, "up", "move(-1)", "Up", show=False, priority=True),
    ActionSpec("pipe", "pipe.cancel", "escape", "cancel", "Cancel"),
    ActionSpec("pipe", None, "up", "history(-1)", "Older", show=False, priority=True),
    ActionSpec("pipe", None, "down", "history(1)", "Newer", show=False, priority=True),
    ActionSpec("output", "output.note", "n", "insert('note')", "Into a note"),
    ActionSpec("output", "output.reply", "r", "insert('reply')", "Into a reply"),
    ActionSpec("output", "output.close", "escape,q", "close", "Close / stop"),
    ActionSpec("reauth", "reauth.retry", "r", "retry", "Retry"),
    ActionSpec("reauth", "reauth.later", "escape", "later", "Later"),
)

# Action names (namespace dropped) of the inbox screen's keys, as ``check_action`` sees them.
WRITE_ACTIONS: frozenset[str] = frozenset(
    s.action_name for s in ACTIONS if s.context in INBOX_CONTEXTS and s.writes
)
NEEDS_CONVERSATION: frozenset[str] = frozenset(
    s.action_name for s in ACTIONS if s.context in INBOX_CONTEXTS and s.needs_conversation
)


def specs(context: str) -> list[ActionSpec]:
    if context not in CONTEXTS:
        raise KeyError(f"no binding context {context!r}")
    return [s for s in ACTIONS if s.context == context]


def bindings(context: str) -> list[BindingType]:
    """The ``BINDINGS`` of the class that is ``context``."""
    return [s.binding() for s in specs(context) if s.keys]


def known_binding_ids() -> set[str]:
    """Every binding id: what ``[keymap]`` in config.toml may name."""
    return {s.id for s in ACTIONS if s.id}


def bound_keys(
    context: str, keymap: Mapping[str, str], key_display: Callable[[Binding], str]
) -> list[tuple[ActionSpec, list[str]]]:
    """The context's bindings as bound now (defaults, then the user's keymap), in ``ACTIONS``
    order, each with the keys shown for it. The one walker behind help and the palette."""
    context_specs = specs(context)
    bindings_map = BindingsMap([s.binding() for s in context_specs if s.keys])
    if keymap:
        bindings_map.apply_keymap(keymap)
    grouped: dict[str, tuple[ActionSpec, list[str]]] = {}
    by_group = {s.id or s.action: s for s in context_specs}
    for key, items in bindings_map.key_to_bindings.items():
        for binding in items:
            group = binding.id or binding.action
            spec = by_group.get(group)
            if spec is None:
                continue
            entry = grouped.setdefault(group, (spec, []))
            entry[1].append(key_display(binding.with_key(key)))
    for spec in context_specs:
        if not spec.keys:
            grouped[spec.action] = (spec, [])  # palette only
    order = [s.id or s.action for s in context_specs]
    return [grouped[g] for g in order if g in grouped]


def palette_entries(
    keymap: Mapping[str, str], key_display: Callable[[Binding], str]
) -> Iterable[tuple[ActionSpec, list[str]]]:
    """What the command palette offers: the inbox's contexts, in ``ACTIONS`` order."""
    for context in INBOX_CONTEXTS:
        for spec, keys in bound_keys(context, keymap, key_display):
            if spec.palette:
                yield spec, keys


# What can be reached at once: the focused widget's context, then its screen's, then the app's.
FOCUS_CHAINS: tuple[tuple[str, ...], ...] = (
    ("list", "inbox", "app"),
    ("thread", "inbox", "app"),
    ("sidebar", "inbox", "app"),
    ("composer", "app"),
    ("new_conversation", "app"),
    ("customer_edit", "app"),
    ("picker", "app"),
    ("status", "app"),
    ("tags", "app"),
)


def keymap_conflicts(keymap: Mapping[str, str]) -> list[str]:
    """Keys the keymap gives to two actions reachable at once, one phrase each.

    Textual takes a silent pick (``reply = "q"`` hid quit); only pairs involving a rebound
    name are reported, so the defaults' deliberate overlaps (j in the list and the thread)
    stay quiet.
    """
    found: dict[tuple[str, str, str], str] = {}

    def clash(key: str, first: Binding, second: Binding) -> None:
        if first.id == second.id or (first.id not in keymap and second.id not in keymap):
            return
        a, b = sorted((first, second), key=lambda binding: str(binding.id))
        found.setdefault(
            (key, str(a.id), str(b.id)),
            f"{key} is bound to both {a.id} ({a.description}) and {b.id} ({b.description})",
        )

    for chain in FOCUS_CHAINS:
        owners: dict[str, list[Binding]] = {}
        for context in chain:
            bindings_map = BindingsMap([s.binding() for s in specs(context) if s.keys])
            before = {k: list(v) for k, v in bindings_map.key_to_bindings.items()}
            bindings_map.apply_keymap(keymap)
            # Within one class Textual drops a binding the keymap displaced without a word
            # (its clash report misses those whose id the keymap does not name).
            for key, items in before.items():
                kept = {b.id for b in bindings_map.key_to_bindings.get(key, [])}
                for lost in items:
                    if lost.id and lost.id not in keymap and lost.id not in kept:
                        for winner in bindings_map.key_to_bindings.get(key, []):
                            clash(key, lost, winner)
            for key, items in bindings_map.key_to_bindings.items():
                owners.setdefault(key, []).extend(b for b in items if b.id)
        for key, items in owners.items():
            for i, first in enumerate(items):
                for second in items[i + 1 :]:
                    clash(key, first, second)
    return list(found.values())
