"""Properties that hold for any input: the credit-code check, the draw, the scheduler, the import files,
and the main write endpoints of the API fed bodies that are wrong in every way hypothesis finds.

Each property re-states the rule from the project's docs/ or the module's documentation in a few lines of its
own instead of calling the code under test to compute the expected answer.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import inspect
import io
import json
import math
import re
import zipfile

import hypothesis.strategies as st
import openpyxl
from hypothesis import HealthCheck, assume, example, given, settings
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import select

from inspection.demo.city import DEMO_PASSWORD
from inspection.errors import ImportFileInvalid
from inspection.models import EntryToken, OffsiteEvidence, User
from inspection.operations.entries import firm_token
from inspection.pure import draws
from inspection.pure.imports import FIRM_COLUMNS, OFFICER_COLUMNS, parse_firms, parse_officers
from inspection.pure.uscc import ALPHABET, check_character, is_valid_uscc, make_uscc, uscc_problem
from scheduler import Instance, SolverConfig, check_solution, solve
from tests.draw_checks import independent_selection
from tests.fuzzing import AUDITED, assert_error_shape, assert_nothing_written, has_chinese, row_counts

FIXTURES = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
CODE_CHARS = st.sampled_from(ALPHABET)
DIGITS = st.sampled_from("0123456789")


# -- 统一社会信用代码 (GB 32100) ----------------------------------------------------------------

@st.composite
def valid_codes(draw) -> str:
    return make_uscc(draw(CODE_CHARS), draw(CODE_CHARS), "".join(draw(st.lists(DIGITS, min_size=6, max_size=6))),
                     "".join(draw(st.lists(CODE_CHARS, min_size=8, max_size=8))))


def independent_check_character(body: str) -> str:
    """GB 32100: weights 3^i mod 31, check value (31 - sum mod 31) mod 31."""
    total = sum(ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(body))
    return ALPHABET[(31 - total % 31) % 31]


@settings(max_examples=300, deadline=None)
@given(code=valid_codes())
def test_made_codes_are_valid_and_carry_the_standard_check_character(code):
    assert is_valid_uscc(code) and uscc_problem(code) is None
    assert len(code) == 18 and code[17] == independent_check_character(code[:17])


@settings(max_examples=300, deadline=None)
@given(body=st.lists(CODE_CHARS, min_size=17, max_size=17).map("".join))
def test_any_body_with_its_check_character_is_valid_when_its_division_is_digits(body):
    code = body + check_character(body)
    assert is_valid_uscc(code) == body[2:8].isdigit()


@settings(max_examples=400, deadline=None)
@given(code=valid_codes(), position=st.integers(0, 17), replacement=st.characters())
def test_any_single_character_change_is_detected(code, position, replacement):
    assume(replacement != code[position])
    changed = code[:position] + replacement + code[position + 1:]
    problem = uscc_problem(changed)
    assert problem is not None and has_chinese(problem)


@settings(max_examples=200, deadline=None)
@given(code=valid_codes(), position=st.integers(0, 15))
def test_swapping_two_neighbours_of_the_body_is_detected(code, position):
    assume(code[position] != code[position + 1])
    swapped = code[:position] + code[position + 1] + code[position] + code[position + 2:]
    assert not is_valid_uscc(swapped)


@settings(max_examples=200, deadline=None)
@given(value=st.one_of(st.text(), st.integers(), st.none(), st.binary(), st.lists(st.text())))
def test_the_validator_answers_anything_with_a_message(value):
    problem = uscc_problem(value)
    assert problem is None or has_chinese(problem)
    if problem is None:
        assert isinstance(value, str) and value[17] == independent_check_character(value[:17])


# -- The draw (docs/protocols/draws.md) ----------------------------------------------------------

SEEDS = st.binary(min_size=32, max_size=32).map(bytes.hex)
RATIOS = st.dictionaries(st.sampled_from("ABCD"), st.floats(0, 1, allow_nan=False), max_size=4)


@st.composite
def pools(draw, weighted=False):
    codes = draw(st.lists(valid_codes(), max_size=40, unique=True))
    pool = []
    for code in codes:
        entry = {"uscc": code, "class": draw(st.sampled_from("ABCD"))}
        if weighted:
            entry["weight"] = draws.draw_weight(draw(st.one_of(st.none(), st.floats(0, 1))))
        pool.append(entry)
    return pool


@settings(max_examples=150, deadline=None)
@given(pool=pools(), ratios=RATIOS, seed=SEEDS, order=st.randoms(use_true_random=False))
def test_the_selection_depends_only_on_seed_pool_and_ratios(pool, ratios, seed, order):
    shuffled = list(pool)
    order.shuffle(shuffled)
    assert draws.select(pool, ratios, seed) == draws.select(shuffled, ratios, seed) == draws.select(pool, ratios, seed)


@settings(max_examples=150, deadline=None)
@given(pool=pools(), ratios=RATIOS, seed=SEEDS)
def test_counts_per_class_follow_the_ratios(pool, ratios, seed):
    selected = draws.select(pool, ratios, seed)
    assert len(set(selected)) == len(selected)
    classes = {e["uscc"]: e["class"] for e in pool}
    for credit_class in "ABCD":
        eligible = sum(1 for c in classes.values() if c == credit_class)
        drawn = sum(1 for code in selected if classes[code] == credit_class)
        ratio = ratios.get(credit_class, 0)
        assert drawn == min(eligible, math.ceil(ratio * eligible - 1e-9))
        if eligible:
            assert ratio * eligible - 1 < drawn <= max(ratio * eligible + 1e-9, 0) + 1


@settings(max_examples=100, deadline=None)
@given(weighted=st.booleans(), data=st.data(), ratios=RATIOS, seed=SEEDS)
def test_anyone_recomputes_the_published_record(weighted, data, ratios, seed):
    pool = data.draw(pools(weighted=weighted))
    excluded = [{"uscc": make_uscc("9", "1", "370502", f"EX{n:06d}"), "reason": "年度检查次数已达上限"}
                for n in range(data.draw(st.integers(0, 3)))]
    record = draws.build_record(plan="plan:1", campaign=None, seed=seed, committed_at="2026-03-01T00:00:00Z",
                                drawn_at="2026-03-02T00:00:00Z", ratios=ratios, pool=pool, excluded=excluded,
                                risk_model="risk-2026.1" if weighted else None)
    record = json.loads(json.dumps(record, ensure_ascii=False))  # as published
    assert hashlib.sha256(bytes.fromhex(record["seed"])).hexdigest() == record["seed_commitment"]
    canonical = json.dumps(sorted(record["pool"], key=lambda e: e["uscc"]), sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False).encode("utf-8")
    assert hashlib.sha256(canonical).hexdigest() == record["pool_sha256"]
    assert independent_selection(record, check_digests=False) == record["selected"]
    assert draws.verify_record(record) == []


@settings(max_examples=100, deadline=None)
@given(data=st.data(), seed=SEEDS)
def test_a_changed_selection_is_caught(data, seed):
    pool = data.draw(pools())
    assume(pool)
    record = draws.build_record(plan="plan:1", campaign=None, seed=seed, committed_at="2026-03-01T00:00:00Z",
                                drawn_at="2026-03-02T00:00:00Z", ratios={"A": .5, "B": .5, "C": .5, "D": .5},
                                pool=pool, excluded=[])
    swapped = [e["uscc"] for e in pool if e["uscc"] not in record["selected"]]
    assume(swapped and record["selected"])
    record["selected"] = [swapped[0]] + record["selected"][1:]
    assert draws.verify_record(record)


# -- The scheduler (docs/protocols/schedule-exchange.md, scheduler/check.py) ---------------------

HORIZON = ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06"]
DEPARTMENTS = ("market", "fire")


@st.composite
def instances(draw):
    days = HORIZON[:draw(st.integers(1, 5))]
    some_days = st.lists(st.sampled_from(HORIZON), unique=True, max_size=5).map(sorted)
    firms = [{"id": f"f{i}", "district": draw(st.sampled_from(["d1", "d2"])),
              "max_visits": draw(st.one_of(st.none(), st.integers(0, 2))), "closed_days": draw(some_days)}
             for i in range(draw(st.integers(1, 4)))]
    officers = [{"id": f"o{i}", "department": draw(st.sampled_from(DEPARTMENTS)), "days": draw(some_days),
                 "capacity": draw(st.integers(0, 2)),
                 "districts": draw(st.one_of(st.none(), st.lists(st.sampled_from(["d1", "d2"]), unique=True))),
                 "qualifications": draw(st.lists(st.just("q1"), max_size=1))}
                for i in range(draw(st.integers(1, 5)))]
    tasks = []
    for i in range(draw(st.integers(0, 7))):
        start, end = sorted(draw(st.lists(st.sampled_from(HORIZON + ["2026-03-09"]), min_size=2, max_size=2)))
        tasks.append({"id": f"t{i}", "department": draw(st.sampled_from(DEPARTMENTS)),
                      "firm": draw(st.sampled_from([f["id"] for f in firms])), "window": [start, end],
                      "on_site": draw(st.booleans()), "officers_needed": draw(st.integers(1, 2)),
                      "qualification": draw(st.sampled_from([None, None, "q1"]))})
    return {"days": days, "firms": firms, "officers": officers, "tasks": tasks}


def independent_lower_bound(data: dict) -> int:
    """§2: per firm, the fewest open days meeting every on-site task's window (greedy stabbing), at most
    its max_visits, summed."""
    total = 0
    for firm in data["firms"]:
        open_days = [d for d in data["days"] if d not in firm["closed_days"]]
        windows = []
        for task in data["tasks"]:
            inside = [i for i, d in enumerate(open_days) if task["window"][0] <= d <= task["window"][1]]
            if task["firm"] == firm["id"] and task["on_site"] and inside:
                windows.append((inside[0], inside[-1]))
        stabs, last = 0, -1
        for start, end in sorted(windows, key=lambda w: w[1]):
            if start > last:
                stabs, last = stabs + 1, end
        total += stabs if firm["max_visits"] is None else min(stabs, firm["max_visits"])
    return total


@settings(max_examples=25, deadline=None)
@given(data=instances(), strategy=st.sampled_from(["exact", "decomposed"]))
def test_schedules_keep_every_rule(data, strategy):
    instance = Instance.from_dict(data)
    solution = solve(instance, SolverConfig(time_limit=5, workers=1, seed=0, strategy=strategy))
    assert check_solution(instance, solution) == []
    out = solution.to_dict()
    tasks = {t["id"]: t for t in data["tasks"]}
    firms = {f["id"]: f for f in data["firms"]}
    officers = {o["id"]: o for o in data["officers"]}
    on_site = {t for t, task in tasks.items() if task["on_site"]}
    visited = [t for v in out["visits"] for t in v["tasks"]]
    assert sorted(visited + [u["task"] for u in out["unscheduled"]]) == sorted(on_site)
    assert all(u["reason"].strip() for u in out["unscheduled"])
    assert len({(v["firm"], v["day"]) for v in out["visits"]}) == len(out["visits"])
    for visit in out["visits"]:
        firm = firms[visit["firm"]]
        assert visit["day"] in data["days"] and visit["day"] not in firm["closed_days"]
        for task_id in visit["tasks"]:
            task = tasks[task_id]
            assert task["firm"] == visit["firm"] and task["window"][0] <= visit["day"] <= task["window"][1]
            team = [officers[o] for o in visit["officers"].get(task["department"], [])]
            able = [o for o in team if task["qualification"] is None or task["qualification"] in o["qualifications"]]
            assert len(able) >= task["officers_needed"]
        for department, team in visit["officers"].items():
            for officer_id in team:
                officer = officers[officer_id]
                assert officer["department"] == department and visit["day"] in officer["days"]
                assert officer["districts"] is None or firm["district"] in officer["districts"]
    for officer_id, officer in officers.items():
        for day in data["days"]:
            load = sum(1 for v in out["visits"] if v["day"] == day and any(officer_id in team
                                                                          for team in v["officers"].values()))
            assert load <= officer["capacity"]
    for firm_id, firm in firms.items():
        assert firm["max_visits"] is None or sum(v["firm"] == firm_id for v in out["visits"]) <= firm["max_visits"]
    assert out["stats"]["visits"] == len(out["visits"])
    assert out["stats"]["lower_bound"] == independent_lower_bound(data)


# -- Import files (docs/file-formats.md) ----------------------------------------------------------

KNOWN_DISTRICTS = {"370502": "370502", "东营区": "370502", "370503": "370503", "河口区": "370503"}
KNOWN_DEPARTMENTS = {"market", "fire"}


def parse_both(path):
    """Both parsers either read a valid file or refuse it with the domain error and its message."""
    for parse in (lambda p: parse_firms(p, KNOWN_DISTRICTS), lambda p: parse_officers(p, KNOWN_DEPARTMENTS,
                                                                                      KNOWN_DISTRICTS)):
        try:
            parsed = parse(path)
        except ImportFileInvalid as error:
            assert has_chinese(error.message) and error.fields["problems"]
        else:
            assert parsed.records


CELLS = st.one_of(st.text(max_size=40), valid_codes(), st.sampled_from(["370502", "东营区", "B", "market",
                                                                          "2026-01-01", "2026-02-30", ";", '"']))


@st.composite
def csv_texts(draw) -> str:
    columns = draw(st.one_of(st.just(list(FIRM_COLUMNS)), st.just(list(OFFICER_COLUMNS)),
                             st.lists(st.sampled_from(FIRM_COLUMNS + OFFICER_COLUMNS + ("", "UScc", "x")))))
    rows = draw(st.lists(st.lists(CELLS, max_size=len(columns) + 2), max_size=6))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows(rows)
    text = buffer.getvalue()
    if draw(st.booleans()):  # break the quoting, the line ends or the encoding's marks somewhere
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(['"', "\r", "\n", "\x00", "\ufeff", "\u2028", ","])) \
            + text[at:]
    return text


@settings(max_examples=150, deadline=None, suppress_health_check=FIXTURES)
@given(content=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(lambda t: t.encode("utf-8")),
                         csv_texts().map(lambda t: t.encode("utf-8")),
                         csv_texts().map(lambda t: t.encode("gb18030", errors="replace"))),
       suffix=st.sampled_from([".csv", ".CSV", ".xlsx", ".txt"]))
def test_any_file_is_read_or_refused_with_a_message(tmp_path, content, suffix):
    path = tmp_path / f"导入{suffix}"
    path.write_bytes(content)
    parse_both(path)


@st.composite
def zips(draw) -> bytes:
    """Archives that look more or less like a workbook."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        names = draw(st.lists(st.sampled_from(["[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml",
                                               "_rels/.rels", "xl/_rels/workbook.xml.rels", "xl/sharedStrings.xml"]),
                              unique=True))
        for name in names:
            archive.writestr(name, draw(st.one_of(st.binary(max_size=80), st.sampled_from([
                b"<?xml version='1.0'?><workbook/>", b"<x>", b"",
                (b"<?xml version='1.0'?><worksheet><sheetData>"
                 b"<row r='1'><c r='A1' t='s'><v>7</v></c></row></sheetData></worksheet>")]))))
    return buffer.getvalue()


