"""Sparse mixed-integer programs and the two PyPI solvers planner drives: HiGHS and CBC.

A :class:`MipModel` is the whole problem as arrays (minimise ``c @ x + offset`` subject to
``row_lo <= A @ x <= row_hi``, ``col_lo <= x <= col_hi``, some columns integer), built by
:mod:`planner.analysis.siting` straight from scipy.sparse matrices. No modelling layer sits
in between: HiGHS receives the CSC arrays through ``highspy.Highs.passModel``; CBC (the
binary in PuLP's wheel, or cbcbox's, see :func:`cbc_path`) reads a free-format MPS file written from the same arrays with
vectorised string formatting, and a MIP start file.

Both report the incumbent, the best bound and the status. A solve stops on its node limit
(the work limit, the same on every machine: HiGHS and CBC run on one thread) or, as a safety
net, on the wall clock; either is ``"time_limit"`` whatever its gap, and
:attr:`MipOutcome.clock` says when it was the clock (the caller then drops the answer, which
depends on the machine's load). ``"optimal"`` only when the solver proved it (to the
relative gap :data:`MIP_REL_GAP`).

Nothing a solver says is taken on trust: the solution vector is checked against the model
(bounds, rows, integrality) and its objective recomputed (:func:`solution_problem`). HiGHS
1.16 can mis-evaluate a MIP start after presolve ("MIP start solution is feasible in the
reduced space" at an objective one site too low) and then stop, "optimal", with that
objective and the start's vector; when the vector does not give the reported objective, the
model is solved again without the start. A vector that still breaks the model is dropped and
the outcome is ``"error"``; a vector whose objective disagrees is kept with its recomputed
objective, no bound, and status ``"error"``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from planner.errors import DependencyError

__all__ = [
    "MIP_REL_GAP",
    "LpBound",
    "MipModel",
    "MipOutcome",
    "dual_bound",
    "lp_bound",
    "solution_problem",
    "solve_mip",
]

log = logging.getLogger(__name__)

#: Relative gap at which a solver may call a solution optimal (objectives of counts and
#: integer weights below a million are then exact).
MIP_REL_GAP = 1e-6
#: Absolute gap at which a solver may stop.
MIP_ABS_GAP = 1e-6
#: Tolerance of the checks of a returned solution: row activity and bounds (relative to
#: ``max(1, |bound|)``), integrality (absolute) and objective (relative to ``max(1, |obj|)``).
CHECK_TOL = 1e-6


@dataclass
class MipModel:
    """Minimise ``c @ x + offset`` s.t. ``row_lo <= A @ x <= row_hi``, bounds, integrality.

    Parameters
    ----------
    c
        Objective coefficients, one per column.
    A
        Constraint matrix (rows × columns), any scipy.sparse format.
    row_lo, row_hi
        Row bounds (``-inf`` / ``inf`` for one-sided rows).
    col_lo, col_hi
        Column bounds.
    integer
        True for integer columns.
    offset
        Constant added to the objective.
    """

    c: NDArray[np.float64]
    A: sp.csr_matrix
    row_lo: NDArray[np.float64]
    row_hi: NDArray[np.float64]
    col_lo: NDArray[np.float64]
    col_hi: NDArray[np.float64]
    integer: NDArray[np.bool_]
    offset: float = 0.0

    @property
    def shape(self) -> tuple[int, int]:
        """Number of rows and columns."""
        return int(self.A.shape[0]), int(self.A.shape[1])


@dataclass
class MipOutcome:
    """What a solver returned (objective and bound in the minimised sense, with offset).

    Parameters
    ----------
    x
        Best solution found, or None.
    objective
        Its objective (``nan`` without a solution).
    bound
        Best proven lower bound (``-inf`` when unknown).
    status
        ``"optimal"``, ``"time_limit"``, ``"infeasible"`` or ``"error"``.
    solver
        ``"highs"`` or ``"cbc"``.
    seconds
        Wall time of the solver call.
    clock
        True when the wall clock (not the node limit) stopped the solve.
    """

    x: NDArray[np.float64] | None
    objective: float
    bound: float
    status: str
    solver: str
    seconds: float
    clock: bool = False


def solution_problem(model: MipModel, x: NDArray[np.float64], objective: float) -> str | None:
    """What is wrong with a solver's solution ``x`` claimed to have ``objective``, or None.

    Parameters
    ----------
    model
        The problem.
    x
        The solution vector.
    objective
        The objective the solver reported (with the offset).

    Returns
    -------
    str or None
        A short description of the first failed check (bounds, integrality, rows,
        objective), or None when ``x`` is feasible and gives ``objective``.
    """
    tol = CHECK_TOL
    x = np.asarray(x, dtype=np.float64)
    if x.shape != (model.shape[1],) or not np.isfinite(x).all():
        return "the solution vector has the wrong length or non-finite values"
    lo, hi = model.col_lo, model.col_hi
    bad = (x < lo - tol * np.maximum(1.0, np.abs(lo))) | (
        x > hi + tol * np.maximum(1.0, np.abs(hi))
    )
    if bad.any():
        return (
            f"{int(bad.sum())} values outside their bounds (column {int(np.flatnonzero(bad)[0])})"
        )
    frac = model.integer & (np.abs(x - np.round(x)) > 1e-5)
    if frac.any():
        return f"{int(frac.sum())} integer columns are fractional (column {int(np.flatnonzero(frac)[0])})"
    act = sp.csr_matrix(model.A) @ x
    rlo, rhi = model.row_lo, model.row_hi
    with np.errstate(invalid="ignore"):
        low = act < rlo - tol * np.maximum(1.0, np.abs(rlo))
        high = act > rhi + tol * np.maximum(1.0, np.abs(rhi))
    broken = np.flatnonzero(low | high)
    if broken.size:
        return f"{broken.size} rows are violated (row {int(broken[0])})"
    got = float(model.c @ x + model.offset)
    if not abs(got - objective) <= tol * max(1.0, abs(got)):
        return f"the solver reported objective {objective:.10g} but its solution gives {got:.10g}"
    return None


def solve_mip(
    model: MipModel,
    *,
    solver: str,
    time_limit_s: float,
    start: NDArray[np.float64] | None = None,
    node_limit: int | None = None,
    cutoff: float | None = None,
) -> MipOutcome:
    """Solve ``model`` with ``"highs"`` or ``"cbc"``, starting from ``start`` if given.

    Parameters
    ----------
    model
        The problem.
    solver
        ``"highs"`` or ``"cbc"``.
    time_limit_s
        Wall-clock safety net, seconds (the whole solve, a retry included).
    start
        A feasible solution to start from (a MIP start), or None.
    node_limit
        Branch-and-bound nodes (the work limit), or None for no limit.
    cutoff
        Only solutions with an objective below this are wanted (HiGHS ``objective_bound``,
        CBC ``-cutoff``): a solve that finds none ends ``"infeasible"`` or with a bound at
        or above the cutoff.

    Returns
    -------
    MipOutcome
        The solution, bound and status.
    """
    limit = max(float(time_limit_s), 1e-3)
    if solver == "highs":
        return _solve_highs(
            model, time_limit_s=limit, start=start, node_limit=node_limit, cutoff=cutoff
        )
    if solver == "cbc":
        return _solve_cbc(
            model, time_limit_s=limit, start=start, node_limit=node_limit, cutoff=cutoff
        )
    raise ValueError(f"unknown solver {solver!r}")


@dataclass
class LpBound:
    """What :func:`lp_bound` found.

    Attributes
    ----------
    value
        A lower bound on the model (``-inf`` when none).
    x
        The interior point's column values (``None`` when none came back).
    clock
        True when the clock stopped the solve: the caller drops it (its outcome would
        depend on the machine's load).
    """

    value: float
    x: NDArray[np.float64] | None
    clock: bool


def lp_bound(model: MipModel, *, iterations: int, time_limit_s: float) -> LpBound:
    """A lower bound on ``model`` from its LP relaxation, with the LP's column values.

    HiGHS's interior-point method (no crossover) runs at most ``iterations`` iterations
    (a work limit: the same answer on every machine) within ``time_limit_s`` (the clock,
    a safety net). The bound is not the solver's objective but the Lagrangian bound of its
    row duals (:func:`dual_bound`): valid for any duals, so an interior point stopped short
    of the optimum still gives one, and the solver's tolerances cannot make it too high.
    """
    import highspy

    h: highspy.Highs = new_highs()  # type: ignore[assignment]
    h.setOptionValue("solver", "ipm")
    h.setOptionValue("run_crossover", "off")
    h.setOptionValue("time_limit", max(float(time_limit_s), 1e-3))
    h.setOptionValue("ipm_iteration_limit", int(max(iterations, 1)))
    pass_model(h, model, relax=True)
    with _quiet_stdout():
        h.run()
    if h.getModelStatus() == highspy.HighsModelStatus.kTimeLimit:
        return LpBound(float("-inf"), None, True)
    sol = h.getSolution()
    x = np.asarray(sol.col_value, dtype=np.float64) if sol.value_valid else None
    if not sol.dual_valid:
        return LpBound(float("-inf"), x, False)
    return LpBound(dual_bound(model, np.asarray(sol.row_dual, dtype=np.float64)), x, False)


def dual_bound(model: MipModel, y: NDArray[np.float64]) -> float:
    """The Lagrangian bound ``min_{col_lo <= x <= col_hi} c x - y (A x - r)`` for row duals ``y``.

    ``r`` is ``row_lo`` where ``y > 0`` and ``row_hi`` where ``y < 0`` (a multiplier on a
    side without a finite bound is set to 0). For any ``y`` this is at most the LP optimum
    (weak duality), hence a lower bound on the MIP; at the LP's optimal duals it equals it.
    ``-inf`` when a column with an unbounded side has a reduced cost pulling it that way.

    Examples
    --------
    >>> A = sp.csr_matrix(np.array([[1.0, 1.0]]))
    >>> m = MipModel(np.ones(2), A, np.array([1.0]), np.array([np.inf]), np.zeros(2),
    ...              np.ones(2), np.ones(2, dtype=bool))
    >>> dual_bound(m, np.array([1.0])), dual_bound(m, np.array([0.5])), dual_bound(m, np.array([2.0]))
    (1.0, 0.5, 0.0)
    """
    y = np.asarray(y, dtype=np.float64).copy()
    lo, hi = model.row_lo, model.row_hi
    y[~np.isfinite(y)] = 0.0
    y[(y > 0) & ~np.isfinite(lo)] = 0.0
    y[(y < 0) & ~np.isfinite(hi)] = 0.0
    rhs = np.where(y > 0, lo, np.where(y < 0, hi, 0.0))
    d = model.c - sp.csr_matrix(model.A).T @ y
    with np.errstate(invalid="ignore"):
        col = np.where(d > 0, d * model.col_lo, np.where(d < 0, d * model.col_hi, 0.0))
    total = float(y @ rhs + col.sum() + model.offset)
    return total if np.isfinite(total) else float("-inf")


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Send the process's C-level standard output (file descriptor 1) to /dev/null.

    HiGHS prints its banner from C++ to descriptor 1, whatever Python's ``sys.stdout``
    is. In a Jupyter kernel ``sys.stdout.fileno()`` is a copy of the kernel's own
    stdout, while descriptor 1 is the pipe ipykernel forwards into the cell's output, so
    it is descriptor 1 itself that must be silenced (silencing ``sys.stdout.fileno()``
    let the banner into every notebook that solved a model).
    """
    for stream in (sys.stdout, sys.__stdout__):
        if stream is not None:
            with contextlib.suppress(AttributeError, OSError, ValueError):
                stream.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no descriptor 1 (e.g. pythonw): nothing can be printed anyway
        yield
        return
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, 1)
        finally:
            os.close(null)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _solve_highs(
    model: MipModel,
    *,
    time_limit_s: float,
    start: NDArray[np.float64] | None,
    node_limit: int | None,
    cutoff: float | None,
) -> MipOutcome:
    out = _highs_once(
        model, time_limit_s=time_limit_s, start=start, node_limit=node_limit, cutoff=cutoff
    )
    problem = solution_problem(model, out.x, out.objective) if out.x is not None else None
    if problem is not None and start is not None:
        log.warning(
            "HiGHS answered %s with a MIP start, yet its answer fails a check (%s); "
            "solving again without the start, within what is left of the limit",
            out.status,
            problem,
        )
        again = _highs_once(
            model,
            time_limit_s=max(time_limit_s - out.seconds, 1e-3),
            start=None,
            node_limit=node_limit,
            cutoff=cutoff,
        )
        again.seconds += out.seconds
        out = again
        problem = solution_problem(model, out.x, out.objective) if out.x is not None else None
    if problem is None or out.x is None:
        return out
    log.warning("HiGHS returned a solution that fails its checks: %s", problem)
    return _distrust(model, out)


