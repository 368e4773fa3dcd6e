"""Steps at the firm's door that many tests take: signing in as a team member, both scanning in, a
phone that signs records offline and their sync; and the SQL statements a request runs."""
from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import uuid

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from sqlalchemy import event

from inspection.models import DepartmentEntry, InspectionTask, VisitEntry
from inspection.operations.facts import refresh_visit_facts


def as_user(client, login, username):
    client.delete("/api/v1/session")
    login(username)


def enter(client, login, v):
    as_user(client, login, v["users"][0])
    first = client.post("/api/v1/scans", json={"token": v["token"]}).get_json()
    as_user(client, login, v["users"][1])
    second = client.post("/api/v1/scans", json={"token": v["token"]}).get_json()
    return first, second


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Phone:
    """A phone with its own P-256 key, signing records as the browser does (payload text, raw r||s)."""

    def __init__(self, certificate_no: str):
        self.key = ec.generate_private_key(ec.SECP256R1())
        numbers = self.key.public_key().public_numbers()
        self.jwk = {"kty": "EC", "crv": "P-256", "x": b64(numbers.x.to_bytes(32, "big")),
                    "y": b64(numbers.y.to_bytes(32, "big"))}
        self.certificate_no = certificate_no
        self.key_id = None

    def record(self, kind: str, at: dt.datetime, **data) -> dict:
        payload = json.dumps({"id": uuid.uuid4().hex, "kind": kind, "officer": self.certificate_no, "key": self.key_id,
                              "at": at.isoformat() + "Z", "data": data}, ensure_ascii=False)
        r, s = decode_dss_signature(self.key.sign(payload.encode("utf-8"), ec.ECDSA(hashes.SHA256())))
        return {"payload": payload, "signature": b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))}


def sync(client, login, username, records):
    as_user(client, login, username)
    response = client.post("/api/v1/offline/sync", json={"records": records})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["results"]


def join_visit(db_session, visit, plan):
    """``plan``'s department joins ``visit``: its task on the visit, and its own entry with the visit's."""
    entry = db_session.get(VisitEntry, visit.id)
    db_session.add(InspectionTask(plan=plan, firm=visit.firm, status="done", on_site=True, window_start=visit.day,
                                  window_end=visit.day, visit_id=visit.id))
    db_session.add(DepartmentEntry(visit_id=visit.id, department_id=plan.department_id, entered_at=entry.entered_at,
                                   left_at=entry.left_at))
    refresh_visit_facts(db_session, visit)


@contextlib.contextmanager
def statements(app, *, whole: bool = False):
    """The statements the app runs inside the block (the tests' own savepoints left out), shortened unless
    ``whole``."""
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if not statement.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):  # the tests' own
            text = " ".join(statement.split())
            seen.append(text if whole else text[:90])
    engine = app.extensions["db_engine"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)
