"""全程留痕: the hash-chained log, exported and verified exactly as INTERFACES.md §3 says."""
import hashlib
import json

from sqlalchemy import select, text

from inspection.models import Event


def independent_verify(lines: list[bytes]) -> tuple[bool, int | None]:
    """INTERFACES §3 re-implemented in a few lines: returns (ok, first bad seq)."""
    prev, seq = "0" * 64, 1
    for line in lines:
        record = json.loads(line)
        body = {k: v for k, v in record.items() if k != "hash"}
        digest = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"),
                                           ensure_ascii=False).encode("utf-8")).hexdigest()
        if record["seq"] != seq or record["prev"] != prev or digest != record["hash"]:
            return False, seq
        prev, seq = record["hash"], seq + 1
    return True, None


def make_some_events(client, login):
    login("market")
    for n in range(3):
        response = client.post("/api/v1/plans", json={"title": f"计划{n}", "period_start": "2026-04-01",
                                                       "period_end": "2026-04-30", "items": ["SC-001"]})
        assert response.status_code == 201


def test_export_is_verifiable_by_independent_code(client, login, runner, tmp_path):
    make_some_events(client, login)
    out = tmp_path / "log.jsonl"
    result = runner.invoke(args=["export-log", "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = out.read_bytes().splitlines()
    assert len(lines) >= 3
    assert independent_verify(lines) == (True, None)
    records = [json.loads(line) for line in lines]
    assert [r["kind"] for r in records[-3:]] == ["plan.created"] * 3
    assert records[-1]["actor"] == "user:market" and records[-1]["at"].endswith("Z")
    head = client.get("/api/v1/log/head").get_json()
    assert head == {"seq": records[-1]["seq"], "hash": records[-1]["hash"]}
    since = runner.invoke(args=["export-log", "--since", str(records[-2]["seq"]), "--out", str(out)])
    assert since.exit_code == 0 and len(out.read_bytes().splitlines()) == 1


def test_verify_log_passes_on_an_untouched_chain(runner, client, login):
    make_some_events(client, login)
    result = runner.invoke(args=["verify-log"])
    assert result.exit_code == 0 and "哈希链无断点" in result.output


def test_a_row_changed_in_the_database_is_found(runner, client, login, db_session):
    make_some_events(client, login)
    seq = db_session.scalar(text("select max(seq) from events")) - 1
    db_session.execute(text("update events set actor = 'user:someone-else' where seq = :seq"), {"seq": seq})
    db_session.commit()
    result = runner.invoke(args=["verify-log"])
    assert result.exit_code == 1
    assert f"第 {seq} 条记录的内容与其 hash 不符" in result.output


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
    """Someone with database access rewrites a record and recomputes every later hash and the
    head row: the chain is consistent again, but the head that anyone kept no longer matches."""
    make_some_events(client, login)
    kept = client.get("/api/v1/log/head").get_json()
    rows = [(e.seq, e.at, e.kind, e.actor, e.subject, e.payload, e.prev, e.hash)
            for e in db_session.scalars(select(Event).order_by(Event.seq))]
    target = kept["seq"] - 1
    prev = None
    for seq, at, kind, actor, subject, payload, old_prev, old_hash in rows:
        if seq < target:
            prev = old_hash
            continue
        if seq == target:
            payload = {**payload, "title": "改写后的计划"}
        record = {"seq": seq, "at": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                  "kind": kind, "actor": actor, "subject": subject, "payload": payload, "prev": prev}
        digest = hashlib.sha256(json.dumps(record, sort_keys=True, separators=(",", ":"),
                                           ensure_ascii=False).encode("utf-8")).hexdigest()
        db_session.execute(text("update events set payload = :p, prev = :prev, hash = :h where seq = :seq"),
                           {"p": json.dumps(payload, ensure_ascii=False), "prev": prev, "h": digest, "seq": seq})
        prev = digest
    db_session.execute(text("update event_head set hash = :h"), {"h": prev})
    db_session.commit()
    assert runner.invoke(args=["verify-log"]).exit_code == 0  # internally consistent again...
    assert client.get("/api/v1/log/head").get_json()["hash"] != kept["hash"]  # ...but not what was published


def test_oversight_verifies_through_the_api(client, login):
    login("oversight")
    body = client.get("/api/v1/log/verify").get_json()
    assert body["ok"] is True and body["records"] >= 1 and body["first_bad_seq"] is None
