"""The customer panel's properties and organization (``i``), the organization's other
conversations (``C``) and editing the properties (``P``, the custom fields' typed form).

Loaded when the panel opens: the property definitions once per session, the organization once
per organization (both cached by the session); ``C`` reads one page of the organization's
conversations when pressed. Nothing here runs at start.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rich.text import Text
from textual import work
from textual.widgets import Static

from hsinbox.helpscout.models import Customer, FieldOption, MailboxField
from hsinbox.helpscout.reach import CustomerProperty, Organization
from hsinbox.inbox.reach import PropertyRefused, SetCustomerProperties
from hsinbox.inbox.text import safe_text
from hsinbox.tui.screen_base import InboxScreenBase

# The custom fields form's types for the property types (url and text are single lines).
FORM_TYPES = {"text": "singleline", "url": "singleline", "number": "number", "date": "date"}


def render_reach(
    customer: Customer,
    definitions: list[CustomerProperty] | None,
    org: Organization | None,
    hook_output: str | None = None,
) -> Text:
    """The panel's properties section, its organization section and a customer hook's output."""
    out = Text("\n\nProperties", "bold", end="")
    values = {p.slug: p for p in customer.properties}
    if definitions is None:
        out.append("\nLoading…", "dim")
    elif not definitions and not values:
        out.append("\nnone", "dim")
    else:
        out.append("  P edits", "dim")
        named = {d.slug: d.name or d.slug for d in definitions}
        for slug in [*named, *(s for s in values if s not in named)]:
            out.append("\n")
            out.append(safe_text(f"{named.get(slug) or values[slug].name or slug}: ", "dim"))
            shown = values[slug].shown if slug in values else ""
            out.append(safe_text(shown) if shown else Text("—", "dim"))
    if customer.organization_id is not None:
        out.append("\n\nOrganization", "bold")
        if org is None:
            out.append("\nLoading…", "dim")
        else:
            out.append("  C its conversations", "dim")
            out.append("\n")
            out.append(safe_text(org.name or customer.organization or f"#{org.id}", "bold"))
            for label, value in (
                ("website", org.website),
                ("domains", ", ".join(org.domains)),
                ("location", org.location),
                ("note", org.note),
            ):
                if value:
                    out.append(f"\n{label}: ", "dim")
                    out.append(safe_text(value))
            counts = []
            if org.customer_count is not None:
                counts.append(f"{org.customer_count} customers")
            if org.conversation_count is not None:
                counts.append(f"{org.conversation_count} conversations")
            if counts:
                out.append("\n" + " · ".join(counts), "dim")
    if hook_output is not None:
        out.append("\n\nFrom your customer hook", "bold")
        out.append("\n")
        out.append(safe_text(hook_output.rstrip()[:2000]))
    return out


def form_definitions(definitions: list[CustomerProperty]) -> list[MailboxField]:
    """The properties as the custom fields form's fields (ids by position)."""
    out = []
    for i, d in enumerate(definitions, 1):
        options = []
        for n, o in enumerate(d.options, 1):
            try:
                oid = int(o.id)
            except (TypeError, ValueError):
                oid = n
            options.append(FieldOption(id=oid, order=n, label=o.label))
        kind = "dropdown" if d.type == "dropdown" else FORM_TYPES.get(d.type or "", "singleline")
        out.append(MailboxField(id=i, name=d.name or d.slug, type=kind, order=i, options=options))
    return out


class CustomerReach(InboxScreenBase):
    """Mixed into ``InboxScreen``: the panel's properties and organization, ``C`` and ``P``."""

    reach_definitions: list[CustomerProperty] | None = None
    reach_org: Organization | None = None

    def reach_text(self, customer: Customer) -> Text:
        org = None
        if customer.organization_id is not None:
            org = self.session.cached_organization(customer.organization_id)
        hook = self.customer_hook_output.get(customer.id)
        return render_reach(customer, self.reach_definitions, org, hook)

    @work(exclusive=True, group="customer-reach", exit_on_error=False)
    async def load_reach(self, customer: Customer) -> None:
        """The definitions (once a session) and the organization (once each), together."""
        org_id = customer.organization_id
        try:
            reads: list[Any] = [self.session.property_definitions()]
            if org_id is not None:
                reads.append(self.session.organization(org_id))
            results = await asyncio.gather(*reads)
        except Exception as exc:
            self.report_error(f"Could not load the customer's properties or company: {exc}")
            return
        self.reach_definitions = results[0]
        self.run_customer_hook(customer)
        if self.customer is not None and self.customer.id == customer.id:
            self.query_one("#customer", Static).update(self.customer_panel_text(self.customer))

    def action_organization_conversations(self) -> None:
        customer = self.customer
        if customer is None or customer.organization_id is None:
            self.notify(
                markup=False,
                message="Open the customer panel (i) of a customer with an organization first.",
                timeout=3,
            )
            return
        self.pick_organization_conversation(customer.organization_id)

    @work(exclusive=True, group="organization", exit_on_error=False)
    async def pick_organization_conversation(self, organization_id: int) -> None:
        from hsinbox.tui.customer_history import history_choices
        from hsinbox.tui.dialogs import PickerScreen

        try:
            convs = await self.session.organization_conversations(organization_id)
        except Exception as exc:
            self.report_error(f"Could not load the organization's conversations: {exc}")
            return
        current = self.thread.conversation or self.table.current
        choices = history_choices(convs, current.id if current else None)
        if not choices:
            self.notify(markup=False, message="The organization has no other conversation.")
            return
        by_id = {str(c.id): c for c in convs}
        org = self.session.cached_organization(organization_id)
        name = safe_text(org.name if org and org.name else "the organization").plain
        chosen = await self.app.push_screen_wait(PickerScreen(f"Conversations of {name}", choices))
        if chosen is not None and chosen in by_id:
            self.open_conversation(self.session.store.get(int(chosen)) or by_id[chosen])

    def action_edit_properties(self) -> None:
        from hsinbox.tui.fields_form import FieldsFormScreen

        customer = self.customer
        definitions = self.reach_definitions
        conv = self.thread.conversation or self.table.current
        if customer is None or definitions is None or conv is None:
            self.notify(markup=False, message="Open the customer panel first (i).", timeout=3)
            return
        if not definitions:
            self.notify(markup=False, message="Your account defines no customer properties.")
            return
        fields = form_definitions(definitions)
        values = {p.slug: p for p in customer.properties}
        current = {
            i: str(values[d.slug].value)
            for i, d in enumerate(definitions, 1)
            if d.slug in values and values[d.slug].value is not None
        }
        name = safe_text(customer.name or "the customer").plain

        def done(result: dict[int, Any] | None) -> None:
            if result is None:
                return
            raw = {definitions[i - 1].slug: str(v or "") for i, v in result.items()}
            fresh = self.session.store.customers.get(customer.id) or customer
            try:
                action = SetCustomerProperties.of(fresh, definitions, raw)
            except PropertyRefused as exc:
                self.report_error(str(exc))
                return
            if not action.ops:
                self.notify(markup=False, message="Nothing changed.", timeout=3)
                return
            if self.submit(action):
                self.customer = self.session.store.customers.get(customer.id) or customer
                self.query_one("#customer", Static).update(self.customer_panel_text(self.customer))

        self.app.push_screen(
            FieldsFormScreen(conv, fields, title=f"Properties  ·  {name}", current=current), done
        )
