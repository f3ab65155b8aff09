"""The store stays bounded in a long session: what no loaded view shows leaves memory."""

from __future__ import annotations

from hsinbox.helpscout.models import Conversation, Customer, Thread
from hsinbox.inbox.store import Store
from hsinbox.inbox.view import View


def conv(ident: int) -> Conversation:
    return Conversation.model_validate({"id": ident, "subject": f"#{ident}"})


def test_evict_beyond_keeps_the_views_the_kept_and_the_recent_threads() -> None:
    store = Store()
    view = View(1)
    store.set_view(view, [conv(1), conv(2)])
    store.put_many([conv(n) for n in range(100, 400)])  # a finished sync, old search results
    for ident in [1, 2, *range(100, 400)]:
        store.set_threads(ident, [Thread(id=ident * 10, type="customer", body="<p>x</p>")])
    for n in range(300):
        store.set_customer(Customer.model_validate({"id": n}))

    gone = store.evict_beyond({250}, max_threads=5, max_customers=10)

    assert gone == 299
    assert set(store.conversations) == {1, 2, 250}
    assert store.view_conversations(view) == [conv(1), conv(2)]
    assert set(store.threads) == {1, 2, 250}  # the others left with their conversations
    assert list(store.customers) == list(range(290, 300))


def test_thread_lists_beyond_the_limit_go_oldest_read_first() -> None:
    store = Store()
    store.set_view(View(1), [conv(n) for n in range(10)])
    for n in range(10):
        store.set_threads(n, [])
    store.set_threads(0, [])  # read again
    store.evict_beyond((), max_threads=3)
    assert list(store.threads) == [8, 9, 0]
    assert len(store.conversations) == 10  # every listed row stays
