"""The event log's record format (全程留痕), as anyone re-checks it: canonical JSON, the version-2 digest
over who did what to whom under the record's salt, the hash over the public fields, and the check of a
chain of records from the first. No database here: the platform stores and seals the records
(``inspection.operations.events``); an outsider runs the same checks on an export (docs/protocols/event-log.md)."""
from __future__ import annotations

import datetime as dt
import hashlib
import json

GENESIS = "0" * 64
VERSION = 2
DIGESTED_FIELDS = ("actor", "subject", "payload", "salt")
HASHED_FIELDS = ("v", "seq", "at", "kind", "digest", "prev")
PUBLIC_FIELDS = HASHED_FIELDS + ("hash",)
PUBLIC_FIELDS_V1 = ("seq", "at", "kind", "prev", "hash")
WHOLE_FIELDS_V1 = ("seq", "at", "kind", "actor", "subject", "payload", "prev", "hash")
WHOLE_FIELDS = WHOLE_FIELDS_V1 + ("v", "salt", "digest")


def canonical_json(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def format_timestamp(at: dt.datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def public_record(record: dict) -> dict:
    """The public form of a whole record: who did what to whom left out."""
    fields = PUBLIC_FIELDS if record.get("v", 1) != 1 else PUBLIC_FIELDS_V1
    return {k: record[k] for k in fields if k in record}


def content_digest(record: dict) -> str:
    """Version 2: what a record says (actor, subject, payload) under its salt."""
    return hashlib.sha256(canonical_json({k: record.get(k) for k in DIGESTED_FIELDS})).hexdigest()


def record_hash(record: dict) -> str:
    """Version 2: over the public fields; version 1: over every field but ``hash``."""
    if record.get("v", 1) == 1:
        body = {k: v for k, v in record.items() if k != "hash"}
    else:
        body = {k: record.get(k) for k in HASHED_FIELDS}
    return hashlib.sha256(canonical_json(body)).hexdigest()


def jsonable(value):
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        return format_timestamp(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _is_hex(value, length: int) -> bool:
    return isinstance(value, str) and len(value) == length and all(c in "0123456789abcdef" for c in value)


def record_problem(record: dict, public: bool, seen_v2: bool) -> str | None:
    """What is wrong with one record on its own, if anything (its place in the chain is checked apart)."""
    seq, version = record.get("seq"), record.get("v", 1)
    if version not in (1, 2) or isinstance(version, bool):
        return f"第 {seq} 条记录的版本 {version!r} 无法识别"
    if version == 1 and seen_v2:
        return f"第 {seq} 条记录为第 1 版，却排在第 2 版记录之后（链被改写）"
    if not _is_hex(record.get("hash"), 64):
        return f"第 {seq} 条记录的 hash 不是 64 位十六进制"
    if version == 1:
        if public:
            return None  # the public form of a version-1 record cannot be re-hashed: only its links are checked
        if any(k not in record for k in WHOLE_FIELDS_V1):
            return f"第 {seq} 条记录（第 1 版）内容不完整"
        if record_hash(record) != record["hash"]:
            return f"第 {seq} 条记录的内容与其 hash 不符（记录被改动）"
        return None
    if not public:
        if any(k not in record for k in WHOLE_FIELDS) or not _is_hex(record["salt"], 32):
            return f"第 {seq} 条记录内容不完整（缺少操作人、对象、内容或 32 位十六进制的 salt）"
        if content_digest(record) != record["digest"]:
            return f"第 {seq} 条记录的内容与其 digest 不符（操作人、对象、内容或 salt 被改动）"
    if record_hash(record) != record["hash"]:
        return f"第 {seq} 条记录与其 hash 不符（序号、时间、类型、digest 或 prev 被改动）"
    return None


def verify_records(records, *, public: bool = False) -> tuple[bool, int, str | None, int | None]:
    """Check a sequence of records from the first: ``(ok, count, problem, first_bad_seq)``.

    Whole records (``public=False``) are checked in full: version 2 against its digest and hash, version 1
    against its hash. Public records (``public=True``): version 2 against its hash, version 1 by its links only.
    """
    expected_prev, expected_seq, count, seen_v2 = GENESIS, 1, 0, False
    for record in records:
        seq = record.get("seq")
        if seq != expected_seq:
            return False, count, f"第 {expected_seq} 条记录缺失或序号错乱（见到序号 {seq}）", expected_seq
        if record.get("prev") != expected_prev:
            return False, count, f"第 {seq} 条记录的 prev 与前一条记录的 hash 不符", seq
        problem = record_problem(record, public, seen_v2)
        if problem:
            return False, count, problem, seq
        seen_v2 = seen_v2 or record.get("v", 1) == 2
        expected_prev, expected_seq, count = record["hash"], seq + 1, count + 1
    return True, count, None, None