def writable(text: str) -> bool:
    return ILLEGAL_CHARACTERS_RE.search(text) is None


@st.composite
def workbooks(draw) -> bytes:
    """Real workbooks whose cells hold any kind of value a spreadsheet program writes."""
    book = openpyxl.Workbook()
    sheet = book.active
    header = draw(st.one_of(st.just(list(FIRM_COLUMNS)), st.just(list(OFFICER_COLUMNS)),
                            st.lists(st.one_of(st.text(max_size=8).filter(writable), st.integers()), max_size=8)))
    sheet.append(header)
    value = st.one_of(CELLS.filter(writable), st.integers(),
                      st.floats(allow_nan=True), st.booleans(), st.none(),
                      st.dates(dt.date(1900, 3, 1), dt.date(2100, 1, 1)),
                      st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(2100, 1, 1)))
    for row in draw(st.lists(st.lists(value, max_size=9), max_size=5)):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@st.composite
def damaged_workbooks(draw) -> bytes:
    """A real workbook with one of its parts cut short or replaced."""
    original = zipfile.ZipFile(io.BytesIO(draw(workbooks())))
    victim = draw(st.sampled_from(original.namelist()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in original.namelist():
            data = original.read(name)
            if name == victim:
                cut = draw(st.integers(0, len(data)))
                data = draw(st.one_of(st.binary(max_size=60), st.just(data[:cut]),
                                      st.just(data.replace(b"<row", b"<rowx").replace(b'r="A1"', b'r="?"'))))
            archive.writestr(name, data)
    return buffer.getvalue()


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURES)
@given(content=st.one_of(zips(), workbooks(), damaged_workbooks()))
def test_any_workbook_is_read_or_refused_with_a_message(tmp_path, content):
    path = tmp_path / "导入.xlsx"
    path.write_bytes(content)
    parse_both(path)


# -- Bad bodies to the main write endpoints ---------------------------------------------------

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=10)
NOT_OBJECTS = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20), st.lists(JSON, max_size=3))
HUGE = st.one_of(st.integers(min_value=2**31), st.integers(max_value=-1))
NOT_TEXT = st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans(), st.lists(JSON, max_size=2),
                     st.dictionaries(st.text(max_size=4), JSON, max_size=2))
