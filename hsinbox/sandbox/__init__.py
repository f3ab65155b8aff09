"""A faithful local Help Scout Mailbox API v2 for the demo and for tests.

``Sandbox`` holds a seeded sample help desk; mount it in-process with ``sb.transport()`` or
over loopback HTTP with ``sb.serve()``.
"""

from hsinbox.sandbox.core import RecordedRequest, Sandbox
from hsinbox.sandbox.faults import Fault, Faults

__all__ = ["Fault", "Faults", "RecordedRequest", "Sandbox"]
