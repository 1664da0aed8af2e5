"""Accelerated proximal gradient solver with adaptive restart and certificates."""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval

from mtlsynth._composite import (
    conjugate_bound,
    dual_gauge,
    has_conjugate_bound,
    penalty_terms,
    sum_gauge,
)
from mtlsynth._prox import prox_of_sum
from mtlsynth.utils.blas import blas_threads_for
from mtlsynth.utils.progress import Progress

__all__ = [
    "FISTA",
    "SolverResult",
]


@dataclass
class SolverResult:
    """What a solver returns.

    Attributes
    ----------
    params : ndarray of shape (n_tasks, n_rows, n_outputs)
        Solution (coefficients, then unpenalized rows).
    n_iter : int
        Number of iterations run.
    converged : bool
        Whether the certificate fell below its threshold.
    certificate : float
        Final duality gap or KKT residual.
    certificate_kind : str
        ``"duality_gap"`` or ``"kkt_residual"``.
    objective_history : list of float
        Objective at every certificate check.
    """

    params: np.ndarray
    n_iter: int
    converged: bool
    certificate: float
    certificate_kind: str
    objective_history: list = field(default_factory=list)


def _missing(obj, names):
    return [n for n in names if not callable(getattr(obj, n, None))]


class FISTA(BaseEstimator):
    """Accelerated proximal gradient descent with adaptive restart.

    Minimizes ``f(Z) + g(W)`` where ``f`` is the datafit plus the smooth part
    of the penalty (step ``1 / L`` from their exact Lipschitz constants) and
    ``g`` the non-smooth part, through its proximal operator. Momentum is
    reset whenever it points against the last step (gradient restart).

    Stopping uses a certificate, checked every ``check_every`` iterations.
    A duality gap must fall below ``tol * f(0)``: when the datafit offers
    ``dual_value`` and the penalty is a norm (``dual_norm``), a sum of norms
    or a :class:`~mtlsynth.penalties.Decomposed` of norms, the gap at a
    rescaled dual point; when a non-smooth term offers its convex conjugate
    (``conjugate``, as :class:`~mtlsynth.penalties.ClusteredTasks` does), the
    others being norms or smooth, and every parameter row is penalized, the
    Fenchel-Young gap ``g(W) + g*(V) - <W, V>`` at ``V = -grad f(W)`` (``f``
    with the smooth terms, ``g*`` bounded by :func:`~mtlsynth._composite.
    conjugate_bound`), whatever the datafit. Otherwise the norm of the
    prox-gradient mapping ``L ||Z - prox(Z - grad / L)||`` (a KKT
    residual) must fall below ``tol * ||grad(0)||``. A
    :class:`~mtlsynth.penalties.SumPenalty` with several non-smooth terms has
    its proximal operator computed inside the loop by a splitting method
    (:func:`~mtlsynth._prox.prox_of_sum`), warm-started and run to a
    tolerance that tightens with the outer steps (inexact accelerated
    proximal gradient); the duality gap, computed with an exactly feasible
    dual point, still certifies the result.

    Parameters
    ----------
    max_iter : int, default=1000
        Maximum number of iterations.
    tol : float, default=1e-4
        Relative tolerance on the certificate.
    restart : bool, default=True
        Use adaptive (gradient) restart of the momentum.
    check_every : int, default=10
        Iterations between two certificate checks.

    References
    ----------
    .. [1] A. Beck and M. Teboulle, "A fast iterative shrinkage-thresholding
       algorithm for linear inverse problems", SIAM J. Imaging Sciences 2(1),
       2009.
    .. [2] B. O'Donoghue and E. Candes, "Adaptive restart for accelerated
       gradient schemes", Foundations of Computational Mathematics 15, 2015.
    .. [3] M. Schmidt, N. Le Roux and F. Bach, "Convergence rates of inexact
       proximal-gradient methods for convex optimization", NIPS 2011.

    Examples
    --------
    >>> from mtlsynth import FISTA
    >>> FISTA(tol=1e-6).get_params()["tol"]
    1e-06
    """

    _parameter_constraints: dict = {
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "restart": ["boolean"],
        "check_every": [Interval(Integral, 1, None, closed="left")],
    }

    required_datafit = ("value", "gradient", "lipschitz")
    """Methods a datafit needs."""

    def __init__(self, max_iter=1000, tol=1e-4, restart=True, check_every=10):
        self.max_iter = max_iter
        self.tol = tol
        self.restart = restart
        self.check_every = check_every

    def check_parts(self, datafit, penalty):
        """Raise a readable error if a part lacks a method this solver needs.

        Parameters
        ----------
        datafit : object
            Needs ``value``, ``gradient`` and ``lipschitz``.
        penalty : object
            Needs ``value`` and either ``prox`` or ``gradient`` and
            ``lipschitz``.
        """
        missing = _missing(datafit, self.required_datafit)
        if missing:
            raise TypeError(
                f"{type(self).__name__} needs datafit method(s) {missing}; "
                f"{type(datafit).__name__} does not define them."
            )
        name = type(penalty).__name__
        if _missing(penalty, ["value"]):
            raise TypeError(
                f"{type(self).__name__} needs penalty.value; {name} lacks it."
            )
        smooth_missing = _missing(penalty, ["gradient", "lipschitz"])
        if _missing(penalty, ["prox"]) and smooth_missing:
            raise TypeError(
                f"{type(self).__name__} needs penalty.prox (non-smooth penalty) or "
                f"penalty.gradient and penalty.lipschitz (smooth penalty); {name} "
                f"defines neither prox nor {smooth_missing}."
            )

    def solve(self, datafit, penalty, init=None):
        """Minimize ``datafit + penalty``.

        Parameters
        ----------
        datafit : datafit object
            See :mod:`mtlsynth._datafits`.
        penalty : penalty object
            See :mod:`mtlsynth.penalties`.
        init : ndarray of shape ``datafit.shape``, default=None
            Starting point; zeros by default.

        Returns
        -------
        result : SolverResult
            Solution, iterations, certificate and objective history.
        """
        self.check_parts(datafit, penalty)
        problem = _Problem(datafit, penalty)
        x = np.zeros(datafit.shape) if init is None else np.array(init, dtype=float)
        threshold = self.tol * problem.reference()
        problem.set_threshold(threshold)
        history = []
        value, cert = problem.certificate(x)
        history.append(value)
        it = 0
        with blas_threads_for(getattr(datafit, "iteration_flops", np.inf)):
            y, t = x.copy(), 1.0
            step = 1.0 / problem.lipschitz
            bar = Progress(self.max_iter, "FISTA iterations (at most)")
            while cert > threshold and it < self.max_iter:
                it += 1
                x_new = problem.prox_step(y, problem.smooth_gradient(y), step)
                problem.note_step(float(np.linalg.norm(x_new - x)))
                x, y, t = self._momentum(x, x_new, y, t)
                if it % self.check_every == 0 or it == self.max_iter:
                    value, cert = problem.certificate(x)
                    history.append(value)
                    bar.update(it - bar.done)
            bar.close()
        return SolverResult(
            params=x,
            n_iter=it,
            converged=bool(cert <= threshold),
            certificate=float(cert),
            certificate_kind=problem.kind,
            objective_history=history,
        )

    def _momentum(self, x, x_new, y, t):
        """Extrapolate, or restart when the momentum opposes the step."""
        if self.restart and np.vdot(y - x_new, x_new - x) > 0:
            return x_new, x_new.copy(), 1.0
        t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        y = x_new + ((t - 1.0) / t_new) * (x_new - x)
        return x_new, y, t_new


