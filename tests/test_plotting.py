import subprocess
import sys

import matplotlib
import numpy as np
import pytest
from scipy.cluster.hierarchy import dendrogram, linkage
from scipy.spatial.distance import pdist

from mtlsynth import SharedLeastSquares, TaskRelationRegressor, task_similarity
from mtlsynth.datasets import make_clustered_tasks
from mtlsynth.plotting import plot_task_similarity

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def tick_texts(ax):
    return (
        [t.get_text() for t in ax.get_xticklabels()],
        [t.get_text() for t in ax.get_yticklabels()],
    )


def clustered_vectors(seed=0):
    """Six task vectors in two groups of three, labels shuffled."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(2, 8))
    V = centres[[0, 1, 0, 1, 0, 1]] + 0.1 * rng.normal(size=(6, 8))
    V /= np.linalg.norm(V, axis=1, keepdims=True)
    return np.array(["a", "b", "c", "d", "e", "f"]), V


def test_ticks_follow_average_linkage_of_one_minus_similarity():
    labels, V = clustered_vectors()
    S = V @ V.T
    ax = plot_task_similarity((labels, S))
    # reference: scipy's average linkage on cosine distances of the vectors
    tree = dendrogram(linkage(pdist(V, "cosine"), "average"), no_plot=True)
    expected = labels[tree["leaves"]].tolist()
    xs, ys = tick_texts(ax)
    assert xs == expected and ys == expected
    shown = ax.get_images()[0].get_array()
    order = tree["leaves"]
    np.testing.assert_allclose(shown, S[np.ix_(order, order)])
    groups = [set(expected[:3]), set(expected[3:])]
    assert sorted(map(sorted, groups)) == [["a", "c", "e"], ["b", "d", "f"]]


def test_two_copies_of_a_task_sit_together():
    rng = np.random.default_rng(1)
    V = rng.normal(size=(5, 10))
    V = np.vstack([V, V[2]])  # "copy" duplicates "t2"
    V /= np.linalg.norm(V, axis=1, keepdims=True)
    labels = np.array(["t0", "t1", "t2", "t3", "t4", "copy"])
    xs, _ = tick_texts(plot_task_similarity((labels, V @ V.T)))
    assert abs(xs.index("t2") - xs.index("copy")) == 1


def test_dendrogram_is_beside_the_matrix_with_the_same_leaves():
    labels, V = clustered_vectors(2)
    fig, ax = plt.subplots()
    assert plot_task_similarity((labels, V @ V.T), ax=ax) is ax
    others = [a for a in fig.axes if a is not ax]
    assert len(others) == 2  # dendrogram and colour bar
    fig.canvas.draw()  # the divider places the axes when drawing
    box = {a: a.get_window_extent() for a in fig.axes}
    tree = min(others, key=lambda a: box[a].x0)
    assert box[tree].x1 <= box[ax].x0
    assert np.isclose(box[tree].height, box[ax].height)
    assert tree.collections or tree.lines  # the links are drawn
    fig2, ax2 = plt.subplots()
    plot_task_similarity((labels, V @ V.T), ax=ax2, dendrogram=False, colorbar=False)
    assert fig2.axes == [ax2]
    assert tick_texts(ax2) == tick_texts(ax)


def test_accepts_a_fitted_model():
    X, y, tasks, _ = make_clustered_tasks(
        40, n_tasks=6, n_features=10, noise=0.1, random_state=0
    )
    for model in (SharedLeastSquares(alpha_shared=1e6), TaskRelationRegressor(0.1)):
        model.fit(X, y, tasks=tasks)
        labels, S = task_similarity(model)
        ax = plot_task_similarity(model)
        xs, _ = tick_texts(ax)
        assert sorted(xs) == sorted(str(t) for t in labels)
        # clusters are t % 2: even tasks together, odd tasks together
        assert {int(t) % 2 for t in xs[:3]} in ({0}, {1})


def test_nan_similarity_and_one_task():
    S = np.array([[1.0, np.nan, 0.5], [np.nan, np.nan, np.nan], [0.5, np.nan, 1.0]])
    xs, _ = tick_texts(plot_task_similarity((["a", "zero", "b"], S)))
    assert sorted(xs) == ["a", "b", "zero"]
    assert abs(xs.index("a") - xs.index("b")) == 1
    xs, _ = tick_texts(plot_task_similarity((["only"], [[1.0]])))
    assert xs == ["only"]


@pytest.mark.parametrize(
    "labels, matrix, message",
    [
        (["a", "b"], np.ones((2, 3)), "must be square"),
        (["a", "b"], np.ones(4), "must be square"),
        (["a", "b"], [[1.0, 0.2], [0.5, 1.0]], "must be symmetric; S - S' reaches 0.3"),
        (["a", "b", "c"], np.eye(2), "Got 3 labels for a 2 x 2"),
    ],
)
def test_rejects_bad_input(labels, matrix, message):
    with pytest.raises(ValueError, match=message.replace("'", ".")):
        plot_task_similarity((labels, matrix))


def test_rejects_what_is_neither_model_nor_pair():
    with pytest.raises(TypeError, match=r"fitted multi-task model or a \(labels"):
        plot_task_similarity(3.0)


def test_importing_does_not_import_matplotlib_and_missing_matplotlib_is_named():
    code = (
        "import sys; import mtlsynth, mtlsynth.plotting;"
        "assert 'matplotlib' not in sys.modules;"
        "sys.modules['matplotlib'] = None; sys.modules['matplotlib.pyplot'] = None\n"
        "try:\n"
        "    mtlsynth.plotting.plot_task_similarity((['a'], [[1.0]]))\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "pip install mtlsynth[plots]" in out


def test_saves_a_png_with_agg(tmp_path):
    labels, V = clustered_vectors()
    ax = plot_task_similarity((labels, V @ V.T), title="cosine")
    assert matplotlib.get_backend().lower() == "agg"
    ax.figure.savefig(tmp_path / "s.png")
    assert (tmp_path / "s.png").read_bytes()[:4] == b"\x89PNG"
