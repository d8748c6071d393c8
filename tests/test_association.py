"""JIPDA association: compiled EHM against the brute-force oracle, hand-worked cases, LBP."""
import inspect
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from numpy.testing import assert_allclose

from association_inputs import from_mask, scan
from tracker import association, reference
from tracker.association import (METHOD_EXACT, METHOD_EXACT_LOG, METHOD_LBP, STATUS_OK,
                                 STATUS_INVALID_INPUT, associate)

FIELDS = ("beta", "beta_none", "existence", "claimed")


def random_cluster(rng, n_tracks, n_dets, density, log_range=40.0):
    """A random gate pattern, likelihood ratios e^-40..e^40, r in [0, 1], Pd, Pg in (0, 1]."""
    mask = rng.random((n_tracks, n_dets)) < density
    offsets, det, lr = from_mask(mask, rng.uniform(-log_range, log_range, (n_tracks, n_dets)))
    r = rng.choice([0.0, 1.0, *rng.random(3)], n_tracks)           # the ends included
    pd = rng.choice([1.0, *rng.uniform(1e-3, 1.0, 3)], n_tracks)
    pg = rng.choice([1.0, 0.999, *rng.uniform(0.5, 1.0, 2)], n_tracks)
    return offsets, det, lr, r, pd, pg, n_dets


def assert_invariants(a, offsets):
    owner = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    for name in FIELDS:
        assert np.isfinite(getattr(a, name)).all(), name
    assert_allclose(a.beta_none + np.bincount(owner, a.beta, len(offsets) - 1), 1.0, rtol=1e-12)
    assert ((a.existence >= 0) & (a.existence <= 1)).all()
    assert (a.beta >= 0).all() and (a.beta_none >= 0).all()
    assert ((a.claimed >= 0) & (a.claimed <= 1 + 1e-12)).all()


def assert_same(got, want, rtol=1e-9, atol=1e-12):
    for name in FIELDS:
        assert_allclose(getattr(got, name), getattr(want, name), rtol=rtol, atol=atol,
                        err_msg=name)


@given(n_tracks=st.integers(1, 7), n_dets=st.integers(0, 8), density=st.floats(0.0, 1.0),
       seed=st.integers(0, 2**32 - 1))
@settings(max_examples=150, deadline=None)
def test_exact_marginals_match_the_enumeration_of_every_joint_event(n_tracks, n_dets,
                                                                     density, seed):
    inputs = random_cluster(np.random.default_rng(seed), n_tracks, n_dets, density)
    got = associate(*inputs)
    want = associate(*inputs, kernels=reference)             # brute force, log space
    assert_same(got, want)
    assert_invariants(got, inputs[0])
    assert (got.status == STATUS_OK).all()
    assert (got.method <= METHOD_EXACT_LOG).all() and got.n_approximate == 0


def test_one_track_one_detection_is_ipda():
    """r' = r (1 - Pd Pg + Pd ell) / (1 - Pd Pg r + Pd r ell); beta = Pd ell / (1 - Pd Pg + Pd ell).

    (Musicki's IPDA with the gate-truncated likelihood ell / Pg: 1 - delta with
    delta = Pd Pg (1 - ell / Pg).) Numbers: r = 0.6, Pd = 0.9, Pg = 0.99, ell = 5:
    r' = 0.6 * 4.609 / 3.1654 = 0.87363..., beta = 4.5 / 4.609 = 0.97635...
    """
    a = associate([0, 1], [0], [np.log(5.0)], 0.6, 0.9, 0.99)
    assert_allclose(a.existence, [0.6 * 4.609 / 3.1654], rtol=1e-12)
    assert_allclose(a.beta, [4.5 / 4.609], rtol=1e-12)
    assert_allclose(a.beta_none, [0.109 / 4.609], rtol=1e-12)
    assert_allclose(a.claimed, [0.6 * 4.5 / 3.1654], rtol=1e-12)  # q = Pd r ell / Z


def test_a_track_without_detections_takes_the_miss_update():
    """r' = (1 - Pd Pg) r / (1 - Pd Pg r) = 0.1 * 0.5 / 0.55; beta_none = 1."""
    a = associate([0, 0], [], [], 0.5, 0.9, 1.0, n_detections=2)
    assert_allclose(a.existence, [0.05 / 0.55], rtol=1e-12)
    assert_allclose(a.beta_none, [1.0])
    assert_allclose(a.claimed, [0.0, 0.0])
    assert a.cluster_tracks.tolist() == [1] and a.cluster_detections.tolist() == [0]