def _distrust(model: MipModel, out: MipOutcome) -> MipOutcome:
    """A solver outcome whose vector failed its checks: keep only what can be verified."""
    x = out.x
    if x is None:
        return out
    feasible = solution_problem(model, x, float(model.c @ x + model.offset)) is None
    if not feasible:
        return MipOutcome(
            None, float("nan"), float("-inf"), "error", out.solver, out.seconds, out.clock
        )
    obj = float(model.c @ x + model.offset)
    return MipOutcome(x, obj, float("-inf"), "error", out.solver, out.seconds, out.clock)


def new_highs() -> object:
    """A silent single-threaded HiGHS instance (one thread: the same answer on any load)."""
    try:
        import highspy
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise DependencyError(
            "the HiGHS solver is not installed", fix="pip install highspy"
        ) from exc
    with _quiet_stdout():  # HiGHS prints a banner from C++ before options can silence it
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    return h


def pass_model(h: object, model: MipModel, *, relax: bool = False) -> None:
    """Give ``model`` to the HiGHS instance ``h`` (``relax``: as its LP relaxation)."""
    import highspy

    n_rows, n_cols = model.shape
    A = sp.csc_matrix(model.A)
    A.sort_indices()
    inf = h.getInfinity()  # type: ignore[attr-defined]
    integer = np.zeros(n_cols, dtype=np.int32) if relax else model.integer.astype(np.int32)
    status = h.passModel(  # type: ignore[attr-defined]
        n_cols,
        n_rows,
        int(A.nnz),
        1,  # column-wise
        1,  # minimise
        float(model.offset),
        np.asarray(model.c, dtype=np.float64),
        np.clip(model.col_lo, -inf, inf).astype(np.float64),
        np.clip(model.col_hi, -inf, inf).astype(np.float64),
        np.clip(model.row_lo, -inf, inf).astype(np.float64),
        np.clip(model.row_hi, -inf, inf).astype(np.float64),
        A.indptr.astype(np.int32),
        A.indices.astype(np.int32),
        A.data.astype(np.float64),
        integer,
    )
    if status == highspy.HighsStatus.kError:  # pragma: no cover - a bug if it happens
        raise RuntimeError("HiGHS rejected the model")


