"""Penalties built from other penalties: sums and decompositions.

:class:`SumPenalty` adds penalties on the same coefficients; its proximal
operator, when several terms are non-smooth, comes from a splitting method
(:func:`~mtlsynth._prox.prox_of_sum`). :class:`Decomposed` writes the
coefficients as a sum of components, each with its own penalty (an infimal
convolution); the estimators fit the stacked components, on which the
penalty is separable (:class:`StackedComponents`). Both are re-exported by
:mod:`mtlsynth.penalties`.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import HasMethods, Interval

from mtlsynth._prox import prox_of_sum

__all__ = [
    "Decomposed",
    "StackedComponents",
    "SumPenalty",
    "conjugate_bound",
    "dual_gauge",
    "has_conjugate_bound",
    "penalty_terms",
    "sum_gauge",
]

PROX_TOL = 1e-12
"""Relative tolerance of a stand-alone prox of a sum (``SumPenalty.prox``)."""


def _is_smooth(penalty) -> bool:
    return callable(getattr(penalty, "gradient", None)) and not callable(
        getattr(penalty, "prox", None)
    )


def _is_norm(penalty) -> bool:
    return callable(getattr(penalty, "dual_norm", None)) and isinstance(
        getattr(penalty, "alpha", None), Real
    )


class _Penalty(BaseEstimator):
    """Common base: parameter validation and ``+``."""

    _parameter_constraints: dict = {
        "alpha": [Interval(Real, 0, None, closed="left")],
    }

    def __add__(self, other):
        """Sum of penalties, as a :class:`SumPenalty` of all their terms."""
        if not isinstance(other, _Penalty):
            return NotImplemented
        smooth, nonsmooth = [], []
        for part in (self, other):
            if isinstance(part, SumPenalty):
                more_smooth, more_nonsmooth = penalty_terms(part)
            else:
                more_smooth = [part] if _is_smooth(part) else []
                more_nonsmooth = [] if more_smooth else [part]
            smooth += more_smooth
            nonsmooth += more_nonsmooth

        def one(parts):
            return None if not parts else parts[0] if len(parts) == 1 else parts

        return SumPenalty(smooth=one(smooth), nonsmooth=one(nonsmooth))


def _auto_names(parts) -> list:
    """Names of listed parts: given by pairs, else lowercase class names."""
    names = [p[0] if isinstance(p, tuple) else type(p).__name__.lower() for p in parts]
    out, seen = [], {}
    for part, name in zip(parts, names, strict=True):
        if not isinstance(part, tuple) and names.count(name) > 1:
            seen[name] = seen.get(name, 0) + 1
            name = f"{name}-{seen[name]}"
        out.append(name)
    return out


class _NamedParts:
    """``get_params``/``set_params`` for parameters holding lists of parts.

    A parameter in ``_list_params`` may hold one penalty (its parameters are
    ``<param>__alpha`` as usual) or a list of penalties or ``(name,
    penalty)`` pairs, as in scikit-learn's ``Pipeline``: each part of a list
    is then reachable by its name (the lowercase class name, numbered when
    repeated), e.g. ``l1__alpha``.
    """

    _list_params: tuple = ()

    def _named(self):
        out = []
        for attr in self._list_params:
            parts = getattr(self, attr)
            if isinstance(parts, (list, tuple)):
                values = [p[1] if isinstance(p, tuple) else p for p in parts]
                out += [
                    (attr, i, n, p)
                    for i, (n, p) in enumerate(
                        zip(_auto_names(parts), values, strict=True)
                    )
                ]
        return out

    def get_params(self, deep=True):
        """Parameters, with those of listed parts under their names.

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of the parts.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        out = super().get_params(deep=deep)
        if deep:
            for _, _, name, part in self._named():
                out[name] = part
                if hasattr(part, "get_params"):
                    for key, value in part.get_params(deep=True).items():
                        out[f"{name}__{key}"] = value
        return out

    def set_params(self, **params):
        """Set parameters, replacing listed parts given by name.

        Parameters
        ----------
        **params : dict
            Parameters, ``<name>`` or ``<name>__<param>`` for listed parts.

        Returns
        -------
        self : estimator
            This penalty.
        """
        for attr in self._list_params:
            if attr in params:
                setattr(self, attr, params.pop(attr))
        for attr, i, name, _ in self._named():
            if name in params:
                parts = list(getattr(self, attr))
                new = params.pop(name)
                parts[i] = (name, new) if isinstance(parts[i], tuple) else new
                setattr(self, attr, parts)
        return super().set_params(**params)


