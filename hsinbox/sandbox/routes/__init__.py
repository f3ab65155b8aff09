"""The Help Scout endpoints, one module per resource, and the router that mounts them.

Strict where Help Scout is strict (see shared/reference/helpscout-api.md): a conversation
PATCH is one object, a customer PATCH is an array, dates carry no milliseconds, the token
endpoint takes form bodies, pages are 1-based and an empty page has no ``_embedded``.
Handlers are functions of ``(api, req)``; ``router.Api`` holds the id lookups they share.
"""
