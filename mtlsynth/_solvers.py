"""Accelerated proximal gradient solver with adaptive restart and certificates."""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval

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

    Stopping uses a certificate, checked every ``check_every`` iterations:
    the duality gap, when the datafit offers ``dual_value`` and the penalty is
    a norm (``dual_norm``), must fall below ``tol * f(0)``; otherwise the norm
    of the prox-gradient mapping ``L ||Z - prox(Z - grad / L)||`` (a KKT
    residual) must fall below ``tol * ||grad(0)||``.

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
    """Datafit + penalty seen by the solver: gradients, prox and certificates."""

    def __init__(self, datafit, penalty):
        self.datafit, self.penalty = datafit, penalty
        self.d = datafit.shape[1] - getattr(datafit, "n_unpenalized", 0)
        self.smooth = callable(getattr(penalty, "gradient", None))
        self.nonsmooth = callable(getattr(penalty, "prox", None))
        gap = (
            callable(getattr(datafit, "dual_value", None))
            and callable(getattr(penalty, "dual_norm", None))
            and not self.smooth
            and getattr(penalty, "alpha", 0) > 0
            and self.d == datafit.shape[1]
        )
        self.kind = "duality_gap" if gap else "kkt_residual"
        lip = datafit.lipschitz()
        if self.smooth:
            lip += penalty.lipschitz(datafit.shape[:1] + (self.d,) + datafit.shape[2:])
        self.lipschitz = max(lip, np.finfo(float).tiny)

    def _value_and_gradient(self, x):
        if callable(getattr(self.datafit, "value_and_gradient", None)):
            return self.datafit.value_and_gradient(x)
        return self.datafit.value(x), self.datafit.gradient(x)

    def smooth_gradient(self, x):
        """Gradient of the datafit plus the smooth part of the penalty."""
        g = self.datafit.gradient(x)
        if self.smooth:
            g[:, : self.d] += self.penalty.gradient(x[:, : self.d])
        return g

    def prox_step(self, x, grad, step):
        """``prox(x - step * grad)`` on the penalized rows, a plain step elsewhere."""
        z = x - step * grad
        if self.nonsmooth:
            z[:, : self.d] = self.penalty.prox(z[:, : self.d], step)
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
        """Objective value and certificate at ``x``."""
        value, grad = self._value_and_gradient(x)
        W = x[:, : self.d]
        objective = value + self.penalty.value(W)
        if self.kind == "duality_gap":
            dual_norm = self.penalty.dual_norm(grad)
            alpha = self.penalty.alpha
            s = 1.0 if dual_norm <= alpha else alpha / dual_norm
            return objective, max(objective - self.datafit.dual_value(x, s), 0.0)
        if self.smooth:
            grad[:, : self.d] += self.penalty.gradient(W)
        step = 1.0 / self.lipschitz
        residual = np.linalg.norm(x - self.prox_step(x, grad, step)) / step
        return objective, float(residual)