def _as_list(parts) -> list:
    if parts is None:
        return []
    if isinstance(parts, (list, tuple)):
        return [p[1] if isinstance(p, tuple) else p for p in parts]
    return [parts]


def _check_parts(owner: str, attr: str, parts, methods) -> None:
    for part in parts:
        missing = [m for m in methods if not callable(getattr(part, m, None))]
        if missing:
            raise ValueError(
                f"Every part of the {attr!r} parameter of {owner} needs "
                f"{methods}; {type(part).__name__} lacks {missing}."
            )
        if callable(getattr(part, "_validate_params", None)):
            part._validate_params()


def penalty_terms(penalty):
    """The smooth and the non-smooth terms of a penalty.

    Parameters
    ----------
    penalty : penalty object
        A :class:`SumPenalty` (its terms), a penalty with ``prox`` (one
        non-smooth term) or one with ``gradient`` (one smooth term).

    Returns
    -------
    smooth : list
        Terms with ``value``, ``gradient`` and ``lipschitz``.
    nonsmooth : list
        Terms with ``value`` and ``prox``.
    """
    if isinstance(penalty, SumPenalty):
        return _as_list(penalty.smooth), _as_list(penalty.nonsmooth)
    if callable(getattr(penalty, "prox", None)):
        return [], [penalty]
    return [penalty], []


def dual_gauge(penalty):
    """The gauge of a penalty's dual ball, if it is a norm (or sum of norms).

    For ``alpha`` times a norm, the dual ball is ``{V: dual_norm(V) <=
    alpha}`` and the gauge of ``V`` is ``dual_norm(V) / alpha``: ``V / max(1,
    gauge)`` is a feasible dual point, which gives a duality gap.

    Parameters
    ----------
    penalty : penalty object
        A norm penalty (``dual_norm`` and positive ``alpha``), or a penalty
        with its own ``dual_gauge`` method.

    Returns
    -------
    gauge : callable or None
        ``V -> gauge``, or ``None`` when the penalty is not of that kind.
    """
    own = getattr(penalty, "dual_gauge", None)
    if callable(own):
        return own if penalty.has_dual_gauge() else None
    if _is_smooth(penalty) or not callable(getattr(penalty, "dual_norm", None)):
        return None
    alpha = getattr(penalty, "alpha", 0)
    if not isinstance(alpha, Real) or alpha <= 0:
        return None
    return lambda V: penalty.dual_norm(V) / alpha


def sum_gauge(terms, V, subgradients) -> float:
    """Upper bound of the dual gauge of a sum of norms, from a decomposition.

    The dual ball of ``sum_i alpha_i ||.||_i`` is the Minkowski sum of the
    terms' dual balls. With subgradients ``q_i`` of the terms (each in its
    dual ball) and ``e = V - sum_i q_i`` shared among the terms in
    proportion to ``alpha_i``, ``V = sum_i u_i`` with ``u_i = q_i + e
    alpha_i / sum_j alpha_j``, so ``V`` lies in ``rho`` times the dual ball
    for ``rho = max_i dual_norm_i(u_i) / alpha_i``. Terms with ``alpha_i =
    0`` (the zero function) take no share; their ``q_i`` go to ``e``.

    Parameters
    ----------
    terms : list of penalty
        Norm penalties with ``dual_norm`` and ``alpha``.
    V : ndarray
        Point to measure.
    subgradients : list of ndarray
        One ``q_i`` per term, e.g. from :func:`~mtlsynth._prox.prox_of_sum`.

    Returns
    -------
    rho : float
        ``V`` lies in ``rho`` times the dual ball.
    """
    alphas = np.array([float(t.alpha) for t in terms])
    positive = alphas > 0
    if not positive.any():
        return 0.0 if not np.any(V) else np.inf
    e = V - sum(q for q, p in zip(subgradients, positive, strict=True) if p)
    share = alphas / alphas.sum()
    return max(
        term.dual_norm(q + s * e) / a
        for term, q, s, a, p in zip(
            terms, subgradients, share, alphas, positive, strict=True
        )
        if p
    )