def _highs_once(
    model: MipModel,
    *,
    time_limit_s: float,
    start: NDArray[np.float64] | None,
    node_limit: int | None,
    cutoff: float | None,
) -> MipOutcome:
    import highspy

    t0 = time.perf_counter()
    n_cols = model.shape[1]
    h: highspy.Highs = new_highs()  # type: ignore[assignment]
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", MIP_REL_GAP)
    h.setOptionValue("mip_abs_gap", MIP_ABS_GAP)
    if node_limit is not None:
        h.setOptionValue("mip_max_nodes", int(max(node_limit, 1)))
    if cutoff is not None:
        h.setOptionValue("objective_bound", float(cutoff))
    pass_model(h, model)
    if start is not None:
        h.setSolution(
            n_cols, np.arange(n_cols, dtype=np.int32), np.asarray(start, dtype=np.float64)
        )
    h.run()
    seconds = time.perf_counter() - t0
    ms = h.getModelStatus()
    info = h.getInfo()
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    x = np.asarray(h.getSolution().col_value, dtype=np.float64) if has_solution else None
    objective = float(info.objective_function_value) if has_solution else float("nan")
    bound = float(info.mip_dual_bound)
    M = highspy.HighsModelStatus
    if ms == M.kOptimal:
        state = "optimal"
        if not np.isfinite(bound) or not model.integer.any():  # an LP: its optimum
            bound = objective
    elif ms in (M.kInfeasible,):
        state = "infeasible"
    elif ms == M.kTimeLimit or ms == M.kSolutionLimit:
        state = "time_limit"
    else:
        state = "error" if x is None else "time_limit"
        log.warning("HiGHS stopped with model status %s", h.modelStatusToString(ms))
    return MipOutcome(x, objective, bound, state, "highs", seconds, ms == M.kTimeLimit)