class _Problem:
    """Datafit + penalty seen by the solver: gradients, prox and certificates.

    The penalty is split into smooth terms (their gradients join the
    datafit's) and non-smooth ones. Several non-smooth terms share one
    proximal operator, computed by :func:`~mtlsynth._prox.prox_of_sum`,
    warm-started from the previous call, until an inner iteration moves the
    point by at most ``inner_tol``: a tenth of the last outer step, never
    more than before and never below ``1e-3 * threshold / ||grad f(0)||``
    (an error that changes the objective by a thousandth of the certificate's
    threshold).
    """

    def __init__(self, datafit, penalty):
        self.datafit, self.penalty = datafit, penalty
        self.d = datafit.shape[1] - getattr(datafit, "n_unpenalized", 0)
        self.smooth_terms, self.nonsmooth_terms = penalty_terms(penalty)
        self.smooth = bool(self.smooth_terms)
        self.nonsmooth = bool(self.nonsmooth_terms)
        self.split = len(self.nonsmooth_terms) > 1
        self.subgradients = None
        self.inner_tol = np.inf
        self.inner_floor = 0.0
        self.gauge = None if self.smooth else dual_gauge(penalty)
        whole = self.d == datafit.shape[1]
        self.conjugate = whole and has_conjugate_bound(self.nonsmooth_terms)
        gap = self.conjugate or (
            callable(getattr(datafit, "dual_value", None))
            and self.gauge is not None
            and whole
        )
        self.kind = "duality_gap" if gap else "kkt_residual"
        lip = datafit.lipschitz()
        shape = datafit.shape[:1] + (self.d,) + datafit.shape[2:]
        lip += sum(p.lipschitz(shape) for p in self.smooth_terms)
        self.lipschitz = max(lip, np.finfo(float).tiny)

    def _value_and_gradient(self, x):
        if callable(getattr(self.datafit, "value_and_gradient", None)):
            return self.datafit.value_and_gradient(x)
        return self.datafit.value(x), self.datafit.gradient(x)

    def smooth_gradient(self, x):
        """Gradient of the datafit plus the smooth part of the penalty."""
        g = self.datafit.gradient(x)
        for p in self.smooth_terms:
            g[:, : self.d] += p.gradient(x[:, : self.d])
        return g

    def set_threshold(self, threshold):
        """Scale the inner tolerance of a split prox to the outer threshold."""
        grad0 = float(
            np.linalg.norm(self.smooth_gradient(np.zeros(self.datafit.shape)))
        )
        self.inner_floor = 1e-3 * threshold / max(grad0, np.finfo(float).tiny)

    def note_step(self, length):
        """Tighten the inner tolerance after an outer step of this length."""
        self.inner_tol = max(min(self.inner_tol, 0.1 * length), self.inner_floor)

    def _prox(self, v, step):
        """Prox of the non-smooth terms; their subgradients when split."""
        if not self.split:
            return self.nonsmooth_terms[0].prox(v, step)
        tol = self.inner_tol
        if not np.isfinite(tol):
            tol = max(1e-2 * float(np.linalg.norm(v)), self.inner_floor)
        z, self.subgradients, _ = prox_of_sum(
            v,
            [p.prox for p in self.nonsmooth_terms],
            step,
            subgradients=self.subgradients,
            tol=tol,
            max_iter=1000,
        )
        return z

    def prox_step(self, x, grad, step):
        """``prox(x - step * grad)`` on the penalized rows, a plain step elsewhere."""
        z = x - step * grad
        if self.nonsmooth:
            z[:, : self.d] = self._prox(z[:, : self.d], step)
        return z

    def reference(self):
        """Scale of the certificate at zero: ``f(0)`` or ``||grad(0)||``."""
        zero = np.zeros(self.datafit.shape)
        if self.kind == "duality_gap":
            ref = self.datafit.value(zero)
        else:
            ref = float(np.linalg.norm(self.smooth_gradient(zero)))
        return max(ref, np.finfo(float).tiny)

    def certificate(self, x):
        """Objective value and certificate at ``x``.

        The duality gap uses the dual point ``s`` times the residuals, with
        ``s = 1 / max(1, rho)`` and ``rho`` the gauge of ``-grad f(x)`` in
        the penalty's dual ball; for several non-smooth terms ``rho`` comes
        from the subgradients of the prox of ``x - grad f(x) / L``
        (:func:`~mtlsynth._composite.sum_gauge`), an upper bound, so the gap
        stays a valid bound on the suboptimality.
        """
        value, grad = self._value_and_gradient(x)
        W = x[:, : self.d]
        step = 1.0 / self.lipschitz
        if self.conjugate:
            return self._fenchel_young_gap(x, value, grad, step)
        objective = value + self.penalty.value(W)
        if self.kind == "duality_gap":
            if self.split:
                self.prox_step(x, grad, step)
                rho = sum_gauge(self.nonsmooth_terms, -grad, self.subgradients)
            else:
                rho = self.gauge(-grad)
            s = 1.0 / max(rho, 1.0)
            return objective, max(objective - self.datafit.dual_value(x, s), 0.0)
        for p in self.smooth_terms:
            grad[:, : self.d] += p.gradient(W)
        residual = np.linalg.norm(x - self.prox_step(x, grad, step)) / step
        return objective, float(residual)

    def _fenchel_young_gap(self, x, value, grad, step):
        """Objective and duality gap for non-smooth terms with a conjugate.

        With ``F`` the datafit plus the smooth terms, ``g`` the non-smooth
        ones and ``V = -grad F(x)``, weak duality gives ``P* >= F(x) - <x,
        grad F(x)> - g*(V)``, so ``g(x) + g*(V) - <x, V>`` bounds ``P(x) -
        P*``; ``g*(V)`` is bounded by :func:`~mtlsynth._composite.
        conjugate_bound`, from the subgradients of the prox of ``x - grad F(x)
        / L`` when ``g`` has several terms.
        """
        objective = value
        for p in self.smooth_terms:
            objective += p.value(x)
            grad += p.gradient(x)
        nonsmooth = sum(p.value(x) for p in self.nonsmooth_terms)
        if self.split:
            self.prox_step(x, grad, step)
        bound = conjugate_bound(
            self.nonsmooth_terms, -grad, self.subgradients if self.split else None
        )
        gap = nonsmooth + bound + float(np.vdot(x, grad))
        return objective + nonsmooth, max(gap, 0.0)