def has_conjugate_bound(terms) -> bool:
    """Whether :func:`conjugate_bound` applies to a sum of non-smooth terms.

    Parameters
    ----------
    terms : list of penalty
        Non-smooth terms.

    Returns
    -------
    applies : bool
        Every term has a ``conjugate`` method or is a norm penalty
        (``dual_norm``, ``alpha``), and at least one has a ``conjugate``.
    """
    conjugates = [callable(getattr(p, "conjugate", None)) for p in terms]
    others = [_is_norm(p) for p, c in zip(terms, conjugates, strict=True) if not c]
    return any(conjugates) and all(others)


def _into_dual_ball(term, q):
    """``q`` scaled into the dual ball of a norm term (zero for ``alpha = 0``)."""
    gauge = dual_gauge(term)
    return np.zeros_like(q) if gauge is None else q / max(1.0, gauge(q))


def conjugate_bound(terms, V, subgradients=None) -> float:
    """Upper bound of the convex conjugate of a sum of penalties at ``V``.

    For any split ``V = u_1 + ... + u_m``, ``(g_1 + ... + g_m)*(V) <= sum_i
    g_i*(u_i)``. A norm term takes its subgradient ``q_i``, scaled into its
    dual ball if it strays out (its conjugate is then zero); the terms with a
    ``conjugate`` take their ``q_i`` plus equal shares of what is left of
    ``V``. At the optimum of a fit, with the splitting's subgradients
    (:func:`~mtlsynth._prox.prox_of_sum`), the bound is tight. With ``-grad
    f(W)`` as ``V``, ``g(W) + bound - <W, V>`` bounds the suboptimality of
    ``W`` for ``f + g`` (a Fenchel-Young duality gap).

    Parameters
    ----------
    terms : list of penalty
        Terms for which :func:`has_conjugate_bound` holds.
    V : ndarray
        Point at which to bound the conjugate.
    subgradients : list of ndarray, default=None
        One ``q_i`` per term; zeros by default (all of ``V`` then goes to the
        terms with a conjugate).

    Returns
    -------
    bound : float
        ``sum_i g_i*(u_i)``, at least ``(sum_i g_i)*(V)``.
    """
    if subgradients is None:
        subgradients = [np.zeros_like(V) for _ in terms]
    conjugates = [callable(getattr(p, "conjugate", None)) for p in terms]
    parts = [
        q if c else _into_dual_ball(p, q)
        for p, q, c in zip(terms, subgradients, conjugates, strict=True)
    ]
    rest = (V - sum(parts)) / sum(conjugates)
    return float(
        sum(
            p.conjugate(u + rest)
            for p, u, c in zip(terms, parts, conjugates, strict=True)
            if c
        )
    )


