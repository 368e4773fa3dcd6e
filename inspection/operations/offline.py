"""断网补录: a phone without network keeps signed records of scan-in, findings, outcomes, scan-out and the
papers read back and signed at the door (the on-site record; sampling, premises and questioning records),
and sends them when the network returns. A record is accepted only if the phone's registered key signed it,
the officer's certificate held on its day and it arrives within the deadline; it is applied as of its own
time and marked as recorded offline. Sending the same record again creates nothing.

Each phone registers an ECDSA P-256 key while online; the private key never leaves the phone. A record
travels as ``{"payload": "<JSON text>", "signature": "<base64url r||s>"}``: the signature covers exactly
the payload's UTF-8 bytes, so no canonical form has to be agreed. The payload holds ``id`` (the phone's
record id), ``kind``, ``officer`` (certificate number), ``key`` (the key id), ``at`` (ISO UTC) and the
record's ``data``."""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from sqlalchemy import select
from sqlalchemy.orm import Session

from checklists.models import ChecklistPoint
from core import clock

from ..errors import DomainError, InvalidInput, InvalidState, NotPermitted
from ..models import OFFLINE_KINDS, OfficerDevice, OfflineRecord, User, Visit
from ..pure.timestamps import parse_day, parse_instant
from .documents import sign_field_record, sign_record, signature_bytes
from .door import Lead
from .entries import record_finding, record_outcome, scan_in, scan_out
from .events import append_event, format_timestamp, utcnow

