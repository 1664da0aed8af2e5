import numpy as np
import pytest

from mtlsynth import TaskKFold


@pytest.mark.parametrize("shuffle", [False, True])
def test_every_task_in_every_training_fold(shuffle):
    rng = np.random.default_rng(0)
    tasks = rng.choice(["a", "b", "c", "d"], size=103, p=[0.6, 0.3, 0.08, 0.02])
    cv = TaskKFold(5, shuffle=shuffle, random_state=0)
    tested = np.zeros(len(tasks), int)
    for train, test in cv.split(np.zeros((103, 1)), tasks=tasks):
        assert set(tasks[train]) == set(tasks)
        assert len(np.intersect1d(train, test)) == 0
        assert len(train) + len(test) == len(tasks)
        tested[test] += 1
        for t in np.unique(tasks):
            share = np.mean(tasks[test] == t) if len(test) else 0
            assert share <= np.mean(tasks == t) + 0.1
    assert tested.max() == 1


def test_single_sample_task_never_tested():
    tasks = np.array([0, 0, 0, 0, 1])
    for train, test in TaskKFold(2).split(np.zeros((5, 1)), tasks=tasks):
        assert 4 in train and 4 not in test


def test_groups_stay_whole():
    tasks = np.repeat(["x", "y"], 12)
    groups = np.repeat(np.arange(8), 3)
    for train, test in TaskKFold(3).split(
        np.zeros((24, 1)), tasks=tasks, groups=groups
    ):
        assert not set(groups[train]) & set(groups[test])
        assert set(tasks[train]) == {"x", "y"}


def test_errors():
    with pytest.raises(ValueError, match="needs tasks="):
        next(TaskKFold().split(np.zeros((4, 1))))
    with pytest.raises(ValueError, match="groups must have shape"):
        next(TaskKFold(2).split(np.zeros((4, 1)), tasks=[0, 0, 1, 1], groups=[1]))
    with pytest.raises(ValueError, match="n_splits"):
        TaskKFold(1)