class SumPenalty(_NamedParts, _Penalty):
    """Sum of penalties: smooth terms and any number of non-smooth ones.

    ::

        sum_i smooth_i(W) + sum_j nonsmooth_j(W)

    The solver takes the gradient of the smooth terms together with the
    datafit and the proximal operator of the non-smooth ones; e.g.
    ``TaskGraph(1.0) + L1(0.1)`` is MALSAR's sparse graph-regularized
    multi-task learning (SRMTL) and ``L1(0.1) + TraceNorm(0.2)`` its sparse
    and low-rank model. ``a + b`` builds one, whichever the order.

    With one non-smooth term its proximal operator is used as it is. With
    several, no closed form exists in general: the proximal operator of their
    sum is computed by the parallel Dykstra-like splitting method
    (:func:`~mtlsynth._prox.prox_of_sum`), which needs only each term's own
    proximal operator and converges to the exact proximal point. Inside
    :class:`~mtlsynth.FISTA` it is warm-started from the previous iteration
    and run to a tolerance that tightens with the outer steps. When all terms
    are norms (``L1``, ``L21``, ``L1Inf``, ``TraceNorm``) and none is smooth,
    the solver still stops on a duality gap: the splitting's subgradients
    decompose the gradient into points of the terms' dual balls, which gives
    a feasible dual point (:func:`sum_gauge`); otherwise it stops on the
    prox-gradient (KKT) residual.

    Parameters
    ----------
    smooth : penalty, list of penalties or None, default=None
        Differentiable terms (``value``, ``gradient``, ``lipschitz``);
        ``None`` means none.
    nonsmooth : penalty, list of penalties or None, default=None
        Terms handled by their proximal operators (``value``, ``prox``);
        ``None`` means none. A list may hold ``(name, penalty)`` pairs; its
        penalties are reached in grid searches by name (``l1__alpha``,
        ``tracenorm__alpha``: the lowercase class name by default, numbered
        if repeated), a single penalty as ``nonsmooth__alpha``.

    References
    ----------
    .. [1] P. L. Combettes and J.-C. Pesquet, "Proximal splitting methods in
       signal processing", in Fixed-Point Algorithms for Inverse Problems in
       Science and Engineering, Springer, 2011.
    .. [2] M. Schmidt, N. Le Roux and F. Bach, "Convergence rates of inexact
       proximal-gradient methods for convex optimization", NIPS 2011.
    .. [3] J. Zhou, J. Chen and J. Ye, "MALSAR: Multi-tAsk Learning via
       StructurAl Regularization", Arizona State University, 2011.

    Examples
    --------
    >>> from mtlsynth.penalties import L1, TaskGraph, TraceNorm
    >>> TaskGraph(alpha=1.0) + L1(alpha=0.1)
    SumPenalty(nonsmooth=L1(alpha=0.1), smooth=TaskGraph())
    >>> pen = L1(alpha=0.1) + TraceNorm(alpha=0.2)
    >>> pen.get_params()["tracenorm__alpha"]
    0.2
    """

    _parameter_constraints: dict = {
        "smooth": [HasMethods(["value", "gradient", "lipschitz"]), list, tuple, None],
        "nonsmooth": [HasMethods(["value", "prox"]), list, tuple, None],
    }
    _list_params = ("smooth", "nonsmooth")

    def __init__(self, smooth=None, nonsmooth=None):
        self.smooth = smooth
        self.nonsmooth = nonsmooth

    def _validate_params(self):
        super()._validate_params()
        smooth, nonsmooth = penalty_terms(self)
        name = type(self).__name__
        _check_parts(name, "smooth", smooth, ["value", "gradient", "lipschitz"])
        _check_parts(name, "nonsmooth", nonsmooth, ["value", "prox"])

    def value(self, W):
        """Sum of the values of all terms.

        Parameters
        ----------
        W : ndarray of shape (n_tasks, n_features, n_outputs)
            Stacked coefficients of all tasks.

        Returns
        -------
        value : float
            Penalty value.
        """
        smooth, nonsmooth = penalty_terms(self)
        return float(sum(p.value(W) for p in smooth + nonsmooth))

    def gradient(self, W):
        """Gradient of the smooth terms (zero if none).

        Parameters
        ----------
        W : ndarray of shape (n_tasks, n_features, n_outputs)
            Stacked coefficients of all tasks.

        Returns
        -------
        grad : ndarray of shape (n_tasks, n_features, n_outputs)
            Gradient of the smooth terms at ``W``.
        """
        grad = np.zeros_like(W, dtype=float)
        for p in penalty_terms(self)[0]:
            grad += p.gradient(W)
        return grad

    def lipschitz(self, shape):
        """Lipschitz constant of the smooth terms' gradient (their sum).

        Parameters
        ----------
        shape : tuple of int
            Shape ``(n_tasks, n_features, n_outputs)`` of the coefficients.

        Returns
        -------
        lipschitz : float
            Lipschitz constant of the gradient.
        """
        return float(sum(p.lipschitz(shape) for p in penalty_terms(self)[0]))

    def prox(self, W, step):
        """Proximal operator of the non-smooth terms' sum.

        One term: its own operator. Several: the splitting method of
        :func:`~mtlsynth._prox.prox_of_sum`, from a cold start, until an
        iteration moves the point by at most ``1e-12`` times its norm.

        Parameters
        ----------
        W : ndarray of shape (n_tasks, n_features, n_outputs)
            Stacked coefficients of all tasks.
        step : float
            Step size multiplying the penalty.

        Returns
        -------
        prox : ndarray of shape (n_tasks, n_features, n_outputs)
            Minimizer of ``0.5 ||Z - W||^2 + step * penalty(Z)``.
        """
        nonsmooth = penalty_terms(self)[1]
        if not nonsmooth:
            return np.array(W, dtype=float)
        tol = PROX_TOL * max(float(np.linalg.norm(W)), np.finfo(float).tiny)
        proxes = [p.prox for p in nonsmooth]
        return prox_of_sum(W, proxes, step, tol=tol, max_iter=100_000)[0]

    def has_dual_gauge(self):
        """Whether :meth:`dual_gauge` applies: only norms, at least one positive.

        Returns
        -------
        applies : bool
            No smooth term, and every non-smooth term a norm penalty
            (``dual_norm``, ``alpha``), not all with ``alpha = 0``.
        """
        smooth, nonsmooth = penalty_terms(self)
        norms = all(_is_norm(p) for p in nonsmooth)
        return not smooth and norms and any(float(p.alpha) > 0 for p in nonsmooth)

    def dual_gauge(self, V, subgradients=None):
        """An upper bound of the gauge of the dual ball at ``V``.

        See :func:`sum_gauge`; the bound is tight when the decomposition is.

        Parameters
        ----------
        V : ndarray of shape (n_tasks, n_features, n_outputs)
            Array in the coefficient layout, e.g. a gradient.
        subgradients : list of ndarray, default=None
            One subgradient per non-smooth term; by default those of the
            splitting that computes the prox of the sum at ``V`` with step 1
            (``V - prox(V)`` is the projection of ``V`` on the dual ball).

        Returns
        -------
        rho : float
            ``V`` lies in ``rho`` times the dual ball.
        """
        nonsmooth = penalty_terms(self)[1]
        if subgradients is None:
            tol = PROX_TOL * max(float(np.linalg.norm(V)), np.finfo(float).tiny)
            proxes = [p.prox for p in nonsmooth]
            subgradients = prox_of_sum(V, proxes, 1.0, tol=tol, max_iter=100_000)[1]
        return sum_gauge(nonsmooth, V, subgradients)


