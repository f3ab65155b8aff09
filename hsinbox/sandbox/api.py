"""The Help Scout endpoints: routing, validation, rendering and state changes.

Strict where Help Scout is strict (see shared/reference/helpscout-api.md): a conversation
PATCH is one object, a customer PATCH is an array, dates carry no milliseconds, the token
endpoint takes form bodies, pages are 1-based and an empty page has no ``_embedded``.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from hsinbox.sandbox.query import QuerySyntaxError, compile_query
from hsinbox.sandbox.util import (
    PLAIN_JSON,
    VND_ERROR,
    ApiError,
    FieldProblem,
    bad_request,
    empty_response,
    error_body,
    friendly,
    html_to_preview,
    html_to_text,
    iso,
    json_response,
    page_of,
    parse_iso,
    parse_page,
    parse_strict_date,
    slugify,
)

if TYPE_CHECKING:
    from hsinbox.sandbox.core import Sandbox

CONVERSATION_PAGE = 25
PAGE = 50
MAX_THREADS = 100
DEFAULT_REDIRECT = "http://127.0.0.1:8765/callback"
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

STATUS_VALUES = ("active", "pending", "closed", "spam")
STATUS_MESSAGE = "Expected one of these: 'active', 'spam', 'open', 'closed', 'pending'"
LIST_STATUS = {
    "active": {"active"},
    "pending": {"pending"},
    "closed": {"closed"},
    "spam": {"spam"},
    "open": {"active", "pending"},
    "all": {"active", "pending", "closed", "spam"},
}
SORT_FIELDS = (
    "createdAt",
    "customerEmail",
    "customerName",
    "mailboxid",
    "modifiedAt",
    "number",
    "score",
    "status",
    "subject",
    "waitingSince",
)
CONV_QUERY_FIELDS = {
    "subject",
    "body",
    "email",
    "tag",
    "number",
    "id",
    "customerids",
    "mailboxid",
    "assigned",
    "status",
    "attachment",
}
CONV_EXACT_FIELDS = frozenset({"number", "id", "customerids", "mailboxid", "status"})
CONV_RANGE_FIELDS = frozenset({"createdat", "modifiedat"})
CUSTOMER_QUERY_FIELDS = {"firstname", "lastname", "email", "phone", "organization", "id"}
EMAIL_TYPES = ("home", "work", "other")
PHONE_TYPES = ("home", "fax", "mobile", "pager", "work", "other")
CUSTOMER_SCALARS = {
    "firstName": 40,
    "lastName": 40,
    "organization": 60,
    "jobTitle": 60,
    "background": 200,
    "location": 60,
    "gender": 20,
    "age": 20,
}


class Req:
    """One parsed request as the handlers see it."""

    def __init__(self, request: httpx.Request, body: bytes) -> None:
        self.method = request.method
        self.path = request.url.path
        self.query: dict[str, str] = dict(request.url.params)
        self.headers = request.headers
        self.body = body
        self.origin = f"{request.url.scheme}://{request.url.netloc.decode('ascii')}"
        self.user_id: int = 0
        self.params: dict[str, int] = {}

    def json(self, *, patch: bool = False) -> Any:
        """The JSON body; 415 for a non-JSON content type, 400 when it does not parse."""
        ctype = self.headers.get("content-type", "").split(";")[0].strip().lower()
        allowed = (
            ("application/json", "application/json-patch+json") if patch else ("application/json",)
        )
        if ctype not in allowed and not (ctype.endswith("+json") and not patch):
            raise ApiError(
                415, f"Content type '{ctype or 'none'}' not supported; send application/json"
            )
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise bad_request(
                FieldProblem("body", "Could not read JSON: malformed body", anchor="Invalid"),
                message="Bad request",
            ) from None


Handler = Callable[[Req], httpx.Response]


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class Api:
    """Routes a request to the handler for its path; all state lives on the Sandbox."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.convs: dict[int, dict[str, Any]] = {}
        self.threads: dict[int, list[dict[str, Any]]] = {}
        self.customers: dict[int, dict[str, Any]] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.mailboxes: dict[int, dict[str, Any]] = {}
        self.folders: dict[int, dict[str, Any]] = {}
        self.reindex()
        r = self._routes = []  # type: list[tuple[str, re.Pattern[str], Handler, bool]]
        add = self._add
        add("POST", r"/v2/oauth2/token", self.token, auth=False)
        add("GET", r"/authentication/authorizeClientApplication", self.authorize, auth=False)
        add("GET", r"/v2/users/me", self.get_me)
        add("GET", r"/v2/users", self.list_users)
        add("GET", r"/v2/users/(?P<id>\d+)", self.get_user)
        add("GET", r"/v2/mailboxes", self.list_mailboxes)
        add("GET", r"/v2/mailboxes/(?P<id>\d+)", self.get_mailbox)
        add("GET", r"/v2/mailboxes/(?P<id>\d+)/folders", self.list_folders)
        add("GET", r"/v2/mailboxes/(?P<id>\d+)/fields", self.list_fields)
        add("GET", r"/v2/tags", self.list_tags)
        add("GET", r"/v2/conversations", self.list_conversations)
        add("POST", r"/v2/conversations", self.create_conversation)
        add("GET", r"/v2/conversations/(?P<id>\d+)", self.get_conversation)
        add("PATCH", r"/v2/conversations/(?P<id>\d+)", self.patch_conversation)
        add("DELETE", r"/v2/conversations/(?P<id>\d+)", self.delete_conversation)
        add("POST", r"/v2/conversations/(?P<id>\d+)/reply", self.reply)
        add("POST", r"/v2/conversations/(?P<id>\d+)/notes", self.note)
        add("POST", r"/v2/conversations/(?P<id>\d+)/customer", self.customer_thread)
        add("GET", r"/v2/conversations/(?P<id>\d+)/threads", self.list_threads)
        add("PATCH", r"/v2/conversations/(?P<id>\d+)/threads/(?P<tid>\d+)", self.patch_thread)
        add("DELETE", r"/v2/conversations/(?P<id>\d+)/threads/(?P<tid>\d+)", self.delete_thread)
        add("PUT", r"/v2/conversations/(?P<id>\d+)/tags", self.put_tags)
        add("PUT", r"/v2/conversations/(?P<id>\d+)/snooze", self.put_snooze)
        add("DELETE", r"/v2/conversations/(?P<id>\d+)/snooze", self.delete_snooze)
        add("GET", r"/v2/customers", self.list_customers)
        add("POST", r"/v2/customers", self.create_customer)
        add("GET", r"/v2/customers/(?P<id>\d+)", self.get_customer)
        add("PATCH", r"/v2/customers/(?P<id>\d+)", self.patch_customer)
        add("PUT", r"/v2/customers/(?P<id>\d+)", self.put_customer)
        del r

    def _add(self, method: str, pattern: str, handler: Handler, auth: bool = True) -> None:
        self._routes.append((method, re.compile(f"^{pattern}/?$"), handler, auth))

    def reindex(self) -> None:
        """Rebuild the id lookups after the state was replaced (load, reset)."""
        state = self.sb.state
        self.convs = {c["id"]: c for c in state["conversations"]}
        self.threads = {cid: [] for cid in self.convs}
        for t in state["threads"]:
            self.threads.setdefault(t["sandbox"]["conversationId"], []).append(t)
        self.customers = {c["id"]: c for c in state["customers"]}
        self.users = {u["id"]: u for u in state["users"]}
        self.mailboxes = {m["id"]: m for m in state["mailboxes"]}
        self.folders = {f["id"]: f for f in state["folders"]}
        self._list_memo: dict[Any, list[dict[str, Any]]] = {}

    # --- routing ------------------------------------------------------------------------

    def route(self, request: httpx.Request, body: bytes) -> httpx.Response:
        req = Req(request, body)
        matched_path = False
        for method, pattern, handler, auth in self._routes:
            m = pattern.match(req.path)
            if not m:
                continue
            matched_path = True
            if method != req.method:
                continue
            if auth:
                self._authenticate(req)
            req.params = {k: int(v) for k, v in m.groupdict().items()}
            return handler(req)
        if req.path.startswith("/v2/") and req.path != "/v2/oauth2/token":
            self._authenticate(req)
        if matched_path:
            raise ApiError(405, f"Request method '{req.method}' not supported")
        raise ApiError(404, "Not found")

    def _authenticate(self, req: Req) -> None:
        header = req.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        user = None
        if scheme.lower() == "bearer" and token.strip():
            user = self.sb.user_for_token(token.strip())
        if user is None:
            raise ApiError(
                401,
                "Invalid or expired access token",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        req.user_id = user

    # --- helpers ------------------------------------------------------------------------

    @property
    def now(self) -> str:
        return iso(self.sb.now)

    def _next(self, counter: str, step: int = 1) -> int:
        counters = self.sb.state["counters"]
        value = int(counters[counter])
        counters[counter] = value + step
        return value

    def _conv(self, req: Req) -> dict[str, Any]:
        conv = self.convs.get(req.params["id"])
        if conv is None:
            raise ApiError(404, "Conversation not found")
        return conv

    def _user_ref(self, uid: int) -> dict[str, Any]:
        u = self.users[uid]
        return {
            "id": uid,
            "type": "user",
            "first": u["firstName"],
            "last": u["lastName"],
            "email": u["email"],
        }

    def _customer_ref(self, cust: dict[str, Any]) -> dict[str, Any]:
        emails = cust["_embedded"]["emails"]
        return {
            "id": cust["id"],
            "type": "customer",
            "first": cust["firstName"],
            "last": cust["lastName"],
            "email": emails[0]["value"] if emails else None,
        }

    def _first_name(self, uid: int) -> str:
        u = self.users.get(uid)
        return (u and (u["firstName"] or u["email"])) or f"user {uid}"

    def _touch(self, conv: dict[str, Any]) -> None:
        conv["sandbox"]["modifiedAt"] = self.now
        self.sb.mark_dirty()

    def _tag(self, name: str) -> dict[str, Any]:
        """The tag called ``name`` (case-insensitive), created when unknown."""
        key = name.strip().lower()
        for tag in self.sb.state["tags"]:
            if tag["name"].lower() == key:
                return tag
        tag = {
            "id": self._next("tag"),
            "slug": slugify(key),
            "name": key,
            "color": "grey",
            "createdAt": self.now,
            "sandbox": {"hex": "#929499"},
        }
        self.sb.state["tags"].append(tag)
        return tag

    def _conv_tag(self, name: str) -> dict[str, Any]:
        tag = self._tag(name)
        return {"id": tag["id"], "color": tag["sandbox"]["hex"], "tag": tag["name"]}

    @staticmethod
    def _created(status: int, location: str, resource_id: int) -> httpx.Response:
        return empty_response(status, {"Resource-ID": str(resource_id), "Location": location})

    # --- auth ---------------------------------------------------------------------------

    def _oauth_error(self, status: int, error: str, description: str) -> httpx.Response:
        return json_response(
            status,
            {"error": error, "error_description": description},
            PLAIN_JSON,
            {"Cache-Control": "no-store"},
        )

    def token(self, req: Req) -> httpx.Response:
        ctype = req.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/x-www-form-urlencoded":
            raise ApiError(
                400,
                "Unsupported Content-Type: the token endpoint takes "
                "application/x-www-form-urlencoded",
                [
                    FieldProblem(
                        "Content-Type",
                        "must be application/x-www-form-urlencoded",
                        ctype or None,
                        "Invalid",
                        "HEADER",
                    )
                ],
            )
        try:
            form = dict(parse_qsl(req.body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            return self._oauth_error(400, "invalid_request", "Malformed form body")
        grant = form.get("grant_type", "")
        if grant not in ("client_credentials", "authorization_code", "refresh_token"):
            return self._oauth_error(
                400, "unsupported_grant_type", f"Unsupported grant type: {grant or 'none'}"
            )
        client_id = form.get("client_id", "")
        client_secret = form.get("client_secret", "")
        if not client_id or not client_secret:
            return self._oauth_error(
                400, "invalid_request", "client_id and client_secret are required"
            )
        if not (
            secrets.compare_digest(client_id, self.sb.app_id)
            and secrets.compare_digest(client_secret, self.sb.app_secret)
        ):
            return self._oauth_error(401, "invalid_client", "Bad client credentials")
        auth = self.sb.state["auth"]
        if grant == "client_credentials":
            body = self.sb.issue_token(self.sb.me_id, refresh=False, grant=grant)
        elif grant == "authorization_code":
            code = form.get("code", "")
            entry = auth["codes"].pop(code, None) if code else None
            if entry is not None:
                self.sb.mark_dirty()
            if entry is None or entry["expiresAt"] <= self.now:
                return self._oauth_error(400, "invalid_grant", "Invalid authorization code")
            if entry.get("redirectUri") and form.get("redirect_uri") != entry["redirectUri"]:
                return self._oauth_error(400, "invalid_grant", "Redirect URI mismatch")
            body = self.sb.issue_token(entry["userId"], refresh=True, grant=grant)
        else:
            token = form.get("refresh_token", "")
            entry = auth["refresh"].pop(token, None) if token else None
            if entry is None:
                return self._oauth_error(400, "invalid_grant", "Invalid refresh token")
            body = self.sb.issue_token(entry["userId"], refresh=True, grant=grant)
        return json_response(200, body, PLAIN_JSON, {"Cache-Control": "no-store"})

    def authorize(self, req: Req) -> httpx.Response:
        client_id = req.query.get("client_id", "")
        if not client_id or not secrets.compare_digest(client_id, self.sb.app_id):
            raise ApiError(400, "Unknown client_id")
        redirect = req.query.get("redirect_uri")
        target = redirect or DEFAULT_REDIRECT
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ApiError(400, "Invalid redirect_uri")
        code = f"sbx-code-{secrets.token_hex(12)}"
        self.sb.state["auth"]["codes"][code] = {
            "userId": self.sb.me_id,
            "redirectUri": redirect,
            "expiresAt": iso(self.sb.now + timedelta(minutes=10)),
        }
        self.sb.mark_dirty()
        params = parse_qsl(parts.query, keep_blank_values=True)
        params.append(("code", code))
        if "state" in req.query:
            params.append(("state", req.query["state"]))
        location = urlunsplit(parts._replace(query=urlencode(params)))
        return httpx.Response(302, headers={"Location": location}, content=b"")

    # --- users, mailboxes, folders, tags ------------------------------------------------

    def _render_user(self, req: Req, user: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in user.items() if k != "sandbox"}
        out["_links"] = {"self": {"href": f"{req.origin}/v2/users/{user['id']}"}}
        return out

    def get_me(self, req: Req) -> httpx.Response:
        out = self._render_user(req, self.users[req.user_id])
        links = out.pop("_links")
        out["companyId"] = self.sb.state["companyId"]
        out["_links"] = links
        return json_response(200, out)

    def get_user(self, req: Req) -> httpx.Response:
        user = self.users.get(req.params["id"])
        if user is None:
            raise ApiError(404, "User not found")
        return json_response(200, self._render_user(req, user))

    def _int_param(self, req: Req, name: str) -> int | None:
        raw = req.query.get(name)
        if raw is None or raw == "":
            return None
        try:
            return int(raw)
        except ValueError:
            raise bad_request(
                FieldProblem(name, "Invalid number", raw, "InvalidNumber", "QUERY")
            ) from None

    def list_users(self, req: Req) -> httpx.Response:
        users = list(self.users.values())
        mailbox = self._int_param(req, "mailbox")
        if mailbox is not None:
            users = [u for u in users if mailbox in u["sandbox"]["mailboxes"]]
        email = req.query.get("email")
        if email:
            users = [u for u in users if u["email"].lower() == email.lower()]
        items = [self._render_user(req, u) for u in users]
        return self._page(req, items, PAGE, "users")

    def _page(self, req: Req, items: list[Any], size: int, name: str) -> httpx.Response:
        number = parse_page(req.query)
        return json_response(
            200,
            page_of(
                items,
                page=number,
                size=size,
                name=name,
                origin=req.origin,
                path=req.path,
                query=req.query,
            ),
        )

    def _render_mailbox(self, req: Req, mbox: dict[str, Any]) -> dict[str, Any]:
        base = f"{req.origin}/v2/mailboxes/{mbox['id']}"
        return {
            **mbox,
            "_links": {
                "fields": {"href": f"{base}/fields"},
                "folders": {"href": f"{base}/folders"},
                "self": {"href": base},
            },
        }

    def list_mailboxes(self, req: Req) -> httpx.Response:
        items = [self._render_mailbox(req, m) for m in self.mailboxes.values()]
        return self._page(req, items, PAGE, "mailboxes")

    def _mailbox(self, req: Req) -> dict[str, Any]:
        mbox = self.mailboxes.get(req.params["id"])
        if mbox is None:
            raise ApiError(404, "Mailbox not found")
        return mbox

    def get_mailbox(self, req: Req) -> httpx.Response:
        return json_response(200, self._render_mailbox(req, self._mailbox(req)))

    def in_folder(self, conv: dict[str, Any], folder: dict[str, Any]) -> bool:
        """Folder membership, computed live from a conversation's state."""
        if conv["mailboxId"] != folder["sandbox"]["mailboxId"]:
            return False
        kind = folder["type"]
        if kind == "drafts":
            return conv["state"] == "draft"
        if conv["state"] != "published":
            return False
        status = conv["status"]
        open_ = status in ("active", "pending")
        assignee = conv.get("assignee")
        if kind == "unassigned":
            return open_ and not assignee
        if kind == "mine":
            return open_ and bool(assignee) and assignee["id"] == folder["userId"]
        if kind == "assigned":
            return open_ and bool(assignee)
        if kind == "needsattention":
            return open_ and bool(conv["sandbox"].get("needsAttention"))
        if kind == "closed":
            return status == "closed"
        if kind == "spam":
            return status == "spam"
        tag = folder["sandbox"].get("tag")
        return status != "spam" and any(t["tag"] == tag for t in conv["tags"])

    def folder_id_of(self, conv: dict[str, Any]) -> int | None:
        """The folder a conversation shows up in first (its ``folderId``)."""
        folders = [
            f for f in self.folders.values() if f["sandbox"]["mailboxId"] == conv["mailboxId"]
        ]
        by_type = {f["type"]: f for f in folders}
        assignee = conv.get("assignee")
        if conv["state"] == "draft":
            kind = "drafts"
        elif conv["status"] in ("spam", "closed"):
            kind = conv["status"]
        elif assignee and by_type.get("mine", {}).get("userId") == assignee["id"]:
            kind = "mine"
        elif assignee:
            kind = "assigned"
        else:
            kind = "unassigned"
        folder = by_type.get(kind)
        return folder["id"] if folder else None

    def list_folders(self, req: Req) -> httpx.Response:
        mbox = self._mailbox(req)
        convs = list(self.convs.values())
        items = []
        for folder in self.folders.values():
            if folder["sandbox"]["mailboxId"] != mbox["id"]:
                continue
            members = [c for c in convs if self.in_folder(c, folder)]
            items.append(
                {
                    "id": folder["id"],
                    "name": folder["name"],
                    "type": folder["type"],
                    "userId": folder["userId"],
                    "totalCount": len(members),
                    "activeCount": sum(1 for c in members if c["status"] == "active"),
                    "updatedAt": folder["updatedAt"],
                }
            )
        return self._page(req, items, PAGE, "folders")

    def list_fields(self, req: Req) -> httpx.Response:
        mbox = self._mailbox(req)
        items = [
            {k: v for k, v in f.items() if k != "sandbox"}
            for f in self.sb.state["fields"]
            if f["sandbox"]["mailboxId"] == mbox["id"]
        ]
        return self._page(req, items, PAGE, "fields")

    def list_tags(self, req: Req) -> httpx.Response:
        counts: dict[int, int] = {}
        for conv in self.convs.values():
            for t in conv["tags"]:
                counts[t["id"]] = counts.get(t["id"], 0) + 1
        tags = sorted(self.sb.state["tags"], key=lambda t: (t["name"].lower(), t["id"]))
        items = []
        for tag in tags:
            item = {k: v for k, v in tag.items() if k != "sandbox"}
            item["ticketCount"] = counts.get(tag["id"], 0)
            items.append(item)
        return self._page(req, items, PAGE, "tags")

    # --- conversations: read ------------------------------------------------------------

    def render_thread(self, req: Req, conv: dict[str, Any], t: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in t.items() if k != "sandbox"}
        links: dict[str, Any] = {}
        author = t.get("createdBy") or {}
        if author.get("type") == "user":
            links["createdByUser"] = {"href": f"{req.origin}/v2/users/{author['id']}"}
        elif author.get("id") is not None:
            links["createdByCustomer"] = {"href": f"{req.origin}/v2/customers/{author['id']}"}
        if t.get("customer") and t["customer"].get("id") is not None:
            links["customer"] = {"href": f"{req.origin}/v2/customers/{t['customer']['id']}"}
        if t.get("assignedTo") and t["assignedTo"].get("id") is not None:
            links["assignedTo"] = {"href": f"{req.origin}/v2/users/{t['assignedTo']['id']}"}
        attachments = []
        for att in t.get("_embedded", {}).get("attachments", []):
            base = f"{req.origin}/v2/conversations/{conv['id']}/attachments/{att['id']}"
            attachments.append(
                {
                    **att,
                    "_links": {
                        "data": {"href": f"{base}/data"},
                        "self": {"href": base},
                        "web": {"href": f"{req.origin}/attachments/{att['id']}"},
                    },
                }
            )
        out["_embedded"] = {"attachments": attachments}
        out["_links"] = links
        return out

    def render_conversation(
        self, req: Req, conv: dict[str, Any], *, embed_threads: bool = False
    ) -> dict[str, Any]:
        threads = self.threads.get(conv["id"], [])
        cws = conv["customerWaitingSince"]
        out: dict[str, Any] = {
            "id": conv["id"],
            "number": conv["number"],
            "threads": len(threads),
            "type": conv["type"],
            "folderId": self.folder_id_of(conv),
            "status": conv["status"],
            "state": conv["state"],
            "subject": conv["subject"],
            "preview": conv["preview"],
            "mailboxId": conv["mailboxId"],
        }
        if conv.get("assignee"):
            out["assignee"] = conv["assignee"]
        out["createdBy"] = conv["createdBy"]
        out["createdAt"] = conv["createdAt"]
        for key in ("closedBy", "closedByUser", "closedAt"):
            if conv.get(key) is not None:
                out[key] = conv[key]
        out["userUpdatedAt"] = conv["userUpdatedAt"]
        out["customerWaitingSince"] = {
            "time": cws["time"],
            "friendly": friendly(parse_iso(cws["time"]), self.sb.now),
            "latestReplyFrom": cws["latestReplyFrom"],
        }
        out["source"] = conv["source"]
        out["tags"] = conv["tags"]
        out["cc"] = conv["cc"]
        out["bcc"] = conv["bcc"]
        out["primaryCustomer"] = conv["primaryCustomer"]
        if conv.get("snooze"):
            out["snooze"] = conv["snooze"]
            out["nextEvent"] = {
                "time": conv["snooze"]["snoozedUntil"],
                "eventType": "snooze",
                "userId": conv["snooze"]["snoozedBy"],
                "cancelOnCustomerReply": conv["snooze"]["unsnoozeOnCustomerReply"],
            }
        out["customFields"] = conv["customFields"]
        if embed_threads:
            newest = sorted(threads, key=lambda t: (t["createdAt"], t["id"]), reverse=True)
            out["_embedded"] = {"threads": [self.render_thread(req, conv, t) for t in newest]}
        base = f"{req.origin}/v2"
        links: dict[str, Any] = {
            "mailbox": {"href": f"{base}/mailboxes/{conv['mailboxId']}"},
            "primaryCustomer": {"href": f"{base}/customers/{conv['primaryCustomer']['id']}"},
            "self": {"href": f"{base}/conversations/{conv['id']}"},
            "threads": {"href": f"{base}/conversations/{conv['id']}/threads"},
            "web": {"href": f"{req.origin}/conversation/{conv['id']}/{conv['number']}/"},
        }
        created_by = conv["createdBy"]
        if created_by.get("type") == "user":
            links["createdByUser"] = {"href": f"{base}/users/{created_by['id']}"}
        else:
            links["createdByCustomer"] = {"href": f"{base}/customers/{created_by['id']}"}
        if conv.get("assignee"):
            links["assignee"] = {"href": f"{base}/users/{conv['assignee']['id']}"}
        if conv.get("closedBy"):
            links["closedBy"] = {"href": f"{base}/users/{conv['closedBy']}"}
        out["_links"] = dict(sorted(links.items()))
        return out

    def get_conversation(self, req: Req) -> httpx.Response:
        conv = self._conv(req)
        embed = req.query.get("embed", "")
        return json_response(
            200, self.render_conversation(req, conv, embed_threads="threads" in embed.split(","))
        )

    def _search_doc(self, conv: dict[str, Any]) -> _Doc:
        return _Doc(self, conv)

    def list_conversations(self, req: Req) -> httpx.Response:
        q = req.query
        problems: list[FieldProblem] = []
        status = q.get("status") or "active"
        if status not in LIST_STATUS:
            problems.append(
                FieldProblem(
                    "status",
                    "Expected one of these: 'active', 'all', 'closed', 'open', 'pending', 'spam'",
                    status,
                    "EnumValue",
                    "QUERY",
                )
            )
        sort_field = q.get("sortField") or "createdAt"
        if sort_field not in SORT_FIELDS:
            problems.append(
                FieldProblem(
                    "sortField",
                    "Expected one of these: " + ", ".join(f"'{s}'" for s in SORT_FIELDS),
                    sort_field,
                    "EnumValue",
                    "QUERY",
                )
            )
        sort_order = (q.get("sortOrder") or "desc").lower()
        if sort_order not in ("asc", "desc"):
            problems.append(
                FieldProblem(
                    "sortOrder",
                    "Expected one of these: 'asc', 'desc'",
                    q.get("sortOrder"),
                    "EnumValue",
                    "QUERY",
                )
            )
        if problems:
            raise bad_request(*problems)
        since = None
        if "modifiedSince" in q:
            since = iso(parse_strict_date(q["modifiedSince"], "modifiedSince", "QUERY"))
        mailboxes = self._int_list(q.get("mailbox"), "mailbox")
        folder_id = self._int_param(req, "folder")
        folder = None
        if folder_id is not None:
            folder = self.folders.get(folder_id)
            if folder is None:
                raise bad_request(
                    FieldProblem(
                        "folder", "Invalid identifier", q["folder"], "InvalidIdentifier", "QUERY"
                    )
                )
        assigned_to = self._int_param(req, "assigned_to")
        number = self._int_param(req, "number")
        tags = [t.strip().lower() for t in q.get("tag", "").split(",") if t.strip()]
        predicate = None
        if q.get("query"):
            try:
                predicate = compile_query(
                    q["query"], CONV_QUERY_FIELDS, CONV_EXACT_FIELDS, CONV_RANGE_FIELDS
                )
            except QuerySyntaxError as exc:
                raise bad_request(
                    FieldProblem("query", str(exc), q["query"], "Invalid", "QUERY")
                ) from None
        page = parse_page(q)
        wanted = LIST_STATUS[status]
        memo = None
        if self.sb.memo_lists:
            memo = (self.sb.generation, tuple(sorted((k, v) for k, v in q.items() if k != "page")))
        cached = self._list_memo.get(memo) if memo is not None else None
        result = [] if cached is None else cached
        for conv in self.convs.values() if cached is None else ():
            if conv["status"] not in wanted:
                continue
            if folder is not None:
                if not self.in_folder(conv, folder):
                    continue
            elif conv["state"] != "published":
                continue
            if mailboxes and conv["mailboxId"] not in mailboxes:
                continue
            if tags and not any(t["tag"].lower() in tags for t in conv["tags"]):
                continue
            if assigned_to is not None and (conv.get("assignee") or {}).get("id") != assigned_to:
                continue
            if number is not None and conv["number"] != number:
                continue
            if since is not None and conv["sandbox"]["modifiedAt"] < since:
                continue
            if predicate is not None and not predicate(self._search_doc(conv)):  # type: ignore[arg-type]
                continue
            result.append(conv)
        if cached is None:
            key = self._sort_key(sort_field)
            result.sort(key=lambda c: (key(c), c["id"]), reverse=sort_order == "desc")
            if memo is not None:
                self._list_memo = {memo: result}
        embed = "threads" in q.get("embed", "").split(",")
        chunk_start = (page - 1) * CONVERSATION_PAGE
        rendered: list[Any] = [None] * len(result)
        for i in range(chunk_start, min(len(result), chunk_start + CONVERSATION_PAGE)):
            rendered[i] = self.render_conversation(req, result[i], embed_threads=embed)
        body = page_of(
            rendered,
            page=page,
            size=CONVERSATION_PAGE,
            name="conversations",
            origin=req.origin,
            path=req.path,
            query=q,
        )
        return json_response(200, body)

    def _int_list(self, raw: str | None, name: str) -> set[int]:
        if not raw:
            return set()
        out = set()
        for part in raw.split(","):
            try:
                out.add(int(part.strip()))
            except ValueError:
                raise bad_request(
                    FieldProblem(name, "Invalid number", raw, "InvalidNumber", "QUERY")
                ) from None
        return out

    def _sort_key(self, field: str) -> Callable[[dict[str, Any]], Any]:
        def customer_name(c: dict[str, Any]) -> str:
            p = c["primaryCustomer"]
            return " ".join(x for x in (p.get("first"), p.get("last")) if x).lower()

        keys: dict[str, Callable[[dict[str, Any]], Any]] = {
            "createdAt": lambda c: c["createdAt"],
            "score": lambda c: c["createdAt"],
            "modifiedAt": lambda c: c["sandbox"]["modifiedAt"],
            "number": lambda c: c["number"],
            "subject": lambda c: (c["subject"] or "").lower(),
            "status": lambda c: c["status"],
            "mailboxid": lambda c: c["mailboxId"],
            "customerName": customer_name,
            "customerEmail": lambda c: (c["primaryCustomer"].get("email") or "").lower(),
            "waitingSince": lambda c: c["customerWaitingSince"]["time"],
        }
        return keys[field]

    def list_threads(self, req: Req) -> httpx.Response:
        conv = self._conv(req)
        threads = sorted(
            self.threads.get(conv["id"], []), key=lambda t: (t["createdAt"], t["id"]), reverse=True
        )
        items = [self.render_thread(req, conv, t) for t in threads]
        return self._page(req, items, PAGE, "threads")

    # --- conversations: write -----------------------------------------------------------

    def _find_or_create_customer(
        self, spec: Any, path: str, problems: list[FieldProblem]
    ) -> dict[str, Any] | None:
        if not isinstance(spec, dict):
            problems.append(FieldProblem(path, "may not be null", spec, "NotNull"))
            return None
        if spec.get("id") is not None:
            cid = spec["id"]
            if not _int(cid) or cid not in self.customers:
                problems.append(
                    FieldProblem(f"{path}.id", "Invalid identifier", cid, "InvalidIdentifier")
                )
                return None
            return self.customers[cid]
        email = spec.get("email")
        if not isinstance(email, str) or not EMAIL_RE.match(email):
            message = "Not well-formed email" if email else "customer id or email is required"
            problems.append(
                FieldProblem(
                    f"{path}.email" if email else path,
                    message,
                    email,
                    "Email" if email else "NotNull",
                )
            )
            return None
        for cust in self.customers.values():
            if any(e["value"].lower() == email.lower() for e in cust["_embedded"]["emails"]):
                return cust
        fields = {
            k: spec.get(k)
            for k in ("firstName", "lastName", "organization", "jobTitle")
            if isinstance(spec.get(k), str)
        }
        return self._new_customer(fields, [{"type": "work", "value": email}], [])

    def _new_customer(
        self, fields: dict[str, Any], emails: list[dict[str, Any]], phones: list[dict[str, Any]]
    ) -> dict[str, Any]:
        cid = self._next("customer", 13)
        cust: dict[str, Any] = {
            "id": cid,
            "firstName": fields.get("firstName"),
            "lastName": fields.get("lastName"),
            "gender": fields.get("gender") or "Unknown",
            "jobTitle": fields.get("jobTitle"),
            "location": fields.get("location"),
            "organization": fields.get("organization"),
            "organizationId": None,
            "photoType": "unknown",
            "photoUrl": None,
            "age": fields.get("age"),
            "createdAt": self.now,
            "updatedAt": self.now,
            "background": fields.get("background"),
            "draft": False,
            "_embedded": {
                "emails": [self._entry(e, "work") for e in emails],
                "phones": [self._entry(p, "work") for p in phones],
                "chats": [],
                "social_profiles": [],
                "websites": [],
                "properties": [],
                "address": None,
            },
        }
        self.sb.state["customers"].append(cust)
        self.customers[cid] = cust
        self.sb.mark_dirty()
        return cust

    def _entry(self, spec: dict[str, Any], default_type: str) -> dict[str, Any]:
        return {
            "id": self._next("entry"),
            "value": spec["value"],
            "type": spec.get("type") or default_type,
        }

    def _user_id(self, value: Any, path: str, problems: list[FieldProblem]) -> int | None:
        if not _int(value) or value not in self.users:
            problems.append(FieldProblem(path, "Invalid identifier", value, "InvalidIdentifier"))
            return None
        return int(value)

    def _new_thread(
        self,
        conv: dict[str, Any],
        type_: str,
        body: str | None,
        *,
        user: int | None,
        customer: dict[str, Any],
        status: str = "nochange",
        state: str = "published",
        action: str | None = None,
        cc: list[str] | None = None,
        bcc: list[str] | None = None,
        created_at: str | None = None,
    ) -> dict[str, Any]:
        tid = self._next("thread")
        cref = self._customer_ref(customer)
        author = self._user_ref(user) if user is not None else cref
        thread: dict[str, Any] = {
            "id": tid,
            "type": type_,
            "status": status,
            "state": state,
            "action": {
                "type": "default" if action is None else "manual",
                "text": action,
                "associatedEntities": {},
            },
            "body": body,
            "source": {"type": "api", "via": "user" if user is not None else "customer"},
            "customer": {k: v for k, v in cref.items() if k != "type"},
            "createdBy": author,
            "assignedTo": conv.get("assignee"),
            "savedReplyId": 0,
            "to": [cref["email"]] if type_ == "message" and cref["email"] else [],
            "cc": list(cc or []),
            "bcc": list(bcc or []),
            "createdAt": created_at or self.now,
            "_embedded": {"attachments": []},
            "sandbox": {"conversationId": conv["id"]},
        }
        self.sb.state["threads"].append(thread)
        self.threads.setdefault(conv["id"], []).append(thread)
        self.sb.mark_dirty()
        return thread

    def _lineitem(
        self, conv: dict[str, Any], user: int, text: str, status: str = "nochange"
    ) -> None:
        cust = self.customers.get(conv["primaryCustomer"]["id"])
        if cust is None:
            return
        self._new_thread(
            conv, "lineitem", None, user=user, customer=cust, status=status, action=text
        )

    def _set_status(self, conv: dict[str, Any], status: str, user: int) -> None:
        if conv["status"] == status:
            return
        conv["status"] = status
        if status == "closed":
            u = self.users[user]
            conv["closedBy"] = user
            conv["closedByUser"] = {**self._user_ref(user), "photoUrl": u.get("photoUrl")}
            conv["closedAt"] = self.now
        else:
            for key in ("closedBy", "closedByUser", "closedAt"):
                conv.pop(key, None)

    def _check_capacity(self, conv: dict[str, Any]) -> None:
        if len(self.threads.get(conv["id"], [])) >= MAX_THREADS - 1:
            raise ApiError(412, "Conversation has reached the maximum number of threads")

    def _status_value(self, value: Any, path: str, problems: list[FieldProblem]) -> str | None:
        if value == "open":
            return "active"
        if value not in STATUS_VALUES:
            problems.append(FieldProblem(path, STATUS_MESSAGE, value, "EnumValue"))
            return None
        return str(value)

    def _text(
        self, body: dict[str, Any], problems: list[FieldProblem], path: str = "text"
    ) -> str | None:
        text = body.get(path)
        if not isinstance(text, str) or not text.strip():
            problems.append(FieldProblem(path, "may not be empty", text, "NotEmpty"))
            return None
        return text

    def _emails(self, value: Any, path: str, problems: list[FieldProblem]) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list):
            problems.append(FieldProblem(path, "must be an array", value, "Invalid"))
            return []
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not EMAIL_RE.match(item):
                problems.append(
                    FieldProblem(f"{path}[{i}]", "Not well-formed email", item, "Email")
                )
            else:
                out.append(item)
        return out

    def create_conversation(self, req: Req) -> httpx.Response:
        body = req.json()
        if not isinstance(body, dict):
            raise bad_request(FieldProblem("body", "must be a JSON object", anchor="Invalid"))
        problems: list[FieldProblem] = []
        subject = body.get("subject")
        if not isinstance(subject, str) or not subject.strip():
            problems.append(FieldProblem("subject", "may not be empty", subject, "NotEmpty"))
        type_ = body.get("type")
        if type_ not in ("email", "chat", "phone"):
            problems.append(
                FieldProblem(
                    "type", "Expected one of these: 'chat', 'email', 'phone'", type_, "EnumValue"
                )
            )
        mailbox_id = body.get("mailboxId")
        if not _int(mailbox_id) or mailbox_id not in self.mailboxes:
            problems.append(
                FieldProblem("mailboxId", "Invalid identifier", mailbox_id, "InvalidIdentifier")
            )
        status = body.get("status")
        if status not in ("active", "pending", "closed"):
            problems.append(
                FieldProblem(
                    "status",
                    "Expected one of these: 'active', 'closed', 'pending'",
                    status,
                    "EnumValue",
                )
            )
        assignee = None
        if body.get("assignTo") is not None:
            assignee = self._user_id(body["assignTo"], "assignTo", problems)
        tags = body.get("tags") or []
        if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
            problems.append(FieldProblem("tags", "must be an array of tag names", tags, "Invalid"))
            tags = []
        for key in ("autoReply", "imported"):
            if key in body and not isinstance(body[key], bool):
                problems.append(FieldProblem(key, "must be a boolean", body[key], "Invalid"))
        created_at = None
        if body.get("createdAt") is not None:
            try:
                created_at = iso(parse_strict_date(body["createdAt"], "createdAt"))
            except ApiError as exc:
                problems.extend(exc.errors)
        cc = self._emails(body.get("cc"), "cc", problems)
        bcc = self._emails(body.get("bcc"), "bcc", problems)
        fields_spec = body.get("fields") or []
        custom_fields = []
        if _int(mailbox_id) and isinstance(fields_spec, list):
            known = {
                f["id"]: f
                for f in self.sb.state["fields"]
                if f["sandbox"]["mailboxId"] == mailbox_id
            }
            for i, spec in enumerate(fields_spec):
                fid = spec.get("id") if isinstance(spec, dict) else None
                if fid not in known:
                    problems.append(
                        FieldProblem(
                            f"fields[{i}].id", "Invalid identifier", fid, "InvalidIdentifier"
                        )
                    )
                    continue
                f = known[fid]
                label = next(
                    (o["label"] for o in f["options"] if str(o["id"]) == str(spec.get("value"))),
                    None,
                )
                custom_fields.append(
                    {"id": fid, "name": f["name"], "value": str(spec.get("value")), "text": label}
                )
        threads = body.get("threads")
        if not isinstance(threads, list) or not threads:
            problems.append(FieldProblem("threads", "may not be empty", threads, "NotEmpty"))
            threads = []
        if len(threads) > MAX_THREADS:
            raise ApiError(412, f"A conversation cannot have more than {MAX_THREADS} threads")
        thread_specs: list[tuple[str, str, dict[str, Any] | None, bool, int | None]] = []
        for i, t in enumerate(threads):
            if not isinstance(t, dict):
                problems.append(FieldProblem(f"threads[{i}]", "must be an object", t, "Invalid"))
                continue
            kind = t.get("type")
            if kind not in ("customer", "reply", "note", "phone", "chat"):
                problems.append(
                    FieldProblem(
                        f"threads[{i}].type",
                        "Expected one of these: 'chat', 'customer', 'note', 'phone', 'reply'",
                        kind,
                        "EnumValue",
                    )
                )
            text = t.get("text")
            if not isinstance(text, str) or not text.strip():
                problems.append(
                    FieldProblem(f"threads[{i}].text", "may not be empty", text, "NotEmpty")
                )
            user = None
            if t.get("user") is not None:
                user = self._user_id(t["user"], f"threads[{i}].user", problems)
            thread_specs.append(
                (str(kind), str(text), t.get("customer"), bool(t.get("draft")), user)
            )
        cust_spec = body.get("customer")
        if not isinstance(cust_spec, dict):
            problems.append(FieldProblem("customer", "may not be null", cust_spec, "NotNull"))
        elif cust_spec.get("id") is not None:
            if not _int(cust_spec["id"]) or cust_spec["id"] not in self.customers:
                problems.append(
                    FieldProblem(
                        "customer.id", "Invalid identifier", cust_spec["id"], "InvalidIdentifier"
                    )
                )
        elif not isinstance(cust_spec.get("email"), str) or not EMAIL_RE.match(cust_spec["email"]):
            message = (
                "Not well-formed email"
                if cust_spec.get("email")
                else ("customer id or email is required")
            )
            problems.append(
                FieldProblem("customer.email", message, cust_spec.get("email"), "Email")
            )
        if problems:
            raise bad_request(*problems)
        customer = self._find_or_create_customer(cust_spec, "customer", problems)
        if customer is None:
            raise bad_request(*problems)
        number = self._next("number")
        cid = self._next("conversation", 37)
        now = created_at or self.now
        draft = any(kind == "reply" and is_draft for kind, _, _, is_draft, _ in thread_specs)
        conv: dict[str, Any] = {
            "id": cid,
            "number": number,
            "type": type_,
            "status": "active",  # _set_status below fills in closedBy/closedAt
            "state": "draft" if draft else "published",
            "subject": subject,
            "preview": "",
            "mailboxId": mailbox_id,
            "createdBy": {
                "id": customer["id"],
                "type": "customer",
                "email": self._customer_ref(customer)["email"],
            },
            "createdAt": now,
            "userUpdatedAt": now,
            "customerWaitingSince": {"time": now, "latestReplyFrom": "customer"},
            "source": {"type": "api", "via": "customer"},
            "tags": [],
            "cc": cc,
            "bcc": bcc,
            "primaryCustomer": self._customer_ref(customer),
            "customFields": custom_fields,
            "sandbox": {"modifiedAt": self.now, "needsAttention": False},
        }
        seen: set[str] = set()
        for name in tags:
            ref = self._conv_tag(name)
            if ref["tag"] not in seen:
                seen.add(ref["tag"])
                conv["tags"].append(ref)
        if assignee is not None:
            conv["assignee"] = self._user_ref(assignee)
        self.sb.state["conversations"].append(conv)
        self.convs[cid] = conv
        self.threads[cid] = []
        first_user = None
        for kind, text, cust_spec, is_draft, user in thread_specs:
            author_user = None
            thread_customer = customer
            if kind in ("reply", "note") or kind == "phone":
                author_user = user or req.user_id
            if isinstance(cust_spec, dict) and cust_spec.get("id") in self.customers:
                thread_customer = self.customers[cust_spec["id"]]
            stored_type = "message" if kind == "reply" else kind
            self._new_thread(
                conv,
                stored_type,
                text,
                user=author_user,
                customer=thread_customer,
                state="draft" if is_draft else "published",
                created_at=now,
            )
            if first_user is None:
                first_user = author_user if author_user is not None else 0
        if first_user:
            conv["createdBy"] = self._user_ref(first_user)
            conv["source"]["via"] = "user"
        self._set_status(conv, str(status), req.user_id)
        self._refresh_after_threads(conv)
        self._touch(conv)
        return self._created(201, f"{req.origin}/v2/conversations/{cid}", cid)

    def _refresh_after_threads(self, conv: dict[str, Any]) -> None:
        """Preview and waiting time from the newest published customer/agent thread."""
        visible = [
            t
            for t in self.threads.get(conv["id"], [])
            if t["type"] not in ("lineitem", "note") and t["state"] == "published"
        ]
        if not visible:
            return
        latest = max(visible, key=lambda t: (t["createdAt"], t["id"]))
        conv["preview"] = html_to_preview(latest["body"])
        from_user = latest["createdBy"].get("type") == "user"
        conv["customerWaitingSince"]["latestReplyFrom"] = "user" if from_user else "customer"
        if not from_user:
            conv["customerWaitingSince"]["time"] = latest["createdAt"]

    def reply(self, req: Req) -> httpx.Response:
        conv = self._conv(req)
        body = req.json()
        if not isinstance(body, dict):
            raise bad_request(FieldProblem("body", "must be a JSON object"))
        problems: list[FieldProblem] = []
        text = self._text(body, problems)
        spec = body.get("customer")
        customer = None
        if not isinstance(spec, dict) or spec.get("id") is None:
            problems.append(FieldProblem("customer", "may not be null", spec, "NotNull"))
        elif not _int(spec["id"]) or spec["id"] not in self.customers:
            problems.append(
                FieldProblem("customer.id", "Invalid identifier", spec["id"], "InvalidIdentifier")
            )
        else:
            customer = self.customers[spec["id"]]
        draft = body.get("draft", False)
        if not isinstance(draft, bool):
            problems.append(FieldProblem("draft", "must be a boolean", draft, "Invalid"))
        status = None
        if body.get("status") is not None:
            status = self._status_value(body["status"], "status", problems)
        user = req.user_id
        if body.get("user") is not None:
            user = self._user_id(body["user"], "user", problems) or user
        assignee = None
        if body.get("assignTo") is not None:
            assignee = self._user_id(body["assignTo"], "assignTo", problems)
        cc = self._emails(body.get("cc"), "cc", problems)
        bcc = self._emails(body.get("bcc"), "bcc", problems)
        if problems:
            raise bad_request(*problems)
        assert text is not None and customer is not None
        self._check_capacity(conv)
        new_status = status or "active"
        thread = self._new_thread(
            conv,
            "message",
            text,
            user=user,
            customer=customer,
            status="nochange" if draft or new_status == conv["status"] else new_status,
            state="draft" if draft else "published",
            cc=cc,
            bcc=bcc,
        )
        if not draft:
            self._set_status(conv, new_status, user)
            if assignee is not None:
                conv["assignee"] = self._user_ref(assignee)
            conv["userUpdatedAt"] = self.now
            self._refresh_after_threads(conv)
        self._touch(conv)
        return self._created(
            201, f"{req.origin}/v2/conversations/{conv['id']}/threads/{thread['id']}", thread["id"]
        )

    def note(self, req: Req) -> httpx.Response:
        conv = self._conv(req)
        body = req.json()
        if not isinstance(body, dict):
            raise bad_request(FieldProblem("body", "must be a JSON object"))
        problems: list[FieldProblem] = []
        text = self._text(body, problems)
        status = None
        if body.get("status") is not None:
            status = self._status_value(body["status"], "status", problems)
        user = req.user_id
        if body.get("user") is not None:
            user = self._user_id(body["user"], "user", problems) or user
        if problems:
            raise bad_request(*problems)
        self._check_capacity(conv)
        cust = self.customers.get(conv["primaryCustomer"]["id"])
        if cust is None:
            raise ApiError(400, "Conversation has no customer")
        thread = self._new_thread(
            conv,
            "note",
            text,
            user=user,
            customer=cust,
            status=status if status and status != conv["status"] else "nochange",
        )
        if status:
            self._set_status(conv, status, user)
        conv["userUpdatedAt"] = self.now
        self._touch(conv)
        return self._created(
            201, f"{req.origin}/v2/conversations/{conv['id']}/threads/{thread['id']}", thread["id"]
        )

    def customer_thread(self, req: Req) -> httpx.Response:
        conv = self._conv(req)
        body = req.json()
        if not isinstance(body, dict):
            raise bad_request(FieldProblem("body", "must be a JSON object"))
        problems: list[FieldProblem] = []
        text = self._text(body, problems)
        cc = self._emails(body.get("cc"), "cc", problems)
        bcc = self._emails(body.get("bcc"), "bcc", problems)
        imported = body.get("imported", False)
        if "customer" not in body or body["customer"] is None:
            problems.append(FieldProblem("customer", "may not be null", None, "NotNull"))
        if problems:
            raise bad_request(*problems)
        customer = self._find_or_create_customer(body["customer"], "customer", problems)
        if problems or customer is None:
            raise bad_request(*problems)
        self._check_capacity(conv)
        reopen = not imported and conv["status"] != "active"
        thread = self._new_thread(
            conv,
            "customer",
            text,
            user=None,
            customer=customer,
            status="active" if reopen else "nochange",
            cc=cc,
            bcc=bcc,
        )
        if not imported:
            self._set_status(conv, "active", req.user_id)
            snooze = conv.get("snooze")
            if snooze and snooze.get("unsnoozeOnCustomerReply"):
                conv.pop("snooze", None)
        self._refresh_after_threads(conv)
        self._touch(conv)
        return self._created(
            201, f"{req.origin}/v2/conversations/{conv['id']}/threads/{thread['id']}", thread["id"]
        )

    def _single_patch(self, req: Req) -> dict[str, Any]:
        body = req.json(patch=True)
        if isinstance(body, list):
            raise bad_request(
                FieldProblem(
                    "body",
                    "Request payload must be a single JSON Patch object, not an array",
                    anchor="Invalid",
                )
            )
        if not isinstance(body, dict):
            raise bad_request(FieldProblem("body", "must be a JSON Patch object", anchor="Invalid"))
        problems = []
        if body.get("op") not in ("add", "move", "remove", "replace"):
            problems.append(
                FieldProblem(
                    "op",
                    "Expected one of these: 'add', 'move', 'remove', 'replace'",
                    body.get("op"),
                    "EnumValue",
                )
            )
        if not isinstance(body.get("path"), str):
            problems.append(FieldProblem("path", "may not be empty", body.get("path"), "NotEmpty"))
        if problems:
            raise bad_request(*problems)
        return body

    def patch_conversation(self, req: Req) -> httpx.Response:
        conv = self._conv(req)
        patch = self._single_patch(req)
        op, path, value = patch["op"], patch["path"], patch.get("value")
        user = req.user_id
        problems: list[FieldProblem] = []

        def unsupported() -> ApiError:
            return bad_request(
                FieldProblem(
                    "op", f"Operation '{op}' is not supported for path '{path}'", op, "EnumValue"
                )
            )

        if path == "/status":
            if op != "replace":
                raise unsupported()
            status = self._status_value(value, "value", problems)
            if problems or status is None:
                raise bad_request(*problems)
            if status != conv["status"]:
                self._set_status(conv, status, user)
                self._lineitem(
                    conv,
                    user,
                    f"Marked as {status.capitalize()} by {self._first_name(user)}",
                    status,
                )
        elif path == "/assignTo":
            if op == "remove":
                if conv.get("assignee"):
                    conv.pop("assignee")
                    self._lineitem(conv, user, f"Unassigned by {self._first_name(user)}")
            elif op == "replace":
                uid = self._user_id(value, "value", problems)
                if uid is None:
                    raise bad_request(*problems)
                conv["assignee"] = self._user_ref(uid)
                self._lineitem(
                    conv, user, f"Assigned to {self._first_name(uid)} by {self._first_name(user)}"
                )
            else:
                raise unsupported()
        elif path == "/mailboxId":
            if op not in ("move", "replace"):
                raise unsupported()
            if not _int(value) or value not in self.mailboxes:
                raise bad_request(
                    FieldProblem("value", "Invalid identifier", value, "InvalidIdentifier")
                )
            if value != conv["mailboxId"]:
                old = self.mailboxes[conv["mailboxId"]]["name"]
                conv["mailboxId"] = value
                conv["customFields"] = []
                self._lineitem(
                    conv,
                    user,
                    f"Moved from {old} to "
                    f"{self.mailboxes[value]['name']} by {self._first_name(user)}",
                )
        elif path == "/subject":
            if op != "replace":
                raise unsupported()
            if not isinstance(value, str) or not value.strip():
                raise bad_request(FieldProblem("value", "may not be empty", value, "NotEmpty"))
            conv["subject"] = value
        elif path == "/primaryCustomer.id":
            if op != "replace":
                raise unsupported()
            if not _int(value) or value not in self.customers:
                raise bad_request(
                    FieldProblem("value", "Invalid identifier", value, "InvalidIdentifier")
                )
            conv["primaryCustomer"] = self._customer_ref(self.customers[value])
        elif path == "/draft":
            if op != "replace":
                raise unsupported()
            if value is not False:
                raise bad_request(
                    FieldProblem(
                        "value", "Only false (publish the draft) is supported", value, "EnumValue"
                    )
                )
            if conv["state"] != "draft":
                raise bad_request(
                    FieldProblem("draft", "Conversation is not a draft", value, "Invalid")
                )
            conv["state"] = "published"
            for t in self.threads.get(conv["id"], []):
                if t["state"] == "draft":
                    t["state"] = "published"
            conv["userUpdatedAt"] = self.now
            self._refresh_after_threads(conv)
        else:
            raise bad_request(FieldProblem("path", f"Unsupported path: {path}", path, "EnumValue"))
        if path in ("/status", "/assignTo", "/mailboxId", "/subject"):
            conv["userUpdatedAt"] = self.now
        self._touch(conv)
        return empty_response(204)

    def delete_conversation(self, req: Req) -> httpx.Response:
        conv = self._conv(req)
        cid = conv["id"]
        self.sb.state["conversations"] = [
            c for c in self.sb.state["conversations"] if c["id"] != cid
        ]
        self.sb.state["threads"] = [
            t for t in self.sb.state["threads"] if t["sandbox"]["conversationId"] != cid
        ]
        del self.convs[cid]
        self.threads.pop(cid, None)
        self.sb.mark_dirty()
        return empty_response(204)

    def _thread(self, req: Req, conv: dict[str, Any]) -> dict[str, Any]:
        for t in self.threads.get(conv["id"], []):
            if t["id"] == req.params["tid"]:
                return t
        raise ApiError(404, "Thread not found")

    def patch_thread(self, req: Req) -> httpx.Response:
        conv = self._conv(req)
        thread = self._thread(req, conv)
        patch = self._single_patch(req)
        op, path, value = patch["op"], patch["path"], patch.get("value")
        if op != "replace" or path not in ("/text", "/hidden"):
            raise bad_request(
                FieldProblem("path", f"Unsupported operation {op} {path}", path, "EnumValue")
            )
        if path == "/text":
            if not isinstance(value, str) or not value.strip():
                raise bad_request(FieldProblem("value", "may not be empty", value, "NotEmpty"))
            thread["body"] = value
            self._refresh_after_threads(conv)
        else:
            if not isinstance(value, bool):
                raise bad_request(FieldProblem("value", "must be a boolean", value, "Invalid"))
            thread["state"] = "hidden" if value else "published"
        self._touch(conv)
        return empty_response(204)

    def delete_thread(self, req: Req) -> httpx.Response:
        conv = self._conv(req)
        self._thread(req, conv)
        raise bad_request(
            FieldProblem(
                "threadId", "Threads cannot be deleted", req.params["tid"], "Invalid", "PATH"
            ),
            message="Threads cannot be deleted",
        )

    def put_tags(self, req: Req) -> httpx.Response:
        conv = self._conv(req)
        body = req.json()
        tags = body.get("tags") if isinstance(body, dict) else None
        if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
            raise bad_request(
                FieldProblem("tags", "must be an array of tag names", tags, "Invalid")
            )
        refs: list[dict[str, Any]] = []
        for name in tags:
            ref = self._conv_tag(name)
            if all(r["id"] != ref["id"] for r in refs):
                refs.append(ref)
        conv["tags"] = refs
        self._touch(conv)
        return empty_response(204)

    def put_snooze(self, req: Req) -> httpx.Response:
        conv = self._conv(req)
        body = req.json()
        if not isinstance(body, dict):
            raise bad_request(FieldProblem("body", "must be a JSON object"))
        if body.get("snoozedUntil") is None:
            raise bad_request(FieldProblem("snoozedUntil", "may not be null", None, "NotNull"))
        until = parse_strict_date(body["snoozedUntil"], "snoozedUntil")
        if until <= self.sb.now:
            raise bad_request(
                FieldProblem(
                    "snoozedUntil", "must be in the future", body["snoozedUntil"], "Future"
                )
            )
        unsnooze = body.get("unsnoozeOnCustomerReply", False)
        if not isinstance(unsnooze, bool):
            raise bad_request(
                FieldProblem("unsnoozeOnCustomerReply", "must be a boolean", unsnooze, "Invalid")
            )
        conv["snooze"] = {
            "snoozedBy": req.user_id,
            "snoozedUntil": iso(until),
            "unsnoozeOnCustomerReply": unsnooze,
        }
        self._touch(conv)
        return empty_response(204)

    def delete_snooze(self, req: Req) -> httpx.Response:
        conv = self._conv(req)
        conv.pop("snooze", None)
        self._touch(conv)
        return empty_response(204)

    # --- customers ----------------------------------------------------------------------

    def render_customer(self, req: Req, cust: dict[str, Any]) -> dict[str, Any]:
        base = f"{req.origin}/v2/customers/{cust['id']}"
        out = dict(cust)
        links = {
            "address": {"href": f"{base}/address"},
            "chats": {"href": f"{base}/chats"},
            "emails": {"href": f"{base}/emails"},
            "phones": {"href": f"{base}/phones"},
            "social-profiles": {"href": f"{base}/social-profiles"},
            "websites": {"href": f"{base}/websites"},
            "self": {"href": base},
        }
        if cust.get("organizationId"):
            links["organization"] = {
                "href": f"{req.origin}/v2/organizations/{cust['organizationId']}"
            }
        out["_links"] = links
        return out

    def _customer(self, req: Req) -> dict[str, Any]:
        cust = self.customers.get(req.params["id"])
        if cust is None:
            raise ApiError(404, "Customer not found")
        return cust

    def get_customer(self, req: Req) -> httpx.Response:
        return json_response(200, self.render_customer(req, self._customer(req)))

    def list_customers(self, req: Req) -> httpx.Response:
        q = req.query
        customers = list(self.customers.values())
        for param, key in (("firstName", "firstName"), ("lastName", "lastName")):
            if q.get(param):
                customers = [c for c in customers if (c.get(key) or "").lower() == q[param].lower()]
        if "modifiedSince" in q:
            since = iso(parse_strict_date(q["modifiedSince"], "modifiedSince", "QUERY"))
            customers = [c for c in customers if c["updatedAt"] >= since]
        if q.get("query"):
            try:
                predicate = compile_query(q["query"], CUSTOMER_QUERY_FIELDS, frozenset({"id"}))
            except QuerySyntaxError as exc:
                raise bad_request(
                    FieldProblem("query", str(exc), q["query"], "Invalid", "QUERY")
                ) from None
            customers = [c for c in customers if predicate(_customer_doc(c))]
        sort_field = q.get("sortField") or "createdAt"
        keys: dict[str, Callable[[dict[str, Any]], Any]] = {
            "createdAt": lambda c: c["createdAt"],
            "modifiedAt": lambda c: c["updatedAt"],
            "firstName": lambda c: (c.get("firstName") or "").lower(),
            "lastName": lambda c: (c.get("lastName") or "").lower(),
        }
        if sort_field not in keys:
            raise bad_request(
                FieldProblem(
                    "sortField",
                    "Expected one of these: 'createdAt', 'firstName', 'lastName', 'modifiedAt'",
                    sort_field,
                    "EnumValue",
                    "QUERY",
                )
            )
        order = (q.get("sortOrder") or "desc").lower()
        if order not in ("asc", "desc"):
            raise bad_request(
                FieldProblem(
                    "sortOrder",
                    "Expected one of these: 'asc', 'desc'",
                    q.get("sortOrder"),
                    "EnumValue",
                    "QUERY",
                )
            )
        key = keys[sort_field]
        customers.sort(key=lambda c: (key(c), c["id"]), reverse=order == "desc")
        items = [self.render_customer(req, c) for c in customers]
        return self._page(req, items, PAGE, "customers")

    def _validate_entries(
        self, value: Any, path: str, problems: list[FieldProblem]
    ) -> list[dict[str, Any]]:
        if value is None:
            return []
        if not isinstance(value, list):
            problems.append(FieldProblem(path, "must be an array of objects", value, "Invalid"))
            return []
        out = []
        for i, item in enumerate(value):
            entry = self._validate_entry(item, f"{path}[{i}]", path, problems)
            if entry is not None:
                out.append(entry)
        return out

    def _validate_entry(
        self, item: Any, where: str, kind: str, problems: list[FieldProblem]
    ) -> dict[str, Any] | None:
        if not isinstance(item, dict):
            problems.append(
                FieldProblem(where, "must be an object with a 'value'", item, "Invalid")
            )
            return None
        value = item.get("value")
        types = EMAIL_TYPES if kind == "emails" else PHONE_TYPES
        if not isinstance(value, str) or not value.strip():
            problems.append(FieldProblem(f"{where}.value", "may not be empty", value, "NotEmpty"))
            return None
        if kind == "emails" and not EMAIL_RE.match(value):
            problems.append(FieldProblem(f"{where}.value", "Not well-formed email", value, "Email"))
            return None
        type_ = item.get("type")
        if type_ is not None and type_ not in types:
            problems.append(
                FieldProblem(
                    f"{where}.type",
                    "Expected one of these: " + ", ".join(f"'{t}'" for t in types),
                    type_,
                    "EnumValue",
                )
            )
            return None
        return {"value": value, "type": type_}

    def _validate_scalars(self, body: dict[str, Any], problems: list[FieldProblem]) -> None:
        for name, limit in CUSTOMER_SCALARS.items():
            value = body.get(name)
            if value is None:
                continue
            if not isinstance(value, str):
                problems.append(FieldProblem(name, "must be a string", value, "Invalid"))
            elif len(value) > limit:
                problems.append(
                    FieldProblem(name, f"size must be between 0 and {limit}", value, "Size")
                )

    def create_customer(self, req: Req) -> httpx.Response:
        body = req.json()
        if not isinstance(body, dict):
            raise bad_request(FieldProblem("body", "must be a JSON object"))
        problems: list[FieldProblem] = []
        self._validate_scalars(body, problems)
        emails = self._validate_entries(body.get("emails"), "emails", problems)
        phones = self._validate_entries(body.get("phones"), "phones", problems)
        if problems:
            raise bad_request(*problems)
        fields = {k: body.get(k) for k in CUSTOMER_SCALARS}
        cust = self._new_customer(fields, emails, phones)
        return self._created(201, f"{req.origin}/v2/customers/{cust['id']}", cust["id"])

    def put_customer(self, req: Req) -> httpx.Response:
        cust = self._customer(req)
        body = req.json()
        if not isinstance(body, dict):
            raise bad_request(FieldProblem("body", "must be a JSON object"))
        problems: list[FieldProblem] = []
        self._validate_scalars(body, problems)
        emails = self._validate_entries(body.get("emails"), "emails", problems)
        phones = self._validate_entries(body.get("phones"), "phones", problems)
        if problems:
            raise bad_request(*problems)
        for name in CUSTOMER_SCALARS:
            cust[name] = body.get(name)
        if cust["gender"] is None:
            cust["gender"] = "Unknown"
        if "emails" in body:
            cust["_embedded"]["emails"] = [self._entry(e, "work") for e in emails]
        if "phones" in body:
            cust["_embedded"]["phones"] = [self._entry(p, "work") for p in phones]
        cust["updatedAt"] = self.now
        self._refresh_customer_refs(cust)
        self.sb.mark_dirty()
        return empty_response(204)

    def patch_customer(self, req: Req) -> httpx.Response:
        cust = self._customer(req)
        body = req.json(patch=True)
        if not isinstance(body, list):
            raise bad_request(
                FieldProblem(
                    "body", "Request payload must be in the form of array", anchor="Invalid"
                )
            )
        if not body:
            raise bad_request(FieldProblem("body", "may not be empty", [], "NotEmpty"))
        work = json.loads(json.dumps(cust))
        problems: list[FieldProblem] = []
        for i, op in enumerate(body):
            self._apply_customer_op(work, op, f"[{i}]", problems)
        if problems:
            raise bad_request(*problems)
        work["updatedAt"] = self.now
        cust.clear()
        cust.update(work)
        self._refresh_customer_refs(cust)
        self.sb.mark_dirty()
        return empty_response(204)

    def _apply_customer_op(
        self, cust: dict[str, Any], op: Any, where: str, problems: list[FieldProblem]
    ) -> None:
        if not isinstance(op, dict):
            problems.append(FieldProblem(where, "must be a JSON Patch object", op, "Invalid"))
            return
        kind, path, value = op.get("op"), op.get("path"), op.get("value")
        if kind not in ("add", "remove", "replace"):
            problems.append(
                FieldProblem(
                    f"{where}.op",
                    "Expected one of these: 'add', 'remove', 'replace'",
                    kind,
                    "EnumValue",
                )
            )
            return
        if not isinstance(path, str):
            problems.append(FieldProblem(f"{where}.path", "may not be empty", path, "NotEmpty"))
            return
        parts = path.strip("/").split("/")
        name = parts[0]
        if name in CUSTOMER_SCALARS and len(parts) == 1:
            if kind == "remove":
                cust[name] = None
                return
            limit = CUSTOMER_SCALARS[name]
            if not isinstance(value, str) or len(value) > limit:
                problems.append(
                    FieldProblem(
                        name, f"must be a string of at most {limit} characters", value, "Size"
                    )
                )
                return
            cust[name] = value
            return
        if name not in ("emails", "phones"):
            problems.append(
                FieldProblem(f"{where}.path", f"Unsupported path: {path}", path, "EnumValue")
            )
            return
        entries: list[dict[str, Any]] = cust["_embedded"][name]
        if len(parts) == 1:
            if kind != "add":
                problems.append(
                    FieldProblem(
                        f"{where}.path",
                        f"A whole {name} collection cannot be {kind}d",
                        path,
                        "Invalid",
                    )
                )
                return
            entry = self._validate_entry(value, f"{where}.value", name, problems)
            if entry is not None:
                entries.append(self._entry(entry, "work"))
            return
        try:
            entry_id = int(parts[1])
        except ValueError:
            entry_id = -1
        target = next((e for e in entries if e["id"] == entry_id), None)
        if target is None:
            problems.append(
                FieldProblem(f"{where}.path", "Invalid identifier", path, "InvalidIdentifier")
            )
            return
        if kind == "remove" and len(parts) == 2:
            entries.remove(target)
            return
        if kind in ("replace", "add") and len(parts) == 2:
            entry = self._validate_entry(value, f"{where}.value", name, problems)
            if entry is not None:
                target["value"] = entry["value"]
                target["type"] = entry["type"] or target["type"]
            return
        if kind in ("replace", "add") and len(parts) == 3 and parts[2] in ("value", "type"):
            fake = {**target, parts[2]: value}
            entry = self._validate_entry(fake, f"{where}.value", name, problems)
            if entry is not None:
                target[parts[2]] = value
            return
        problems.append(
            FieldProblem(f"{where}.path", f"Unsupported path: {path}", path, "EnumValue")
        )

    def _refresh_customer_refs(self, cust: dict[str, Any]) -> None:
        """Person refs in conversations carry the name and email: keep them current."""
        ref = self._customer_ref(cust)
        for conv in self.convs.values():
            if conv["primaryCustomer"]["id"] == cust["id"]:
                conv["primaryCustomer"] = ref


class _Doc:
    """A conversation as the search language sees it; fields are computed on demand."""

    def __init__(self, api: Api, conv: dict[str, Any]) -> None:
        self.api = api
        self.conv = conv

    def get(self, field: str, default: Any = ()) -> list[str]:
        conv = self.conv
        pc = conv["primaryCustomer"]
        name = " ".join(x for x in (pc.get("first"), pc.get("last")) if x)
        threads = self.api.threads.get(conv["id"], [])
        if field == "subject":
            return [conv["subject"] or ""]
        if field == "body":
            return [html_to_text(t["body"]) for t in threads if t["body"]]
        if field == "email":
            emails = {pc.get("email") or ""}
            emails.update((t.get("customer") or {}).get("email") or "" for t in threads)
            return sorted(e for e in emails if e)
        if field == "tag":
            return [t["tag"] for t in conv["tags"]]
        if field == "number":
            return [str(conv["number"])]
        if field == "id":
            return [str(conv["id"])]
        if field == "customerids":
            return [str(pc["id"])]
        if field == "mailboxid":
            return [str(conv["mailboxId"])]
        if field == "status":
            return [conv["status"]]
        if field == "assigned":
            a = conv.get("assignee")
            if not a:
                return ["unassigned"]
            return [" ".join(x for x in (a.get("first"), a.get("last")) if x), a.get("email") or ""]
        if field == "attachment":
            has = any(t["_embedded"]["attachments"] for t in threads)
            return ["true" if has else "false"]
        if field == "createdat":
            return [conv["createdAt"]]
        if field == "modifiedat":
            return [conv["sandbox"]["modifiedAt"]]
        if field == "_text":
            return [conv["subject"] or "", conv["preview"] or "", name, pc.get("email") or ""]
        return list(default)


def _customer_doc(cust: dict[str, Any]) -> dict[str, list[str]]:
    emb = cust["_embedded"]
    emails = [e["value"] for e in emb["emails"]]
    phones = [p["value"] for p in emb["phones"]]
    names = [cust.get("firstName") or "", cust.get("lastName") or ""]
    return {
        "firstname": [names[0]],
        "lastname": [names[1]],
        "email": emails,
        "phone": phones,
        "organization": [cust.get("organization") or ""],
        "id": [str(cust["id"])],
        "_text": [*names, " ".join(names), *emails, cust.get("organization") or ""],
    }


__all__ = ["VND_ERROR", "Api", "Req", "error_body"]
