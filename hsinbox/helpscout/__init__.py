"""The Help Scout Mailbox API v2: models, errors, sign-in, token store and the async client.

Nothing here imports Textual or assumes a terminal.
"""

from hsinbox.helpscout.auth import AppCredentials
from hsinbox.helpscout.client import HelpScoutClient, customer_patch, format_datetime
from hsinbox.helpscout.errors import (
    AuthError,
    ConversationMerged,
    FieldError,
    HelpScoutError,
    InvalidResponse,
    NetworkError,
    NotFound,
    NotSignedIn,
    OutcomeUnknown,
    PermissionDenied,
    RateLimited,
    ServerError,
    ValidationFailed,
)
from hsinbox.helpscout.tokens import (
    FileTokenStore,
    KeyringTokenStore,
    MemoryTokenStore,
    TokenStore,
    default_token_store,
)

__all__ = [
    "AppCredentials",
    "AuthError",
    "ConversationMerged",
    "FieldError",
    "FileTokenStore",
    "HelpScoutClient",
    "HelpScoutError",
    "InvalidResponse",
    "KeyringTokenStore",
    "MemoryTokenStore",
    "NetworkError",
    "NotFound",
    "NotSignedIn",
    "OutcomeUnknown",
    "PermissionDenied",
    "RateLimited",
    "ServerError",
    "TokenStore",
    "ValidationFailed",
    "customer_patch",
    "default_token_store",
    "format_datetime",
]
