"""Fitting from statistics computed by workers of a dask.distributed cluster."""

import sys

import cloudpickle
import dask
import dask.array as da
import joblib
import numpy as np
import pytest
from distributed import Client, LocalCluster

from mtlsynth import FISTA, ProximalRegressor, SharedLeastSquares, accumulate_statistics
from mtlsynth.datasets import make_related_tasks
from mtlsynth.penalties import L21

# Workers cannot import this test module: ship its functions by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def load_npz(path):
    """Loader run on the workers: one chunk of rows from an .npz file."""
    with np.load(path, allow_pickle=False) as data:
        return data["X"], data["y"], data["tasks"]


@pytest.fixture(scope="module")
def chunk_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("chunks")
    X, y, tasks, _ = make_related_tasks(
        [400, 300, 50],
        n_features=12,
        n_targets=4,
        labels=["us", "gb", "sc"],
        random_state=0,
    )
    order = np.random.default_rng(0).permutation(len(X))
    files = []
    for i, part in enumerate(np.array_split(order, 7)):
        files.append(folder / f"chunk{i}.npz")
        np.savez(files[-1], X=X[part], y=y[part], tasks=tasks[part])
    return files, X, y, tasks


def test_distributed_fit_equals_in_memory_fit(chunk_files):
    files, X, y, tasks = chunk_files
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        with joblib.parallel_config(backend="dask"):
            stats = accumulate_statistics(load_npz, [str(f) for f in files])
        worker_pids = set(client.run(lambda: __import__("os").getpid()).values())
    assert len(worker_pids) == 2
    distributed_model = SharedLeastSquares(0.5, 2.0).fit_statistics(stats)
    memory_model = SharedLeastSquares(0.5, 2.0).fit(X, y, tasks=tasks)
    np.testing.assert_array_equal(distributed_model.tasks_, memory_model.tasks_)
    np.testing.assert_allclose(distributed_model.coef_, memory_model.coef_, rtol=1e-10)
    np.testing.assert_allclose(
        distributed_model.intercept_, memory_model.intercept_, rtol=1e-10
    )


def test_chunked_processes_equal_in_memory_fit(chunk_files):
    files, X, y, tasks = chunk_files
    stats = accumulate_statistics(load_npz, [str(f) for f in files], n_jobs=2)
    model = SharedLeastSquares().fit_statistics(stats)
    reference = SharedLeastSquares().fit(X, y, tasks=tasks)
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-10)


def test_bad_chunk_is_named(chunk_files):
    files, *_ = chunk_files

    def load_bad(path):
        X, y, tasks = load_npz(path)
        if path.endswith("chunk3.npz"):
            X = X.copy()
            X[0, 0] = np.nan
        return X, y, tasks

    with pytest.raises(ValueError, match="chunk3.npz.*NaN"):
        accumulate_statistics(load_bad, [str(f) for f in files])
    with pytest.raises(ValueError, match="must return"):
        accumulate_statistics(lambda item: item, [1])
    with pytest.raises(ValueError, match="no items"):
        accumulate_statistics(load_npz, [])


@pytest.mark.parametrize(
    "make_model",
    [
        lambda: SharedLeastSquares(0.5, 2.0),
        lambda: ProximalRegressor(L21(0.01), solver=FISTA(tol=1e-10, max_iter=5000)),
    ],
    ids=["shared", "proximal"],
)
def test_dask_arrays_fit_like_numpy_arrays(chunk_files, make_model):
    _, X, y, tasks = chunk_files
    X_dask = da.from_array(X, chunks=(130, 5))
    y_dask = da.from_array(y, chunks=(90, 4))
    with dask.config.set(scheduler="synchronous"):
        lazy = make_model().fit(X_dask, y_dask, tasks=tasks)
    eager = make_model().fit(X, y, tasks=tasks)
    np.testing.assert_allclose(lazy.coef_, eager.coef_, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(
        lazy.predict(X, tasks=tasks), eager.predict(X, tasks=tasks)
    )
    assert lazy.n_features_in_ == X.shape[1]
    with pytest.raises(ValueError, match="tasks has shape"):
        make_model().fit(X_dask, y_dask, tasks=tasks[:-1])
    with pytest.raises(ValueError, match="features"):
        make_model().fit(X_dask, y_dask, tasks=tasks).partial_fit(X_dask[:, :3], y_dask)