NOT_INT = st.one_of(st.text(alphabet=st.characters(categories=["L", "P", "S", "Zs"]), max_size=10),
                    st.booleans(), st.lists(JSON, max_size=2), st.dictionaries(st.text(max_size=4), JSON, max_size=2))
NOT_DATE = st.one_of(st.text(max_size=12).filter(lambda t: t[:10].count("-") != 2), st.integers(),
                     st.sampled_from(["2026-02-30", "2026-13-01", "0000-01-01", "20260301", "2026W011", "2026-3-1",
                                      "２０２６-０３-０１"]),
                     st.lists(JSON, max_size=2))
LONG_TEXT = st.integers(1001, 3000).map(lambda n: "检" * n)


def bad_bodies(valid: dict, wrong: dict, required: tuple[str, ...]):
    """Bodies that must be refused: not an object, a required field missing, an unknown field, or one
    field given a value that is wrong for it (``wrong``: field -> strategy of wrong values)."""
    def missing(name):
        return {k: v for k, v in valid.items() if k != name}

    def replaced(name, value):
        return {**valid, name: value}

    return st.one_of(
        NOT_OBJECTS.map(lambda body: ("raw", body)),
        st.sampled_from(required).map(lambda name: ("body", missing(name))),
        st.text(min_size=1, max_size=10).filter(lambda k: k not in valid and k not in wrong)
        .flatmap(lambda k: JSON.map(lambda v: ("body", {**valid, k: v}))),
        st.sampled_from(sorted(wrong)).flatmap(lambda name: wrong[name].map(lambda v: ("body", replaced(name, v)))),
        st.binary(max_size=30).map(lambda raw: ("bytes", b"{" + raw)),
    )