def test_two_tracks_sharing_one_detection():
    """Events: both miss m1 m2, track 1 takes it a1 m2, track 2 takes it m1 a2.

    r = (0.8, 0.5), Pd = 0.9, Pg = 1, ell = (4, 2): m = 1 - 0.9 r = (0.28, 0.55),
    a = 0.9 r ell = (2.88, 0.9); Z = 0.154 + 1.584 + 0.252 = 1.99.
    q_11 = 1.584 / Z, q_21 = 0.252 / Z, rho = 0.1 r / m; r' = q_1 + q_0 rho.
    """
    a = associate([0, 1, 2], [0, 0], np.log([4.0, 2.0]), [0.8, 0.5], 0.9, 1.0)
    Z = 0.154 + 1.584 + 0.252
    q1, q2 = 1.584 / Z, 0.252 / Z
    rho = np.array([0.08 / 0.28, 0.05 / 0.55])
    q0 = np.array([1 - q1, 1 - q2])
    r_post = np.array([q1, q2]) + q0 * rho
    assert_allclose(a.existence, r_post, rtol=1e-12)
    assert_allclose(a.beta, [q1, q2] / r_post, rtol=1e-12)
    assert_allclose(a.beta_none, q0 * rho / r_post, rtol=1e-12)
    assert_allclose(a.claimed, [q1 + q2], rtol=1e-12)
    assert a.cluster_tracks.tolist() == [2] and a.n_exact == 1


def test_a_track_that_cannot_exist_keeps_beta_none_one():
    a = associate([0, 1], [0], [5.0], 0.0, 0.9, 0.99)
    assert a.existence.tolist() == [0.0] and a.beta.tolist() == [0.0]
    assert a.beta_none.tolist() == [1.0] and a.claimed.tolist() == [0.0]


def test_certain_tracks_sharing_a_detection_are_solved_in_log_space():
    """r = Pd = Pg = 1: each miss weighs 1e-300 (MISS_FLOOR), beyond the scaled arithmetic."""
    a = associate([0, 1, 2], [0, 0], [3.0, 3.0], 1.0, 1.0, 1.0)
    assert a.method.tolist() == [METHOD_EXACT_LOG] and a.n_log_space == 1
    assert_allclose(a.existence, [0.5, 0.5], rtol=1e-12)
    assert_allclose(a.beta, [1.0, 1.0]) and assert_allclose(a.claimed, [1.0], rtol=1e-12)
    assert_same(a, associate([0, 1, 2], [0, 0], [3.0, 3.0], 1.0, 1.0, 1.0, kernels=reference))


@pytest.mark.parametrize("seed", range(5))
def test_likelihood_ratios_beyond_double_range_give_no_nan(seed):
    inputs = random_cluster(np.random.default_rng(seed), 7, 8, 0.7, log_range=700.0)
    got = associate(*inputs)
    assert_invariants(got, inputs[0])
    assert_same(got, associate(*inputs, kernels=reference), atol=1e-9)


def test_independent_clusters_give_what_each_gives_alone():
    rng = np.random.default_rng(7)
    one, two = random_cluster(rng, 5, 6, 0.5), random_cluster(rng, 4, 5, 0.6)
    together = associate(np.r_[one[0], two[0][1:] + one[0][-1]], np.r_[one[1], two[1] + 6],
                         np.r_[one[2], two[2]], *(np.r_[one[i], two[i]] for i in (3, 4, 5)),
                         n_detections=11)
    alone = [associate(*one), associate(*two)]
    for name in FIELDS:
        assert_allclose(getattr(together, name),
                        np.r_[getattr(alone[0], name), getattr(alone[1], name)], rtol=1e-12,
                        atol=1e-300, err_msg=name)
    assert together.cluster_tracks.sum() == 9
    assert len(together.method) == len(alone[0].method) + len(alone[1].method)


def test_clusters_are_the_connected_components():
    #          d0  d1  d2  d3
    mask = np.array([[1, 0, 0, 0],      # t0 - d0 - t1 - d1 - t3: one cluster
                     [1, 1, 0, 0],
                     [0, 0, 1, 0],      # t2 alone with d2
                     [0, 1, 0, 0],
                     [0, 0, 0, 0]], bool)  # t4 gates nothing; d3 is nobody's
    offsets, det, _ = from_mask(mask, np.zeros(mask.shape))
    order, cluster_offsets = association.clusters(offsets, det, 4)
    groups = sorted(sorted(order[s:e].tolist()) for s, e in zip(cluster_offsets[:-1],
                                                                 cluster_offsets[1:]))
    assert groups == [[0, 1, 3], [2], [4]]


