"""The objective of the maximum-entropy classifiers, and the rows it is
evaluated on: held in memory (:class:`_Rows`) or read batch by batch at
every evaluation (:class:`_BatchRows`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse, special
from sklearn.utils.class_weight import compute_class_weight

from mtlsynth._stats import csr_row_block, csr_transpose, task_groups
from mtlsynth.utils.blas import map_in_threads

__all__ = ["maxent_loss_grad"]


def _block_loss_grad(Z: np.ndarray, C: np.ndarray) -> tuple[float, np.ndarray]:
    """Weighted negative log-likelihood of one block of rows and its logit gradient.

    Rows are columns here: reductions over the few classes then run along
    contiguous rows of length ``n_rows``, which is several times faster.

    Parameters
    ----------
    Z : ndarray of shape (m, n_rows)
        Logits; ``m == 1`` is the binary model (one logit for the second class).
    C : ndarray of shape (n_classes, n_rows)
        Weight of every (class, row) pair.

    Returns
    -------
    loss : float
        ``-sum_{k,r} C[k, r] log p_r[k]``.
    grad : ndarray of shape (m, n_rows)
        Derivative of the loss with respect to ``Z``.
    """
    total = C.sum(axis=0)
    if Z.shape[0] == 1:
        z = Z[0]
        loss = C[0] @ np.logaddexp(0.0, z) + C[1] @ np.logaddexp(0.0, -z)
        return float(loss), (total * special.expit(z) - C[1])[None]
    top = Z.max(axis=0)
    P = np.exp(Z - top)
    norm = P.sum(axis=0)
    loss = total @ (top + np.log(norm)) - np.vdot(C, Z)
    P *= total / norm
    P -= C
    return float(loss), P


def _logits_of(Xt, W: np.ndarray) -> np.ndarray:
    """Logits ``W Xt'`` of shape (m, n_rows), C-contiguous, of dense or sparse rows."""
    if sparse.issparse(Xt):
        return np.ascontiguousarray((Xt @ W.T).T)
    return np.dot(W, Xt.T)


def _unpack(theta, n_features, n_tasks, m, intercept):
    """Split the parameter vector into ``W0, V, b0, c``."""
    dm = n_features * m
    W0 = theta[:dm].reshape(m, n_features)
    V = theta[dm : dm * (1 + n_tasks)].reshape(n_tasks, m, n_features)
    rest = theta[dm * (1 + n_tasks) :]
    if intercept == "none":
        return W0, V, np.zeros(m), np.zeros((n_tasks, m))
    if intercept == "free":
        return W0, V, np.zeros(m), rest.reshape(n_tasks, m)
    return W0, V, rest[:m], rest[m:].reshape(n_tasks, m)


