"""The firm draw (双随机): algorithm ``prn-hmac-sha256-v1`` of INTERFACES.md §1.

Plain functions over plain data, so that the platform and anyone outside it compute
the same selection from the published record.

- Commit, then reveal: at filing only ``sha256(seed)`` is published; the seed itself
  is revealed in the draw record.
- Each firm's permanent random number ``u`` comes from HMAC-SHA256 keyed by the seed
  over the firm's code: plans sharing a seed (a joint campaign) pick overlapping firms,
  which is what lets departments visit together.
- Per credit class ``c``: ``n_c = min(N_c, ceil(r_c * N_c - 1e-9))`` of the eligible
  pool, the ``n_c`` smallest ``(u, uscc)``.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import math
import secrets
from collections import defaultdict

ALGORITHM = "prn-hmac-sha256-v1"
CLASSES = ("A", "B", "C", "D")


def canonical_json(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def new_seed() -> str:
    return secrets.token_hex(32)


def commitment(seed: str) -> str:
    return hashlib.sha256(bytes.fromhex(seed)).hexdigest()


def firm_number(seed: str, uscc: str) -> float:
    """The firm's permanent random number ``u`` in [0, 1)."""
    digest = hmac.new(bytes.fromhex(seed), uscc.encode("ascii"), "sha256").digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def officer_rank_key(seed: str, uscc: str, certificate_no: str) -> bytes:
    """Officers for a selected firm are ranked by this key, ascending."""
    return hmac.new(bytes.fromhex(seed), f"officer:{uscc}:{certificate_no}".encode("utf-8"), "sha256").digest()


def sample_size(ratio: float, eligible: int) -> int:
    return min(eligible, math.ceil(ratio * eligible - 1e-9))


def select(pool: list[dict], ratios: dict[str, float], seed: str) -> list[str]:
    """The selected codes, in order of class and then ``(u, uscc)``."""
    by_class: dict[str, list[str]] = defaultdict(list)
    for entry in pool:
        by_class[entry["class"]].append(entry["uscc"])
    selected: list[str] = []
    for credit_class in sorted(by_class):
        codes = by_class[credit_class]
        n = sample_size(float(ratios.get(credit_class, 0)), len(codes))
        selected += sorted(codes, key=lambda code: (firm_number(seed, code), code))[:n]
    return selected


def pool_digest(pool: list[dict]) -> str:
    return hashlib.sha256(canonical_json(sorted(pool, key=lambda e: e["uscc"]))).hexdigest()


def build_record(*, plan: str, campaign: str | None, seed: str, committed_at: str, drawn_at: str,
                 ratios: dict[str, float], pool: list[dict], excluded: list[dict]) -> dict:
    pool = sorted(pool, key=lambda e: e["uscc"])
    return {"algorithm": ALGORITHM, "plan": plan, "campaign": campaign, "seed": seed,
            "seed_commitment": commitment(seed), "committed_at": committed_at, "drawn_at": drawn_at,
            "ratios": ratios, "pool": pool, "excluded": sorted(excluded, key=lambda e: e["uscc"]),
            "selected": select(pool, ratios, seed), "pool_sha256": pool_digest(pool)}


def verify_record(record: dict, published_commitment: str | None = None) -> list[str]:
    """Everything wrong with a draw record; empty when it re-computes exactly."""
    problems = []
    if record.get("algorithm") != ALGORITHM:
        problems.append(f"算法应为 {ALGORITHM}，记录为 {record.get('algorithm')}")
        return problems
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
    if select(record.get("pool", []), record.get("ratios", {}), seed) != record.get("selected"):
        problems.append("按种子重新计算的抽中名单与记录不符")
    return problems
