"""The firm draw recomputed from its published record alone, as anyone outside the platform would
(docs/protocols/draws.md): u = HMAC-SHA256(seed, uscc)[:8] / 2^64; per credit class the
ceil(r N - 1e-9) smallest (u, uscc), or (u / weight, uscc) for the weighted algorithm."""
from __future__ import annotations

import hashlib
import hmac
import json
import math


def independent_selection(record: dict, *, check_digests: bool = True) -> list[str]:
    """The selection the record proves. With ``check_digests`` the seed must match its published
    commitment and the pool its published SHA-256 (records made up by property tests have neither)."""
    seed = bytes.fromhex(record["seed"])
    pool = sorted(record["pool"], key=lambda e: e["uscc"])
    if check_digests:
        assert hashlib.sha256(seed).hexdigest() == record["seed_commitment"]
        canonical = json.dumps(pool, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        assert hashlib.sha256(canonical).hexdigest() == record["pool_sha256"]
    weighted = record["algorithm"] == "prn-sps-hmac-sha256-v1"
    selected = []
    for credit_class in sorted({e["class"] for e in pool}):
        entries = [e for e in pool if e["class"] == credit_class]

        def key(e):
            u = int.from_bytes(hmac.new(seed, e["uscc"].encode("ascii"), "sha256").digest()[:8], "big") / 2**64
            return (u / e["weight"] if weighted else u), e["uscc"]

        n = min(len(entries), math.ceil(record["ratios"].get(credit_class, 0) * len(entries) - 1e-9))
        selected += [e["uscc"] for e in sorted(entries, key=key)[:n]]
    return selected
