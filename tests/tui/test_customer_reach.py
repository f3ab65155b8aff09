"""Pilot tests for the customer panel's properties and organization (i), the organization's
conversations (C) and editing the properties (P), by keys against the sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Select, Static
from tui_helpers import make_app, settle, until, writes

from hsinbox.tui.dialogs import PickerScreen
from hsinbox.tui.fields_form import FieldsFormScreen


def reads(sb: Any, path: str) -> list[Any]:
    return [r for r in sb.requests if r.method == "GET" and r.path == path]


async def open_panel(pilot: Any, sb: Any) -> tuple[Any, dict[str, Any]]:
    screen = pilot.app.inbox_screen
    customer_id = sb.state["sandboxNotes"]["propertiesCustomer"]
    mine = next(c for c in screen.table.visible() if c.primary_customer.id == customer_id)
    screen.table.go_to(mine.id)
    await pilot.press("i")
    await settle(pilot, pilot.app.session)
    customer = next(c for c in sb.state["customers"] if c["id"] == customer_id)
    return screen, customer


async def test_the_panel_shows_the_plan_and_the_organization(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        assert not reads(sb, "/v2/customer-properties")  # never at start
        screen, customer = await open_panel(pilot, sb)
        org = next(o for o in sb.state["organizations"] if o["id"] == customer["organizationId"])
        panel = str(screen.query_one("#customer", Static).render())
        assert "Plan: Team" in panel and "MRR: 147" in panel
        assert org["name"] in panel and org["website"] in panel and org["domains"][0] in panel
        assert "conversations" in panel and "customers" in panel
        org_path = f"/v2/organizations/{org['id']}"
        assert len(reads(sb, "/v2/customer-properties")) == 1 and len(reads(sb, org_path)) == 1
        # Closed and opened again: the definitions and the organization are cached.
        await pilot.press("i", "i")
        await settle(pilot, session)
        assert len(reads(sb, "/v2/customer-properties")) == 1 and len(reads(sb, org_path)) == 1

        # C: one page of the organization's conversations, in a picker; one opens.
        await pilot.press("C")
        await until(pilot, lambda: isinstance(app.screen, PickerScreen))
        assert len(reads(sb, f"{org_path}/conversations")) == 1
        await pilot.press("enter")
        await settle(pilot, session)
        assert screen.thread.conversation is not None


async def test_p_edits_the_properties_in_one_request(tmp_path: Path) -> None:
    app, sb, session = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, session)
        screen, customer = await open_panel(pilot, sb)
        await pilot.press("P")
        await until(pilot, lambda: isinstance(app.screen, FieldsFormScreen))
        form = app.screen
        plan = form.query_one("#field-1", Select)
        assert plan.value == "2"  # Team
        plan.value = "4"  # Enterprise
        before = len(writes(sb))
        await pilot.press("ctrl+s")
        await settle(pilot, session)
        assert writes(sb)[before:] == [
            (
                "PATCH",
                f"/v2/customers/{customer['id']}/properties",
                [{"op": "replace", "path": "/plan", "value": "4"}],
            )
        ]
        stored = {p["slug"]: p["text"] for p in customer["_embedded"]["properties"]}
        assert stored["plan"] == "Enterprise"
        assert "Plan: Enterprise" in str(screen.query_one("#customer", Static).render())