def maxent_loss_grad(
    theta,
    X,
    C,
    groups,
    alpha_shared,
    alpha_task,
    *,
    m,
    intercept,
    blocks=None,
    n_threads=1,
):
    """Objective of :class:`MaxEntClassifier` and its exact gradient.

    Parameters
    ----------
    theta : ndarray
        Concatenation of ``W0`` (m, d), ``V`` (T, m, d) and, for
        ``intercept="free"``, ``b`` (T, m), or, for ``intercept="shrunk"``,
        ``b0`` (m,) and ``c`` (T, m).
    X : ndarray or sparse matrix of shape (n_rows, d)
        Inputs; a sparse one is used through sparse-dense products.
    C : ndarray of shape (n_classes, n_rows)
        Weight of every (class, row) pair: ``s_i`` in the observed class of an
        unmerged row, summed weights of each class for merged rows.
    groups : list of slice or ndarray
        Rows of every task (``T`` entries).
    alpha_shared : float
        Penalty on ``W0``.
    alpha_task : float or ndarray of shape (T,)
        Penalty on every ``V_t`` (and ``c_t`` if ``intercept="shrunk"``), or
        one penalty per task.
    m : int
        Number of logits: 1 for two classes, else the number of classes.
    intercept : {"none", "free", "shrunk"}
        No intercept; one unpenalized intercept per task; or ``b0 + c_t``
        with ``b0`` unpenalized and ``c_t`` penalized by ``alpha_task``.
    blocks : list of ndarray or sparse matrix, default=None
        ``X[rows]`` of every group, when the caller keeps them (slicing a
        sparse matrix copies it, so an optimizer slices once); ``None``
        slices ``X`` here.
    n_threads : int, default=1
        Threads that evaluate the tasks of a sparse ``X`` side by side, one
        BLAS thread each (scipy's sparse products release the interpreter
        lock and run on one core); a dense ``X`` is evaluated one task after
        another.

    Returns
    -------
    value : float
        Objective value.
    grad : ndarray of the shape of ``theta``
        Its gradient.
    """
    n_tasks, d = len(groups), X.shape[1]
    W0, V, b0, c = _unpack(theta, d, n_tasks, m, intercept)
    a = np.broadcast_to(np.asarray(alpha_task, dtype=np.float64), (n_tasks,))
    value = alpha_shared * np.vdot(W0, W0) + a @ np.einsum("tkd,tkd->t", V, V)
    gW0, gV, gc = 2.0 * alpha_shared * W0, 2.0 * a[:, None, None] * V, np.zeros_like(c)

    def task_part(t):
        """Loss of task t's rows, its gradient in ``W_t`` and in the intercept."""
        rows = groups[t]
        Xt = X[rows] if blocks is None else blocks[t]
        Z = _logits_of(Xt, W0 + V[t])
        Z += (b0 + c[t])[:, None]
        loss, G = _block_loss_grad(Z, C[:, rows])
        if not sparse.issparse(Xt):
            return loss, G @ Xt, G.sum(axis=1)
        # a CSR block's transpose as a view: ``Xt.T`` would copy it
        g = ((csr_transpose(Xt) if Xt.format == "csr" else Xt.T) @ G.T).T
        return loss, g, G.sum(axis=1)

    workers = n_threads if sparse.issparse(X) else 1
    for t, (loss, g, g_intercept) in enumerate(
        map_in_threads(task_part, range(n_tasks), workers)
    ):
        value += loss
        gW0 += g
        gV[t] += g
        gc[t] = g_intercept
    parts = [gW0.ravel(), gV.ravel()]
    if intercept == "free":
        parts.append(gc.ravel())
    elif intercept == "shrunk":
        value += a @ np.sum(c * c, axis=1)
        parts += [gc.sum(axis=0), (gc + 2.0 * a[:, None] * c).ravel()]
    return float(value), np.concatenate(parts)


@dataclass
class _Rows:
    """Training rows prepared for the solver, and what every solve on them
    reuses (see :meth:`_MaxEntBase._prepare`).

    Attributes
    ----------
    X : ndarray or sparse matrix
        Rows ordered by task, merged if asked; zero-weight rows dropped.
    C : ndarray of shape (n_classes, n_rows)
        Weight of every (class, row) pair.
    groups : list of slice or ndarray
        Rows of every task.
    task_weight : ndarray of shape (n_tasks,)
        Total weight of every task.
    blocks : list of sparse matrix or None
        Every task's rows of a sparse ``X``, sliced once.
    task_squares : ndarray of shape (n_tasks, n_features)
        Weighted sum of squares of every feature over every task's rows,
        divided by the total weight.
    task_share : ndarray of shape (n_tasks,)
        Every task's share of the total weight.
    total : float
        Total weight of the rows.
    """

    X: Any
    C: np.ndarray
    groups: list
    task_weight: np.ndarray
    blocks: list | None = field(init=False)
    task_squares: np.ndarray = field(init=False)
    task_share: np.ndarray = field(init=False)
    total: float = field(init=False)

    def __post_init__(self):
        X, groups = self.X, self.groups
        self.blocks = None
        if sparse.issparse(X):  # views of the rows when the groups are runs
            self.blocks = [
                csr_row_block(X, g.start, g.stop) if isinstance(g, slice) else X[g]
                for g in groups
            ]
        row_weight = self.C.sum(axis=0)
        self.total = row_weight.sum()
        self.task_share = np.array([row_weight[g].sum() for g in groups]) / self.total
        blocks = self.blocks or [X[g] for g in groups]
        self.task_squares = np.zeros((len(groups), X.shape[1]))
        for t, (g, Xt) in enumerate(zip(groups, blocks, strict=True)):
            self.task_squares[t] = _weighted_squares(Xt, row_weight[g])
        self.task_squares /= self.total

    def diagonal_scales(self, alpha_shared, alpha_task, m, kind) -> np.ndarray:
        """The solver's preconditioner (:func:`_diagonal_scales`)."""
        return _diagonal_scales(self, alpha_shared, alpha_task, m, kind)

    def loss_grad(self, theta, alpha_shared, alpha_task, *, m, intercept, n_threads):
        """:func:`maxent_loss_grad` of these rows."""
        return maxent_loss_grad(
            theta,
            self.X,
            self.C,
            self.groups,
            alpha_shared,
            alpha_task,
            m=m,
            intercept=intercept,
            blocks=self.blocks,
            n_threads=n_threads,
        )


