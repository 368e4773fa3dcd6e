"""全程留痕: the hash-chained log, exported and verified exactly as docs/protocols/event-log.md says.

The checks below re-state the protocol in a few lines of their own (hashlib and json only), so that the
platform's functions are tested against the text rather than against themselves.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re

import pytest
from sqlalchemy import MetaData, Table, func, insert, select, text, update

from inspection.db import make_engine, make_session_factory, upgrade
from inspection.models import Event, EventHead, User
from inspection.operations.events import append_event, verify_chain
from tests.servers import ROOT

ZEROS = "0" * 64
PUBLIC_V2 = {"v", "seq", "at", "kind", "digest", "prev", "hash"}
PUBLIC_V1 = {"seq", "at", "kind", "prev", "hash"}
PROTOCOLS = ROOT / "docs" / "protocols" / "event-log.md"


def sha256_hex(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, separators=(",", ":"),
                                     ensure_ascii=False).encode("utf-8")).hexdigest()


def independent_verify(lines: list[bytes], public: bool = False) -> tuple[bool, int | None]:
    """The protocol in a few lines: (ok, first bad seq). Whole records: digest and hash of version 2, hash of
    version 1. Public records: hash of version 2, only the links of version 1."""
    prev, seq = ZEROS, 1
    for line in lines:
        r = json.loads(line)
        if r["seq"] != seq or r["prev"] != prev:
            return False, seq
        if r.get("v", 1) == 2:
            if not public and sha256_hex({k: r[k] for k in ("actor", "subject", "payload", "salt")}) != r["digest"]:
                return False, seq
            if sha256_hex({k: r[k] for k in ("v", "seq", "at", "kind", "digest", "prev")}) != r["hash"]:
                return False, seq
        elif not public and sha256_hex({k: v for k, v in r.items() if k != "hash"}) != r["hash"]:
            return False, seq
        prev, seq = r["hash"], seq + 1
    return True, None


def make_some_events(client, login):
    login("market")
    for n in range(3):
        response = client.post("/api/v1/plans", json={"title": f"计划{n}", "period_start": "2026-04-01",
                                                       "period_end": "2026-04-30", "items": ["SC-001"]})
        assert response.status_code == 201


def whole_export(runner, tmp_path, *args: str) -> list[bytes]:
    out = tmp_path / "log.jsonl"
    result = runner.invoke(args=["export-log", *args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out.read_bytes().splitlines()


def public_export(client, query: str = "") -> list[bytes]:
    response = client.get(f"/api/v1/log/export{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/x-ndjson"
    return response.get_data().splitlines()


def start_an_older_database(db_session, records: int = 3) -> list[dict]:
    """A log as a database made before version 2 left it: version-1 rows only, hashed as version 1."""
    db_session.execute(text("delete from events"))
    prev, written = ZEROS, []
    for seq in range(1, records + 1):
        at = dt.datetime(2026, 1, 5, 8, seq)
        record = {"seq": seq, "at": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "kind": "plan.created",
                  "actor": "user:market", "subject": f"plan:{900 + seq}", "payload": {"title": f"旧计划{seq}"},
                  "prev": prev}
        record["hash"] = sha256_hex(record)
        db_session.add(Event(v=1, seq=seq, at=at, kind=record["kind"], actor=record["actor"],
                             subject=record["subject"], payload=record["payload"], salt=None, digest=None,
                             prev=prev, hash=record["hash"]))
        prev = record["hash"]
        written.append(record)
    db_session.flush()
    head = db_session.get(EventHead, 1)
    head.seq, head.hash = records, prev
    db_session.commit()
    return written


# -- the whole export and the public one ---------------------------------------------------------------------

def test_whole_export_is_verifiable_by_independent_code(client, login, runner, tmp_path):
    make_some_events(client, login)
    lines = whole_export(runner, tmp_path)
    assert len(lines) >= 3
    assert independent_verify(lines) == (True, None)
    records = [json.loads(line) for line in lines]
    last = records[-1]
    assert [r["kind"] for r in records[-3:]] == ["plan.created"] * 3
    assert last["v"] == 2 and last["actor"] == "user:market" and last["at"].endswith("Z")
    assert re.fullmatch(r"[0-9a-f]{32}", last["salt"]) and re.fullmatch(r"[0-9a-f]{64}", last["digest"])
    assert len({r["salt"] for r in records}) == len(records)  # a salt of its own for every record
    head = client.get("/api/v1/log/head").get_json()
    assert head == {"seq": last["seq"], "hash": last["hash"]}
    assert len(whole_export(runner, tmp_path, "--since", str(records[-2]["seq"]))) == 1


def test_public_export_needs_no_login_and_tells_nothing_of_who_did_what(client, login, runner, tmp_path):
    make_some_events(client, login)
    whole = [json.loads(line) for line in whole_export(runner, tmp_path)]
    client.delete("/api/v1/session")
    lines = public_export(client)
    assert independent_verify(lines, public=True) == (True, None)
    public = [json.loads(line) for line in lines]
    assert all(set(r) == PUBLIC_V2 for r in public)
    assert [{k: r[k] for k in PUBLIC_V2} for r in whole] == public
    body = b"\n".join(lines).decode("utf-8")
    for secret in ("user:market", "计划0", whole[-1]["salt"], "actor", "subject", "payload", "salt"):
        assert secret not in body
    # a record's whole content, given to someone, checks against its public digest
    assert all(sha256_hex({k: w[k] for k in ("actor", "subject", "payload", "salt")}) == p["digest"]
               for w, p in zip(whole, public))
    head = client.get("/api/v1/log/head").get_json()
    assert (public[-1]["seq"], public[-1]["hash"]) == (head["seq"], head["hash"])


def test_oversight_gets_the_whole_export_through_the_api(client, login, runner, tmp_path):
    make_some_events(client, login)
    assert client.get("/api/v1/log/records").status_code == 403
    login("oversight")
    response = client.get("/api/v1/log/records?since=0")
    assert response.status_code == 200 and response.mimetype == "application/x-ndjson"
    assert response.get_data().splitlines() == whole_export(runner, tmp_path)
    assert independent_verify(response.get_data().splitlines()) == (True, None)


def test_public_export_since(client, login):
    make_some_events(client, login)
    head = client.get("/api/v1/log/head").get_json()
    tail = [json.loads(line) for line in public_export(client, f"?since={head['seq'] - 2}")]
    assert [r["seq"] for r in tail] == [head["seq"] - 1, head["seq"]]
    assert public_export(client, f"?since={head['seq']}") == []
    assert public_export(client, "?since=2147483647") == []
    assert len(public_export(client, "?since=0")) == head["seq"]


@pytest.mark.parametrize("since", ["-1", "abc", "1.5", "", "99999999999999999999999", "2147483648"])
def test_public_export_refuses_a_bad_since(client, since):
    response = client.get(f"/api/v1/log/export?since={since}")
    assert response.status_code == 422
    body = response.get_json()
    assert set(body) == {"error", "message", "fields"} and body["error"] == "validation_failed"
    assert "since" in json.dumps(body["fields"])


# -- version 1 alongside version 2 ----------------------------------------------------------------------------

def test_version_1_records_of_an_older_database_verify_alongside_version_2(client, login, runner, db_session,
                                                                          tmp_path):
    older = start_an_older_database(db_session)
    make_some_events(client, login)
    result = runner.invoke(args=["verify-log"])
    assert result.exit_code == 0 and "哈希链无断点" in result.output, result.output
    lines = whole_export(runner, tmp_path)
    assert independent_verify(lines) == (True, None)
    whole = [json.loads(line) for line in lines]
    assert whole[:3] == older  # version 1 exported exactly as it was written
    assert [r.get("v", 1) for r in whole] == [1, 1, 1, 2, 2, 2]
    assert whole[3]["prev"] == older[-1]["hash"]
    public = [json.loads(line) for line in public_export(client)]
    assert [set(r) for r in public] == [PUBLIC_V1] * 3 + [PUBLIC_V2] * 3
    assert independent_verify([json.dumps(r).encode() for r in public], public=True) == (True, None)
    login("oversight")
    assert client.get("/api/v1/log/verify").get_json() == {"ok": True, "records": 6, "problem": None,
                                                          "first_bad_seq": None, "queued": 0}


@pytest.mark.own_database
def test_a_database_migrated_from_version_1_keeps_its_records_verifying(tmp_path):
    """The migration to version 2 on a log written at the revision before it: the old records stay version 1
    and verify, and the next record is version 2, linked to them."""
    engine = make_engine(f"sqlite:///{tmp_path / 'older.db'}")
    upgrade(engine, "0013")
    prev = ZEROS
    with engine.begin() as connection:
        events = Table("events", MetaData(), autoload_with=connection)  # as revision 0013 made it
        for seq in (1, 2):
            at = dt.datetime(2026, 1, 5, 8, seq)
            record = {"seq": seq, "at": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "kind": "catalogue.published",
                      "actor": "system", "subject": f"catalogue:{seq}", "payload": {"items": 54}, "prev": prev}
            record["hash"] = sha256_hex(record)
            connection.execute(insert(events), {**record, "at": at})
            prev = record["hash"]
        connection.execute(update(EventHead.__table__).values(seq=2, hash=prev))
    upgrade(engine)
    try:
        with make_session_factory(engine)() as session:
            assert [(e.v, e.salt, e.digest) for e in session.scalars(select(Event))] == [(1, None, None)] * 2
            assert verify_chain(session)[:2] == (True, 2)
            event = append_event(session, None, "plan.created", "plan:1", {"title": "新计划"},
                                 at=dt.datetime(2026, 3, 1, 9, 0))
            assert (event.v, event.seq, event.prev) == (2, 3, prev)
            assert verify_chain(session)[:2] == (True, 3)
    finally:
        engine.dispose()


def test_a_changed_version_1_record_is_found(runner, client, login, db_session):
    start_an_older_database(db_session)
    make_some_events(client, login)
    db_session.execute(text("update events set actor = 'user:someone-else' where seq = 2"))
    db_session.commit()
    result = runner.invoke(args=["verify-log"])
    assert result.exit_code == 1 and "第 2 条记录的内容与其 hash 不符" in result.output


def test_a_version_1_record_after_version_2_is_refused(runner, client, login, db_session):
    """Rewriting a new record in the old form (its content then under no salt) shows."""
    make_some_events(client, login)
    seq = db_session.scalar(select(func.max(Event.seq)))
    event = db_session.get(Event, seq)
    record = {"seq": seq, "at": event.at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "kind": event.kind,
              "actor": event.actor, "subject": event.subject, "payload": event.payload, "prev": event.prev}
    digest = sha256_hex(record)
    db_session.execute(text("update events set v = 1, salt = null, digest = null, hash = :h where seq = :seq"),
                       {"h": digest, "seq": seq})
    db_session.execute(text("update event_head set hash = :h"), {"h": digest})
    db_session.commit()
    result = runner.invoke(args=["verify-log"])
    assert result.exit_code == 1 and f"第 {seq} 条记录为第 1 版" in result.output


# -- tampering -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("change, message", [
    ("payload = :payload", "内容与其 digest 不符"),
    ("actor = 'user:someone-else'", "内容与其 digest 不符"),
    ("salt = '00000000000000000000000000000000'", "内容与其 digest 不符"),
    ("kind = 'plan.filed'", "与其 hash 不符"),
    ("at = :at", "与其 hash 不符"),
    ("digest = :digest", "内容与其 digest 不符"),
])
def test_a_row_changed_in_the_database_is_found(runner, client, login, db_session, change, message):
    make_some_events(client, login)
    seq = db_session.scalar(select(func.max(Event.seq))) - 1
    db_session.execute(text(f"update events set {change} where seq = :seq"),
                       {"seq": seq, "payload": json.dumps({"title": "改写"}, ensure_ascii=False),
                        "at": dt.datetime(2026, 4, 1, 9, 0), "digest": "f" * 64})
    db_session.commit()
    result = runner.invoke(args=["verify-log"])
    assert result.exit_code == 1
    assert f"第 {seq} 条记录" in result.output and message in result.output
    assert f"序号 {seq}）" in result.output


def test_a_changed_public_field_is_found_by_anyone(client, login):
    make_some_events(client, login)
    lines = public_export(client)
    record = json.loads(lines[-2])
    lines[-2] = json.dumps({**record, "kind": "plan.withdrawn"}).encode()
    assert independent_verify(lines, public=True) == (False, record["seq"])


def test_a_deleted_record_is_found(runner, client, login, db_session):
    make_some_events(client, login)
    seq = db_session.scalar(text("select max(seq) from events")) - 1
    db_session.execute(text("delete from events where seq = :seq"), {"seq": seq})
    db_session.commit()
    result = runner.invoke(args=["verify-log"])
    assert result.exit_code == 1 and f"第 {seq} 条记录缺失" in result.output


def test_a_truncated_tail_is_found_by_the_head(runner, client, login, db_session):
    make_some_events(client, login)
    db_session.execute(text("delete from events where seq = (select max(seq) from events)"))
    db_session.commit()
    result = runner.invoke(args=["verify-log"])
    assert result.exit_code == 1 and "链头" in result.output


def test_a_wholly_rewritten_chain_is_exposed_by_a_kept_head(runner, client, login, db_session):
    """Someone with database access rewrites a record and recomputes every later digest and hash and the
    head row: the chain is consistent again, but the head that anyone kept no longer matches."""
    make_some_events(client, login)
    kept = client.get("/api/v1/log/head").get_json()
    target = kept["seq"] - 1
    prev = None
    for event in db_session.scalars(select(Event).order_by(Event.seq)).all():
        if event.seq < target:
            prev = event.hash
            continue
        payload = {**event.payload, "title": "改写后的计划"} if event.seq == target else event.payload
        digest = sha256_hex({"actor": event.actor, "subject": event.subject, "payload": payload,
                             "salt": event.salt})
        new_hash = sha256_hex({"v": 2, "seq": event.seq, "at": event.at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                               "kind": event.kind, "digest": digest, "prev": prev})
        db_session.execute(text("update events set payload = :p, digest = :d, prev = :prev, hash = :h "
                                "where seq = :seq"),
                           {"p": json.dumps(payload, ensure_ascii=False), "d": digest, "prev": prev, "h": new_hash,
                            "seq": event.seq})
        prev = new_hash
    db_session.execute(text("update event_head set hash = :h"), {"h": prev})
    db_session.commit()
    assert runner.invoke(args=["verify-log"]).exit_code == 0  # internally consistent again...
    assert client.get("/api/v1/log/head").get_json()["hash"] != kept["hash"]  # ...but not what was published


def test_oversight_verifies_through_the_api(client, login):
    login("oversight")
    body = client.get("/api/v1/log/verify").get_json()
    assert body["ok"] is True and body["records"] >= 1 and body["first_bad_seq"] is None


# -- the documentation and the public page ---------------------------------------------------------------------

def documented_checker() -> dict:
    """The Python block of the "Event log" section of docs/protocols/event-log.md, run as a reader would run it."""
    section = PROTOCOLS.read_text(encoding="utf-8").split("## Event log", 1)[1]
    code = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(code) == 1
    namespace: dict = {}
    exec(compile(code[0], str(PROTOCOLS), "exec"), namespace)  # noqa: S102 - the project's own documentation
    return namespace


def test_the_documented_snippet_checks_an_export(client, login, runner, db_session, tmp_path):
    start_an_older_database(db_session)
    make_some_events(client, login)
    docs = documented_checker()
    lines = public_export(client)
    head = client.get("/api/v1/log/head").get_json()
    assert docs["check_public_export"](lines) == (head["seq"], head["hash"])
    kept_seq, kept_hash = 4, json.loads(lines[3])["hash"]  # a head someone kept earlier
    assert docs["check_public_export"](public_export(client, f"?since={kept_seq}"), kept_seq, kept_hash) == (
        head["seq"], head["hash"])
    whole = [json.loads(line) for line in whole_export(runner, tmp_path)]
    public = [json.loads(line) for line in lines]
    assert all(docs["check_whole_record"](w, p) for w, p in zip(whole, public))
    assert not docs["check_whole_record"]({**whole[-1], "payload": {"title": "别的"}}, public[-1])
    assert not docs["check_whole_record"]({**whole[0], "actor": "user:fire"}, public[0])
    tampered = list(lines)
    tampered[4] = json.dumps({**json.loads(lines[4]), "at": "2026-04-02T00:00:00.000000Z"}).encode()
    with pytest.raises(ValueError, match="record 5"):
        docs["check_public_export"](tampered)


def test_the_public_page_shows_the_head_and_links_the_export(client, login):
    make_some_events(client, login)
    client.delete("/api/v1/session")
    head = client.get("/api/v1/log/head").get_json()
    page = client.get("/log").get_data(as_text=True)
    assert head["hash"] in page and str(head["seq"]) in page
    assert "/api/v1/log/export" in page and "INTERFACES" not in page
    assert "verify-log.js" in page and "第 1 版记录" in page  # the in-browser check, and what it cannot check


# -- failed sign-ins ------------------------------------------------------------------------------------------

def test_failed_sign_ins_are_counted_not_logged(client, db_session):
    before = db_session.scalar(select(func.max(Event.seq)))
    typed = ["market", "market", "no-such-account-hunter2", "密码写错了地方"]
    for username in typed:
        response = client.post("/api/v1/session", json={"username": username, "password": "wrong-password"})
        assert response.status_code == 401
    response = client.post("/login", data={"username": "market", "password": "wrong-password"})
    assert response.status_code == 401
    db_session.expire_all()
    assert db_session.scalar(select(func.max(Event.seq))) == before  # nothing typed reaches the public log
    market = db_session.scalar(select(User).where(User.username == "market"))
    assert market.failed_sign_ins == 3 and market.last_failed_sign_in_at is not None
    assert db_session.scalar(select(func.sum(User.failed_sign_ins))) == 3


@pytest.mark.own_database
def test_a_session_that_appends_again_links_to_what_others_appended_meanwhile(tmp_path):
    """Sessions keep their objects after a commit. A session that appended, committed, and appends again after
    another writer appended in between (the notice sender between two notices, a worker, a command) links
    its next record to the other writer's, not to the head it read before."""
    engine = make_engine(f"sqlite:///{tmp_path / 'log.db'}")
    upgrade(engine)
    factory = make_session_factory(engine)
    try:
        with factory() as first, factory() as second:
            append_event(first, None, "notice.sent", "notice:1")
            first.commit()
            append_event(second, None, "plan.created", "plan:1")
            second.commit()
            event = append_event(first, None, "notice.sent", "notice:2")
            first.commit()
            assert event.seq == 3
            assert verify_chain(first)[:2] == (True, 3)
    finally:
        engine.dispose()