def send(client, url, bad):
    kind, body = bad
    if kind == "bytes":
        return client.post(url, data=body, content_type="application/json")
    return client.post(url, data=json.dumps(body, ensure_ascii=False), content_type="application/json")


def refused(client, db_session, url, bad, *, allowed=(422,)):
    before = row_counts(db_session)
    response = send(client, url, bad)
    assert 400 <= response.status_code < 500 and response.status_code in allowed + (400,), (response.status_code,
                                                                                          response.get_json())
    body = response.get_json()
    assert_error_shape(response.status_code, body)
    assert_nothing_written(before, row_counts(db_session), body["error"])
    return body


def sign_in(client, db_session, username):
    user_id = db_session.scalar(select(User.id).where(User.username == username))
    with client.session_transaction() as cookie:
        cookie.clear()
        cookie.update({"_user_id": str(user_id), "_fresh": True})


PLAN = {"title": "食品生产企业双随机抽查", "period_start": "2026-12-03", "period_end": "2026-12-31",
        "items": ["SC-001"], "ratios": {"A": 0.05, "B": 0.1}}
PLAN_WRONG = {"title": st.one_of(NOT_TEXT, st.sampled_from(["", "x"]), st.just("题" * 201)),
              "period_start": NOT_DATE, "period_end": NOT_DATE,
              "items": st.one_of(NOT_TEXT.filter(lambda v: not isinstance(v, list)), st.just([]),
                                 st.lists(st.text(max_size=8), min_size=1, max_size=3),
                                 st.lists(NOT_TEXT, min_size=1, max_size=2)),
              "ratios": st.one_of(NOT_TEXT.filter(lambda v: not isinstance(v, dict)),
                                  st.dictionaries(st.text(max_size=3).filter(lambda k: k not in "ABCD" or not k),
                                                  st.floats(0, 1), min_size=1, max_size=2),
                                  st.dictionaries(st.sampled_from("ABCD"), st.one_of(
                                      st.floats(allow_nan=False).filter(lambda f: not 0 <= f <= 1), NOT_INT),
                                      min_size=1, max_size=2)),
              "officers_needed": st.one_of(NOT_INT, HUGE, st.integers(-5, 1), st.integers(11, 100)),
              "campaign": st.one_of(NOT_INT, HUGE, st.integers(1, 10**6)),
              "notice_days": st.one_of(NOT_INT, HUGE, st.integers(31, 10**9)),
              "target_districts": st.one_of(st.lists(st.sampled_from(["370503", "999999", "东营区"]), min_size=1),
                                            NOT_TEXT.filter(lambda v: not isinstance(v, list))),
              "weighting": st.text(max_size=8).filter(lambda w: w not in ("ratios", "risk")),
              "lead": LONG_TEXT}


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURES)
@given(bad=bad_bodies(PLAN, PLAN_WRONG, ("title", "period_start", "period_end", "items")))
@example(bad=("body", {**PLAN, "campaign": 2**40}))
@example(bad=("body", {**PLAN, "period_end": "2026-12-01"}))
def test_bad_plans_are_refused(client, db_session, fuzz_city, bad):
    sign_in(client, db_session, "market")
    refused(client, db_session, "/api/v1/plans", bad, allowed=(404, 409, 422))


