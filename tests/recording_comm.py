"""A comm that records what the kernel would send to the front end."""

from __future__ import annotations

from typing import Any

from comm.base_comm import BaseComm


class RecordingComm(BaseComm):
    log: list[tuple[str, str, dict[str, Any]]] = []
    """Every message of every RecordingComm: (comm id, msg_type, data)."""

    def publish_msg(
        self, msg_type: str, data: Any = None, metadata: Any = None, buffers: Any = None, **keys: Any
    ) -> None:
        RecordingComm.log.append((self.comm_id, msg_type, data or {}))


def updates(since: int = 0) -> list[tuple[str, dict[str, Any]]]:
    """(comm id, state) of each update message after ``since``."""
    return [
        (cid, data.get("state", {}))
        for cid, kind, data in RecordingComm.log[since:]
        if kind == "comm_msg" and data.get("method") == "update"
    ]
