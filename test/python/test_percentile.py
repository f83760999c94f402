"""The Python percentile history against numpy itself (np.percentile, method linear) and
against a sorted-list reference, through block splits and merges, windows and ties; and the
order-statistic structure on its own."""

import json
import math
import os
import random
from bisect import insort
from collections import deque

import pytest

from conformance_support import ROOT
from gradpilot.controller.norm_log import NormLog
from gradpilot.controller.order_stat_tree import LOAD, OrderStatTree
from gradpilot.controller.percentile import percentile_of_sorted
from gradpilot.controller.percentile_history import PercentileHistory, float64_sorted

np = pytest.importorskip("numpy")

PS = [0, 100, 10, 50, 99.9, 0.5, 33.333333333333336, 12.5, 100 - 1e-12, 66.7, 1e-9]


def _same(a, b):
    return a == b and math.copysign(1, a) == math.copysign(1, b)


@pytest.mark.parametrize("window", [None, 1, 2, 17, 3 * LOAD])
@pytest.mark.parametrize("kind", ["wide", "ties", "lognormal"])
def test_should_equal_numpy_step_by_step(kind, window):
    rng = np.random.default_rng(len(kind) * 1000 + (window or 0))
    n = 4 * LOAD + 300  # enough to split blocks several times, and to merge them under a window
    if kind == "wide":
        values = rng.random(n) * 10.0 ** rng.integers(-8, 9, n)
    elif kind == "ties":
        values = rng.integers(0, 5, n) * 0.25
    else:
        values = rng.lognormal(0, 1, n)
    log = NormLog()
    history = PercentileHistory(log, window)
    for k, v in enumerate(values.tolist(), 1):
        log.push(v)
        history.added(v)
        if k <= 20 or k % 797 == 0 or k == n:
            current = values[max(0, k - window):k] if window else values[:k]
            for p in PS:
                want = float(np.percentile(current, p))
                assert _same(history.percentile(p), want), (k, p)
            assert history.sorted() == sorted(current.tolist())


def test_should_give_numpys_doubles_on_the_ts_fixture():
    # test/fixtures/percentile-fixtures.json: numpy's own answers, including the inputs on
    # which the textbook interpolation is off by an ulp.
    with open(os.path.join(ROOT, "test", "fixtures", "percentile-fixtures.json")) as f:
        fixture = json.load(f)
    assert fixture["textbookDiffers"] > 0
    # One pass per series and window answers every case over it.
    groups = {}
    for case in fixture["cases"]:
        groups.setdefault((case["series"], case["window"]), []).append(case)
    checks = 0
    for (series, window), cases in groups.items():
        wanted = {}
        for case in cases:
            for k, want in zip(case["steps"], case["expected"]):
                wanted.setdefault(k, []).append((case["p"], want, case["name"]))
        log = NormLog()
        history = PercentileHistory(log, window)
        for k, v in enumerate(fixture["series"][series][: max(wanted)], 1):
            log.push(float(v))
            history.added(float(v))
            for p, want, name in wanted.get(k, ()):
                assert history.percentile(p) == want, (name, k)
                checks += 1
    assert checks == sum(len(c["steps"]) for c in fixture["cases"])


def test_should_restore_the_same_tree_from_a_log_as_from_steps():
    rng = random.Random(3)
    values = [rng.choice([0.0, -0.0, 1.0, rng.random()]) for _ in range(5000)]
    for window in (None, 700):
        log = NormLog()
        stepped = PercentileHistory(log, window)
        for v in values:
            log.push(v)
            stepped.added(v)
        loaded = PercentileHistory(log, window)  # a policy change or a restore builds it from the log
        # The TS full-history tree is bulk-loaded as Float64Array sorts: -0 before +0.
        want = float64_sorted(values) if window is None else None
        if want is not None:
            assert [math.copysign(1, v) for v in loaded.sorted()] == [math.copysign(1, v) for v in want]
        assert loaded.sorted() == stepped.sorted()


def test_should_sort_as_float64_array_sorts():
    assert [math.copysign(1, v) for v in float64_sorted([0.0, -0.0, 1.0, -0.0, 0.0, -1.0])] == [-1, -1, -1, 1, 1, 1]
    assert float64_sorted([3.0, -0.0, 2.0]) == [-0.0, 2.0, 3.0]


def test_should_keep_exact_order_statistics_through_random_inserts_and_deletes():
    rng = random.Random(5)
    tree = OrderStatTree()
    reference = []
    order = deque()  # values in arrival order, the oldest first, as a sliding window sees them
    for op in range(40_000):
        if order and rng.random() < (0.4 if op < 20_000 else 0.6):
            v = order.popleft()
            tree.delete(v)
            reference.remove(v)
        else:
            v = float(rng.randrange(50))
            tree.insert(v)
            insort(reference, v)
            order.append(v)
        if op % 4000 == 0 or len(reference) < 3:
            assert tree.size == len(reference)
            assert tree.to_list() == reference
            for k in range(0, len(reference), 97):
                assert tree.at(k) == reference[k]
            for k in range(0, len(reference) - 1, 89):
                assert tree.at_pair(k) == (reference[k], reference[k + 1])
    with pytest.raises(KeyError, match="no value 12345.5"):
        tree.delete(12345.5)
    with pytest.raises(IndexError):
        tree.at(tree.size)


def test_should_refuse_deletes_when_insert_only_and_load_only_when_empty():
    tree = OrderStatTree(deletable=False)
    tree.load_sorted([float(v) for v in range(10_000)])
    tree.insert(0.5)
    assert tree.at(1) == 0.5 and tree.size == 10_001
    with pytest.raises(RuntimeError, match="insert-only"):
        tree.delete(0.5)
    with pytest.raises(RuntimeError, match="empty"):
        tree.load_sorted([1.0])


def test_should_reject_an_empty_array_and_p_outside_the_range():
    with pytest.raises(ValueError, match="at least one value"):
        percentile_of_sorted([], 10)
    with pytest.raises(ValueError, match=r"p in \[0, 100\], got 101"):
        percentile_of_sorted([1.0], 101)
    assert percentile_of_sorted([1.0, 2.0, 3.0, 4.0], 10) == 1.3