SCAN_WRONG = {"token": st.one_of(NOT_TEXT, st.text(max_size=7), st.text(min_size=65, max_size=80),
                                 st.text(min_size=8, max_size=64)),
              "lead": st.one_of(NOT_TEXT.filter(lambda v: not isinstance(v, dict)),
                                st.fixed_dictionaries({"kind": st.text(max_size=8), "reference": JSON, "item": JSON}),
                                st.fixed_dictionaries({"kind": st.sampled_from(["complaint", "referral"]),
                                                       "reference": st.text(min_size=1, max_size=64),
                                                       "item": st.sampled_from(["SC-001", "XX-1"])})),
              "emergency": st.one_of(NOT_TEXT.filter(lambda v: not isinstance(v, dict)),
                                     st.fixed_dictionaries({"kind": st.sampled_from(["accident", "hazard", "x"]),
                                                            "item": st.sampled_from(["SC-001", "XX-1"]),
                                                            "entered_at": st.one_of(NOT_DATE, st.datetimes().map(
                                                                dt.datetime.isoformat))}))}


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURES)
@given(bad=bad_bodies({"token": "x" * 24}, SCAN_WRONG, ("token",)))
@example(bad=("body", {"token": "........", "lead": None, "emergency": None}))
def test_bad_scans_are_refused_and_only_the_refusal_is_recorded(client, db_session, fuzz_city, bad):
    sign_in(client, db_session, "inspector1")
    body = refused(client, db_session, "/api/v1/scans", bad, allowed=(404, 409, 422))
    assert body["error"] in AUDITED | {"validation_failed", "bad_request", "not_found", "invalid_input",
                                       "outside_catalogue", "invalid_state"}