def cbc_path() -> str:
    """Path of a CBC binary: the one bundled in PuLP's wheel (PuLP < 4), else cbcbox's.

    PuLP 4 no longer bundles CBC (``pulp[cbc]`` installs the ``cbcbox`` wheel instead), so
    planner pins ``pulp<4``; a machine with PuLP 4 and ``cbcbox`` also works. CBC is the
    second solver (``solver="cbc"``, a cross-check of HiGHS); ``solver="auto"`` uses HiGHS.

    Returns
    -------
    str
        An executable path.

    Raises
    ------
    DependencyError
        When neither binary is installed.
    """
    try:
        from pulp.apis import coin_api

        path = Path(coin_api.pulp_cbc_path).resolve()
        if path.exists():
            return str(path)
    except (ImportError, AttributeError):  # pragma: no cover - depends on the environment
        pass
    try:  # pragma: no cover - depends on the environment
        import cbcbox

        path = Path(cbcbox.cbc_bin_path())
        if path.exists():
            return str(path)
    except ImportError:  # pragma: no cover - depends on the environment
        pass
    raise DependencyError(  # pragma: no cover - depends on the environment
        "no CBC binary found: PuLP 4 no longer bundles one and cbcbox is not installed",
        fix="pip install 'pulp>=2.8,<4' (bundles CBC) or pip install cbcbox, "
        "or pass solver='highs'",
    )