def chain(n, rng):
    """Track i gates detections i and i + 1: a cluster with no cycle (LBP is exact there)."""
    mask = np.eye(n, n + 1, dtype=bool) | np.eye(n, n + 1, 1, dtype=bool)
    offsets, det, lr = from_mask(mask, rng.uniform(-5, 10, (n, n + 1)))
    return offsets, det, lr, rng.uniform(0.2, 1.0, n), 0.9, 0.999, n + 1


def test_ehm_solves_a_long_chain_exactly_where_enumeration_cannot():
    """200 tracks in one cluster: more joint events than atoms, a net of about 1,000
    branches. Without cycles LBP is exact, so the two must agree."""
    inputs = chain(200, np.random.default_rng(3))
    exact = associate(*inputs)
    assert exact.method.tolist() == [METHOD_EXACT]
    lbp = associate(*inputs, max_exact_branches=0, tolerance=1e-14)
    assert lbp.method.tolist() == [METHOD_LBP]
    assert_same(exact, lbp, rtol=1e-9, atol=1e-12)
    branches, _, _ = association.net_bounds(inputs[0], inputs[1], 201,
                                            *association.clusters(inputs[0], inputs[1], 201))
    assert branches[0] < 2000


@given(n_tracks=st.integers(1, 7), n_dets=st.integers(0, 8), density=st.floats(0.0, 1.0),
       seed=st.integers(0, 2**32 - 1))
@settings(max_examples=60, deadline=None)
def test_lbp_kernel_matches_its_twin(n_tracks, n_dets, density, seed):
    inputs = random_cluster(np.random.default_rng(seed), n_tracks, n_dets, density)
    got = associate(*inputs, max_exact_branches=0)
    assert_same(got, associate(*inputs, max_exact_branches=0, kernels=reference))
    assert (got.method >= METHOD_LBP).all() and got.n_approximate == len(got.method)
    assert_invariants(got, inputs[0])


def test_lbp_accuracy_on_small_loopy_clusters():
    """Documented in docs/association.md: on dense random clusters (2-7 tracks, up to 8
    detections, ell within e^+-10) the joint probabilities q_ij = beta_ij r'_i are off by
    0.005 on average and by less than 0.01 in 90 % of clusters."""
    rng = np.random.default_rng(11)
    errors = []
    for _ in range(300):
        inputs = random_cluster(rng, int(rng.integers(2, 8)), int(rng.integers(1, 9)),
                                rng.random(), log_range=10.0)
        exact, lbp = associate(*inputs), associate(*inputs, max_exact_branches=0)
        owner = np.repeat(np.arange(len(inputs[0]) - 1), np.diff(inputs[0]))
        errors.append(np.abs(exact.beta * exact.existence[owner]
                             - lbp.beta * lbp.existence[owner]).max(initial=0.0))
        assert np.abs(exact.existence - lbp.existence).max() < 0.2
    assert np.mean(errors) < 0.01 and np.percentile(errors, 90) < 0.01
    assert max(errors) > 1e-4                     # loopy clusters: not exact


def test_lbp_is_used_and_counted_only_above_the_budget():
    rng = np.random.default_rng(5)
    inputs = scan(rng, 300, dense=8)              # small clusters + one 8 x 8
    a = associate(*inputs)
    assert a.n_approximate == 0 and a.n_exact == len(a.method)
    branches, _, _ = association.net_bounds(inputs[0], inputs[1], inputs[6],
                                            a.order, a.cluster_offsets)
    limit = np.sort(branches)[-2]                 # only the dense cluster above it
    b = associate(*inputs, max_exact_branches=limit)
    dense = np.flatnonzero(b.cluster_tracks == 8)
    assert b.n_approximate == 1 and b.method[dense].tolist() == [METHOD_LBP]
    others = np.flatnonzero(b.cluster_tracks != 8)
    assert (b.method[others] == METHOD_EXACT).all()
    assert_invariants(b, inputs[0])


def test_a_scan_matches_the_oracle_cluster_by_cluster():
    inputs = scan(np.random.default_rng(2), 400)
    assert_same(associate(*inputs), associate(*inputs, kernels=reference))