def test_a_scan_with_the_firms_real_code_but_no_visit_is_refused(client, db_session, fuzz_city):
    firm = db_session.scalar(select(User).where(User.username == "firm2")).firm
    token = firm_token(db_session, firm).token
    db_session.commit()
    sign_in(client, db_session, "inspector1")
    body = refused(client, db_session, "/api/v1/scans", ("body", {"token": token}))
    assert body["error"] == "scan_refused"
    assert db_session.scalar(select(EntryToken.active).where(EntryToken.token == token))


EVALUATION_WRONG = {"score": st.one_of(NOT_INT, HUGE, st.integers(-10, 0), st.integers(6, 10**12)),
                    "comment": st.one_of(NOT_TEXT, LONG_TEXT),
                    "complaint": st.one_of(NOT_TEXT, st.text(max_size=12).filter(
                        lambda t: t not in ("without_cause", "excessive", "improper_conduct")))}


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURES)
@given(bad=bad_bodies({"score": 4, "comment": "检查规范"}, EVALUATION_WRONG, ("score",)))
def test_bad_evaluations_are_refused(client, db_session, fuzz_city, bad):
    sign_in(client, db_session, "firm")
    refused(client, db_session, f"/api/v1/visits/{fuzz_city['visit_id'][0]}/evaluation", bad, allowed=(409, 422))


