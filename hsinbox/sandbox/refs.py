"""Person refs: the short user/customer objects conversations and threads embed."""

from __future__ import annotations

from typing import Any


def user_ref(user: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": user["id"],
        "type": "user",
        "first": user["firstName"],
        "last": user["lastName"],
        "email": user["email"],
    }


def customer_ref(cust: dict[str, Any]) -> dict[str, Any]:
    """A customer's ref carries the first email address, or None when there is none."""
    emails = cust["_embedded"]["emails"]
    return {
        "id": cust["id"],
        "type": "customer",
        "first": cust["firstName"],
        "last": cust["lastName"],
        "email": emails[0]["value"] if emails else None,
    }
