"""What the agent does: session, local store, actions and the one write path.

Never imports Textual: the TUI sits on top of this package, not inside it.
"""

from hsinbox.inbox.actions import (
    Action,
    Assign,
    Bulk,
    CreateConversation,
    Delete,
    Move,
    Note,
    Reply,
    SetStatus,
    SetTags,
    UpdateCustomer,
    action_from_json,
)
from hsinbox.inbox.drafts import Draft, DraftStore, draft_key
from hsinbox.inbox.events import (
    ActionApplied,
    ActionCancelled,
    ActionConfirmed,
    ActionFailed,
    AuthRequired,
    BulkFinished,
    ConnectionChanged,
    Event,
    QueueChanged,
    RateLimitWait,
)
from hsinbox.inbox.session import InboxSession
from hsinbox.inbox.store import Store
from hsinbox.inbox.view import View

__all__ = [
    "Action",
    "ActionApplied",
    "ActionCancelled",
    "ActionConfirmed",
    "ActionFailed",
    "Assign",
    "AuthRequired",
    "Bulk",
    "BulkFinished",
    "ConnectionChanged",
    "CreateConversation",
    "Delete",
    "Draft",
    "DraftStore",
    "Event",
    "InboxSession",
    "Move",
    "Note",
    "QueueChanged",
    "RateLimitWait",
    "Reply",
    "SetStatus",
    "SetTags",
    "Store",
    "UpdateCustomer",
    "View",
    "action_from_json",
    "draft_key",
]