LEAD_WRONG = {"kind": st.one_of(NOT_TEXT, st.text(max_size=10).filter(
                  lambda k: k not in ("complaint", "referral", "accident"))),
              "received_on": st.one_of(NOT_DATE, st.just("2099-01-01")),
              "reference": st.one_of(NOT_TEXT, st.just(""), st.text(min_size=65, max_size=90)),
              "summary": st.one_of(NOT_TEXT, LONG_TEXT)}


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURES)
@given(bad=bad_bodies({"kind": "complaint", "received_on": "2026-12-01", "reference": "12345-2026-001"},
                      LEAD_WRONG, ("kind", "received_on", "reference")))
@example(bad=("body", {"kind": "complaint", "received_on": "00010101", "reference": "12345-2026-001"}))
def test_bad_leads_are_refused(client, db_session, fuzz_city, bad):
    sign_in(client, db_session, "market")
    refused(client, db_session, f"/api/v1/firms/{fuzz_city['uscc'][0]}/leads", bad)


LOGIN_WRONG = {"username": st.one_of(NOT_TEXT, st.just(""), st.text(min_size=65, max_size=80),
                                     st.text(min_size=1, max_size=64)),
               "password": st.one_of(NOT_TEXT, st.just(""), st.text(min_size=129, max_size=140),
                                     st.text(min_size=1, max_size=128).filter(lambda p: p != DEMO_PASSWORD))}


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURES)
@given(bad=bad_bodies({"username": "market", "password": "not-the-password"}, LOGIN_WRONG, ("username", "password")))
@example(bad=("body", {"username": "用" * 64, "password": "x"}))
def test_bad_sign_ins_are_refused(client, db_session, bad):
    with client.session_transaction() as cookie:
        cookie.clear()
    refused(client, db_session, "/api/v1/session", bad, allowed=(401, 422))
    assert client.get("/api/v1/me").status_code == 401


REVIEW_WRONG = {"decisions": st.one_of(NOT_TEXT.filter(lambda v: not isinstance(v, list)), st.lists(
                    st.fixed_dictionaries({"point": st.one_of(NOT_INT, HUGE, st.integers(10**6, 2**31 - 1)),
                                           "result": st.text(max_size=8)}), min_size=1, max_size=3)),
                "outcomes": st.one_of(NOT_TEXT.filter(lambda v: not isinstance(v, list)), st.lists(
                    st.fixed_dictionaries({"item": st.text(max_size=40), "outcome": st.text(max_size=8),
                                           "rectify_by": NOT_DATE}), min_size=1, max_size=2)),
                "escalation_reason": st.one_of(NOT_TEXT, LONG_TEXT)}


@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURES)
@given(bad=bad_bodies({"decisions": [{"point": 1, "result": "x"}]}, REVIEW_WRONG, ("decisions",)))
def test_bad_off_site_reviews_are_refused(client, db_session, fuzz_city, bad):
    sign_in(client, db_session, "inspector1")
    refused(client, db_session, f"/api/v1/offsite/{fuzz_city['request_id'][0]}/review", bad, allowed=(409, 422))


@settings(max_examples=50, deadline=None, suppress_health_check=FIXTURES)
@given(point=st.one_of(st.none(), st.text(max_size=12), st.integers(-5, 0).map(str), HUGE.map(str),
                       st.integers(10**6, 2**31 - 1).map(str)),
       answer=st.one_of(st.none(), st.text(max_size=50)),
       upload=st.one_of(st.none(), st.tuples(st.binary(max_size=200), st.text(max_size=30))))
@example(point="9" * 5000, answer="有", upload=None)
def test_bad_off_site_answers_are_refused(client, db_session, fuzz_city, point, answer, upload):
    """The firm answers an off-site request (multipart: point with an answer or a file) about a point
    that is not one of the request's."""
    sign_in(client, db_session, "firm")
    form = {}
    if point is not None:
        form["point"] = point
    if answer is not None:
        form["answer"] = answer
    if upload is not None:
        form["file"] = (io.BytesIO(upload[0]), upload[1])
    before = row_counts(db_session)
    response = client.post(f"/api/v1/offsite/{fuzz_city['request_id'][0]}/evidence", data=form,
                           content_type="multipart/form-data")
    assert 400 <= response.status_code < 500, response.get_json()
    body = response.get_json()
    assert_error_shape(response.status_code, body)
    assert_nothing_written(before, row_counts(db_session), body["error"])
    if answer is None or "\x00" not in answer:   # PostgreSQL cannot even compare a text holding NUL
        assert db_session.scalar(select(OffsiteEvidence.id).where(OffsiteEvidence.kind == "answer",
                                                                  OffsiteEvidence.text == answer)) is None


