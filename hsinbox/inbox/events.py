"""What the write path tells the screen.

Callbacks registered with ``InboxSession.subscribe`` receive these plain dataclasses on the
event loop; they carry no Textual types so the TUI can wrap them in its own messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hsinbox.inbox.actions import Action, Bulk


@dataclass(frozen=True)
class ActionApplied:
    """The change is visible locally and journaled; it has not reached Help Scout yet."""

    action: Action

    @property
    def message(self) -> str:
        return self.action.describe()


@dataclass(frozen=True)
class ActionConfirmed:
    """Help Scout accepted the change. ``result`` is the new resource id for creates."""

    action: Action
    result: int | None = None

    @property
    def message(self) -> str:
        return f"{self.action.describe()}: done."


@dataclass(frozen=True)
class ActionFailed:
    """Help Scout refused the change; the local state was rolled back."""

    action: Action
    reason: str

    @property
    def message(self) -> str:
        return f"{self.action.describe()} failed: {self.reason}"


@dataclass(frozen=True)
class ActionCancelled:
    """Undone during its delay: nothing was sent."""

    action: Action

    @property
    def message(self) -> str:
        return f"Undone: {self.action.describe()}."


@dataclass(frozen=True)
class QueueChanged:
    """How many actions wait to be sent (including the one in flight)."""

    length: int


@dataclass(frozen=True)
class ConnectionChanged:
    """Help Scout became unreachable (actions queue) or reachable again."""

    online: bool
    reason: str = ""


@dataclass(frozen=True)
class RateLimitWait:
    """Help Scout asked us to slow down; the queue waits this many seconds."""

    seconds: float

    @property
    def message(self) -> str:
        return f"Help Scout rate limit reached; waiting {self.seconds:.0f} s."


@dataclass(frozen=True)
class AuthRequired:
    """The sign-in stopped working; the queue is paused until ``session.resume()``."""

    reason: str


@dataclass(frozen=True)
class BulkFinished:
    """One summary for a whole batch, instead of an event per conversation."""

    bulk: Bulk
    summary: str
    confirmed: tuple[Action, ...] = ()
    failed: tuple[tuple[Action, str], ...] = field(default_factory=tuple)

    @property
    def message(self) -> str:
        return self.summary


@dataclass(frozen=True)
class MergedConversation:
    """Help Scout merged a conversation into another; everything local followed it."""

    old_id: int
    new_id: int
    old_number: int | None = None
    new_number: int | None = None

    @property
    def message(self) -> str:
        return (
            f"#{self.old_number or self.old_id} was merged into #{self.new_number or self.new_id}."
        )


@dataclass(frozen=True)
class ConversationsRefreshed:
    """Fresh copies of these conversations are in the store (e.g. after a workflow ran)."""

    ids: tuple[int, ...]


Event = (
    ActionApplied
    | ActionConfirmed
    | ActionFailed
    | ActionCancelled
    | QueueChanged
    | ConnectionChanged
    | RateLimitWait
    | AuthRequired
    | BulkFinished
    | MergedConversation
    | ConversationsRefreshed
)