def _weighted_squares(X, weight: np.ndarray) -> np.ndarray:
    """``sum_i weight_i x_ij^2`` of every column ``j`` of a dense or CSR ``X``,
    with no copy of ``X`` (a CSR one takes a vector of its nonzeros)."""
    if not sparse.issparse(X):
        return np.einsum("ij,ij,i->j", X, X, weight)
    values = np.square(X.data)
    values *= np.repeat(weight, np.diff(X.indptr))
    return np.bincount(X.indices, weights=values, minlength=X.shape[1])


def _diagonal_scales(rows, alpha_shared, alpha_task, m, kind) -> np.ndarray:
    """Diagonal (Jacobi) preconditioner of the normalized objective: ``theta = D u``.

    Every parameter is scaled by ``1 / sqrt(h)``, ``h`` an estimate of the
    objective's curvature along it: its penalty ``2 alpha / S`` (``S`` the
    total weight) plus a quarter (the logistic curvature is at most 1/4) of
    the weighted mean square of its feature over the rows it sees (a task's
    rows for ``V_t``, all rows for ``W_0``). Large penalties and rare
    features (one-hot columns of sparse rows) then no longer make the problem
    stiff along their coordinates, and L-BFGS, warm-started or not, needs far
    fewer iterations.
    """
    task_sq, task_w, total = rows.task_squares, rows.task_share, rows.total
    n_tasks = len(task_w)
    a = np.broadcast_to(np.asarray(alpha_task, dtype=np.float64), (n_tasks,))
    curvature = [
        np.tile(2 * alpha_shared / total + 0.25 * task_sq.sum(axis=0), m),
        np.concatenate(
            [np.tile(2 * a[t] / total + 0.25 * task_sq[t], m) for t in range(n_tasks)]
        ),
    ]
    if kind == "free":
        curvature.append(np.repeat(0.25 * task_w, m))
    elif kind == "shrunk":
        curvature.append(np.full(m, 0.25))
        curvature.append(np.repeat(2 * a / total + 0.25 * task_w, m))
    h = np.concatenate(curvature)
    return 1.0 / np.sqrt(np.maximum(h, np.finfo(float).tiny) if h.size else h)


def _sort_rows(X, codes, y_code, weight, n_classes):
    """Order rows by task (no copy if they already are) and one-hot weights."""
    C = np.zeros((n_classes, X.shape[0]))
    C[y_code, np.arange(X.shape[0])] = weight
    if np.all(codes[1:] >= codes[:-1]):
        return X, codes, C
    order = np.argsort(codes, kind="stable")
    if sparse.issparse(X):
        return X[order], codes[order], C[:, order]
    return np.take(X, order, axis=0), codes[order], C[:, order]