class Decomposed(_NamedParts, _Penalty):
    """Coefficients as a sum of components, each with its own penalty.

    With ``K`` components ``W = W_1 + ... + W_K`` (each of the shape of
    ``W``), the penalty of ``W`` is the best split (an infimal
    convolution)::

        min_{W_1 + ... + W_K = W}  p_1(W_1) + ... + p_K(W_K)

    The estimators minimize over the components themselves: the datafit sees
    their sum, the penalty is separable across them (each component's
    proximal operator), the step is ``1 / (K L)``, and the fitted components
    are ``coef_components_``. ``Decomposed([L1Inf(a), L1(b)])`` is the dirty
    model (a block-sparse part shared by the tasks plus an element-wise
    sparse part); ``Decomposed([TraceNorm(a), L21(b, group="task")])`` robust
    multi-task learning (a low-rank part plus outlier tasks).

    When every component is a norm penalty, so is the infimal convolution,
    and its dual ball is the intersection of the components' dual balls: its
    gauge is ``max_k dual_norm_k(V) / alpha_k``, which gives the duality gap.

    Parameters
    ----------
    components : list of penalties, default=None
        One non-smooth penalty (``value``, ``prox``) per component, or
        ``(name, penalty)`` pairs; required (``None`` raises when fitting).
        Penalties are reached in grid searches by name (``l1inf__alpha``;
        the lowercase class name by default, numbered if repeated:
        ``l1-1__alpha``).

    References
    ----------
    .. [1] A. Jalali, P. Ravikumar, S. Sanghavi and C. Ruan, "A dirty model
       for multi-task learning", NIPS 2010.
    .. [2] J. Chen, J. Zhou and J. Ye, "Integrating low-rank and group-sparse
       structures for robust multi-task learning", KDD 2011.
    .. [3] J. Zhou, J. Chen and J. Ye, "MALSAR: Multi-tAsk Learning via
       StructurAl Regularization", Arizona State University, 2011.

    Examples
    --------
    >>> import numpy as np
    >>> from mtlsynth.penalties import L1, L1Inf, Decomposed
    >>> dirty = Decomposed([L1Inf(alpha=0.2), L1(alpha=0.1)])
    >>> dirty.get_params()["l1__alpha"]
    0.1
    >>> components = np.zeros((2, 2, 3, 1)); components[1, 0, 0, 0] = -2.0
    >>> float(dirty.value(components))  # p_1(W_1) + p_2(W_2)
    0.2
    """

    _parameter_constraints: dict = {"components": [list, tuple, None]}
    _list_params = ("components",)

    def __init__(self, components=None):
        self.components = components

    def _validate_params(self):
        super()._validate_params()
        parts = _as_list(self.components)
        if not parts:
            raise ValueError(
                "Decomposed needs at least one component penalty, e.g. "
                "Decomposed([L1Inf(0.1), L1(0.05)])."
            )
        _check_parts(type(self).__name__, "components", parts, ["value", "prox"])

    def parts(self):
        """The component penalties, in order.

        Returns
        -------
        parts : list of penalty
            One penalty per component.
        """
        return _as_list(self.components)

    def value(self, components):
        """Sum of the component penalties at given components.

        The penalty of ``W`` itself is the minimum of this over the splits of
        ``W``, which the fit reaches.

        Parameters
        ----------
        components : ndarray of shape (n_components, n_tasks, n_features, \
n_outputs)
            The components ``W_k``.

        Returns
        -------
        value : float
            ``sum_k p_k(W_k)``.
        """
        parts = self.parts()
        components = np.asarray(components, dtype=float)
        if components.ndim != 4 or len(components) != len(parts):
            raise ValueError(
                f"Decomposed.value takes the {len(parts)} components stacked, "
                "shape (n_components, n_tasks, n_features, n_outputs); got shape "
                f"{components.shape}."
            )
        return float(sum(p.value(c) for p, c in zip(parts, components, strict=True)))

    def has_dual_gauge(self):
        """Whether :meth:`dual_gauge` applies: every component a norm.

        Returns
        -------
        applies : bool
            Every component has a dual gauge (positive ``alpha``).
        """
        return all(dual_gauge(p) is not None for p in self.parts())

    def dual_gauge(self, V):
        """Gauge of the dual ball, ``max_k dual_norm_k(V) / alpha_k``.

        Parameters
        ----------
        V : ndarray of shape (n_tasks, n_features, n_outputs)
            Array in the coefficient layout, e.g. a gradient.

        Returns
        -------
        rho : float
            ``V`` lies in ``rho`` times the dual ball.
        """
        return max(dual_gauge(p)(V) for p in self.parts())

    def stacked(self, n_features):
        """The separable penalty on the components stacked along features.

        Parameters
        ----------
        n_features : int
            Number of features of one component.

        Returns
        -------
        penalty : StackedComponents
            Penalty on arrays of shape ``(n_tasks, n_components * n_features,
            n_outputs)``.
        """
        return StackedComponents(self.parts(), n_features)


