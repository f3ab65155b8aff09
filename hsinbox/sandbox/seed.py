# ruff: noqa: RUF001  (the sample data is deliberately international and hostile)
"""The sample help desk: three mailboxes, six agents, ~150 conversations, some hostile.

Deterministic (a fixed ``random.Random`` seed) with every date relative to ``now``, so the demo
looks live and tests can pin it.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from typing import Any

from hsinbox.sandbox.refs import customer_ref, user_ref
from hsinbox.sandbox.seed_agent_day import add_agent_day
from hsinbox.sandbox.seed_awareness import add_awareness
from hsinbox.sandbox.seed_reach import add_reach
from hsinbox.sandbox.synthetic import ID_STEP, SyntheticBlock, block_params
from hsinbox.sandbox.util import html_to_preview, iso, slugify

STATE_VERSION = 3  # 2: the agent-day data (seed_agent_day); 3: ratings, a colleague's draft
SEED = 20261126
ME_ID = 431001
COMPANY_ID = 77120
DOMAIN = "brightloom.example"

USERS = [
    ("Maya", "Lindqvist", "owner", "Support Lead", "Europe/Stockholm"),
    ("Tomás", "Herrera", "admin", "Billing Specialist", "America/Mexico_City"),
    ("Priya", "Natarajan", "user", "Support Engineer", "Asia/Kolkata"),
    ("Jonah", "Okafor", "user", "Partnerships Manager", "Africa/Lagos"),
    ("Elena", "Petrova", "user", "Support Agent", "Europe/Sofia"),
    ("Sam", "Whitfield", "user", "Support Agent", "America/Chicago"),
]
# Which mailboxes (by index) each user can see; the first user sees all.
USER_MAILBOXES = [[0, 1, 2], [1], [0], [2], [0, 1], [0]]

MAILBOXES = [
    ("Support", "support", "vip", "VIP"),
    ("Billing", "billing", "refund", "Refunds"),
    ("Partnerships", "partners", "integration", "Integrations"),
]

FOLDER_KINDS = [
    ("Unassigned", "unassigned"),
    ("Mine", "mine"),
    ("Assigned", "assigned"),
    ("Drafts", "drafts"),
    ("Needs Attention", "needsattention"),
    ("Closed", "closed"),
    ("Spam", "spam"),
]

TAG_COLORS = {
    "red": "#E52F28",
    "orange": "#F28C28",
    "yellow": "#E9C53B",
    "green": "#59A85C",
    "blue": "#3197D6",
    "purple": "#8E63CE",
    "grey": "#929499",
}
TAGS = [
    ("vip", "purple"),
    ("refund", "orange"),
    ("bug", "red"),
    ("feature-request", "blue"),
    ("billing", "green"),
    ("invoice", "green"),
    ("urgent", "red"),
    ("onboarding", "blue"),
    ("integration", "purple"),
    ("api", "grey"),
    ("shipping", "yellow"),
    ("cancellation", "orange"),
    ("feedback", "grey"),
    ("security", "red"),
    ("partnership", "blue"),
]
MAILBOX_TAGS = [
    [
        "vip",
        "bug",
        "feature-request",
        "urgent",
        "onboarding",
        "api",
        "shipping",
        "feedback",
        "security",
    ],
    ["refund", "billing", "invoice", "cancellation", "vip", "urgent"],
    ["integration", "partnership", "api", "feedback"],
]

FIRST_NAMES = [
    "Ava",
    "Liam",
    "Noor",
    "Mateo",
    "Hana",
    "Oliver",
    "Zara",
    "Lukas",
    "Amara",
    "Kenji",
    "Sofia",
    "Rafael",
    "Ingrid",
    "Tariq",
    "Chloé",
    "Dmitri",
    "Leila",
    "Finn",
    "Yuki",
    "Grace",
    "Omar",
    "Beatriz",
    "Henrik",
    "Mei",
    "Kwame",
    "Isla",
    "Arjun",
    "Nadia",
    "Pablo",
    "Freya",
]
LAST_NAMES = [
    "Johansson",
    "Nguyen",
    "Haddad",
    "García",
    "Tanaka",
    "Smith",
    "Ahmed",
    "Müller",
    "Mensah",
    "Sato",
    "Rossi",
    "Costa",
    "Berg",
    "Khan",
    "Dubois",
    "Ivanov",
    "Rahimi",
    "O'Brien",
    "Kim",
    "Walker",
    "Farouk",
    "Silva",
    "Lund",
    "Chen",
    "Asante",
    "Murray",
    "Patel",
    "Novak",
    "Ruiz",
    "Andersen",
]
ORGS = [
    ("Cobalt Coffee Roasters", "Head of Operations"),
    ("Northwind Outfitters", "Store Manager"),
    ("Pinecrest Dental", "Office Manager"),
    ("Lumen Analytics", "Data Engineer"),
    ("Harbor & Vine", "Founder"),
    ("Quill Legal", "Paralegal"),
    ("Tidewater Schools", "IT Coordinator"),
    ("Fable Games", "Producer"),
    (None, None),
    (None, None),
]


def _p(*paras: str) -> str:
    return "".join(f"<p>{x}</p>" for x in paras)


# (subject, customer message HTML, agent reply HTML) per mailbox.
SCENARIOS: list[list[tuple[str, str, str]]] = [
    [
        (
            "Can't log in after password reset",
            _p(
                "Hi there,",
                "I reset my password this morning but the login page keeps saying "
                "<em>invalid credentials</em>. I've tried:",
            )
            + "<ol><li>Clearing cookies</li><li>A different browser</li>"
            "<li>The reset link again</li></ol>" + _p("Any ideas?<br>Thanks"),
            _p(
                "Thanks for the detail! The reset link expires after 30 minutes, so the second "
                "one replaced the first.",
                'Could you try once more from <a href="https://app.brightloom.example/reset">'
                "the reset page</a> and use the newest email only?",
            ),
        ),
        (
            "Export to CSV is missing columns",
            _p(
                "When I export the orders report, the <strong>Discount</strong> and "
                "<strong>Tax</strong> columns are empty.",
                "This worked fine last week.",
            ),
            _p(
                "You're right, this is a bug we introduced on Tuesday. Our engineers have a "
                "fix ready and it ships tomorrow morning.",
                "I'll write back as soon as it's live.",
            ),
        ),
        (
            "Feature request: dark mode",
            _p(
                "Love the product! Any chance of a dark mode? I work late and the white "
                "background is brutal.",
            ),
            _p(
                "Thank you! Dark mode is on our roadmap for this quarter. I've added your vote "
                "to the request so you'll hear from us when it lands.",
            ),
        ),
        (
            "Webhook deliveries failing with 502",
            _p(
                "Since yesterday every webhook to our endpoint fails:",
            )
            + "<ul><li>status 502</li><li>retry count 5</li><li>endpoint "
            "https://hooks.cobalt.example/bl</li></ul>"
            + _p("Our server logs show nothing arriving."),
            _p(
                "Our delivery logs show a TLS handshake failure: your certificate expired on "
                "the 3rd. Once it's renewed, deliveries will resume and the queued ones will be "
                "retried automatically.",
            ),
        ),
        (
            "How do I add a teammate?",
            _p("Where do I invite another person to our workspace?"),
            _p(
                "Go to <strong>Settings → Team</strong> and click <em>Invite</em>. Here's a "
                '<a href="https://docs.brightloom.example/team">short guide</a>.',
            ),
        ),
        (
            "Order #4821 arrived damaged",
            _p(
                "The lamp arrived with a cracked shade. Photos attached.",
                "Can you send a replacement?",
            ),
            _p(
                "I'm so sorry about that! A replacement shade is on its way, tracking number "
                "<strong>1Z999AA10123456784</strong>. No need to send the broken one back.",
            ),
        ),
        (
            "API rate limit too low for our sync",
            _p(
                "We sync about 20k records nightly and keep hitting 429s. Is there a higher tier?",
            ),
            _p(
                "The Plus plan doubles the limit to 400 requests a minute. Also, batching "
                "updates with the <code>/bulk</code> endpoint cuts requests by about 90%.",
            ),
        ),
        (
            "Two-factor codes not arriving",
            _p("I'm not receiving the SMS codes for 2FA. My number hasn't changed."),
            _p(
                "Some carriers started filtering our sender ID. I've switched your account to "
                "the backup route; please try again and let me know.",
            ),
        ),
        (
            "Mobile app crashes on startup",
            _p("Version 5.2 crashes right after the splash screen on my Pixel 7."),
            _p(
                "Thanks for reporting! 5.2.1 fixes this crash and is rolling out now. You can "
                "also update from the store page directly.",
            ),
        ),
        (
            "Question about data retention",
            _p("How long do you keep deleted projects? We have a compliance review."),
            _p(
                "Deleted projects are kept 30 days, then purged from backups within 90. Our "
                '<a href="https://brightloom.example/security">security page</a> has the '
                "details and our DPA.",
            ),
        ),
    ],
    [
        (
            "Charged twice this month",
            _p(
                "Hello,",
                "My card was charged <strong>$49.00</strong> twice on the 1st. Please refund "
                "one of them.",
            ),
            _p(
                "You're right, a retry created a duplicate charge. I've refunded $49.00; it "
                "will show on your statement in 5–10 business days.",
            ),
        ),
        (
            "Need a VAT invoice",
            _p("Could you re-issue last month's invoice with our VAT number SE556677889901?"),
            _p(
                "Done! The corrected invoice is attached and also available under "
                "<em>Billing → Invoices</em>.",
            ),
        ),
        (
            "Cancel my subscription",
            _p("Please cancel at the end of the current period. We're moving to another tool."),
            _p(
                "Sorry to see you go. Your subscription is set to end on the renewal date and "
                "you'll keep access until then.",
            ),
        ),
        (
            "Upgrade to annual billing",
            _p("We'd like to switch to annual billing. Is there a discount?"),
            _p(
                "Annual plans are 2 months free. I've prepared the switch; just confirm and "
                "I'll apply it with a prorated credit.",
            ),
        ),
        (
            "Card declined but bank says fine",
            _p("Our renewal failed with <em>card declined</em>, but the bank sees no attempt."),
            _p(
                "The decline came from the card network's fraud check. Could you update the "
                "card under Billing? That triggers a fresh authorization.",
            ),
        ),
        (
            "Refund for unused seats",
            _p("We removed 4 seats mid-cycle. Can we get a credit?"),
            _p("A prorated credit of $62.40 has been added to your next invoice."),
        ),
    ],
    [
        (
            "Reseller agreement for the Nordics",
            _p(
                "We're a distributor in Sweden and Norway and would like to discuss a reseller "
                "agreement.",
            ),
            _p(
                "Thanks for reaching out! I've attached our partner deck. Would a call next "
                "Tuesday at 15:00 CET work?",
            ),
        ),
        (
            "Zapier integration listing",
            _p("Our Zapier app is approved; can you list it in your integrations directory?"),
            _p("Great news! It'll appear in the directory with the next content update."),
        ),
        (
            "Co-marketing webinar proposal",
            _p("Would you be up for a joint webinar on support workflows in Q1?"),
            _p("We'd love to. Let's pick a date; I've looped in our marketing lead."),
        ),
        (
            "API access for our agency clients",
            _p("We manage 30 client accounts. Is there a partner API key that spans them?"),
            _p(
                "Not yet, but each client can create an app and share credentials with you. "
                "A partner-wide key is planned for next year.",
            ),
        ),
    ],
]

CUSTOMER_FOLLOWUPS = [
    "Thanks, that worked!",
    "Still seeing the same problem, unfortunately.",
    "Any update on this?",
    "Perfect, thank you for the quick help.",
    "Could you check again? Nothing has changed on my side.",
]
NOTES = [
    "Checked the logs: matches the incident from Monday.",
    "Customer is on the legacy plan, be careful with proration.",
    "@Priya can you take a look at the stack trace?",
    "Escalated to engineering, ticket ENG-2231.",
    "Spoke with them by phone, they're happy with the workaround.",
]
SPAM_SUBJECTS = [
    "Boost your SEO ranking today!!!",
    "You have won a $500 gift card",
    "Partnership opportunity (crypto)",
    "Cheap followers, real results",
]
ATTACHMENTS = [
    ("screenshot.png", "image/png", 184_322),
    ("invoice-2026-10.pdf", "application/pdf", 88_140),
    ("export.csv", "text/csv", 12_480),
    ("photo-damage.jpg", "image/jpeg", 902_113),
    ("logs.txt", "text/plain", 4_211),
]


class _Builder:
    def __init__(self, now: datetime) -> None:
        self.now = now.replace(microsecond=0)
        self.rng = random.Random(SEED)
        self.state: dict[str, Any] = {
            "version": STATE_VERSION,
            "meId": ME_ID,
            "companyId": COMPANY_ID,
            "counters": {},
            "mailboxes": [],
            "folders": [],
            "fields": [],
            "users": [],
            "tags": [],
            "customers": [],
            "conversations": [],
            "threads": [],
            "auth": {"access": {}, "refresh": {}, "codes": {}},
        }
        self.next_thread = 7_400_000_001
        self.next_entry = 90_001
        self.next_attachment = 5_100_001

    def ago(self, **kwargs: float) -> datetime:
        return self.now - timedelta(**kwargs)

    # --- people and places ------------------------------------------------------------

    def users(self) -> None:
        for i, (first, last, role, title, tz) in enumerate(USERS):
            uid = ME_ID + i
            mention = first.lower().replace("á", "a")
            self.state["users"].append(
                {
                    "id": uid,
                    "firstName": first,
                    "lastName": last,
                    "email": f"{mention}@{DOMAIN}",
                    "role": role,
                    "timezone": tz,
                    "photoUrl": f"https://avatars.{DOMAIN}/{mention}.png",
                    "createdAt": iso(self.ago(days=900 - i * 60)),
                    "updatedAt": iso(self.ago(days=20 + i)),
                    "type": "user",
                    "mention": mention,
                    "initials": f"{first[0]}{last[0]}",
                    "jobTitle": title,
                    "phone": f"+1-555-01{i:02d}",
                    "alternateEmails": [],
                    "sandbox": {"mailboxes": [8401 + m for m in USER_MAILBOXES[i]]},
                }
            )

    def mailboxes(self) -> None:
        folder_id = 2201
        field_id = 601
        option_id = 7001
        for i, (name, slug, tag, folder_name) in enumerate(MAILBOXES):
            mid = 8401 + i
            self.state["mailboxes"].append(
                {
                    "id": mid,
                    "name": name,
                    "slug": f"{slug}{mid:x}",
                    "email": f"{slug}@{DOMAIN}",
                    "createdAt": iso(self.ago(days=1200 - i * 100)),
                    "updatedAt": iso(self.ago(days=3 + i)),
                }
            )
            kinds = [*FOLDER_KINDS, (folder_name, "custom")]
            for fname, ftype in kinds:
                self.state["folders"].append(
                    {
                        "id": folder_id,
                        "name": fname,
                        "type": ftype,
                        "userId": ME_ID if ftype == "mine" else 0,
                        "updatedAt": iso(self.ago(hours=1 + folder_id % 7)),
                        "sandbox": {
                            "mailboxId": mid,
                            "tag": tag if ftype == "custom" else None,
                        },
                    }
                )
                folder_id += 1
            label = ["Plan", "Account Type", "Partner Tier"][i]
            choices = [
                ["Starter", "Growth", "Enterprise"],
                ["Monthly", "Annual", "Invoice"],
                ["Referral", "Reseller", "Technology"],
            ][i]
            options = []
            for order, text in enumerate(choices, 1):
                options.append({"id": option_id, "order": order, "label": text})
                option_id += 1
            self.state["fields"].append(
                {
                    "id": field_id,
                    "name": label,
                    "type": "dropdown",
                    "order": 1,
                    "required": False,
                    "options": options,
                    "sandbox": {"mailboxId": mid},
                }
            )
            field_id += 1

    def tags(self) -> None:
        for i, (name, color) in enumerate(TAGS):
            created = self.ago(days=400 - i * 11)
            tag: dict[str, Any] = {
                "id": 9150 + i,
                "slug": slugify(name),
                "name": name,
                "color": color,
                "createdAt": iso(created),
            }
            if i % 3 == 0:
                tag["updatedAt"] = iso(created + timedelta(days=30))
            tag["sandbox"] = {"hex": TAG_COLORS[color]}
            self.state["tags"].append(tag)

    def entry(self, value: str, type_: str) -> dict[str, Any]:
        self.next_entry += 1
        return {"id": self.next_entry, "value": value, "type": type_}

    def customer(
        self,
        first: str | None,
        last: str | None,
        email: str | None,
        org: str | None = None,
        title: str | None = None,
        phone: str | None = None,
    ) -> dict[str, Any]:
        cid = 301_000_000 + len(self.state["customers"]) * 13 + 7
        created = self.ago(days=self.rng.randint(30, 700))
        emails = [self.entry(email, "work")] if email else []
        phones = [self.entry(phone, "work")] if phone else []
        cust: dict[str, Any] = {
            "id": cid,
            "firstName": first,
            "lastName": last,
            "gender": "Unknown",
            "jobTitle": title,
            "location": None,
            "organization": org,
            "organizationId": None,
            "photoType": "unknown",
            "photoUrl": None,
            "age": None,
            "createdAt": iso(created),
            "updatedAt": iso(created + timedelta(days=self.rng.randint(0, 25))),
            "background": None,
            "draft": False,
            "_embedded": {
                "emails": emails,
                "phones": phones,
                "chats": [],
                "social_profiles": [],
                "websites": [],
                "properties": [],
                "address": None,
            },
        }
        self.state["customers"].append(cust)
        return cust

    def customers(self) -> None:
        rng = self.rng
        seen: set[str] = set()
        while len(self.state["customers"]) < 60:
            first = rng.choice(FIRST_NAMES)
            last = rng.choice(LAST_NAMES)
            org, title = rng.choice(ORGS)
            domain = slugify(org).replace("-", "") + ".example" if org else "mail.example"
            local = slugify(f"{first}.{last}").replace("-", ".")
            email = f"{local}@{domain}"
            if email in seen:
                continue
            seen.add(email)
            phone = f"+1-555-{rng.randint(200, 999)}-{rng.randint(1000, 9999)}"
            self.customer(first, last, email, org, title, phone if rng.random() < 0.6 else None)

    # --- refs ---------------------------------------------------------------------------

    def user(self, uid: int) -> dict[str, Any]:
        return next(u for u in self.state["users"] if u["id"] == uid)

    def user_ref(self, uid: int) -> dict[str, Any]:
        return user_ref(self.user(uid))

    def tag_ref(self, name: str) -> dict[str, Any]:
        tag = next(t for t in self.state["tags"] if t["name"] == name)
        return {"id": tag["id"], "color": tag["sandbox"]["hex"], "tag": tag["name"]}

    # --- threads ------------------------------------------------------------------------

    def thread(
        self,
        conv: dict[str, Any],
        type_: str,
        body: str | None,
        at: datetime,
        *,
        user: int | None = None,
        customer: dict[str, Any] | None = None,
        status: str = "nochange",
        state: str = "published",
        action: str | None = None,
        attachments: int = 0,
    ) -> dict[str, Any]:
        self.next_thread += 1
        if user is None and status == "nochange" and thread_count(self.state, conv) == 0:
            status = "active"  # the customer's first message opened the conversation
        cust = customer or self._conv_customer(conv)
        author: dict[str, Any]
        author = self.user_ref(user) if user is not None else customer_ref(cust)
        thread: dict[str, Any] = {
            "id": self.next_thread,
            "type": type_,
            "status": status,
            "state": state,
            "action": {
                "type": "default" if action is None else "manual",
                "text": action,
                "associatedEntities": {},
            },
            "body": body,
            "source": {"type": conv["source"]["type"], "via": "user" if user else "customer"},
            "customer": {k: v for k, v in customer_ref(cust).items() if k != "type"},
            "createdBy": author,
            "assignedTo": conv.get("assignee"),
            "savedReplyId": 0,
            "to": [],
            "cc": [],
            "bcc": [],
            "createdAt": iso(at),
            "_embedded": {"attachments": []},
            "sandbox": {"conversationId": conv["id"]},
        }
        if type_ == "message" and cust["_embedded"]["emails"]:
            thread["to"] = [cust["_embedded"]["emails"][0]["value"]]
            if self.rng.random() < 0.2:
                thread["openedAt"] = iso(min(self.now, at + timedelta(hours=2)))
        for _ in range(attachments):
            name, mime, size = self.rng.choice(ATTACHMENTS)
            self.next_attachment += 1
            att: dict[str, Any] = {
                "id": self.next_attachment,
                "filename": name,
                "mimeType": mime,
                "size": size,
                "state": "valid",
            }
            if mime.startswith("image/"):
                att["width"], att["height"] = 1280, 960
            thread["_embedded"]["attachments"].append(att)
        self.state["threads"].append(thread)
        return thread

    def _conv_customer(self, conv: dict[str, Any]) -> dict[str, Any]:
        cid = conv["primaryCustomer"]["id"]
        return next(c for c in self.state["customers"] if c["id"] == cid)

    # --- conversations ------------------------------------------------------------------

    def new_conversation(
        self,
        mailbox_index: int,
        subject: str,
        customer: dict[str, Any],
        created: datetime,
        *,
        status: str = "active",
        type_: str = "email",
        assignee: int | None = None,
        tags: list[str] | tuple[str, ...] = (),
        state: str = "published",
    ) -> dict[str, Any]:
        number = 10_000 + len(self.state["conversations"])
        conv: dict[str, Any] = {
            "id": 2_100_000_000 + number * 37,
            "number": number,
            "type": type_,
            "status": status,
            "state": state,
            "subject": subject,
            "preview": "",
            "mailboxId": 8401 + mailbox_index,
            "createdBy": {
                "id": customer["id"],
                "type": "customer",
                "email": customer_ref(customer)["email"],
            },
            "createdAt": iso(created),
            "userUpdatedAt": iso(created),
            "customerWaitingSince": {"time": iso(created), "latestReplyFrom": "customer"},
            "source": {
                "type": {"email": "email", "chat": "chat", "phone": "phone"}[type_],
                "via": "customer",
            },
            "tags": [self.tag_ref(t) for t in tags],
            "cc": [],
            "bcc": [],
            "primaryCustomer": customer_ref(customer),
            "customFields": [],
            "sandbox": {"modifiedAt": iso(created), "needsAttention": False},
        }
        if assignee is not None:
            conv["assignee"] = self.user_ref(assignee)
        self.state["conversations"].append(conv)
        return conv

    def finish(self, conv: dict[str, Any]) -> None:
        """Derive preview, waiting time and modifiedAt from the threads just written."""
        threads = [t for t in self.state["threads"] if t["sandbox"]["conversationId"] == conv["id"]]
        visible = [
            t
            for t in threads
            if t["type"] not in ("lineitem", "note") and t["state"] == "published"
        ]
        if visible:
            conv["preview"] = html_to_preview(visible[-1]["body"])
        elif threads:
            conv["preview"] = html_to_preview(threads[-1]["body"])
        last = max(t["createdAt"] for t in threads)
        conv["sandbox"]["modifiedAt"] = last
        by_user = [t for t in visible if t["createdBy"]["type"] == "user"]
        by_customer = [t for t in visible if t["createdBy"]["type"] == "customer"]
        if by_user:
            conv["userUpdatedAt"] = max(
                t["createdAt"] for t in threads if t["createdBy"]["type"] == "user"
            )
        if by_customer:
            conv["customerWaitingSince"]["time"] = by_customer[-1]["createdAt"]
        latest = visible[-1] if visible else None
        conv["customerWaitingSince"]["latestReplyFrom"] = (
            "user" if latest is not None and latest["createdBy"]["type"] == "user" else "customer"
        )

    def close(self, conv: dict[str, Any], uid: int, at: datetime) -> None:
        conv["closedBy"] = uid
        ref = self.user_ref(uid)
        conv["closedByUser"] = {**ref, "photoUrl": self.user(uid)["photoUrl"]}
        conv["closedAt"] = iso(at)

    def random_created(self, status: str) -> datetime:
        rng = self.rng
        if status == "active":
            minutes = 3 * (1.0 + rng.random()) ** 11
            return self.ago(minutes=min(minutes, 60 * 24 * 6))
        if status == "pending":
            return self.ago(hours=rng.uniform(1, 240))
        if status == "closed":
            return self.ago(days=rng.uniform(1, 60))
        return self.ago(hours=rng.uniform(1, 480))

    def conversations(self) -> None:
        rng = self.rng
        users = [u["id"] for u in self.state["users"]]
        customers = self.state["customers"]
        for n in range(144):
            mbox = rng.choices([0, 1, 2], weights=[55, 30, 15])[0]
            status = rng.choices(["active", "pending", "closed", "spam"], [42, 18, 32, 8])[0]
            type_ = rng.choices(["email", "chat", "phone"], [75, 15, 10])[0]
            customer = rng.choice(customers)
            created = self.random_created(status)
            eligible = [u for u in users if 8401 + mbox in self.user(u)["sandbox"]["mailboxes"]]
            assignee: int | None = None
            if status in ("active", "pending") and rng.random() < 0.55:
                assignee = ME_ID if rng.random() < 0.4 else rng.choice(eligible)
            elif status == "closed":
                assignee = rng.choice(eligible)
            tags = rng.sample(MAILBOX_TAGS[mbox], k=rng.choice([0, 0, 1, 1, 2, 3]))
            if status == "spam":
                subject = rng.choice(SPAM_SUBJECTS)
                conv = self.new_conversation(mbox, subject, customer, created, status="spam")
                body = _p(subject, '<a href="http://spam.example/win">Click here</a> now!')
                self.thread(conv, "customer", body, created)
                self.finish(conv)
                continue
            subject, ask, answer = rng.choice(SCENARIOS[mbox])
            conv = self.new_conversation(
                mbox,
                subject,
                customer,
                created,
                status=status,
                type_=type_,
                assignee=assignee,
                tags=tags,
            )
            if rng.random() < 0.1:
                conv["cc"] = [f"team@{DOMAIN}"]
            field = next(
                f for f in self.state["fields"] if f["sandbox"]["mailboxId"] == conv["mailboxId"]
            )
            if rng.random() < 0.5:
                opt = rng.choice(field["options"])
                conv["customFields"] = [
                    {
                        "id": field["id"],
                        "name": field["name"],
                        "value": str(opt["id"]),
                        "text": opt["label"],
                    }
                ]
            self.conversation_threads(conv, n, ask, answer, created, status, assignee, eligible)
            self.finish(conv)
        self.special_conversations()

    def conversation_threads(
        self,
        conv: dict[str, Any],
        n: int,
        ask: str,
        answer: str,
        created: datetime,
        status: str,
        assignee: int | None,
        eligible: list[int],
    ) -> None:
        rng = self.rng
        span = max(60.0, (self.now - created).total_seconds())
        step = span / 6
        at = created
        first_type = {"email": "customer", "chat": "chat", "phone": "phone"}[conv["type"]]
        agent = assignee or rng.choice(eligible)
        if first_type == "phone":
            conv["source"]["via"] = "user"
            conv["createdBy"] = self.user_ref(agent)
            self.thread(conv, "phone", _p("Call notes:") + ask, at, user=agent)
        else:
            self.thread(conv, first_type, ask, at, attachments=int(rng.random() < 0.15) + 0)
        if assignee is not None:
            at += timedelta(seconds=step * 0.3)
            by = self.user(rng.choice(eligible))
            text = f"Assigned to {self.user(assignee)['firstName']} by {by['firstName']}"
            self.thread(conv, "lineitem", None, at, user=by["id"], action=text)
        replied = status in ("pending", "closed") or rng.random() < 0.5
        if replied:
            at += timedelta(seconds=step)
            self.thread(conv, "message", answer, at, user=agent)
            if rng.random() < 0.35:
                at += timedelta(seconds=step)
                quoted = (
                    _p(rng.choice(CUSTOMER_FOLLOWUPS))
                    + '<div class="gmail_quote">On an earlier day, support wrote:<br>'
                    f"<blockquote>{answer}</blockquote></div>"
                )
                self.thread(conv, "customer", quoted, at, attachments=int(rng.random() < 0.15))
                if status != "active":
                    at += timedelta(seconds=step)
                    self.thread(
                        conv, "message", _p("Glad to help, have a great day!"), at, user=agent
                    )
        if rng.random() < 0.3:
            at += timedelta(seconds=step * 0.5)
            self.thread(conv, "note", _p(rng.choice(NOTES)), at, user=rng.choice(eligible))
        if status in ("pending", "closed"):
            at += timedelta(seconds=step * 0.2)
            word = status.capitalize()
            text = f"Marked as {word} by {self.user(agent)['firstName']}"
            self.thread(conv, "lineitem", None, at, user=agent, status=status, action=text)
            if status == "closed":
                self.close(conv, agent, at)
        if status == "active" and n % 11 == 3:
            at += timedelta(seconds=step * 0.3)
            self.thread(
                conv,
                "message",
                _p("Hi! Thanks for waiting, I'm looking into"),
                at,
                user=ME_ID,
                state="draft",
            )
        if status in ("active", "pending") and n % 13 == 5:
            conv["sandbox"]["needsAttention"] = True

    def special_conversations(self) -> None:
        """Drafts, forwards, a beacon chat and the hostile conversations."""
        rng = self.rng
        customers = self.state["customers"]
        for i in range(4):
            cust = customers[i * 7]
            created = self.ago(hours=2 + i * 9)
            conv = self.new_conversation(
                i % 2,
                [
                    "Follow-up on your onboarding call",
                    "Your refund is processed",
                    "Quick question about your setup",
                    "Invoice correction",
                ][i],
                cust,
                created,
                state="draft",
            )
            conv["createdBy"] = self.user_ref(ME_ID)
            conv["source"]["via"] = "user"
            self.thread(
                conv,
                "message",
                _p("Hi there,", "Just checking in on"),
                created,
                user=ME_ID,
                state="draft",
            )
            self.finish(conv)

        # A forwarded conversation: the parent keeps a forwardparent row, the child starts
        # with a forwardchild thread.
        cust = customers[3]
        created = self.ago(hours=30)
        parent = self.new_conversation(
            0, "Bulk order for 40 lamps", cust, created, assignee=ME_ID, tags=["vip"]
        )
        self.thread(parent, "customer", _p("We'd like a quote for 40 desk lamps."), created)
        child = self.new_conversation(
            2,
            "Fwd: Bulk order for 40 lamps",
            cust,
            created + timedelta(hours=1),
            assignee=ME_ID + 3,
            tags=["partnership"],
        )
        fwd_parent = self.thread(
            parent,
            "forwardparent",
            _p("Forwarding to partnerships for a volume quote."),
            created + timedelta(hours=1),
            user=ME_ID,
            action="Forwarded to partners@brightloom.example by Maya",
        )
        fwd_parent["linkedConversationId"] = child["id"]
        fwd_child = self.thread(
            child,
            "forwardchild",
            _p("Forwarding to partnerships for a volume quote.")
            + "<blockquote>We'd like a quote for 40 desk lamps.</blockquote>",
            created + timedelta(hours=1),
            user=ME_ID,
        )
        fwd_child["linkedConversationId"] = parent["id"]
        self.finish(parent)
        self.finish(child)

        cust = customers[11]
        created = self.ago(minutes=95)
        chat = self.new_conversation(
            0, "Live chat: shipping to Canada?", cust, created, type_="chat"
        )
        chat["source"] = {"type": "beacon", "via": "customer"}
        self.thread(
            chat, "beaconchat", _p("Do you ship to Canada?", "And how long does it take?"), created
        )
        self.thread(
            chat,
            "message",
            _p("We do! Usually 5–7 business days."),
            created + timedelta(minutes=2),
            user=ME_ID + 4,
        )
        self.finish(chat)
        self.hostile(rng)

    def hostile(self, rng: random.Random) -> None:
        """Untrusted text: escapes, Rich markup, huge, bidirectional, and missing values."""
        ansi = self.customer(
            "Mallory",
            "\x1b[1mTerm\x1b[0m",
            "mallory@hostile.example",
            "\x1b]0;pwned\x07Evil Corp",
            None,
        )
        created = self.ago(minutes=12)
        conv = self.new_conversation(
            0,
            "\x1b[31mURGENT\x1b[0m refund \x1b]0;pwned\x07now",
            ansi,
            created,
            tags=["urgent"],
        )
        self.thread(
            conv,
            "customer",
            _p(
                "Red \x1b[31malert\x1b[0m and a title change \x1b]0;pwned\x07.",
                "Clipboard: \x1b]52;c;cm0gLXJmIH4K\x07 and bell \x07 and \x1b[2J clear screen.",
            ),
            created,
        )
        self.finish(conv)

        rich = self.customer("[bold]Rich[/bold]", "Markup", "markup@hostile.example")
        created = self.ago(minutes=25)
        conv = self.new_conversation(0, "[bold red]not bold[/] invoice question", rich, created)
        self.thread(
            conv,
            "customer",
            _p(
                "This is [bold red]not bold[/] and [link=http://evil]x[/link] is not a link.",
                "Neither is [@click=app.quit]this[/] nor :smile: nor \\[escaped].",
            ),
            created,
        )
        self.finish(conv)

        big = self.customer("Hugo", "Large", "hugo@hostile.example")
        created = self.ago(minutes=40)
        conv = self.new_conversation(0, "Full log output (very long)", big, created)
        line = (
            "<p>2026-11-25 10:00:00 ERROR worker-7 request failed: timeout after 30s "
            "while contacting upstream; retrying with backoff</p>"
        )
        body = line * (300_000 // len(line) + 1)
        self.thread(conv, "customer", body, created, attachments=1)
        self.finish(conv)

        intl = self.customer(
            "美咲", "ليلى", "intl@hostile.example", "株式会社テスト", None, "+81-3-1234-5678"
        )
        created = self.ago(minutes=55)
        conv = self.new_conversation(
            0,
            "订单 #4521 还没到 🎁 — \u200fمرحبا \u200fשלום",
            intl,
            created,
            tags=["shipping"],
        )
        self.thread(
            conv,
            "customer",
            _p(
                "我的订单还没有到，请帮忙查一下。🙏📦",
                "\u200fمرحبا، لدي مشكلة في الطلب رقم 4521.",
                "\u202bשלום, ההזמנה שלי לא הגיעה\u202c — thanks! 👍🏽 e\u0301 ﷽",
            ),
            created,
        )
        self.finish(conv)

        anon = self.customer(None, None, "anonymous@hostile.example")
        created = self.ago(minutes=70)
        conv = self.new_conversation(0, "(no name, empty message)", anon, created)
        self.thread(conv, "customer", None, created)
        self.thread(
            conv,
            "customer",
            _p("Sorry, my last message was empty."),
            created + timedelta(minutes=1),
        )
        self.finish(conv)

        noemail = self.customer(None, None, None)
        created = self.ago(minutes=80)
        conv = self.new_conversation(0, "", noemail, created, type_="phone")
        self.thread(conv, "phone", None, created, user=ME_ID + 2)
        conv["createdBy"] = self.user_ref(ME_ID + 2)
        self.finish(conv)
        _ = rng

    def build(self) -> dict[str, Any]:
        self.users()
        self.mailboxes()
        self.tags()
        self.customers()
        self.conversations()
        self.state["counters"] = {
            "conversation": max(c["id"] for c in self.state["conversations"]) + 37,
            "number": max(c["number"] for c in self.state["conversations"]) + 1,
            "thread": self.next_thread + 1,
            "customer": max(c["id"] for c in self.state["customers"]) + 13,
            "entry": self.next_entry + 1,
            "tag": max(t["id"] for t in self.state["tags"]) + 1,
        }
        add_agent_day(self.state)
        add_awareness(self.state, self.now)
        add_reach(self.state)
        return self.state


_cache: dict[datetime, str] = {}


def build_state(now: datetime) -> dict[str, Any]:
    """A fresh sample help desk as raw JSON-shaped dicts (see ``Sandbox.state``).

    The last build is kept as JSON: tests pin ``now``, and parsing is 5x cheaper than building.
    """
    key = now.replace(microsecond=0)
    cached = _cache.get(key)
    if cached is None:
        cached = json.dumps(_Builder(key).build(), ensure_ascii=False)
        _cache.clear()
        _cache[key] = cached
    state: dict[str, Any] = json.loads(cached)
    return state


def thread_count(state: dict[str, Any], conv: dict[str, Any]) -> int:
    return sum(1 for t in state["threads"] if t["sandbox"]["conversationId"] == conv["id"])


def empty_state(now: datetime) -> dict[str, Any]:
    """An account with only the signed-in agent: no mailboxes, tags or conversations."""
    builder = _Builder(now)
    builder.users()
    state = builder.state
    state["users"] = state["users"][:1]
    state["users"][0]["sandbox"]["mailboxes"] = []
    state["counters"] = {
        "conversation": 2_100_000_037,
        "number": 1,
        "thread": builder.next_thread + 1,
        "customer": 301_000_007,
        "entry": builder.next_entry + 1,
        "tag": 9150,
    }
    return state


def add_synthetic_conversations(
    state: dict[str, Any],
    count: int,
    *,
    seed: int = 5,
    mailbox_id: int | None = None,
    lazy: bool = False,
) -> range:
    """Add ``count`` plausible conversations (one customer message each) for load tests.

    They are copies of the seeded published conversations with fresh ids, numbers and
    times spread over the 90 days before the newest (``synthetic.SyntheticBlock``), so lists,
    folders and search behave as usual. ``mailbox_id`` puts them all in one mailbox.

    ``lazy`` stores only the block's parameters (``state["synthetic"]``, one block a state):
    its rows are generated when a route needs them, so a million cost no time and no memory.
    Otherwise every row is stored in ``state["conversations"]``/``["threads"]`` (for tests
    that read them there). The rows are the same either way. Returns the new ids; call
    ``sb.api.reindex()`` after adding to a sandbox's state.
    """
    if count <= 0:
        return range(0)
    if lazy and state.get("synthetic"):
        raise ValueError("a state holds one lazy block of synthetic conversations")
    params = block_params(state, count, seed=seed, mailbox_id=mailbox_id)
    block = SyntheticBlock(params)
    if lazy:
        state["synthetic"] = params
    else:
        for n in range(count):
            state["conversations"].append(block.conversation(n))
            state["threads"].extend(block.threads(n))
    return range(block.id_of(0), block.id_of(count), ID_STEP)
