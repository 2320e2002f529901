"""A small reader of wandb's ``.wandb`` run files (what an offline run recorded).

Format (wandb 0.31): a 7-byte header (``:W&B``, magic 0xBEE1 little-endian, version 0), then
LevelDB log framing: 32 KiB blocks, each record a 7-byte header ``<IHB`` (crc32, length, type;
FULL=1, FIRST=2, MIDDLE=3, LAST=4), checksum ``crc32(data, crc32(bytes([type])))``; a block tail
shorter than a header is padding. Each payload is a ``wandb_internal_pb2.Record``.
"""

from __future__ import annotations

import json
import struct
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BLOCK = 32 * 1024
HEADER = 7
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


class CorruptRunFile(Exception):
    pass


def read_payloads(data: bytes) -> list[bytes]:
    if len(data) < HEADER:
        raise CorruptRunFile("shorter than the header")
    ident, magic, version = struct.unpack("<4sHB", data[:HEADER])
    if ident != b":W&B" or magic != 0xBEE1 or version != 0:
        raise CorruptRunFile(f"bad header {data[:HEADER]!r}")
    payloads: list[bytes] = []
    pending = b""
    pos = HEADER
    while pos + HEADER <= len(data):
        left = BLOCK - pos % BLOCK
        if left < HEADER:
            pos += left
            continue
        crc, length, kind = struct.unpack("<IHB", data[pos : pos + HEADER])
        if crc == 0 and length == 0 and kind == 0:
            break  # preallocated zeros: the end of what was written
        body = data[pos + HEADER : pos + HEADER + length]
        if len(body) < length:
            break  # a record still being written
        if zlib.crc32(body, zlib.crc32(bytes([kind]))) & 0xFFFFFFFF != crc:
            raise CorruptRunFile(f"checksum mismatch at byte {pos}")
        pos += HEADER + length
        if kind == FULL:
            payloads.append(body)
        elif kind == FIRST:
            pending = body
        elif kind == MIDDLE:
            pending += body
        elif kind == LAST:
            payloads.append(pending + body)
            pending = b""
        else:
            raise CorruptRunFile(f"unknown record type {kind} at byte {pos}")
    return payloads


@dataclass
class RunRecord:
    history: list[dict[str, Any]] = field(default_factory=list)  # each row has "_step"
    config: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    output: str = ""
    exited: bool = False
    raw: bytes = b""


def _key(item) -> str:
    return "/".join(item.nested_key) if len(item.nested_key) else item.key


def parse(data: bytes) -> RunRecord:
    from wandb.proto import wandb_internal_pb2 as pb

    run = RunRecord(raw=data)
    for payload in read_payloads(data):
        rec = pb.Record()
        rec.ParseFromString(payload)
        kind = rec.WhichOneof("record_type")
        if kind == "history":
            row = {_key(i): json.loads(i.value_json) for i in rec.history.item}
            row.setdefault("_step", rec.history.step.num)
            run.history.append(row)
        elif kind == "run":
            for i in rec.run.config.update:
                run.config[_key(i)] = json.loads(i.value_json)
        elif kind == "config":
            for i in rec.config.update:
                run.config[_key(i)] = json.loads(i.value_json)
        elif kind == "summary":
            for i in rec.summary.update:
                run.summary[_key(i)] = json.loads(i.value_json)
        elif kind == "output_raw":
            run.output += rec.output_raw.line
        elif kind == "output":
            run.output += rec.output.line
        elif kind == "output_logger":  # run.write_logs()
            run.output += rec.output_logger.line
        elif kind == "exit":
            run.exited = True
    # wandb stores the config as {"key": {"value": ..., "desc": ...}}
    run.config = {k: v.get("value", v) if isinstance(v, dict) else v for k, v in run.config.items()}
    return run


def read_run(path: Path, timeout: float = 10.0) -> RunRecord:
    """Read a run file, waiting for its exit record: ``run.finish()`` returns before the file is
    flushed (docs/facts.md)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            run = parse(Path(path).read_bytes())
            if run.exited:
                return run
        except (FileNotFoundError, CorruptRunFile):
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path}: no exit record after {timeout}s")
        time.sleep(0.02)


def find_run_file(root: Path) -> Path:
    files = sorted(Path(root).rglob("run-*.wandb"), key=lambda p: p.stat().st_mtime)
    if not files:
        raise FileNotFoundError(f"no .wandb file under {root}")
    return files[-1]
