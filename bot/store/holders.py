"""Who holds a lease (a feed being polled, an article being parsed, a briefing being
posted): a name per process that says its machine and process id, so a process can tell
that a holder on its own machine is gone (killed: nothing released its leases) and free
what it held at once; holders on other machines are waited out until their lease ends."""

from __future__ import annotations

import os
import socket
import uuid

__all__ = ["holder_name", "is_gone"]


def holder_name() -> str:
    """A new holder name for this process: ``host:pid:random`` (one process may hold
    several, e.g. one per pipeline)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:200]


def _alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    return True


def is_gone(holder: str) -> bool:
    """Whether ``holder`` names a process of this machine that no longer runs."""
    name, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    return name == socket.gethostname() and pid.isdigit() and not _alive(int(pid))
