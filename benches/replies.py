"""Benchmark: reply understanding on the held-out split of the shipped corpus.

    python benches/replies.py [--repeat 20]

Fits the classifier on the training split (as `saldo replies train` does with no staff
labels), then prints per language: macro-F1 over the seven intents (target >= 0.85), exact
promise-date accuracy (target >= 0.90), amount and language accuracy; and throughput on one
core (numerical libraries pinned to one thread, so the process uses one core; measured in CPU
seconds, which a busy shared machine does not inflate, with wall time beside it): the
held-out replies repeated ``--repeat`` times through the whole pipeline in batches of 500
(target >= 1,000 messages/s), and one at a time.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from replies.corpus import load_corpus  # noqa: E402
from replies.evaluate import evaluate, fit_model  # noqa: E402
from replies.understand import understand_many  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    started = time.perf_counter()
    model = fit_model()
    print(f"fitted on {model.n_train_} training replies in {time.perf_counter() - started:.1f} s")
    report = evaluate(model)
    print("held-out   n   macro-F1  promise dates (n)  amounts  language")
    for language, m in report.items():
        dates = m["promise_date_accuracy"]
        amounts = m["amount_accuracy"]
        print(f"{language:<6} {m['n']:>5}   {m['macro_f1']:.3f}     "
              f"{'n/a' if dates is None else f'{dates:.3f}'} ({m['n_dated_promises']:>3})"
              f"        {'n/a' if amounts is None else f'{amounts:.3f}'}    "
              f"{m['language_accuracy']:.3f}")
    rows = load_corpus("heldout")
    texts = [r["text"] for r in rows] * args.repeat
    days = [date.fromisoformat(r["today"]) for r in rows] * args.repeat
    understand_many(texts[:50], days[:50], model)  # warm caches (dateparser's language data)
    started, cpu = time.perf_counter(), time.process_time()
    for at in range(0, len(texts), 500):
        understand_many(texts[at:at + 500], days[at:at + 500], model)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    single = texts[:300]
    one_cpu = time.process_time()
    for text, day in zip(single, days[:300], strict=True):
        understand_many([text], day, model)
    one_cpu = time.process_time() - one_cpu
    print(f"throughput, one core: {len(texts) / cpu:,.0f} messages per CPU second in batches "
          f"of 500 ({len(texts):,} messages; {len(texts) / wall:,.0f}/s of wall time on this "
          f"machine's shared cores); {len(single) / one_cpu:,.0f} per CPU second one at a time")


if __name__ == "__main__":
    main()
