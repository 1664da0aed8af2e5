import numpy as np
import pytest

from mtlsynth import stack_tasks, unstack_tasks
from mtlsynth.utils.validation import check_sample_weight, encode_tasks, lookup_tasks


def test_encode_tasks_sorts_labels():
    labels, codes = encode_tasks(["b", "a", "b", "c"], 4)
    assert labels.tolist() == ["a", "b", "c"]
    assert codes.tolist() == [1, 0, 1, 2]
    labels, codes = encode_tasks(None, 3)
    assert labels.tolist() == [0]
    assert codes.tolist() == [0, 0, 0]


@pytest.mark.parametrize(
    ("tasks", "message"),
    [
        ([1.5, 2.0], "integer or string labels"),
        ([np.nan, 1.0], "integer or string labels"),
        (np.array([1, "a"], dtype=object), "all of one kind"),
        ([None, None], "all of one kind"),
        ([[0], [1]], "1-D"),
        ([0, 1, 2], "3 labels but X has 2 samples"),
    ],
)
def test_bad_task_labels(tasks, message):
    with pytest.raises(ValueError, match=message):
        encode_tasks(tasks, 2)


def test_integral_floats_and_objects_are_accepted():
    assert encode_tasks([1.0, 0.0], 2)[1].tolist() == [1, 0]
    assert encode_tasks(np.array(["x", "y"], dtype=object), 2)[0].tolist() == ["x", "y"]


def test_lookup_marks_unseen_and_other_kinds():
    known = np.array(["en-GB", "en-US"])
    assert lookup_tasks(known, ["en-US", "fr", "en-GB"], 3).tolist() == [1, -1, 0]
    assert lookup_tasks(known, [0, 1], 2).tolist() == [-1, -1]
    assert lookup_tasks(np.array([2, 5]), [5, 9], 2).tolist() == [1, -1]


def test_check_sample_weight():
    np.testing.assert_array_equal(check_sample_weight(None, 3), [1, 1, 1])
    np.testing.assert_array_equal(check_sample_weight(2.0, 2), [2, 2])
    with pytest.raises(ValueError, match="zero everywhere"):
        check_sample_weight([0, 0], 2)
    with pytest.raises(ValueError, match="NaN"):
        check_sample_weight([np.nan, 1], 2)


def test_stack_and_unstack_round_trip():
    rng = np.random.default_rng(0)
    Xs = [rng.normal(size=(n, 3)) for n in (4, 1, 6)]
    ys = [rng.normal(size=(n, 2)) for n in (4, 1, 6)]
    X, y, tasks = stack_tasks(Xs, ys, labels=["c", "a", "b"])
    assert X.shape == (11, 3) and y.shape == (11, 2)
    labels, Xs2, ys2 = unstack_tasks(X, y, tasks)
    assert labels.tolist() == ["a", "b", "c"]
    for label, x2, y2 in zip(labels, Xs2, ys2, strict=True):
        i = ["c", "a", "b"].index(label)
        np.testing.assert_array_equal(x2, Xs[i])
        np.testing.assert_array_equal(y2, ys[i])


@pytest.mark.parametrize(
    ("Xs", "ys", "message"),
    [
        ([np.ones((2, 3))], [np.ones(3)], "X has 2 rows but y has 3"),
        (
            [np.ones((2, 3)), np.ones((2, 4))],
            [np.ones(2)] * 2,
            "same number of features",
        ),
        ([np.ones((2, 3))], [np.ones(2)] * 2, "1 input arrays but 2 target"),
        ([], [], "at least one task"),
    ],
)
def test_stack_tasks_errors(Xs, ys, message):
    with pytest.raises(ValueError, match=message):
        stack_tasks(Xs, ys)
