"""Risk benchmark: does the early-warning model find more violations than class-ratio random draws?

    python -m benchmarks.risk [--firms 6000] [--years 5] [--draws 20] [--seed 20260301]   (from the repository root)

The demo city's generator gives every firm a hidden violation propensity (``inspection.demo.history.Truth``,
never stored where the platform can read it) and writes ``--years`` of past inspections from it:
half-yearly class-ratio random plans of every department, joint visits, findings per checklist point,
outcomes, complaints and leads. The platform's model is then trained as ``inspection risk train`` does,
on the earlier years, and tested on the last one, which it has not seen.

Because the generator also knows, for every firm and department, whether the firm is in breach in the
test year (visited or not), the two draws can be compared on the whole city:

- equal visit counts: in each department, the same number of firms per credit class (annual ratios
  A 6%, B 8%, C 16%, D 32%) drawn at random (prn-hmac-sha256-v1) or risk-weighted on the model's floored
  scores (prn-sps-hmac-sha256-v1), on the same fresh seeds; violations found per 100 visits;
- days earlier: the same visits of each random draw spread over the test year's working days, in random
  order (as they happen) or highest score first; the mean day a violation is found;
- for reference, picking the top scores with no random element, and weights from the true propensity.

Then the platform's own evaluation, which has no access to the truth, for comparison.
Every figure is measured on the run; nothing is hard-coded.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import select

from inspection.db import make_engine, make_session_factory, upgrade
from inspection.demo.city import build_demo_city
from inspection.demo.history import HISTORY_RATIOS, Truth, city_snapshot, generate_history
from inspection.models import Department
from inspection.operations.risk import load_history, train
from inspection.pure import draws, risk
from inspection.pure.calendar import working_days

ANNUAL = {c: 2 * r for c, r in HISTORY_RATIOS.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=6000)
    parser.add_argument("--years", type=int, default=5, help="years of history; the last one is the test year")
    parser.add_argument("--draws", type=int, default=20, help="draws of each kind per department, on fresh seeds")
    parser.add_argument("--seed", type=int, default=20260301)
    args = parser.parse_args()
    test_year = 2025
    years = list(range(test_year - args.years + 1, test_year + 1))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        upgrade(engine)
        session = make_session_factory(engine)()
        build_demo_city(session, seed=args.seed, firms=args.firms, plans=False)
        made = generate_history(session, seed=args.seed, years=years, staged=False)
        session.commit()
        print(f"history: {args.firms} firms, {years[0]}-{years[-1]}: {made['visits']:,} visits, "
              f"{made['findings']:,} findings, {made['leads']:,} complaints and leads "
              f"({time.perf_counter() - started:.0f} s)", file=sys.stderr)

        # The platform's own training and evaluation (what `inspection risk train --test-year` prints).
        now = dt.datetime(test_year + 1, 1, 15, 2, 0)
        model = train(session, None, test_year=test_year, now=now)
        own = model.metrics

        # The same recipe fitted on the training years only, scored as of the test year's first day.
        history = load_history(session)
        departments = sorted(session.scalars(select(Department.code)))
        params = risk.fit(history.examples(model.train_years), departments)
        firms, concerned = city_snapshot(session)
        truth = Truth(args.seed)
        first_day = dt.date(test_year, 1, 1)
        city = history.city_before(first_day)
        days = working_days(first_day, dt.date(test_year, 12, 31))
        rows = {"random": [0] * args.draws, "weighted": [0] * args.draws, "oracle": [0] * args.draws, "top": [0]}
        found_on, found_ranked, all_scores, all_states = [], [], [], []
        visits_total = 0
        for department in concerned:
            pool = [f for f in firms if department.items_for(f.industry, f.tags)]
            if not pool:
                continue
            raws = [history.features(f.id, department.code, first_day, city) for f in pool]
            scores = risk.predict(params, raws, [department.code] * len(pool))
            since = [min(raw["years_since_entry"], 3.0) for raw in raws]
            state = {f.uscc: truth.violates(f.uscc, f.industry, f.credit_class, department.code, test_year, s)
                     for f, s in zip(pool, since)}
            chance = {f.uscc: truth.propensity(f.uscc, f.industry, f.credit_class, department.code, test_year, s)
                      for f, s in zip(pool, since)}
            all_scores += list(scores)
            all_states += [state[f.uscc] for f in pool]
            plain = [{"uscc": f.uscc, "class": f.credit_class} for f in pool]
            weighted = [{**e, "weight": draws.draw_weight(s)} for e, s in zip(plain, scores)]
            oracle = [{**e, "weight": draws.draw_weight(chance[e["uscc"]])} for e in plain]
            score_of = {f.uscc: s for f, s in zip(pool, scores)}
            top = _top_per_class(plain, score_of)
            rows["top"][0] += sum(state[c] for c in top)
            for n in range(args.draws):
                seed = hashlib.sha256(f"bench:{department.code}:{n}".encode()).hexdigest()
                picked = draws.select(plain, ANNUAL, seed)
                rows["random"][n] += sum(state[c] for c in picked)
                rows["weighted"][n] += sum(state[c] for c in draws.select(weighted, ANNUAL, seed,
                                                                          draws.WEIGHTED_ALGORITHM))
                rows["oracle"][n] += sum(state[c] for c in draws.select(oracle, ANNUAL, seed, draws.WEIGHTED_ALGORITHM))
                actual, ranked = _found_days(picked, state, score_of, days, random.Random(seed))
                found_on += actual
                found_ranked += ranked
            visits_total += len(draws.select(plain, ANNUAL, "00" * 32))
        session.close()
        engine.dispose()

    per_draw = args.draws
    found = {k: statistics.mean(v) for k, v in rows.items()}
    auc = risk.auc(np.array(all_scores), np.array(all_states, dtype=int))
    print()
    print(f"Risk benchmark: {args.firms:,} firms, history {years[0]}-{years[-1]} generated from each firm's hidden "
          f"violation propensity (seed {args.seed})")
    print(f"Model: logistic regression on {len(risk.FEATURES)} features (no geography), trained on "
          f"{'、'.join(map(str, model.train_years))}, tested on {test_year} (first year gives history only)")
    print(f"Test year {test_year}: {len(concerned)} departments, {per_draw} draws each on fresh seeds, the same "
          f"number of firms per credit class (annual ratios A 6%, B 8%, C 16%, D 32%), {visits_total:,} visits a draw")
    print()
    print(f"{'':52}{'visits':>8}{'violations found':>18}{'per 100 visits':>16}{'sd':>6}")
    base = 100 * found["random"] / visits_total
    for key, label in (("random", "class-ratio random (prn-hmac-sha256-v1)"),
                       ("weighted", f"risk-weighted (prn-sps-hmac-sha256-v1, floor {draws.WEIGHT_FLOOR})"),
                       ("top", "top scores per class, no random element"),
                       ("oracle", "risk-weighted on the true propensity (perfect model)")):
        rate = 100 * found[key] / visits_total
        sd = statistics.stdev(100 * v / visits_total for v in rows[key]) if len(rows[key]) > 1 else 0.0
        gain = "" if key == "random" else f"  ({100 * (rate - base) / base:+.0f}%)"
        print(f"{label:52}{visits_total:>8,}{found[key]:>18,.1f}{rate:>16.1f}{sd:>6.1f}{gain}")
    print(f"{'':52}(sd: between draws on different seeds; the top-score pick has no seed)")
    print()
    print(f"AUC of the {test_year} scores against the true state of every firm-department pair: {auc:.3f}")
    mean_actual, mean_ordered = statistics.mean(found_on), statistics.mean(found_ranked)
    print(f"Days earlier: the same visits of each random draw over {test_year}'s {len(days)} working days, highest "
          f"score first instead of in random order: violations found on day {mean_ordered:.0f} instead of day "
          f"{mean_actual:.0f} on average, {mean_actual - mean_ordered:.1f} days earlier")
    print()
    equal = own["equal_visits"]
    print(f"The platform's own evaluation (inspection risk train --test-year {test_year}; no access to the truth, "
          f"re-draws half of the {test_year} visited firms): AUC {own['auc']}, per 100 visits "
          f"{equal['random_per_100']} random vs {equal['weighted_per_100']} weighted, "
          f"{own['days_earlier']['days_earlier']} days earlier ({own['examples']} inspections)")
    print(f"({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return 0


def _top_per_class(pool: list[dict], score_of: dict[str, float]) -> list[str]:
    """The n_c highest scores of each class: risk targeting with no random element."""
    chosen = []
    for credit_class in sorted({e["class"] for e in pool}):
        members = [e["uscc"] for e in pool if e["class"] == credit_class]
        n = draws.sample_size(ANNUAL.get(credit_class, 0), len(members))
        chosen += sorted(members, key=lambda c: (-score_of[c], c))[:n]
    return chosen


def _found_days(picked: list[str], state: dict[str, bool], score_of: dict[str, float], days: list[dt.date],
                rng: random.Random) -> tuple[list[int], list[int]]:
    """The days of the year violations are found when the visits, spread evenly over the working days,
    come in random order, and when they come highest score first."""
    if not picked:
        return [], []
    slots = [days[int(i * len(days) / len(picked))].timetuple().tm_yday for i in range(len(picked))]
    shuffled = picked[:]
    rng.shuffle(shuffled)
    ordered = sorted(picked, key=lambda c: (-score_of[c], c))
    return ([slot for slot, code in zip(slots, shuffled) if state[code]],
            [slot for slot, code in zip(slots, ordered) if state[code]])


if __name__ == "__main__":
    sys.exit(main())
