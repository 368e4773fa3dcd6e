"""The firm draw (双随机): algorithms ``prn-hmac-sha256-v1`` and ``prn-sps-hmac-sha256-v1``,
described in docs/protocols/draws.md.

Plain functions over plain data, so that the platform and anyone outside it compute
the same selection from the published record.

- Commit, then reveal: at filing only ``sha256(seed)`` is published; the seed itself
  is revealed in the draw record.
- Each firm's permanent random number ``u`` comes from HMAC-SHA256 keyed by the seed
  over the firm's code: plans sharing a seed (a joint campaign) pick overlapping firms,
  which is what lets departments visit together.
- Per credit class ``c``: ``n_c = min(N_c, ceil(r_c * N_c - 1e-9))`` of the eligible
  pool, the ``n_c`` smallest ``(u, uscc)``.
- Risk-weighted (sequential Poisson sampling on the same numbers): each pool entry carries a
  ``weight`` w > 0 and the ``n_c`` smallest ``(u / w, uscc)`` are selected. A firm of weight w is
  drawn about w / (mean weight) times as often as under the plain draw, and never with chance zero:
  the weights are floored (the random element). Same seed, same ``u``: joint campaigns stay coordinated.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import math
import secrets
from collections import defaultdict

ALGORITHM = "prn-hmac-sha256-v1"
WEIGHTED_ALGORITHM = "prn-sps-hmac-sha256-v1"
ALGORITHMS = (ALGORITHM, WEIGHTED_ALGORITHM)
CLASSES = ("A", "B", "C", "D")
# Weights are published with four decimals within [WEIGHT_FLOOR, WEIGHT_CEILING]: never an integer, so
# that every language's JSON writes them as Python does (pool_sha256), and never zero (every firm drawable).
WEIGHT_FLOOR = 0.05
WEIGHT_CEILING = 0.9999


def canonical_json(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def new_seed() -> str:
    return secrets.token_hex(32)


def commitment(seed: str) -> str:
    return hashlib.sha256(bytes.fromhex(seed)).hexdigest()


def firm_numbers(seed: str, codes) -> dict[str, float]:
    """Each firm's permanent random number ``u`` in [0, 1): the first 8 bytes of HMAC-SHA256(seed, uscc)
    over 2**64 (one keyed HMAC state, copied for each firm)."""
    base = hmac.new(bytes.fromhex(seed), digestmod="sha256")
    numbers = {}
    for code in codes:
        mac = base.copy()
        mac.update(code.encode("ascii"))
        numbers[code] = int.from_bytes(mac.digest()[:8], "big") / 2**64
    return numbers


def officer_rank_key(seed: str, uscc: str, certificate_no: str) -> bytes:
    """Officers for a selected firm are ranked by this key, ascending."""
    return hmac.new(bytes.fromhex(seed), f"officer:{uscc}:{certificate_no}".encode(), "sha256").digest()


def sample_size(ratio: float, eligible: int) -> int:
    return min(eligible, math.ceil(ratio * eligible - 1e-9))


def draw_weight(score: float | None, floor: float = WEIGHT_FLOOR) -> float:
    """A firm's published weight: its risk score floored, four decimals."""
    value = floor if score is None else min(max(float(score), floor), WEIGHT_CEILING)
    return round(value, 4)


def select(pool: list[dict], ratios: dict[str, float], seed: str, algorithm: str = ALGORITHM) -> list[str]:
    """The selected codes, in order of class and then key: ``(u, uscc)``, or ``(u / weight, uscc)`` weighted."""
    weighted = algorithm == WEIGHTED_ALGORITHM
    numbers = firm_numbers(seed, (entry["uscc"] for entry in pool))

    def key(entry: dict) -> tuple[float, str]:
        u = numbers[entry["uscc"]]
        return (u / entry["weight"] if weighted else u), entry["uscc"]

    by_class: dict[str, list[dict]] = defaultdict(list)
    for entry in pool:
        by_class[entry["class"]].append(entry)
    selected: list[str] = []
    for credit_class in sorted(by_class):
        entries = by_class[credit_class]
        n = sample_size(float(ratios.get(credit_class, 0)), len(entries))
        selected += [e["uscc"] for e in sorted(entries, key=key)[:n]]
    return selected


def pool_digest(pool: list[dict]) -> str:
    return hashlib.sha256(canonical_json(sorted(pool, key=lambda e: e["uscc"]))).hexdigest()


def build_record(*, plan: str, campaign: str | None, seed: str, committed_at: str, drawn_at: str,
                 ratios: dict[str, float], pool: list[dict], excluded: list[dict],
                 risk_model: str | None = None, weight_floor: float = WEIGHT_FLOOR) -> dict:
    """The published record; with ``risk_model`` (its version) the pool entries carry weights and the
    draw is ``prn-sps-hmac-sha256-v1``."""
    algorithm = WEIGHTED_ALGORITHM if risk_model is not None else ALGORITHM
    pool = sorted(pool, key=lambda e: e["uscc"])
    record = {"algorithm": algorithm, "plan": plan, "campaign": campaign, "seed": seed,
              "seed_commitment": commitment(seed), "committed_at": committed_at, "drawn_at": drawn_at,
              "ratios": ratios, "pool": pool, "excluded": sorted(excluded, key=lambda e: e["uscc"]),
              "selected": select(pool, ratios, seed, algorithm), "pool_sha256": pool_digest(pool)}
    if risk_model is not None:
        record.update({"risk_model": risk_model, "weight_floor": weight_floor})
    return record


def _bad_weights(pool: list[dict]) -> list[str]:
    return [e.get("uscc", "?") for e in pool
            if isinstance(e.get("weight"), bool) or not isinstance(e.get("weight"), (int, float))
            or not 0 < e["weight"] < float("inf")]


def verify_record(record: dict, published_commitment: str | None = None) -> list[str]:
    """Everything wrong with a draw record; empty when it re-computes exactly."""
    problems = []
    algorithm = record.get("algorithm")
    if algorithm not in ALGORITHMS:
        problems.append(f"算法应为 {' 或 '.join(ALGORITHMS)}，记录为 {algorithm}")
        return problems
    if algorithm == WEIGHTED_ALGORITHM:
        bad = _bad_weights(record.get("pool", []))
        if bad:
            return [f"风险加权抽取的每家企业须有大于 0 的权重（weight），{len(bad)} 家没有：{'、'.join(bad[:5])}"]
    seed = record.get("seed") or ""
    try:
        seed_commitment = commitment(seed)
    except ValueError:
        return ["种子不是十六进制"]
    if seed_commitment != record.get("seed_commitment"):
        problems.append("种子与其承诺值（seed_commitment）不符")
    if published_commitment is not None and published_commitment != record.get("seed_commitment"):
        problems.append("记录中的承诺值与备案时公布的承诺值不符")
    if pool_digest(record.get("pool", [])) != record.get("pool_sha256"):
        problems.append("抽取池与其摘要（pool_sha256）不符")
    pooled = {e["uscc"] for e in record.get("pool", [])}
    if pooled & {e["uscc"] for e in record.get("excluded", [])}:
        problems.append("有企业同时出现在抽取池与排除名单中")
    if select(record.get("pool", []), record.get("ratios", {}), seed, algorithm) != record.get("selected"):
        problems.append("按种子重新计算的抽中名单与记录不符")
    return problems