class _BatchRows:
    """Training rows too many to hold, read batch by batch.

    What the solver uses of :class:`_Rows` (``task_weight``, ``task_squares``,
    ``task_share``, ``total`` and :meth:`loss_grad`), for rows that come in
    batches: one pass summarizes them, and every evaluation of the objective
    reads each batch again, adds its loss and gradient and releases it. The
    sums are those of the stacked rows, so the optimum is the same; memory
    holds one batch per thread.

    Parameters
    ----------
    batches : list
        The batches, each passed to ``read``.
    read : callable
        ``read(batch, first)`` returns ``(X, y, tasks, weight)``: CSR or
        dense float64 rows, their class and task labels and their weights;
        ``first`` is True on the summarizing pass, which validates.
    class_weight : dict, "balanced" or None
        As :class:`MaxEntClassifier`'s, over the classes of all batches.
    n_threads : int
        Batches read and evaluated side by side, one BLAS thread each.

    Attributes
    ----------
    classes, labels : ndarray
        Sorted class and task labels of all batches.
    n_features : int
        Columns of the rows.
    class_weights : ndarray of shape (n_classes,)
        Multiplier of every class's weights.
    """

    def __init__(self, batches, read, class_weight, n_threads):
        self.batches, self._read, self._n_threads = list(batches), read, n_threads
        if not self.batches:
            raise ValueError("fit_batches needs at least one batch of rows")
        survey = []
        for k, batch in enumerate(self.batches):  # in order: the first sets d
            try:
                survey.append(self._survey(batch))
            except ValueError as error:
                raise ValueError(f"batch {k}: {error}") from error
        self.classes = np.unique(np.concatenate([c for c, *_ in survey]))
        self.labels = np.unique(np.concatenate([t for _, t, *_ in survey]))
        self.n_features = survey[0][3].shape[2]
        shape = (len(self.classes), len(self.labels))
        weight, squares = np.zeros(shape), np.zeros((*shape, self.n_features))
        for classes, labels, w, sq in survey:
            at = np.ix_(
                np.searchsorted(self.classes, classes),
                np.searchsorted(self.labels, labels),
            )
            weight[at] += w
            squares[at] += sq
        self.class_weights = np.ones(len(self.classes))
        if class_weight is not None:
            self.class_weights = compute_class_weight(
                class_weight,
                classes=self.classes,
                y=self.classes,
                sample_weight=weight.sum(axis=1),
            )
        self.task_weight = self.class_weights @ weight
        self.total = self.task_weight.sum()
        self.task_share = self.task_weight / self.total
        self.task_squares = np.einsum("k,ktd->td", self.class_weights, squares)
        self.task_squares /= self.total

    def _survey(self, batch) -> tuple:
        """A batch's classes and tasks, and the weight and weighted squares of
        every feature in each (class, task) pair of its rows."""
        X, y, tasks, weight = self._read(batch, True)
        classes, y_code = np.unique(y, return_inverse=True)
        labels, codes = np.unique(tasks, return_inverse=True)
        pair = y_code.ravel() * len(labels) + codes.ravel()
        n_pairs, d = len(classes) * len(labels), X.shape[1]
        if sparse.issparse(X):
            row = np.repeat(pair, np.diff(X.indptr))
            values = np.square(X.data) * np.repeat(weight, np.diff(X.indptr))
            squares = np.bincount(row * d + X.indices, values, n_pairs * d)
        else:
            squares = np.zeros((n_pairs, d))
            np.add.at(squares, pair, np.square(X) * weight[:, None])
        shape = (len(classes), len(labels))
        w = np.bincount(pair, weight, n_pairs).reshape(shape)
        return classes, labels, w, squares.reshape(*shape, d)

    diagonal_scales = _Rows.diagonal_scales

    def loss_grad(self, theta, alpha_shared, alpha_task, *, m, intercept, n_threads):
        """:func:`maxent_loss_grad` of all batches' rows (``n_threads`` is
        the constructor's here: batches, not tasks, run side by side)."""
        n_tasks, n_classes = len(self.labels), len(self.classes)
        value, grad = maxent_loss_grad(  # the penalties, on no rows
            theta,
            sparse.csr_matrix((0, self.n_features)),
            np.zeros((n_classes, 0)),
            [slice(0, 0)] * n_tasks,
            alpha_shared,
            alpha_task,
            m=m,
            intercept=intercept,
        )

        def batch_part(batch):
            X, y, tasks, weight = self._read(batch, False)
            y_code = np.searchsorted(self.classes, y)
            weight = weight * self.class_weights[y_code]
            codes = np.searchsorted(self.labels, tasks)
            X, codes, C = _sort_rows(X, codes, y_code, weight, n_classes)
            groups = task_groups(codes, n_tasks)  # slices: the rows are sorted
            blocks = None
            if sparse.issparse(X):
                blocks = [csr_row_block(X, g.start, g.stop) for g in groups]
            return maxent_loss_grad(
                theta, X, C, groups, 0.0, 0.0, m=m, intercept=intercept, blocks=blocks
            )

        for part_value, part_grad in map_in_threads(
            batch_part, self.batches, self._n_threads
        ):
            value += part_value
            grad += part_grad
        return value, grad
