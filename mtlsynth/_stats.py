"""Per-task sufficient statistics of a weighted least-squares problem.

For every task t the statistics hold the total weight, the weighted means of
``x`` and ``y`` and the centred scatter matrices

    XX_t = sum_i s_i (x_i - xbar_t)' (x_i - xbar_t)
    XY_t = sum_i s_i (x_i - xbar_t)' (y_i - ybar_t)
    YY_t = sum_i s_i (y_i - ybar_t)' (y_i - ybar_t)

They are computed in one pass over row chunks with a shift (the mean of the
first chunk) so that large offsets do not cancel, and two sets of statistics
merge exactly with the pairwise update of Chan, Golub and LeVeque. Merging is
what ``partial_fit``, out-of-core and distributed fitting use.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
from scipy import sparse
from scipy.linalg import blas

from mtlsynth.utils.blas import blas_thread_count, map_in_threads

__all__ = [
    "TaskStatistics",
    "accumulate_statistics",
    "chunk_statistics",
    "dask_statistics",
    "task_groups",
]

_MOMENTS = ("count", "weight", "mean_x", "mean_y", "xx", "xy", "yy")

CHUNK_BYTES = 1 << 23
"""Target size of one chunk of rows; keeps the working set in cache."""

SCATTER_BLOCK = 512
"""Columns of the scatter of sparse rows computed at once (a temporary of
n_features x SCATTER_BLOCK)."""


def task_groups(codes: np.ndarray, n_tasks: int) -> list[np.ndarray | slice]:
    """Rows of each task, as slices when the tasks are contiguous runs.

    Parameters
    ----------
    codes : ndarray of shape (n_samples,)
        Task index of each sample, in ``range(n_tasks)``.
    n_tasks : int
        Number of tasks.

    Returns
    -------
    groups : list of slice or ndarray
        ``groups[t]`` selects the rows of task t (empty if it has none).
    """
    codes = np.asarray(codes)
    if codes.size and np.all(codes[1:] >= codes[:-1]):
        bounds = np.searchsorted(codes, np.arange(n_tasks + 1))
        return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(n_tasks + 1))
    return [order[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _rows(index: slice | np.ndarray, start: int, stop: int):
    """Sub-range ``[start, stop)`` of a group of rows."""
    if isinstance(index, slice):
        return slice(index.start + start, index.start + stop)
    return index[start:stop]


def _group_size(index: slice | np.ndarray) -> int:
    """Number of rows a group selects."""
    return index.stop - index.start if isinstance(index, slice) else len(index)


@dataclass
class TaskStatistics:
    """Sufficient statistics of weighted least squares, one set per task.

    Parameters
    ----------
    labels : ndarray of shape (n_tasks,)
        Sorted task labels.
    count : ndarray of shape (n_tasks,)
        Number of samples of each task.
    weight : ndarray of shape (n_tasks,)
        Sum of sample weights of each task.
    mean_x : ndarray of shape (n_tasks, n_features)
        Weighted mean of the inputs.
    mean_y : ndarray of shape (n_tasks, n_outputs)
        Weighted mean of the targets.
    xx : ndarray of shape (n_tasks, n_features, n_features)
        Centred weighted scatter of the inputs.
    xy : ndarray of shape (n_tasks, n_features, n_outputs)
        Centred weighted cross products.
    yy : ndarray of shape (n_tasks, n_outputs, n_outputs)
        Centred weighted scatter of the targets.
    """

    labels: np.ndarray
    count: np.ndarray
    weight: np.ndarray
    mean_x: np.ndarray
    mean_y: np.ndarray
    xx: np.ndarray
    xy: np.ndarray
    yy: np.ndarray

    @property
    def n_tasks(self) -> int:
        """Number of tasks."""
        return len(self.labels)

    @classmethod
    def from_data(cls, X, Y, labels, codes, sample_weight=None) -> TaskStatistics:
        """Compute the statistics of one batch of rows.

        A sparse ``X`` is summarized without densifying its rows: the scatter
        comes from sparse products, centred on the weighted means afterwards,
        except for the columns with nonzeros in more than half of a task's
        rows, which are centred before their products (see
        :func:`_sparse_moments`). The results equal the dense path's to
        rounding.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n_samples, n_features)
            Inputs, float64; sparse formats are converted to CSR.
        Y : ndarray of shape (n_samples, n_outputs)
            Targets, float64.
        labels : ndarray of shape (n_tasks,)
            Sorted task labels.
        codes : ndarray of shape (n_samples,)
            Index into ``labels`` of each row's task.
        sample_weight : ndarray of shape (n_samples,), default=None
            Non-negative weights; ``None`` means unit weights.

        Returns
        -------
        stats : TaskStatistics
            Statistics of the rows.
        """
        d, q = X.shape[1], Y.shape[1]
        return cls.zeros(labels, d, q).add_rows(X, Y, codes, sample_weight)

    def add_rows(self, X, Y, codes, sample_weight=None) -> TaskStatistics:
        """Add the statistics of rows to these, in place.

        Each task's rows are summarized straight into its scatter: their
        products (about a shift, see :func:`_add_dense_scatter` and
        :func:`_add_sparse_scatter`) are added to the matrix already there
        and the rank-one terms of the merge follow, so adding needs no d x d
        array beyond the statistics, whatever the number of rows.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n_samples, n_features)
            Inputs, float64; sparse formats are converted to CSR.
        Y : ndarray of shape (n_samples, n_outputs)
            Targets, float64.
        codes : ndarray of shape (n_samples,)
            Index into ``labels`` of each row's task.
        sample_weight : ndarray of shape (n_samples,), default=None
            Non-negative weights; ``None`` means unit weights.

        Returns
        -------
        self : TaskStatistics
            These statistics, now with the rows.

        Raises
        ------
        ValueError
            If the sums of squares overflow; the statistics are then left
            partly updated and should be discarded.
        """
        if sparse.issparse(X):
            X = _as_csr(X)
        groups = [
            (t, rows)
            for t, rows in enumerate(task_groups(codes, self.n_tasks))
            if _group_size(rows)
        ]

        def summarize(group):  # adds to self.xx[t] alone
            t, rows = group
            w = None if sample_weight is None else np.asarray(sample_weight)[rows]
            if w is not None and np.all(w == 1.0):
                w = None
            with np.errstate(over="ignore", invalid="ignore"):  # checked below
                if sparse.issparse(X):
                    return t, _add_sparse_scatter(self.xx[t], X, rows, Y, w)
                return t, _add_dense_scatter(self.xx[t], X, Y, rows, w)

        if sparse.issparse(X):  # one task at a time, its products threaded
            self._absorb_all(map(summarize, groups), X, Y)
        else:  # dense tasks side by side, one BLAS thread each (scipy's
            # syrk holds the interpreter lock: threads within a task do not pay)
            parts = map_in_threads(summarize, groups, blas_thread_count())
            self._absorb_all(parts, X, Y)
        return self

    def _absorb_all(self, parts, X, Y) -> None:
        """Merge ``(task, moments)`` pairs in as they come; refuse overflow."""
        for t, moments in parts:
            with np.errstate(over="ignore", invalid="ignore"):  # checked below
                self._absorb(t, moments)
            if not all(np.isfinite(getattr(self, n)[t]).all() for n in _MOMENTS):
                raise ValueError(
                    "the sums of squares of the rows overflow float64 (largest "
                    f"|x| {_largest_abs(X):.3g}, largest |y| {np.abs(Y).max():.3g}"
                    "): scale the features or targets, e.g. with StandardScaler"
                )

    def _absorb(self, t: int, moments: tuple) -> None:
        """Merge the moments ``(count, weight, mx, my, xx, xy, yy)`` into task
        t; an ``xx`` of None means that it is in ``self.xx[t]`` already."""
        mine = tuple(getattr(self, name)[t] for name in _MOMENTS)
        merged = _merge_moments(mine, moments, in_place=True)  # scatter in place
        for name, value in zip(_MOMENTS[:4], merged[:4], strict=True):
            getattr(self, name)[t] = value

    @classmethod
    def zeros(cls, labels, n_features: int, n_outputs: int) -> TaskStatistics:
        """Empty statistics for the given task labels.

        Parameters
        ----------
        labels : ndarray of shape (n_tasks,)
            Sorted task labels.
        n_features : int
            Number of input features.
        n_outputs : int
            Number of targets.

        Returns
        -------
        stats : TaskStatistics
            Statistics of no rows.
        """
        n_tasks, d, q = len(labels), n_features, n_outputs
        return cls(
            labels=np.asarray(labels),
            count=np.zeros(n_tasks, dtype=np.int64),
            weight=np.zeros(n_tasks),
            mean_x=np.zeros((n_tasks, d)),
            mean_y=np.zeros((n_tasks, q)),
            xx=np.zeros((n_tasks, d, d)),
            xy=np.zeros((n_tasks, d, q)),
            yy=np.zeros((n_tasks, q, q)),
        )

    def merge(self, other: TaskStatistics) -> TaskStatistics:
        """Statistics of the union of two batches of rows.

        Parameters
        ----------
        other : TaskStatistics
            Statistics of other rows, with the same numbers of features and
            outputs; its tasks may differ.

        Returns
        -------
        merged : TaskStatistics
            A new object; the tasks are the union of both sets of labels.
        """
        return TaskStatistics.union([self, other])

    @classmethod
    def union(cls, batches) -> TaskStatistics:
        """Statistics of the union of several batches of rows.

        The result is allocated once and each batch is added to it task by
        task (:meth:`add`), so merging many batches needs the memory of the
        result and of the batches, with no intermediate sums.

        Parameters
        ----------
        batches : sequence of TaskStatistics
            Statistics of disjoint sets of rows, with the same numbers of
            features and outputs; their tasks may differ.

        Returns
        -------
        merged : TaskStatistics
            A new object; the tasks are the union of every batch's labels.
        """
        first, *rest = batches
        for other in rest:
            first._check_mergeable(other)
        labels = first.labels
        for other in rest:
            labels = np.union1d(labels, other.labels)
        merged = first._reindexed(labels, copy=True)
        for other in rest:
            merged.add(other)
        return merged

    def add(self, other: TaskStatistics) -> TaskStatistics:
        """Add the statistics of other rows to these, in place.

        Unlike :meth:`merge`, no new arrays of the size of the statistics
        are made (each task is merged on its own, in place), so summing many
        batches needs the memory of the sum and of one batch.

        Parameters
        ----------
        other : TaskStatistics
            Statistics of other rows, with the same numbers of features and
            outputs; its tasks must be among these.

        Returns
        -------
        self : TaskStatistics
            These statistics, now of the rows of both.
        """
        self._check_mergeable(other)
        where = np.searchsorted(self.labels, other.labels)
        known = where < len(self.labels)
        known[known] = self.labels[where[known]] == other.labels[known]
        if not known.all():
            raise ValueError(
                f"Cannot add statistics of the tasks {other.labels[~known].tolist()} "
                f"to statistics of the tasks {self.labels.tolist()}."
            )
        for j, t in enumerate(where):
            self._absorb(t, tuple(getattr(other, name)[j] for name in _MOMENTS))
        return self

    def _check_mergeable(self, other: TaskStatistics) -> None:
        """Refuse statistics of other widths or of another kind of labels."""
        if self.mean_x.shape[1] != other.mean_x.shape[1]:
            raise ValueError(
                f"Cannot merge statistics of {other.mean_x.shape[1]} features into "
                f"statistics of {self.mean_x.shape[1]} features."
            )
        if self.mean_y.shape[1] != other.mean_y.shape[1]:
            raise ValueError(
                f"Cannot merge statistics of {other.mean_y.shape[1]} outputs into "
                f"statistics of {self.mean_y.shape[1]} outputs."
            )
        if (self.labels.dtype.kind == "U") != (other.labels.dtype.kind == "U"):
            raise ValueError(
                "Task labels must be all integers or all strings; got both kinds."
            )

    def _reindexed(self, labels: np.ndarray, *, copy: bool = False) -> TaskStatistics:
        """These statistics laid out on a superset of task labels (new arrays
        with ``copy``, else only when the labels differ)."""
        if len(labels) == len(self.labels) and not copy:
            return self
        pos = np.searchsorted(labels, self.labels)
        out = TaskStatistics.zeros(labels, self.mean_x.shape[1], self.mean_y.shape[1])
        for name in _MOMENTS:
            getattr(out, name)[pos] = getattr(self, name)
        return out

    def pooled(self, label) -> TaskStatistics:
        """Statistics of all tasks' rows taken as one task.

        Parameters
        ----------
        label : int or str
            Label of the single task.

        Returns
        -------
        pooled : TaskStatistics
            One task holding every row.
        """
        moments = tuple(np.array(getattr(self, name)[0]) for name in _MOMENTS)
        for t in range(1, self.n_tasks):
            other = tuple(getattr(self, name)[t] for name in _MOMENTS)
            moments = _merge_moments(moments, other, in_place=True)
        return TaskStatistics(
            np.asarray([label]), *(np.asarray(m)[None] for m in moments)
        )

    def gram(self, *, centered: bool) -> tuple[np.ndarray, np.ndarray]:
        """Per-task Gram matrices ``X_t' S_t X_t`` and ``X_t' S_t Y_t``.

        Parameters
        ----------
        centered : bool
            Centre each task on its weighted means (for fits with per-task
            intercepts) or not.

        Returns
        -------
        G : ndarray of shape (n_tasks, n_features, n_features)
            Weighted Gram matrix of each task's inputs.
        B : ndarray of shape (n_tasks, n_features, n_outputs)
            Weighted cross products of each task's inputs and targets.
        """
        if centered:
            return self.xx, self.xy
        w = self.weight[:, None, None]
        G = self.xx + w * self.mean_x[:, :, None] * self.mean_x[:, None, :]
        B = self.xy + w * self.mean_x[:, :, None] * self.mean_y[:, None, :]
        return G, B

    def target_scatter(self, *, centered: bool) -> np.ndarray:
        """Per-task ``Y_t' S_t Y_t``, centred or not.

        Parameters
        ----------
        centered : bool
            Centre each task's targets on their weighted mean.

        Returns
        -------
        C : ndarray of shape (n_tasks, n_outputs, n_outputs)
            Weighted scatter of each task's targets.
        """
        if centered:
            return self.yy
        w = self.weight[:, None, None]
        return self.yy + w * self.mean_y[:, :, None] * self.mean_y[:, None, :]

    def pooled_means(self) -> tuple[np.ndarray, np.ndarray]:
        """Weighted means of ``x`` and ``y`` over all tasks together.

        Returns
        -------
        mean_x : ndarray of shape (n_features,)
            Pooled mean of the inputs.
        mean_y : ndarray of shape (n_outputs,)
            Pooled mean of the targets.
        """
        share = self.weight / self.weight.sum()
        return share @ self.mean_x, share @ self.mean_y


def _shifted_rows(A, rows, shift, out):
    """``A[rows] - shift`` written into ``out`` with a single copy."""
    if isinstance(rows, slice):
        return np.subtract(A[rows], shift, out=out)
    np.take(A, rows, axis=0, out=out)
    out -= shift
    return out


def _add_outer(S: np.ndarray, u: np.ndarray, v: np.ndarray) -> None:
    """``S += u v'`` in place (over any leading axes); a single matrix gets
    a BLAS rank-one update, with no temporary of its size."""
    if S.size == 0:
        return
    if S.ndim == 2 and S.flags.c_contiguous and S.dtype == np.float64:
        blas.dger(1.0, v, u, a=S.T, overwrite_a=True)  # S' is Fortran-ordered
    else:
        S += u[..., :, None] * v[..., None, :]


def _merge_moments(a: tuple, b: tuple, *, in_place: bool = False) -> tuple:
    """Moments of the union of two sets of rows (Chan, Golub and LeVeque).

    ``a`` and ``b`` are ``(count, weight, mean_x, mean_y, xx, xy, yy)`` with
    any leading shape (one task, or every task at once). With ``in_place``
    the scatter arrays of ``a`` are updated and returned, and the only
    temporary array is one outer product at a time.
    """
    count_a, weight_a, mx_a, my_a, *scatter_a = a
    count_b, weight_b, mx_b, my_b, *scatter_b = b
    weight = weight_a + weight_b
    with np.errstate(divide="ignore", invalid="ignore"):
        frac_b = np.where(weight > 0, weight_b / np.where(weight > 0, weight, 1), 0.0)
    pair = np.asarray(weight_a * frac_b)[..., None]
    frac_b = np.asarray(frac_b)[..., None]
    dx, dy = mx_b - mx_a, my_b - my_a
    scatter = []
    pairs = zip(scatter_a, scatter_b, (dx, dx, dy), (dx, dy, dy), strict=True)
    for s_a, s_b, u, v in pairs:
        s = s_a if in_place else np.array(s_a, dtype=float)
        if s_b is not None:  # None: added to ``s_a`` already
            s += s_b
        _add_outer(s, pair * u, v)
        scatter.append(s)
    return (count_a + count_b, weight, mx_a + frac_b * dx, my_a + frac_b * dy, *scatter)


def _add_dense_scatter(xx: np.ndarray, X, Y, rows, w) -> tuple:
    """Add the centred scatter of some rows of a dense ``X`` to ``xx``.

    The rows are read in chunks, shifted by the mean of the first chunk so
    that large offsets do not cancel, and each chunk's products are added to
    ``xx`` by BLAS (``syrk``, one triangle). Returns the moments of the rows
    for :func:`_merge_moments`, ``xx`` as None.
    """
    n = _group_size(rows)
    d, q = X.shape[1], Y.shape[1]
    chunk = max(256, CHUNK_BYTES // (8 * max(d + q, 1)))
    first = _rows(rows, 0, min(n, chunk))
    w_first = None if w is None else w[: min(n, chunk)]
    if w_first is not None and not np.any(w_first > 0):
        w_first = None
    if w_first is None:  # (np.average fails on zero columns)
        shift_x, shift_y = X[first].mean(axis=0), Y[first].mean(axis=0)
    else:
        shift_x = np.average(X[first], axis=0, weights=w_first)
        shift_y = np.average(Y[first], axis=0, weights=w_first)
    xy, yy = np.zeros((d, q)), np.zeros((q, q))
    total = float(n) if w is None else float(w.sum())
    if total <= 0:
        return n, 0.0, shift_x, shift_y, None, xy, yy
    buf_x, buf_y = np.empty((min(n, chunk), d)), np.empty((min(n, chunk), q))
    sum_x, sum_y = np.zeros(d), np.zeros(q)
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        part = _rows(rows, start, stop)
        zx = _shifted_rows(X, part, shift_x, buf_x[: stop - start])
        zy = _shifted_rows(Y, part, shift_y, buf_y[: stop - start])
        if w is None:
            sum_x += zx.sum(axis=0)
            sum_y += zy.sum(axis=0)
        else:
            root = np.sqrt(w[start:stop])[:, None]
            zx *= root
            zy *= root
            sum_x += root[:, 0] @ zx
            sum_y += root[:, 0] @ zy
        if d:  # upper triangle of xx: the lower one of its Fortran view
            blas.dsyrk(1.0, zx.T, beta=1.0, c=xx.T, lower=1, overwrite_c=1)
        xy += zx.T @ zy
        yy += zy.T @ zy
    _mirror_upper(xx)
    return _centred_moments(n, total, shift_x, shift_y, sum_x, sum_y, xx, xy, yy)


def _centred_moments(n, total, shift_x, shift_y, sum_x, sum_y, xx, xy, yy):
    """The moments of rows from their sums about a shift: the scatters
    ``sum z z' - total mz mz'`` (in place, with no d x d temporaries)."""
    mx, my = sum_x / total, sum_y / total
    for S, u, v in ((xx, mx, mx), (xy, mx, my), (yy, my, my)):
        _add_outer(S, -total * u, v)
    return n, total, shift_x + mx, shift_y + my, None, xy, yy


def _mirror_upper(S: np.ndarray) -> None:
    """Copy the upper triangle of a square matrix onto its lower one, a
    block of rows at a time (no temporary larger than a block)."""
    d = len(S)
    for lo in range(0, d, SCATTER_BLOCK):
        hi = min(d, lo + SCATTER_BLOCK)
        S[lo:hi, :lo] = S[:lo, lo:hi].T
        for i in range(lo + 1, hi):  # the block on the diagonal, row by row
            S[i, lo:i] = S[lo:i, i]


def _as_csr(X):
    """A sparse ``X`` in CSR format with float64 values (no copy if it is)."""
    return X.tocsr().astype(np.float64, copy=False)


def csr_from_dense(X: np.ndarray) -> sparse.csr_matrix:
    """The nonzeros of a dense 2-D ``X`` as a CSR matrix.

    What ``scipy.sparse.csr_matrix(X)`` gives, in about half its time: one
    scan of the flattened array finds the nonzeros, in row order, with no
    COO matrix in between.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Dense rows.

    Returns
    -------
    scipy.sparse.csr_matrix of shape (n_samples, n_features)
        The same rows, with sorted indices and no explicit zeros.
    """
    X = np.ascontiguousarray(X)
    n, d = X.shape
    flat = np.flatnonzero(X)
    index = np.int32 if max(flat.size, d) < np.iinfo(np.int32).max else np.int64
    indptr = np.zeros(n + 1, index)
    np.cumsum(np.bincount(flat // max(d, 1), minlength=n), out=indptr[1:])
    indices = (flat % max(d, 1)).astype(index)
    return sparse.csr_matrix((X.ravel()[flat], indices, indptr), shape=(n, d))


def csr_row_block(X: sparse.csr_matrix, start: int, stop: int) -> sparse.csr_matrix:
    """Rows ``start:stop`` of a CSR ``X``, sharing its values and indices.

    A slice of a CSR matrix copies them; this block of rows is a view, to
    read (writing to it writes to ``X``).

    Parameters
    ----------
    X : scipy.sparse.csr_matrix of shape (n_samples, n_features)
        Rows.
    start, stop : int
        First row and one past the last, ``0 <= start <= stop <= n_samples``.

    Returns
    -------
    scipy.sparse.csr_matrix of shape (stop - start, n_features)
        The rows.
    """
    lo, hi = X.indptr[start], X.indptr[stop]
    # set in place: scipy's constructor copies a view of a much larger array
    block = sparse.csr_matrix((stop - start, X.shape[1]), dtype=X.dtype)
    block.data, block.indices = X.data[lo:hi], X.indices[lo:hi]
    block.indptr = X.indptr[start : stop + 1] - lo
    return block


def csr_transpose(X: sparse.csr_matrix) -> sparse.csc_matrix:
    """The transpose of a CSR ``X`` as a CSC matrix sharing its arrays.

    ``X.T`` copies the arrays of a block made by :func:`csr_row_block`
    (scipy's constructor copies a view of a much larger array); this does not.

    Parameters
    ----------
    X : scipy.sparse.csr_matrix of shape (n_samples, n_features)
        Rows.

    Returns
    -------
    scipy.sparse.csc_matrix of shape (n_features, n_samples)
        ``X.T``, to read.
    """
    out = sparse.csc_matrix((X.shape[1], X.shape[0]), dtype=X.dtype)
    out.data, out.indices, out.indptr = X.data, X.indices, X.indptr
    return out


def _largest_abs(X) -> float:
    """Largest ``|x|`` of a dense or sparse matrix (0 if it stores nothing)."""
    if sparse.issparse(X):
        return float(np.abs(X.data).max()) if X.nnz else 0.0
    return float(np.abs(X).max()) if X.size else 0.0


def _call(job):
    """``job()``: runs the jobs of :func:`map_in_threads`."""
    return job()


def _add_sparse_scatter(xx: np.ndarray, X, rows, Y: np.ndarray, w) -> tuple:
    """Add the centred scatter of some rows of a CSR ``X`` to ``xx``.

    The scatter is ``Z' S Z - W mz mz'`` with ``z = x - c``: the shift ``c``
    is the weighted mean of the columns with nonzeros in more than half of
    the rows (dense columns, a handful of d x k products) and 0 elsewhere,
    so that the sparse columns keep their zeros and their block is one
    sparse product ``X' (S X)``, added to ``xx`` a block of columns at a time
    (its upper triangle). The blocks and the products of the rows with the
    centred targets and dense columns share the BLAS threads. The rows
    are never densified, and no d x d temporary is made. Returns the
    moments of the rows for :func:`_merge_moments`, ``xx`` as None.

    Accuracy: centring raw moments loses ``log10(mean^2 / variance)`` digits.
    A column whose nonzeros fill a share ``p`` of the rows has
    ``mean^2 / variance <= p / (1 - p)`` (Cauchy-Schwarz), which is at most
    1 for the unshifted columns (``p <= 1/2``); the shifted columns are
    centred before their products, as in the dense path. Every entry is
    thus exact to a few units of rounding relative to ``sqrt(xx_ii
    xx_jj)``, whatever the offsets of the inputs.
    """
    contiguous = isinstance(rows, slice) and rows.step in (None, 1)
    Xr = csr_row_block(X, rows.start, rows.stop) if contiguous else X[rows]
    Y = Y[rows]
    n, d = Xr.shape
    q = Y.shape[1]
    total = float(n) if w is None else float(w.sum())
    if total <= 0:  # no weight: the means are left as they are
        zeros = np.zeros(d), np.zeros(q), None, np.zeros((d, q)), np.zeros((q, q))
        return n, 0.0, *zeros
    shift_y = (Y.sum(axis=0) if w is None else w @ Y) / total
    zy = Y - shift_y
    zy_w = zy if w is None else zy * w[:, None]
    dense = np.flatnonzero(np.bincount(Xr.indices, minlength=d) > n / 2)
    shift_x = np.zeros(d)
    zd = Xr[:, dense].toarray()  # the dense columns, centred apart
    Xt = csr_transpose(Xr).tocsr()  # its rows: the columns of the scatter
    del Xr
    for j in dense:  # their entries are in zd: left out of the sparse product
        Xt.data[Xt.indptr[j] : Xt.indptr[j + 1]] = 0.0
    if w is None:
        Xwt = Xt
        shift_x[dense] = zd.sum(axis=0) / total
    else:
        Xwt = Xt.copy()
        Xwt.data *= w[Xt.indices]
        shift_x[dense] = w @ zd / total
    zd -= shift_x[dense]
    zd_w = zd if w is None else zd * w[:, None]
    sum_x = np.asarray(Xwt.sum(axis=1)).ravel()
    sum_x[dense] = zd_w.sum(axis=0)

    def add_block(bounds):
        lo, hi = bounds
        block = csr_row_block(Xt, 0, hi) @ csr_row_block(Xwt, lo, hi).T
        xx[:hi, lo:hi] += block.toarray()

    def times(rhs):  # X' rhs, for the centred targets and dense columns
        return np.asarray(Xt @ rhs)

    workers = blas_thread_count()
    blocks = [(lo, min(d, lo + SCATTER_BLOCK)) for lo in range(0, d, SCATTER_BLOCK)]
    jobs = [partial(times, zy_w), partial(times, zd_w)]  # long ones first
    jobs += [partial(add_block, b) for b in blocks]
    xy, cross = map_in_threads(_call, jobs, workers)[:2]
    _mirror_upper(xx)  # the blocks filled the upper triangle, columns apart
    if dense.size:  # their rows and columns of the scatter
        cross[dense] = zd.T @ zd_w
        xx[:, dense] += cross
        cross[dense] = 0.0
        xx[dense, :] += cross.T
        xy[dense] = zd.T @ zy_w
    yy = zy.T @ zy_w
    return _centred_moments(
        n, total, shift_x, shift_y, sum_x, zy_w.sum(axis=0), xx, xy, yy
    )


def chunk_statistics(X, y, tasks=None, sample_weight=None) -> TaskStatistics:
    """Validate one chunk of rows and compute its statistics.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Inputs; sparse ones are converted to CSR.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets.
    tasks : array-like of shape (n_samples,), default=None
        Task label of each row; ``None`` means a single task.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights.

    Returns
    -------
    stats : TaskStatistics
        Statistics of the chunk.
    """
    from sklearn.utils.validation import check_array, check_consistent_length

    from mtlsynth.utils.validation import check_sample_weight, encode_tasks

    X = check_array(X, accept_sparse="csr", dtype=np.float64, input_name="X")
    Y = check_array(y, dtype=np.float64, ensure_2d=False, input_name="y")
    check_consistent_length(X, Y)
    Y = Y.reshape(len(Y), -1)
    labels, codes = encode_tasks(tasks, X.shape[0])
    weight = check_sample_weight(sample_weight, X.shape[0])
    return TaskStatistics.from_data(X, Y, labels, codes, weight)


def is_dask_array(a) -> bool:
    """Whether ``a`` is a dask array (checked without importing dask)."""
    return type(a).__module__.split(".")[0] == "dask" and hasattr(a, "to_delayed")


def dask_statistics(X, y, tasks=None, sample_weight=None) -> TaskStatistics:
    """Statistics of dask arrays, computed block by block where blocks live.

    Parameters
    ----------
    X : dask array of shape (n_samples, n_features)
        Inputs; its row blocks set the chunks of the other arguments.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets (dask or NumPy).
    tasks : array-like of shape (n_samples,), default=None
        Task label of each row (dask or NumPy).
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights (dask or NumPy).

    Returns
    -------
    stats : TaskStatistics
        Statistics of every row, merged pairwise in a tree.
    """
    import dask
    import dask.array as da

    X = X.rechunk({1: -1})
    rows = X.chunks[0]

    def blocks(a, name):
        if a is None:
            return [None] * len(rows)
        a = da.asarray(a)
        if a.ndim == 0 or a.shape[0] != X.shape[0]:
            raise ValueError(
                f"{name} has shape {a.shape} but X has {X.shape[0]} samples."
            )
        a = a.rechunk({0: rows, **{axis: -1 for axis in range(1, a.ndim)}})
        return list(a.to_delayed().ravel())

    parts = [
        dask.delayed(chunk_statistics)(*chunk)
        for chunk in zip(
            X.to_delayed().ravel(),
            blocks(y, "y"),
            blocks(tasks, "tasks"),
            blocks(sample_weight, "sample_weight"),
            strict=True,
        )
    ]
    while len(parts) > 1:
        merged = [
            dask.delayed(TaskStatistics.merge)(a, b)
            for a, b in zip(parts[::2], parts[1::2], strict=False)
        ]
        parts = merged + parts[len(merged) * 2 :]
    return dask.compute(parts[0])[0]


def _load_and_summarize(load, item) -> TaskStatistics:
    """Run a user's loader on one item and summarize what it returns."""
    chunk = load(item)
    if not isinstance(chunk, tuple) or not 2 <= len(chunk) <= 4:
        raise ValueError(
            f"The loader must return (X, y), (X, y, tasks) or "
            f"(X, y, tasks, sample_weight); for {item!r} it returned "
            f"{type(chunk).__name__}."
        )
    try:
        return chunk_statistics(*chunk)
    except ValueError as error:
        raise ValueError(f"Chunk {item!r}: {error}") from error


def accumulate_statistics(load, items, *, n_jobs=None, verbose=0) -> TaskStatistics:
    """Statistics of data too big for memory, chunk by chunk and in parallel.

    Each item (a file name, a row range, ...) is loaded and summarized by a
    joblib worker; only the summaries, of size O(T d^2 + T d q) each, come
    back and are merged as they arrive. Under
    ``joblib.parallel_config(backend="dask")`` the work runs on a
    dask.distributed cluster, each worker loading its own chunks.

    Parameters
    ----------
    load : callable
        ``load(item)`` returns ``(X, y)``, ``(X, y, tasks)`` or
        ``(X, y, tasks, sample_weight)`` for one chunk. It must be picklable
        (a module-level function) to run in worker processes.
    items : iterable
        What to pass to ``load``, one per chunk.
    n_jobs : int, default=None
        Number of joblib workers (``None``: joblib's default, usually 1,
        or the configured backend's).
    verbose : int, default=0
        Verbosity of joblib's progress messages.

    Returns
    -------
    stats : TaskStatistics
        Statistics of every row of every chunk; pass them to an estimator's
        ``fit_statistics``.

    Examples
    --------
    >>> import numpy as np
    >>> from mtlsynth import SharedLeastSquares, accumulate_statistics
    >>> def load(seed):
    ...     rng = np.random.default_rng(seed)
    ...     X = rng.normal(size=(100, 3))
    ...     return X, X @ [1.0, 2.0, 3.0], rng.integers(0, 2, 100)
    >>> stats = accumulate_statistics(load, range(4))
    >>> SharedLeastSquares().fit_statistics(stats).tasks_.tolist()
    [0, 1]
    """
    from joblib import Parallel, delayed

    parallel = Parallel(n_jobs=n_jobs, verbose=verbose, return_as="generator_unordered")
    total = None
    for stats in parallel(delayed(_load_and_summarize)(load, item) for item in items):
        total = stats if total is None else total.merge(stats)
    if total is None:
        raise ValueError("accumulate_statistics got no items to load.")
    return total