# -- every page's query string ------------------------------------------------------------------------

ARG_PATTERNS = (re.compile(r"""args(?:\.get)?[(\[]\s*["'](\w+)["']"""),
                re.compile(r"""(?:int|id|day)_arg\(\s*["'](\w+)["']"""),
                re.compile(r"""\b(year|month|page)_arg\((?!\s*["'])"""))
COMMON_ARGS = ("page", "year", "month", "plan", "day", "date", "status", "q", "department", "district", "since",
               "firm")
HOSTILE_VALUES = (str(10**20), "-1", "99999", "0001-01-01", "2026-12-01T00:00:00+14:00", "%ED%A0%80", "", "abc",
                  "9" * 5000)
MORE_VALUES = ("0", "%FF%00", "1e5", " 7 ", "%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96")   # ... and "２０２６"
PAGE_ROLES = (None, "market", "firm", "inspector1", "oversight", "admin")


def query_args_read_by(view) -> set[str]:
    """The query parameters a page's module reads: ``request.args.get("x")``, ``year_arg()``, ``id_arg("x")``."""
    source = inspect.getsource(inspect.getmodule(view))
    return {m for pattern in ARG_PATTERNS for m in pattern.findall(source)}


def page_path(rule, fuzz_city: dict) -> str:
    values = {"plan_id": fuzz_city["plan_id"][0], "visit_id": fuzz_city["visit_id"][0], "task_id": fuzz_city["task_id"][0],
              "request_id": fuzz_city["request_id"][0], "uscc": fuzz_city["uscc"][0], "code": "SC-001",
              "certificate_no": fuzz_city["certificate_no"][0], "fmt": "csv"}
    path = rule.rule
    for name in rule.arguments:
        value = values.get(name, 1 if f"<int:{name}>" in rule.rule else "x")
        path = re.sub(rf"<(?:\w+:)?{name}>", str(value), path)
    return path


def page_rules(app):
    return [rule for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and not rule.rule.startswith(("/api/", "/static")) and rule.endpoint != "static"]


def test_every_page_answers_hostile_query_values_without_a_server_error(app, client, db_session, fuzz_city):
    """Every GET page, as every role that may open it, with hostile values in every query parameter its
    module reads and in the common ones (``COMMON_ARGS``), all at once for each value; then, as the first
    role that may open it, each parameter its module reads alone with every value (a refusal of the first
    parameter must not hide a crash on the next). Never a 5xx; a refusal is a readable page."""
    failures, tried = [], 0

    def get(role, path, query) -> int:
        nonlocal tried
        tried += 1
        response = client.get(f"{path}?{query}" if query else path)
        response.close()
        if response.status_code >= 500:
            failures.append(f"{role} GET {path}?{query[:80]} -> {response.status_code}")
        elif response.status_code in (400, 422):
            assert has_chinese(response.get_data(as_text=True)), (path, query)
        return response.status_code

    for rule in page_rules(app):
        path = page_path(rule, fuzz_city)
        read = sorted(query_args_read_by(app.view_functions[rule.endpoint]))
        names = sorted(set(read) | set(COMMON_ARGS))
        first = True
        for role in PAGE_ROLES:
            if role:
                sign_in(client, db_session, role)
            else:
                with client.session_transaction() as cookie:
                    cookie.clear()
            if get(role, path, "") != 200:
                continue          # the role cannot open the page: its parameters are never read
            for value in HOSTILE_VALUES:
                get(role, path, "&".join(f"{n}={value}" for n in names))
            if first:
                for name in read:
                    for value in HOSTILE_VALUES + MORE_VALUES:
                        get(role, path, f"{name}={value}")
                first = False
    assert tried > 1000
    assert not failures, "\n".join(failures)
