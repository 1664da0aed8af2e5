"""Pictures of fitted multi-task models (needs matplotlib: ``mtlsynth[plots]``).

Importing this module does not import matplotlib; drawing does, and raises an
``ImportError`` naming the extra to install when it is missing.
"""

from __future__ import annotations

import numpy as np

from mtlsynth._task_relations import task_similarity

__all__ = ["plot_task_similarity"]


def _pyplot():
    """``matplotlib.pyplot``, or an ImportError that says how to get it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            "mtlsynth.plotting needs matplotlib: pip install mtlsynth[plots]"
        ) from error
    return plt


def _labels_and_matrix(model_or_similarity) -> tuple[np.ndarray, np.ndarray]:
    """Task labels and a checked similarity matrix from a model or a pair."""
    if hasattr(model_or_similarity, "fit"):
        return task_similarity(model_or_similarity)
    try:
        labels, matrix = model_or_similarity
    except (TypeError, ValueError):
        raise TypeError(
            "plot_task_similarity takes a fitted multi-task model or a "
            f"(labels, matrix) pair; got {type(model_or_similarity).__name__}."
        ) from None
    labels = np.asarray(labels)
    S = np.asarray(matrix, dtype=np.float64)
    if S.ndim != 2 or S.shape[0] != S.shape[1]:
        raise ValueError(f"The similarity matrix must be square; got shape {S.shape}.")
    if labels.ndim != 1 or len(labels) != len(S):
        raise ValueError(
            f"Got {labels.size} labels for a {len(S)} x {len(S)} similarity matrix."
        )
    if not np.allclose(S, S.T, rtol=0.0, atol=1e-8, equal_nan=True):
        gap = np.nanmax(np.abs(S - S.T))
        raise ValueError(
            f"The similarity matrix must be symmetric; S - S' reaches {gap:.3g}."
        )
    return labels, S


def _linkage(S: np.ndarray):
    """Average linkage of the distances ``1 - S`` (undefined similarity: 0)."""
    from scipy.cluster.hierarchy import linkage
    from scipy.spatial.distance import squareform

    D = np.maximum(1.0 - np.nan_to_num(S, nan=0.0), 0.0)
    D = 0.5 * (D + D.T)
    np.fill_diagonal(D, 0.0)
    return linkage(squareform(D, checks=False), method="average")


def plot_task_similarity(
    model_or_similarity,
    *,
    ax=None,
    dendrogram: bool = True,
    cmap="viridis",
    vmin: float | None = None,
    vmax: float | None = None,
    colorbar: bool = True,
    title: str | None = None,
):
    """Heat map of the tasks' similarity, ordered by a hierarchical clustering.

    Rows and columns follow the leaves of an average-linkage clustering of the
    distances ``1 - similarity`` (:func:`scipy.cluster.hierarchy.linkage`), so
    that similar tasks sit together; the dendrogram is drawn to the left of
    the matrix, the row labels to its right, the colour bar above it.
    Undefined similarities (``nan``: an all-zero task) count as 0 in the
    clustering and are left blank in the picture.

    Parameters
    ----------
    model_or_similarity : fitted multi-task estimator or (labels, matrix)
        A model that :func:`~mtlsynth.task_similarity` accepts, or task labels
        of shape ``(n_tasks,)`` with a symmetric similarity matrix of shape
        ``(n_tasks, n_tasks)``.
    ax : matplotlib Axes, default=None
        Where to draw the matrix (the dendrogram and colour bar are added
        beside it on the same figure); a new figure if None.
    dendrogram : bool, default=True
        Draw the dendrogram. The order is the clustering's either way.
    cmap : str or Colormap, default="viridis"
        Colour map of the heat map.
    vmin, vmax : float, default=None
        Colour limits; the data range by default.
    colorbar : bool, default=True
        Add a colour bar.
    title : str, default=None
        Title above the picture.

    Returns
    -------
    ax : matplotlib Axes
        The heat map's axes; its figure is ``ax.figure``.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    ValueError
        If the matrix is not square and symmetric or the labels do not match it.

    See Also
    --------
    mtlsynth.task_similarity : The similarity matrix of a fitted model.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from mtlsynth.plotting import plot_task_similarity
    >>> S = np.array([[1.0, 0.1, 0.9], [0.1, 1.0, 0.2], [0.9, 0.2, 1.0]])
    >>> ax = plot_task_similarity((["en-US", "en-GB", "en-US-nyc"], S))
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['en-GB', 'en-US', 'en-US-nyc']
    """
    plt = _pyplot()
    from mpl_toolkits.axes_grid1 import make_axes_locatable
    from scipy.cluster import hierarchy

    labels, S = _labels_and_matrix(model_or_similarity)
    n = len(labels)
    if ax is None:
        size = min(4.0 + 0.3 * n, 12.0)
        _, ax = plt.subplots(figsize=(size + 1.0, size))
    Z = _linkage(S) if n > 1 else None
    order = hierarchy.leaves_list(Z) if n > 1 else np.arange(n)
    image = ax.imshow(S[np.ix_(order, order)], cmap=cmap, vmin=vmin, vmax=vmax)
    names = [str(label) for label in labels[order]]
    ax.set_xticks(range(n), names, rotation=60, ha="right")
    ax.set_yticks(range(n), names)
    ax.yaxis.tick_right()
    divider = make_axes_locatable(ax)
    if dendrogram and n > 1:
        tree = divider.append_axes("left", size="25%", pad=0.05)
        hierarchy.dendrogram(
            Z, ax=tree, orientation="left", no_labels=True, color_threshold=0.0
        )
        tree.set_ylim(10 * n, 0)  # leaf i at 10 i + 5: row i of the matrix
        tree.set_axis_off()
    if colorbar:
        bar = divider.append_axes("top", size="4%", pad=0.1)
        ax.figure.colorbar(image, cax=bar, orientation="horizontal")
        bar.xaxis.set_ticks_position("top")
        if title:
            bar.set_title(title, pad=18)
    elif title:
        ax.set_title(title)
    return ax