SYNC_DAYS = 10                          # a record older than this is refused
CLOCK_SKEW = dt.timedelta(minutes=5)    # a record may not claim a time later than this after its arrival
ROW_ID_MAX = 2**31 - 1                  # ids are the database's INTEGER (32 bits on PostgreSQL)


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def key_id(jwk: dict) -> str:
    """The key's RFC 7638 thumbprint input, hashed: the id records name their key by."""
    members = {k: jwk[k] for k in ("crv", "kty", "x", "y")}
    return hashlib.sha256(json.dumps(members, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _public_key(jwk: dict) -> ec.EllipticCurvePublicKey:
    try:
        if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
            raise ValueError("not P-256")
        x, y = _b64(jwk["x"]), _b64(jwk["y"])
        if len(x) != 32 or len(y) != 32:
            raise ValueError("coordinates")
        return ec.EllipticCurvePublicNumbers(int.from_bytes(x, "big"), int.from_bytes(y, "big"),
                                             ec.SECP256R1()).public_key()
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise InvalidInput("设备公钥应为 P-256 椭圆曲线 JWK（kty EC，crv P-256，x、y）", fields={"public_key": "无效"}) from exc


def register_device(session: Session, actor: User, jwk: dict, *, now: dt.datetime | None = None) -> OfficerDevice:
    """Register a phone's public key for the officer; registering it again returns the same device."""
    if actor.role != "inspector" or actor.officer is None:
        raise NotPermitted("只有执法人员账号可以登记离线设备")
    _public_key(jwk)
    kid = key_id(jwk)
    device = session.scalar(select(OfficerDevice).where(OfficerDevice.key_id == kid))
    if device is not None:
        if device.officer_id != actor.officer_id or device.revoked_at is not None:
            raise NotPermitted("该设备密钥已登记给其他执法人员或已停用")
        return device
    device = OfficerDevice(officer_id=actor.officer_id, key_id=kid,
                           public_key={k: jwk[k] for k in ("kty", "crv", "x", "y")}, registered_at=now or utcnow())
    session.add(device)
    session.flush()
    append_event(session, actor, "device.registered", f"officer:{actor.officer.certificate_no}", {"key": kid})
    return device


def _verify(device: OfficerDevice, payload: str, signature: str) -> bool:
    try:
        raw = _b64(signature)
        if len(raw) != 64:
            return False
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        _public_key(device.public_key).verify(der, payload.encode("utf-8"), ec.ECDSA(hashes.SHA256()))
        return True
    except (InvalidSignature, ValueError, binascii.Error, InvalidInput):
        return False


def _parse(payload: str) -> dict:
    try:
        record = json.loads(payload)
        if not isinstance(record, dict) or record.get("kind") not in OFFLINE_KINDS or not isinstance(record.get("data"), dict):
            raise ValueError
        record["at_time"] = parse_instant(record.get("at"), "at", "记录时间")
        if not (isinstance(record.get("id"), str) and 8 <= len(record["id"]) <= 64):
            raise ValueError
        return record
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput("离线记录格式不正确") from exc
    except InvalidInput as err:
        raise InvalidInput(f"离线记录格式不正确：{err.message}") from err


def _row_id(data: dict, name: str) -> int:
    """An id the record names (visit, task, point): a whole number a row can have, or the record is refused."""
    value = data.get(name)
    if type(value) is not int or not 1 <= value <= ROW_ID_MAX:
        raise InvalidInput(f"离线记录的 {name} 应为有效编号", fields={name: "应为有效编号"})
    return value


def _apply(session: Session, user: User, record: dict, *, secret: str, received: dt.datetime,
           notes: list[str] | None = None) -> Visit | None:
    """Carry out one record as of its own time; what the sender should know of how it was taken goes in
    ``notes``."""
    notes = notes if notes is not None else []
    data, at = record["data"], record["at_time"]

    def visit_of() -> Visit:
        visit = session.get(Visit, _row_id(data, "visit"))
        if visit is None:
            raise InvalidInput("离线记录所指的检查不存在", fields={"visit": data.get("visit")})
        return visit

    if record["kind"] == "scan_in":
        lead = None
        if data.get("lead"):
            raw = data["lead"]
            entered = raw.get("entered_at")
            lead = Lead(kind=str(raw.get("kind", "")), item=str(raw.get("item", "")), reference=str(raw.get("reference", "")),
                        emergency=bool(raw.get("emergency")),
                        entered_at=parse_instant(entered, "entered_at", "入企时间") if entered else None)
        return scan_in(session, user, str(data.get("token", "")), now=at, secret=secret, lead=lead,
                       synced_at=received).visit
    visit = visit_of()
    if record["kind"] == "finding":
        asked = _row_id(data, "point")
        finding = record_finding(session, user, visit, _row_id(data, "task"), asked, str(data["result"]),
                                 str(data.get("note", "")), now=at)
        if finding.point_id != asked:   # an earlier version's point, mapped onto the checklist in force
            given = session.get(ChecklistPoint, asked)
            notes.append(f"检查事项清单已修订：原 {given.item.version} 版第 {given.position} 项的结果已记入 "
                         f"{finding.point.item.version} 版第 {finding.point.position} 项「{finding.point.text}」")
    elif record["kind"] == "outcome":
        rectify = parse_day(data["rectify_by"], "rectify_by", "整改期限") if data.get("rectify_by") else None
        record_outcome(session, user, visit, _row_id(data, "task"), str(data["item"]), str(data["outcome"]), rectify,
                       now=at)
    elif record["kind"] in ("record", "field_record"):
        _sign_paper(session, user, visit, record["kind"], data, at=at, received=received)
    else:
        scan_out(session, user, visit, now=at, synced_at=received)
    return visit


def _sign_paper(session: Session, user: User, visit: Visit, kind: str, data: dict, *, at: dt.datetime,
                received: dt.datetime) -> None:
    """An on-site record or a sampling, premises or questioning record read back to the firm's person and
    signed (or refused before a witness) on the phone without network: issued now, as of its own time."""
    answer = {"signer_name": str(data.get("signer_name") or ""), "signature_png": signature_bytes(str(data.get("signature") or "")),
              "refused": data.get("refused") is True, "witness": str(data.get("witness") or ""),
              "note": str(data.get("note") or ""), "at": at, "synced_at": received}
    if kind == "record":
        read_back = data.get("read_back")
        if not isinstance(read_back, list):
            raise InvalidInput("离线签署的现场检查记录应附宣读的结果", fields={"read_back": "必填"})
        sign_record(session, user, visit, read_back=read_back, **answer)
    else:
        content = data.get("content")
        sign_field_record(session, user, visit, str(data.get("paper", "")), content if isinstance(content, dict) else {},
                          **answer)


def sync_records(session: Session, actor: User, items: list[dict], *, secret: str, now: dt.datetime | None = None,
                 deadline_days: int = SYNC_DAYS) -> list[dict]:
    """Receive a phone's records; returns, for each, ``{"id", "status", "message"}`` where status is
    ``applied``, ``pending`` (waits for the partner's records), ``duplicate`` or ``refused``."""
    now = now or utcnow()
    if actor.role != "inspector" or actor.officer is None:
        raise NotPermitted("只有执法人员账号可以上传离线记录")
    parsed = []
    results: list[dict] = []
    for item in items:
        payload, signature = str(item.get("payload", "")), str(item.get("signature", ""))
        try:
            parsed.append((_parse(payload), payload, signature))
        except InvalidInput as err:
            results.append({"id": None, "status": "refused", "message": err.message})
    touched: set[int] = set()
    for record, payload, signature in sorted(parsed, key=lambda p: p[0]["at_time"]):
        try:
            with session.begin_nested():  # a record that cannot be taken takes nothing but itself back
                results.append(_receive(session, actor, record, payload, signature, now=now, secret=secret,
                                        deadline_days=deadline_days, touched=touched))
        except (DomainError, LookupError, TypeError, ValueError, ArithmeticError) as err:
            message = err.message if isinstance(err, DomainError) else "离线记录内容不完整或无效"
            results.append({"id": record["id"], "status": "refused", "message": message})
    _retry_pending(session, touched, secret=secret)
    return results



def _receive(session: Session, actor: User, record: dict, payload: str, signature: str, *, now: dt.datetime,
             secret: str, deadline_days: int, touched: set[int]) -> dict:
    """Check one record's id, key, officer and signature, store it and apply it; returns its answer."""
    client_id = record["id"]
    known = session.scalar(select(OfflineRecord).where(OfflineRecord.client_id == client_id))
    if known is not None:
        same = known.payload == payload
        return {"id": client_id, "status": "duplicate" if same else "refused",
                "message": "该记录已上传" if same else "记录编号已被另一条记录使用"}
    device = session.scalar(select(OfficerDevice).where(OfficerDevice.key_id == str(record.get("key", ""))))
    problem = None
    if device is None or device.revoked_at is not None or device.officer_id != actor.officer_id:
        problem = "签名密钥未登记给本人或已停用"
    elif record.get("officer") != actor.officer.certificate_no:
        problem = "记录的执法证号与上传人不符"
    elif not _verify(device, payload, signature):
        problem = "签名无效：记录不是本人设备签发或已被改动"
    if problem:  # a forged record occupies no id: the real one may still arrive
        append_event(session, actor, "offline.refused", f"officer:{actor.officer.certificate_no}",
                     {"record": client_id, "kind": record["kind"], "reason": problem})
        return {"id": client_id, "status": "refused", "message": problem}
    at = record["at_time"]
    row = OfflineRecord(client_id=client_id, officer_id=actor.officer_id, device_id=device.id, kind=record["kind"],
                        at=at, payload=payload, signature=signature[:200], received_at=now, status="pending",
                        message="")
    if at > now + CLOCK_SKEW:
        row.status, row.message = "refused", "记录时间晚于上传时间"
    elif now - at > dt.timedelta(days=deadline_days):
        row.status, row.message = "refused", f"超过 {deadline_days} 天的补录期限（记录于 {format_timestamp(at)}）"
    elif not actor.officer.certified_on(clock.local_day(at)):
        row.status, row.message = "refused", "记录当日执法证无效"
    session.add(row)
    session.flush()
    if row.status == "pending":
        _attempt(session, actor, row, record, secret=secret)
        if row.visit_id:
            touched.add(row.visit_id)
    append_event(session, actor, "offline.synced", f"offline:{row.id}",
                 {"record": client_id, "kind": row.kind, "at": at, "status": row.status,
                  "delay_minutes": round((now - at).total_seconds() / 60), "visit": row.visit_id})
    return {"id": client_id, "status": row.status, "message": row.message, "visit": row.visit_id}


def _attempt(session: Session, actor: User, row: OfflineRecord, record: dict, *, secret: str) -> None:
    """Apply a record in a savepoint: done, waiting for the partner's records, or refused with the reason."""
    try:
        notes: list[str] = []
        with session.begin_nested():
            visit = _apply(session, actor, record, secret=secret, received=row.received_at, notes=notes)
        row.status, row.message = "applied", "；".join(notes)
        row.visit_id = visit.id if visit else row.visit_id
    except InvalidState as err:
        if getattr(err, "final", False):
            row.status, row.message = "refused", err.message
            session.flush()
            return
        row.status, row.message = "pending", f"等待同组记录上传：{err.message}"
        visit_id = record["data"].get("visit")
        row.visit_id = visit_id if type(visit_id) is int and 1 <= visit_id <= ROW_ID_MAX else row.visit_id
    except DomainError as err:
        row.status, row.message = "refused", err.message
        if err.audited and err.records:  # a refused scan stays on the record for oversight
            session.add_all(err.records)
    except (KeyError, TypeError, ValueError):
        row.status, row.message = "refused", "离线记录内容不完整"
    session.flush()


def _retry_pending(session: Session, visit_ids: set[int], *, secret: str) -> None:
    """Records that waited for a partner's records (the entry, an earlier finding) go through once these
    arrive, in the order they were made."""
    if not visit_ids:
        return
    for _ in range(3):
        pending = session.scalars(select(OfflineRecord).where(OfflineRecord.status == "pending",
                                                              OfflineRecord.visit_id.in_(visit_ids))
                                  .order_by(OfflineRecord.at, OfflineRecord.id)).all()
        if not pending:
            return
        progressed = False
        for row in pending:
            user = session.scalar(select(User).where(User.officer_id == row.officer_id))
            if user is None:
                continue
            _attempt(session, user, row, _parse(row.payload), secret=secret)
            progressed |= row.status != "pending"
        if not progressed:
            return