@pytest.mark.own_database
def test_records_appended_while_the_log_is_verified_are_verified_too(tmp_path, monkeypatch):
    """Verifying a live log: a record appended after the verifier has read the records (the head then past
    them) is neither reported as a broken chain nor left out of the count."""
    from inspection.operations import events  # noqa: PLC0415 - the module whose reading is interleaved

    engine = make_engine(f"sqlite:///{tmp_path / 'log.db'}")
    upgrade(engine)
    factory = make_session_factory(engine)
    reading = events.iter_records
    appended = []

    def a_writer_appends_after_the_reading(session, since=0, batch=5000):
        yield from reading(session, since, batch)
        if not appended:  # another writer's record, seen as a PostgreSQL reader sees a commit it did not wait for
            appended.append(append_event(session, None, "notice.sent", "notice:9").seq)

    try:
        with factory() as session:
            for n in range(3):
                append_event(session, None, "plan.created", f"plan:{n}")
            session.commit()
            monkeypatch.setattr(events, "iter_records", a_writer_appends_after_the_reading)
            assert verify_chain(session) == (True, 4, None, None)
            assert appended == [4]
            session.execute(text("delete from events where seq = 4"))
            session.commit()
            assert verify_chain(session)[:2] == (False, 3)
    finally:
        engine.dispose()