@pytest.mark.parametrize("change, message", [
    (dict(log_likelihood_ratio=[np.nan]), "NaN"),
    (dict(existence=1.5), "existence"),
    (dict(detection_probability=0.0), "detection_probability"),
    (dict(det_index=[3]), "det_index"),
])
def test_bad_input_is_named(change, message):
    args = dict(offsets=[0, 1], det_index=[0], log_likelihood_ratio=[1.0], existence=0.5,
                detection_probability=0.9, gate_probability=0.99, n_detections=2)
    args.update(change)
    with pytest.raises(ValueError, match=message):
        associate(**args)


def test_a_track_gating_a_detection_twice_is_refused():
    with pytest.raises(ValueError, match="twice"):
        associate([0, 2], [0, 0], [1.0, 1.0], 0.5, 0.9, 0.99)


def test_the_kernel_flags_an_invalid_cluster_and_solves_the_others():
    """Called directly (no checks above it), a NaN marks its own cluster only."""
    offsets = np.array([0, 1, 2], np.intp)
    det = np.array([0, 1], np.intp)
    lr = np.array([np.nan, 2.0])
    r, pd, pg = np.full(2, 0.5), np.full(2, 0.9), np.full(2, 0.99)
    order, cluster_offsets = association.clusters(offsets, det, 2)
    for kernels in (association._jpda, reference):
        method = np.zeros(2, np.int8)
        beta, beta_none, post, claimed, status = (np.empty(2), np.empty(2), np.empty(2),
                                                  np.empty(2), np.empty(2, np.int8))
        kernels.jipda(offsets, det, lr, r, pd, pg, order, cluster_offsets, method, 10, 1e-9,
                      beta, beta_none, post, claimed, status,
                      **association.workspace(2, 2, 2, 4, 8, 2))
        assert status.tolist() == [STATUS_INVALID_INPUT, STATUS_OK]
        assert beta_none[0] == 1.0 and post[0] == 0.5 and beta[0] == 0.0
        assert np.isfinite(beta).all() and 0.0 < post[1] <= 1.0


def test_the_kernel_has_a_numpy_twin_with_its_signature():
    """DESIGN.md rule 3, for src_cython/jpda.pyx."""
    from test_layout import _kernel_signatures
    kernels = _kernel_signatures(Path(__file__).resolve().parents[1] / "src_cython" / "jpda.pyx")
    assert set(kernels) == {"jipda"}
    assert list(inspect.signature(reference.jipda).parameters) == kernels["jipda"]


def test_feeds_the_pda_update():
    """The output plugs into tracker.kalman.pda_update as it is."""
    from tracker import kalman
    rng = np.random.default_rng(0)
    offsets, det, lr, r, pd, pg, n_det = scan(rng, 50)
    a = associate(offsets, det, lr, r, pd, pg, n_det)
    N, K = len(offsets) - 1, len(det)
    x, P = np.zeros((N, 6)), np.broadcast_to(np.eye(6) * 100.0, (N, 6, 6)).copy()
    H = np.broadcast_to(np.eye(3, 6), (N, 3, 6))
    S, status = kalman.pda_update(x, P, H, np.broadcast_to(np.eye(3), (N, 3, 3)),
                                  rng.normal(size=(K, 3)), a.beta, a.beta_none, offsets)
    assert (status == 0).all() and np.isfinite(x).all()


def test_a_scan_with_no_track_in_coverage_claims_nothing():
    for n_det in (0, 3):
        a = associate(np.zeros(1, np.intp), np.empty(0, np.intp), np.empty(0), np.empty(0),
                      0.9, 0.999, n_detections=n_det)
        assert a.beta.size == 0 and a.existence.size == 0 and a.n_exact == 0
        assert a.claimed.tolist() == [0.0] * n_det


def test_trusted_inputs_give_the_same_association_and_still_refuse_nan():
    rng = np.random.default_rng(11)
    inputs = scan(rng, 200, dense=6)
    checked = associate(*inputs)
    trusted = associate(*inputs, trusted=True)
    for name in ("beta", "beta_none", "existence", "claimed", "order", "cluster_offsets"):
        assert np.array_equal(getattr(checked, name), getattr(trusted, name)), name
    offsets, det, lr, r, pd, pg, n_det = inputs
    bad = np.array(lr, dtype=float)
    bad[3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        associate(offsets, det, bad, r, pd, pg, n_det, trusted=True)