def _fmt(values: NDArray[np.float64]) -> NDArray[np.str_]:
    return np.char.mod("%.17g", values)


def write_mps(model: MipModel, path: Path) -> None:
    """Write ``model`` as a free-format MPS file (columns ``x0..``, rows ``r0..``).

    Parameters
    ----------
    model
        The problem.
    path
        File to write.
    """
    n_cols = model.shape[1]
    A = sp.csc_matrix(model.A)
    A.sort_indices()
    lo, hi = model.row_lo, model.row_hi
    kinds = np.where(lo == hi, "E", np.where(np.isinf(lo), "L", "G"))
    with open(path, "w", encoding="ascii") as f:
        f.write("NAME planner\nROWS\n N obj\n")
        f.write("".join(f" {k} r{i}\n" for i, k in enumerate(kinds.tolist())))
        f.write("COLUMNS\n")
        col_of_nz = np.repeat(np.arange(n_cols), np.diff(A.indptr))
        names = np.char.add("x", np.arange(n_cols).astype(str))
        lines = np.char.add(
            np.char.add(
                np.char.add(np.char.add(" ", names[col_of_nz]), " r"), A.indices.astype(str)
            ),
            np.char.add(" ", _fmt(A.data)),
        )
        obj_lines = np.char.add(np.char.add(np.char.add(" ", names), " obj "), _fmt(model.c))
        # each column: its objective line, then its matrix lines; integer runs in markers
        starts = A.indptr
        integer = model.integer
        out: list[str] = []
        in_int = False
        for j in range(n_cols):
            if integer[j] and not in_int:
                out.append(" M1 'MARKER' 'INTORG'")
                in_int = True
            elif not integer[j] and in_int:
                out.append(" M2 'MARKER' 'INTEND'")
                in_int = False
            out.append(str(obj_lines[j]))
            if starts[j + 1] > starts[j]:
                out.append("\n".join(lines[starts[j] : starts[j + 1]].tolist()))
        if in_int:
            out.append(" M2 'MARKER' 'INTEND'")
        f.write("\n".join(out))
        f.write("\nRHS\n")
        rhs = np.where(kinds == "L", hi, lo)
        nz = np.flatnonzero(rhs != 0)
        f.write(
            "".join(
                f" rhs r{i} {float(v)!r}\n"
                for i, v in zip(nz.tolist(), rhs[nz].tolist(), strict=True)
            )
        )
        ranged = np.flatnonzero(np.isfinite(lo) & np.isfinite(hi) & (lo != hi))
        if ranged.size:
            f.write("RANGES\n")
            f.write(
                "".join(
                    f" rng r{i} {float(v)!r}\n"
                    for i, v in zip(ranged.tolist(), (hi - lo)[ranged].tolist(), strict=True)
                )
            )
        f.write("BOUNDS\n")
        bounds: list[str] = []
        clo = [float(v) for v in model.col_lo.tolist()]
        chi = [float(v) for v in model.col_hi.tolist()]
        for j, (lo_j, hi_j, int_j) in enumerate(zip(clo, chi, integer.tolist(), strict=True)):
            if lo_j == hi_j:
                bounds.append(f" FX bnd x{j} {lo_j!r}")
                continue
            if lo_j != 0:
                bounds.append(f" MI bnd x{j}" if lo_j == -np.inf else f" LO bnd x{j} {lo_j!r}")
            if hi_j != np.inf:
                bounds.append(f" UP bnd x{j} {hi_j!r}")
            elif int_j:
                bounds.append(f" PL bnd x{j}")
        f.write("\n".join(bounds))
        f.write("\nENDATA\n")


_RESULT = re.compile(r"^Result - (.*)$", re.MULTILINE)
_NUMBER = r"([-+0-9.eE]+|-?inf)"