class StackedComponents:
    """Separable penalty on components stacked along the feature axis.

    Rows ``k * d`` to ``(k + 1) * d`` of every task hold component ``k``; the
    value is ``sum_k p_k(W_k)`` and the proximal operator acts component by
    component. Used by the estimators for :class:`Decomposed`.

    Parameters
    ----------
    parts : list of penalty
        One non-smooth penalty per component.
    n_features : int
        Rows of one component.
    """

    def __init__(self, parts, n_features):
        self.parts = list(parts)
        self.n_features = int(n_features)

    def _blocks(self, Z):
        d = self.n_features
        return [Z[:, k * d : (k + 1) * d] for k in range(len(self.parts))]

    def value(self, Z):
        """``sum_k p_k(W_k)``."""
        return float(
            sum(p.value(b) for p, b in zip(self.parts, self._blocks(Z), strict=True))
        )

    def prox(self, Z, step):
        """Each component's proximal operator on its block."""
        return np.concatenate(
            [p.prox(b, step) for p, b in zip(self.parts, self._blocks(Z), strict=True)],
            axis=1,
        )

    def has_dual_gauge(self):
        """Whether every component is a norm penalty."""
        return all(dual_gauge(p) is not None for p in self.parts)

    def dual_gauge(self, V):
        """Largest gauge of the blocks in their components' dual balls."""
        return max(
            dual_gauge(p)(b) for p, b in zip(self.parts, self._blocks(V), strict=True)
        )
