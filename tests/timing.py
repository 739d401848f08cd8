"""Time limits in tests: generous wherever a limit must not be reached, short only where a
test waits for one on purpose (a silent server), so no test depends on the machine's speed.

A limit a test expects to hit is asserted by its reason, never by how long it took; a limit
it must not hit is ``PATIENT``, which only a hung program reaches on a busy machine.
"""

from __future__ import annotations

PATIENT = 60.0  # seconds: what a loopback answer or a background job may take, at worst
SHORT = 1.0  # seconds: the timeout a test waits out on purpose (nothing else runs into it)
