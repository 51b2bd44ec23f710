"""Counting the history rows of an offline W&B run file (``run-*.wandb``).

wandb 0.31 has no Python reader for these files (its Go service reads them for
``wandb sync``). The file is a 7-byte header (``:W&B``, magic, version) and a
LevelDB-style log: 32 KiB blocks of chunks, each with a 7-byte header (CRC32,
length, type: full, first, middle, last) and a protobuf ``Record``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

BLOCK = 32768
HEADER = 7
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


def records(path: Path) -> Iterator[bytes]:
    """The serialized records of the file, in order."""
    data = path.read_bytes()
    if data[:4] != b":W&B":
        raise ValueError(f"{path} is not a W&B run file")
    pos = HEADER
    parts: list[bytes] = []
    while pos + HEADER <= len(data):
        left = BLOCK - pos % BLOCK
        if left < HEADER:  # the rest of a block too short for a chunk header is padding
            pos += left
            continue
        _, length, kind = struct.unpack_from("<IHB", data, pos)
        pos += HEADER
        chunk = data[pos : pos + length]
        pos += length
        if kind == FULL:
            yield chunk
        elif kind == FIRST:
            parts = [chunk]
        elif kind == MIDDLE:
            parts.append(chunk)
        elif kind == LAST:
            parts.append(chunk)
            yield b"".join(parts)
        else:  # zero padding at the end of a block
            pos += BLOCK - pos % BLOCK if pos % BLOCK else 0


def history_points(path: Path, keys: tuple[str, ...]) -> int:
    """How many values of ``keys`` the file's history rows hold."""
    from wandb.proto import wandb_internal_pb2 as pb

    wanted = set(keys)
    count = 0
    record = pb.Record()
    for raw in records(path):
        record.ParseFromString(raw)
        if record.WhichOneof("record_type") == "history":
            count += sum(1 for item in record.history.item if (item.key or "/".join(item.nested_key)) in wanted)
    return count