def _stat(log_text: str, label: str) -> float | None:
    m = re.search(rf"^{label}:\s+{_NUMBER}", log_text, re.MULTILINE)
    return float(m.group(1)) if m else None


def _solve_cbc(
    model: MipModel,
    *,
    time_limit_s: float,
    start: NDArray[np.float64] | None,
    node_limit: int | None,
    cutoff: float | None,
) -> MipOutcome:
    binary = cbc_path()
    t0 = time.perf_counter()
    n_cols = model.shape[1]
    with tempfile.TemporaryDirectory(prefix="planner-cbc-") as tmp:
        d = Path(tmp)
        write_mps(model, d / "model.mps")
        cmd = [binary, str(d / "model.mps"), "-timeMode", "elapsed", "-sec", f"{time_limit_s:g}"]
        cmd += ["-ratioGap", f"{MIP_REL_GAP:g}", "-allowableGap", f"{MIP_ABS_GAP:g}"]
        cmd += ["-randomSeed", "1", "-randomCbcSeed", "1"]
        if node_limit is not None:
            cmd += ["-maxNodes", str(int(max(node_limit, 1)))]
        if cutoff is not None:
            cmd += ["-cutoff", f"{cutoff - model.offset:.17g}"]
        if start is not None:
            with open(d / "start.sol", "w", encoding="ascii") as f:
                f.write("Stopped on iterations - objective value 0\n")
                f.write(
                    "".join(
                        f"{j} x{j} {float(v)!r} 0\n"
                        for j, v in enumerate(np.asarray(start).tolist())
                    )
                )
            cmd += ["-mips", str(d / "start.sol")]
        cmd += ["-solve", "-printingOptions", "all", "-solution", str(d / "out.sol")]
        # CBC does not check its clock inside the root LP: stop it when the limit is up
        left = max(time_limit_s - (time.perf_counter() - t0), 0.05)
        try:
            run = subprocess.run(
                cmd, capture_output=True, text=True, check=False, timeout=left + 0.2
            )
        except subprocess.TimeoutExpired:
            log.warning("CBC ignored its %g s time limit and was stopped", time_limit_s)
            seconds = time.perf_counter() - t0
            return MipOutcome(None, float("nan"), float("-inf"), "time_limit", "cbc", seconds, True)
        text = run.stdout
        sol_path = d / "out.sol"
        x: NDArray[np.float64] | None = None
        header = ""
        if sol_path.exists():
            lines = sol_path.read_text().splitlines()
            header = lines[0] if lines else ""
            x = np.zeros(n_cols)
            for line in lines[1:]:
                parts = line.replace("**", " ").split()
                if len(parts) >= 3 and parts[1].startswith("x"):
                    x[int(parts[1][1:])] = float(parts[2])
    seconds = time.perf_counter() - t0
    m = _RESULT.search(text)
    result = m.group(1) if m else ""
    obj = _stat(text, "Objective value")
    lower = _stat(text, "Lower bound")
    clock = False
    # every model planner builds is bounded: "infeasible or unbounded" is infeasible (CBC
    # prints no result line when its preprocessing finds it, e.g. under a cutoff)
    pre = "pre-processing says infeasible" in text.lower()
    if "infeasible" in result.lower() or header.lower().startswith("infeasible") or pre:
        return MipOutcome(None, float("nan"), float("inf"), "infeasible", "cbc", seconds)
    has_solution = x is not None and "no integer solution" not in header.lower()
    has_solution = has_solution and "no feasible" not in text.lower()
    if not has_solution:
        x = None
    objective = float(model.c @ x + model.offset) if x is not None else float("nan")
    if result.startswith("Optimal"):
        state = "optimal"
        bound = objective
    elif result.startswith("Stopped"):
        state = "time_limit"
        clock = "time" in result.lower()
        bound = (lower + model.offset) if lower is not None else float("-inf")
        if obj is not None and lower is None:
            bound = float("-inf")
    else:
        log.warning("CBC ended without a result line (return code %s)", run.returncode)
        state = "error" if x is None else "time_limit"
        bound = float("-inf")
    out = MipOutcome(x, objective, bound, state, "cbc", seconds, clock)
    if x is not None and obj is not None:
        problem = solution_problem(model, x, obj + model.offset)
        if problem is not None:
            log.warning("CBC returned a solution that fails its checks: %s", problem)
            return _distrust(model, out)
    elif x is not None and (problem := solution_problem(model, x, objective)) is not None:
        log.warning("CBC returned a solution that fails its checks: %s", problem)
        return _distrust(model, out)
    return out
