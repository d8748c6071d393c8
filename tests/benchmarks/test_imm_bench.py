"""IMM mixing + combination of N tracks x 4 modes per call: compiled kernels vs NumPy twins.

Run with timings: ``pytest tests/benchmarks/test_imm_bench.py --benchmark-enable``. In
the normal suite each benchmark runs once and its result is checked against the other
implementation. The problem: the tracker's four modes (``imm.tracker_modes``), mode
states a few hundred metres apart around ECEF tracks at the surface, SPD covariances,
each track's own 1-12 s mode transition.
"""
import tracemalloc

import numpy as np
import pytest

from kalman_inputs import ecef_states, spd

from tracker import _imm, imm, reference

IMPLEMENTATIONS = {"compiled": _imm, "numpy": reference}
SIZES = [300, 10_000]
M, n = 4, 6


def inputs(N, seed=0):
    """(mu, trans, x, P) and the preallocated outputs of imm_mix and imm_combine."""
    rng = np.random.default_rng(seed)
    mu = rng.dirichlet(np.ones(M), size=N)
    trans = imm.tracker_modes().transition(rng.uniform(1.0, 12.0, size=N))
    x = np.ascontiguousarray(ecef_states(rng, N)[:, None, :]
                             + rng.normal(scale=300.0, size=(N, M, n)))
    P = spd(rng, N * M, n, scale=1e4, cond=1e3).reshape(N, M, n, n)
    # outputs written once here, as a tracker reuses its workspace from scan to scan
    outputs = (np.full((N, M, n), 0.0), np.full((N, M, n, n), 0.0), np.full((N, M), 0.0),
               np.full((N, n), 0.0), np.full((N, n, n), 0.0), np.full(N, 0, np.int8))
    return (mu, trans, x, P) + outputs


def mix_combine(impl, mu, trans, x, P, x_mixed, P_mixed, mu_pred, x_out, P_out, status):
    """Mixing of every track, then the combined estimate of the mixed modes."""
    impl.imm_mix(mu, trans, x, P, x_mixed, P_mixed, mu_pred, status)
    impl.imm_combine(mu_pred, x_mixed, P_mixed, x_out, P_out, status)
    return x_out, P_out, status


@pytest.mark.parametrize("N", SIZES)
@pytest.mark.parametrize("impl", list(IMPLEMENTATIONS))
def test_mix_combine(benchmark, impl, N):
    benchmark.group = f"imm mix+combine M={M} N={N}"
    kernels = IMPLEMENTATIONS[impl]
    x_out, P_out, status = benchmark.pedantic(
        mix_combine, setup=lambda: ((kernels,) + inputs(N), {}),
        rounds=20 if impl == "compiled" else 5)
    assert (status == 0).all() and np.isfinite(P_out).all()
    want = mix_combine(reference if impl == "compiled" else _imm, *inputs(N))
    np.testing.assert_allclose(x_out, want[0], rtol=1e-9, atol=1e-9 * np.abs(want[0]).max())
    np.testing.assert_allclose(P_out, want[1], rtol=1e-9, atol=1e-9 * np.abs(want[1]).max())


def test_compiled_kernels_do_not_allocate_per_track():
    """The tracemalloc peak of one mix + combine stays flat as N grows 100-fold."""
    peaks = {}
    for N in (100, 10_000):
        args = inputs(N)
        mix_combine(_imm, *args)                  # warm up: imports, caches
        tracemalloc.start()
        mix_combine(_imm, *args)
        peaks[N] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    # a per-track allocation of even one double would add 80 kB at N = 10,000
    assert peaks[10_000] <= peaks[100] + 1024, peaks
