"""Pure-NumPy twins of the compiled kernels (DESIGN.md rule 3).

Each function has the name and signature of its compiled kernel in
``tracker._kalman`` (in-place on ``x`` and ``P``, outputs filled in the
arrays the caller passes) and does the same arithmetic in readable,
batched NumPy. The tests compare the two on random inputs; the linear
Kalman twin is also checked against filterpy. Nothing in the engine calls
these: they are the oracle, and the yardstick the benchmarks beat.
"""
from __future__ import annotations

import numpy as np
from scipy.special import ndtr

STATUS_OK = 0
STATUS_INVALID_INPUT = 1
STATUS_NOT_PD = 2
STATUS_OVERFLOW = 3

# A non-finite result is reported per track in ``status``, as the kernels do, so
# NumPy's floating-point warnings about it are noise.
_quiet = np.errstate(over="ignore", invalid="ignore", divide="ignore")


def _finite_rows(*arrays: np.ndarray) -> np.ndarray:
    """(N,) True where every array's row i is finite."""
    ok = np.ones(arrays[0].shape[0], dtype=bool)
    for a in arrays:
        ok &= np.isfinite(a.reshape(a.shape[0], -1)).all(axis=1)
    return ok


def _symmetrise(A: np.ndarray) -> np.ndarray:
    return 0.5 * (A + np.swapaxes(A, -1, -2))


def _commit(x, P, x_new, P_new, status, ok):
    """Write back the tracks whose result is finite; mark the others as overflowed."""
    finite = _finite_rows(x_new, P_new)
    status[ok & ~finite] = STATUS_OVERFLOW
    done = ok & finite
    x[done] = x_new[done]
    P[done] = P_new[done]
    status[done] = STATUS_OK
    return done


@_quiet
def predict(x, P, F, Q, status):
    """x = F x, P = F P F' + Q for every track; twin of ``_kalman.predict``."""
    ok = _finite_rows(x, P, F, Q)
    status[~ok] = STATUS_INVALID_INPUT
    x_new = np.einsum("nij,nj->ni", F, x)                               # x = F x
    P_new = _symmetrise(F @ P @ np.swapaxes(F, 1, 2) + Q)               # P = F P F' + Q
    _commit(x, P, x_new, P_new, status, ok)


@_quiet
def predict_cv(x, P, dt, accel_psd, status):
    """Nearly-constant-velocity prediction, per-track dt; twin of ``_kalman.predict_cv``.

    F = [[I, dt I], [0, I]], Q = [[dt^3/3 A, dt^2/2 A], [dt^2/2 A, dt A]]
    (Bar-Shalom, Li & Kirubarajan 2001, eq. 6.2.2-12), A the ECEF acceleration PSD.
    """
    N = x.shape[0]
    P_sym = np.triu(P) + np.swapaxes(np.triu(P, 1), 1, 2)   # symmetric: upper triangle read
    ok = _finite_rows(x, P_sym, accel_psd, dt[:, None]) & (dt >= 0)
    status[~ok] = STATUS_INVALID_INPUT
    h = np.where(ok, dt, 0.0)
    F = np.broadcast_to(np.eye(6), (N, 6, 6)).copy()
    F[:, 0:3, 3:6] = h[:, None, None] * np.eye(3)
    Q = np.zeros((N, 6, 6))
    Q[:, 0:3, 0:3] = (h**3 / 3.0)[:, None, None] * accel_psd
    Q[:, 0:3, 3:6] = Q[:, 3:6, 0:3] = (h**2 / 2.0)[:, None, None] * accel_psd
    Q[:, 3:6, 3:6] = h[:, None, None] * accel_psd
    x_new = np.einsum("nij,nj->ni", F, x)
    P_new = _symmetrise(F @ P_sym @ np.swapaxes(F, 1, 2) + Q)
    _commit(x, P, x_new, P_new, status, ok)


def _gain(P, H, R):
    """S = H P H' + R (symmetrised) and K = P H' S^-1 by a solve; ok where S is PD."""
    S = _symmetrise(H @ P @ np.swapaxes(H, 1, 2) + R)                   # S = H P H' + R
    pd = np.zeros(S.shape[0], dtype=bool)
    finite = _finite_rows(S)
    if finite.any():
        pd[finite] = np.linalg.eigvalsh(S[finite]).min(axis=1) > 0.0
    S_safe = np.where(pd[:, None, None], S, np.eye(S.shape[1]))
    K = np.swapaxes(np.linalg.solve(S_safe, H @ P), 1, 2)               # K = P H' S^-1
    return S, K, pd


def _joseph(P, K, H, R):
    """(I - K H) P (I - K H)' + K R K': symmetric PSD whatever the round-off in K."""
    A = np.eye(P.shape[1]) - K @ H
    return _symmetrise(A @ P @ np.swapaxes(A, 1, 2) + K @ R @ np.swapaxes(K, 1, 2))


@_quiet
def update(x, P, H, R, innovation, S, nis, status):
    """Kalman / EKF update, Joseph form; twin of ``_kalman.update``.

    S = H P H' + R, K = P H' S^-1, x+ = x + K y, P+ = (I-KH) P (I-KH)' + K R K',
    NIS = y' S^-1 y (Bar-Shalom et al. 2001, eq. 5.2.3-9 to -18).
    """
    S[:] = 0.0
    nis[:] = -1.0
    ok = _finite_rows(x, P, H, R, innovation)
    status[~ok] = STATUS_INVALID_INPUT
    S_new, K, pd = _gain(P, H, R)
    status[ok & ~pd] = STATUS_NOT_PD
    ok &= pd
    S[ok] = S_new[ok]
    x_new = x + np.einsum("nij,nj->ni", K, innovation)                  # x + K y
    P_new = _joseph(P, K, H, R)
    S_safe = np.where(ok[:, None, None], S_new, np.eye(S.shape[1]))
    q = np.einsum("ni,ni->n", innovation, np.linalg.solve(S_safe, innovation[..., None])[..., 0])
    done = _commit(x, P, x_new, P_new, status, ok & np.isfinite(q))
    status[ok & ~np.isfinite(q)] = STATUS_OVERFLOW
    nis[done] = q[done]


def kf_update(x, P, H, R, z, S, nis, status):
    """Linear Kalman update; twin of ``_kalman.kf_update``: ``update`` with y = z - H x."""
    update(x, P, H, R, z - np.einsum("nij,nj->ni", H, x), S, nis, status)


@_quiet
def pda_update(x, P, H, R, innovations, beta, beta_none, offsets, S, status):
    """Probabilistic data association update; twin of ``_kalman.pda_update``.

    nu = sum_i beta_i nu_i; x+ = x + K nu;
    P+ = beta_0 P + (1 - beta_0) P_c + K (sum_i beta_i nu_i nu_i' - nu nu') K'
    (Bar-Shalom, Daum & Huang, IEEE Control Systems Magazine 29(6), 2009).
    """
    N, m = H.shape[0], H.shape[1]
    S[:] = 0.0
    counts = np.diff(offsets)
    owner = np.repeat(np.arange(N), np.maximum(counts, 0))
    ok = _finite_rows(x, P, H, R, beta_none[:, None]) & (counts >= 0)
    if innovations.shape[0]:
        bad_pair = ~_finite_rows(innovations, beta[:, None])
        ok[np.unique(owner[bad_pair])] = False
    status[~ok] = STATUS_INVALID_INPUT
    S_new, K, pd = _gain(P, H, R)
    status[ok & ~pd] = STATUS_NOT_PD
    ok &= pd
    S[ok] = S_new[ok]
    nu = np.zeros((N, m))
    spread = np.zeros((N, m, m))
    np.add.at(nu, owner, beta[:, None] * innovations)
    np.add.at(spread, owner, beta[:, None, None] * innovations[:, :, None] * innovations[:, None, :])
    spread -= nu[:, :, None] * nu[:, None, :]                           # spread of innovations
    x_new = x + np.einsum("nij,nj->ni", K, nu)
    b0 = beta_none[:, None, None]
    P_new = _symmetrise(b0 * P + (1.0 - b0) * _joseph(P, K, H, R)
                        + K @ spread @ np.swapaxes(K, 1, 2))
    _commit(x, P, x_new, P_new, status, ok)


# --- association (JIPDA; issue 5, item 2) -------------------------------------------
# Twins of src_cython/jpda.pyx. ``jipda`` enumerates every joint association event of
# each cluster marked exact: readable, and exponential, so it is the oracle for small
# clusters only (the compiled kernel never enumerates events; it uses EHM).

METHOD_EXACT = 0         # exact marginals (the kernel: EHM in scaled linear arithmetic)
METHOD_EXACT_LOG = 1     # exact, redone in log space because scaled values lost precision
METHOD_LBP = 2           # loopy belief propagation, converged
METHOD_LBP_CAPPED = 3    # loopy belief propagation stopped at the iteration cap

#: the miss weight 1 - Pd Pg r is floored here, so that a certain, surely detected
#: track (r = Pd = Pg = 1) that sees nothing is not a contradiction (every event would
#: have probability 0); its existence then falls to 0
MISS_FLOOR = 1e-300
#: largest log-weight w_ij / miss_i taken by loopy belief propagation (e^690 ~ 1e300):
#: sums of a few hundred such terms stay finite
LBP_LOG_WEIGHT_MAX = 690.0


def _cluster_inputs_valid(tracks, offsets, log_likelihood_ratio, existence,
                          detection_probability, gate_probability):
    """True if every input of the cluster is usable (the kernel's STATUS_INVALID_INPUT)."""
    r, pd, pg = existence[tracks], detection_probability[tracks], gate_probability[tracks]
    pairs = np.concatenate([np.arange(offsets[t], offsets[t + 1]) for t in tracks])
    lr = log_likelihood_ratio[pairs.astype(np.intp)]
    return bool(((r >= 0) & (r <= 1) & (pd > 0) & (pd <= 1) & (pg > 0) & (pg <= 1)).all()
                and not (np.isnan(lr) | (lr == np.inf)).any())


def _log_weights(t, offsets, log_likelihood_ratio, existence, detection_probability,
                 gate_probability):
    """log of the miss weight 1 - Pd Pg r and of each pair's weight Pd r ell_ij."""
    r, pd, pg = existence[t], detection_probability[t], gate_probability[t]
    with np.errstate(divide="ignore"):
        log_miss = np.log(max(1.0 - pd * pg * r, MISS_FLOOR))
        log_assign = np.log(pd) + np.log(r) + log_likelihood_ratio[offsets[t]:offsets[t + 1]]
    return log_miss, log_assign


def _exact_marginals(tracks, offsets, det_index, log_likelihood_ratio, existence,
                     detection_probability, gate_probability):
    """q_i0 and q_ij of one cluster by enumerating every joint association event.

    A joint event gives each track no detection or one of its gated detections, no
    detection to two tracks; its probability is proportional to the product over tracks
    of (1 - Pd Pg r_i) for a miss and Pd r_i ell_ij for an assignment. Events are grown
    track by track as arrays (used detections as a bit mask, log weight, each track's
    choice), so every event is listed, and each marginal is a log-sum over its events.
    At most 63 detections per cluster (the mask is an int64).
    """
    local = {j: b for b, j in enumerate(np.unique(np.concatenate(
        [det_index[offsets[t]:offsets[t + 1]] for t in tracks] + [np.zeros(0, np.intp)])))}
    used = np.zeros(1, dtype=np.int64)       # bit b: the cluster's b-th detection is taken
    log_w = np.zeros(1)
    choice = np.zeros((1, 0), dtype=np.intp)  # per track: 0 = miss, 1 + n = its n-th pair
    for t in tracks:
        log_miss, log_assign = _log_weights(t, offsets, log_likelihood_ratio, existence,
                                            detection_probability, gate_probability)
        every = np.arange(len(used))
        parents, options = [every], [np.zeros(len(used), np.intp)]      # the miss
        new_used, new_log_w = [used], [log_w + log_miss]
        for n, j in enumerate(det_index[offsets[t]:offsets[t + 1]]):
            bit = np.int64(1) << np.int64(local[int(j)])
            free = every[(used & bit) == 0]
            parents.append(free)
            options.append(np.full(len(free), n + 1, np.intp))
            new_used.append(used[free] | bit)
            new_log_w.append(log_w[free] + log_assign[n])
        parents = np.concatenate(parents)
        choice = np.column_stack([choice[parents], np.concatenate(options)])
        used = np.concatenate(new_used)
        log_w = np.concatenate(new_log_w)
    with np.errstate(divide="ignore"):
        log_z = np.logaddexp.reduce(log_w)
        q = [np.array([np.exp(np.logaddexp.reduce(log_w[choice[:, c] == n]) - log_z)
                       if (choice[:, c] == n).any() else 0.0
                       for n in range(offsets[t + 1] - offsets[t] + 1)])
             for c, t in enumerate(tracks)]
    return q


def _exclusive_sums(values, group, n_groups):
    """For each element, the sum of the other elements of its group, without cancellation.

    sum - value loses everything when the value dominates its group (weights span 1e±30
    here), so the largest element of each group (the first, on ties) gets the sum of the
    rest, summed directly, and every other element gets (that sum - itself) + the largest:
    the largest then dominates the result, and the subtraction's round-off is relative to it.
    """
    index = np.arange(len(values))
    top = np.full(n_groups, -np.inf)
    np.maximum.at(top, group, values)
    first_top = np.full(n_groups, len(values))
    np.minimum.at(first_top, group, np.where(values == top[group], index, len(values)))
    is_top = first_top[group] == index
    rest = np.bincount(group, weights=np.where(is_top, 0.0, values), minlength=n_groups)
    return np.where(is_top, rest[group], (rest[group] - values) + top[group])


def _lbp_marginals(tracks, offsets, det_index, log_likelihood_ratio, existence,
                   detection_probability, gate_probability, max_iterations, tolerance):
    """q_i0 and q_ij of one cluster by loopy belief propagation; also whether it converged.

    With weights relative to the miss, w_ij = Pd r_i ell_ij / (1 - Pd Pg r_i), messages
    from detections to tracks nu_ij start at 1 and are updated in parallel (flooding):

        mu_ij = w_ij / (1 + sum_{j' != j} w_ij' nu_ij')       track i to detection j
        nu_ij = 1 / (1 + sum_{i' != i} mu_i'j)                 detection j to track i

    until max |nu_new - nu| <= tolerance or max_iterations; then
    q_ij = w_ij nu_ij / (1 + sum_j' w_ij' nu_ij') and q_i0 = 1 / (1 + sum_j' w_ij' nu_ij')
    (J. Williams, R. Lau, IEEE TAES 50(4), 2014; exact on clusters without cycles).
    """
    pairs = np.concatenate([np.arange(offsets[t], offsets[t + 1]) for t in tracks]
                           + [np.zeros(0, np.intp)]).astype(np.intp)
    owner = np.concatenate([np.full(offsets[t + 1] - offsets[t], c, np.intp)
                            for c, t in enumerate(tracks)] + [np.zeros(0, np.intp)])
    _, det = np.unique(det_index[pairs], return_inverse=True)
    n_tracks, n_dets = len(tracks), int(det.max()) + 1 if len(det) else 0
    log_w = np.empty(len(pairs))
    for c, t in enumerate(tracks):
        log_miss, log_assign = _log_weights(t, offsets, log_likelihood_ratio, existence,
                                            detection_probability, gate_probability)
        log_w[owner == c] = log_assign - log_miss
    w = np.exp(np.minimum(log_w, LBP_LOG_WEIGHT_MAX))
    nu = np.ones(len(pairs))
    converged = False
    for _ in range(max_iterations):
        mu = w / (1.0 + _exclusive_sums(w * nu, owner, n_tracks))
        nu_new = 1.0 / (1.0 + _exclusive_sums(mu, det, n_dets))
        change = np.abs(nu_new - nu).max(initial=0.0)
        nu = nu_new
        if change <= tolerance:
            converged = True
            break
    denominator = 1.0 + np.bincount(owner, weights=w * nu, minlength=n_tracks)
    q_pairs = w * nu / denominator[owner]
    q = [np.concatenate([[1.0 / denominator[c]], q_pairs[owner == c]])
         for c in range(n_tracks)]
    return q, converged


def _jipda_track(q, r, pd, pg):
    """(beta_0, beta_j, r') of one track from its marginals q_0 (no detection), q_j.

    rho = P(exists | no detection is the track's) = r (1 - Pd Pg) / (1 - Pd Pg r);
    r' = sum_j q_j + q_0 rho;  beta_j = q_j / r';  beta_0 = q_0 rho / r'.
    A track with r' = 0 keeps beta_0 = 1.
    """
    rho = r * (1.0 - pd * pg) / max(1.0 - pd * pg * r, MISS_FLOOR)
    exists = q[1:].sum() + q[0] * rho
    if not exists > 0.0:
        return 1.0, np.zeros(len(q) - 1), 0.0
    return q[0] * rho / exists, q[1:] / exists, min(exists, 1.0)


def jipda(offsets, det_index, log_likelihood_ratio, existence, detection_probability,
          gate_probability, order, cluster_offsets, method, max_iterations, tolerance,
          beta, beta_none, posterior_existence, claimed, status,
          node_keys, node_weights, children, table, layer_work, track_work, pair_work,
          det_work, det_sums):
    """JIPDA association of every cluster; twin of ``_jpda.jipda``.

    Clusters whose ``method`` is METHOD_EXACT are solved by enumerating every joint
    event (the oracle), the others by loopy belief propagation; ``method`` receives
    METHOD_LBP or METHOD_LBP_CAPPED for those. The workspace arguments (``node_keys``
    to ``det_sums``) are the kernel's and are not used here. See
    ``tracker.association.associate`` for the equations.
    """
    claimed[:] = 0.0
    for c in range(len(cluster_offsets) - 1):
        tracks = order[cluster_offsets[c]:cluster_offsets[c + 1]]
        if not _cluster_inputs_valid(tracks, offsets, log_likelihood_ratio, existence,
                                     detection_probability, gate_probability):
            for t in tracks:
                beta[offsets[t]:offsets[t + 1]] = 0.0
                beta_none[t] = 1.0
                posterior_existence[t] = existence[t]
                status[t] = STATUS_INVALID_INPUT
            continue
        args = (tracks, offsets, det_index, log_likelihood_ratio, existence,
                detection_probability, gate_probability)
        if method[c] == METHOD_EXACT:
            q = _exact_marginals(*args)
        else:
            q, converged = _lbp_marginals(*args, max_iterations, tolerance)
            method[c] = METHOD_LBP if converged else METHOD_LBP_CAPPED
        for t, q_t in zip(tracks, q):
            beta_none[t], beta[offsets[t]:offsets[t + 1]], posterior_existence[t] = \
                _jipda_track(q_t, existence[t], detection_probability[t], gate_probability[t])
            claimed[det_index[offsets[t]:offsets[t + 1]]] += q_t[1:]
            status[t] = STATUS_OK
    np.minimum(claimed, 1.0, out=claimed)      # LBP's marginals can overshoot 1 by its tolerance


# --- gating (issue 5, item 1) ---------------------------------------------------------
# Twin of src_cython/gating.pyx, and the all-pairs gate that ``tracker.gating.gate``
# (k-d tree, then the kernel) must reproduce exactly.

STATUS_SKIPPED = 4       # not gated: the caller left the track out (outside coverage)


def _wrap_angle_columns(nu: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """nu (..., m) with its angle columns mapped into (-pi, pi]; values already there kept."""
    nu = np.array(nu, dtype=np.float64)
    for k in np.flatnonzero(angle):
        col = nu[..., k]
        outside = (col > np.pi) | (col <= -np.pi)
        col[outside] = np.pi - np.mod(np.pi - col[outside], 2.0 * np.pi)   # frames.wrap_pi
    return nu


@_quiet
def _ldl_batch(S: np.ndarray):
    """S = L D L' of every symmetric (n, m, m), column by column as ``_linalg.ldl`` does.

    Returns L (unit lower triangular), the pivots D (n, m), and ok where every
    pivot is positive and finite (S positive definite, Golub & Van Loan 4.1.2).
    """
    n, m, _ = S.shape
    L = np.zeros_like(S)
    d = np.zeros((n, m))
    ok = np.ones(n, dtype=bool)
    for j in range(m):
        d[:, j] = S[:, j, j] - np.einsum("nl,nl,nl->n", L[:, j, :j], L[:, j, :j], d[:, :j])
        ok &= (d[:, j] > 0.0) & np.isfinite(d[:, j])
        L[:, j, j] = 1.0
        for i in range(j + 1, m):
            L[:, i, j] = (S[:, i, j] - np.einsum("nl,nl,nl->n", L[:, i, :j], L[:, j, :j],
                                                 d[:, :j])) / d[:, j]
    return L, d, ok


def _mahalanobis2(nu: np.ndarray, L: np.ndarray, d: np.ndarray) -> np.ndarray:
    """nu' S^-1 nu = w' D^-1 w with L w = nu; nu (..., m), L (..., m, m), d (..., m)."""
    w = np.empty(np.broadcast_shapes(nu.shape, d.shape))
    for k in range(nu.shape[-1]):
        w[..., k] = nu[..., k] - np.einsum("...l,...l->...", L[..., k, :k], w[..., :k])
    return np.sum(w * w / d, axis=-1)


@_quiet
def _track_factors(z_hat, S, active):
    """Per track: status, L, D and log N's constant -(m log 2 pi + log det S) / 2."""
    N, m = z_hat.shape
    S = _symmetrise(S)
    finite = _finite_rows(z_hat, S) if N else np.ones(0, dtype=bool)
    L, d, pd = _ldl_batch(np.where(finite[:, None, None], S, np.eye(m)))
    status = np.select([~active, ~finite, ~pd], [STATUS_SKIPPED, STATUS_INVALID_INPUT,
                                                 STATUS_NOT_PD], STATUS_OK).astype(np.int8)
    log_norm = -0.5 * (m * np.log(2.0 * np.pi) + np.log(d).sum(axis=1))
    return status, L, d, log_norm


@_quiet
def gate_pairs(z_hat, S, z, angle, candidate_offsets, candidates, active, threshold,
               offsets, track, detection, d2, log_likelihood, innovation, status):
    """Mahalanobis test of candidate pairs; twin of ``_gating.gate_pairs``, returns K.

    nu = z_j - z_hat_i (angles wrapped into (-pi, pi]), d2 = nu' S_i^-1 nu; a pair
    is kept when d2 <= threshold, with log N(nu; 0, S_i) = -d2/2 - (m log 2 pi +
    log det S_i)/2. Accepted pairs fill rows 0..K-1 grouped by track, in candidate order.
    """
    N, m = z_hat.shape
    status[:], L, d, log_norm = _track_factors(z_hat, S, np.asarray(active, dtype=bool))
    owner = np.repeat(np.arange(N), np.diff(candidate_offsets))
    nu = _wrap_angle_columns(z[candidates] - z_hat[owner], angle)        # nu = z - z_hat
    q = _mahalanobis2(nu, L[owner], d[owner])                            # nu' S^-1 nu
    keep = (status[owner] == STATUS_OK) & (q <= threshold)
    K = int(keep.sum())
    track[:K], detection[:K], d2[:K] = owner[keep], candidates[keep], q[keep]
    log_likelihood[:K] = log_norm[owner[keep]] - 0.5 * q[keep]
    innovation[:K] = nu[keep]
    offsets[0] = 0
    offsets[1:] = np.cumsum(np.bincount(owner[keep], minlength=N))
    return K


@_quiet
def gate_all_pairs(z_hat, S, z, angle, active, threshold, block_pairs=1 << 22):
    """Every (track, detection) pair tested, no coarse stage: the gate's oracle.

    Returns (track, detection, d2, log_likelihood, innovation) of the pairs with
    d2 <= threshold, sorted by track then detection. Dense arithmetic on blocks of
    tracks (``block_pairs`` pairs at a time keep the memory bounded).
    """
    N, m = z_hat.shape
    n_det = z.shape[0]
    status, L, d, log_norm = _track_factors(z_hat, S, np.asarray(active, dtype=bool))
    out = [[] for _ in range(5)]
    step = max(1, block_pairs // max(n_det, 1))
    for start in range(0, N, step):
        rows = np.arange(start, min(N, start + step))
        nu = _wrap_angle_columns(z[None, :, :] - z_hat[rows, None, :], angle)  # (B, n_det, m)
        q = _mahalanobis2(nu, L[rows, None], d[rows, None])
        keep = (status[rows, None] == STATUS_OK) & (q <= threshold)
        i, j = np.nonzero(keep)                     # row-major: by track, then detection
        for acc, part in zip(out, (rows[i], j, q[i, j], log_norm[rows[i]] - 0.5 * q[i, j],
                                   nu[i, j])):
            acc.append(part)
    if not N:
        return (np.empty(0, np.intp), np.empty(0, np.intp), np.empty(0), np.empty(0),
                np.empty((0, m)))
    return tuple(np.concatenate(acc) for acc in out)


def ecef_to_geodetic(xyz, semimajor, e2, steps, lat, lon, alt):
    """Geodetic latitude, longitude and height of ECEF points (n, 3), written into the
    (n,) outputs; twin of ``_frames.ecef_to_geodetic``: Bowring's fixed-point iteration
    (src_cython/frames.pyx has the equations), phi = atan2(z, q) carried as q."""
    x, y, z = xyz[:, 0], xyz[:, 1], xyz[:, 2]
    p = np.hypot(x, y)
    q = p * (1.0 - e2)                              # the latitude of a point at height 0
    for _ in range(steps):
        r = np.sqrt(q * q + z * z)
        c, s = q / r, z / r                         # cos phi, sin phi
        prime_vertical = semimajor / np.sqrt(1.0 - e2 * (s * s))
        h = p * c + z * s - semimajor * semimajor / prime_vertical
        q = p * (1.0 - e2 * (prime_vertical / (prime_vertical + h)))
    r = np.sqrt(q * q + z * z)
    c, s = q / r, z / r
    lat[:] = np.arctan2(z, q)
    lon[:] = np.arctan2(y, x)
    alt[:] = p * c + z * s - semimajor * np.sqrt(1.0 - e2 * (s * s))


def _enu_rotation(lat, lon):
    """(n, 3, 3) rotations ECEF -> ENU, rows east, north, up, from the angles' sines."""
    sin_lat, cos_lat, sin_lon, cos_lon = np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon)
    zero = np.zeros_like(lat)
    return np.stack([np.stack([-sin_lon, cos_lon, zero], -1),
                     np.stack([-sin_lat * cos_lon, -sin_lat * sin_lon, cos_lat], -1),
                     np.stack([cos_lat * cos_lon, cos_lat * sin_lon, sin_lat], -1)], -2)


def enu_frames(xyz, semimajor, e2, steps, lat, lon, alt, rotation):
    """``ecef_to_geodetic`` and the ENU rotation (n, 3, 3) at each point; twin of
    ``_frames.enu_frames`` (which takes the sines from the iteration, not from trig)."""
    ecef_to_geodetic(xyz, semimajor, e2, steps, lat, lon, alt)
    rotation[:] = _enu_rotation(lat, lon)


def enu_moments(x, P, semimajor, e2, steps, lat, lon, alt, vel_enu, cov_pos_enu):
    """Geodetic position, R v and R P_pos R' of states x (n, 6), P (n, 6, 6); twin of
    ``_frames.enu_moments``."""
    ecef_to_geodetic(np.ascontiguousarray(x[:, :3]), semimajor, e2, steps, lat, lon, alt)
    R = _enu_rotation(lat, lon)
    vel_enu[:] = np.einsum("nij,nj->ni", R, x[:, 3:])
    cov_pos_enu[:] = R @ P[:, :3, :3] @ R.transpose(0, 2, 1)

def sweep_pairs(points, by_key, axis, track_points, radius, active, offsets, detection):
    """Pairs (track i, detection j) with |p_j - t_i| <= r_i, every pair tested; twin of
    ``_gating.sweep_pairs`` (whose sorted sweep along ``axis``, in ``by_key`` order, only
    saves work). Writes the CSR ``offsets`` and the pairs, by track then detection, when
    they fit in ``detection``; returns their number C."""
    d2 = ((track_points[:, None, :] - points[None, :, :]) ** 2).sum(axis=2)
    inside = (d2 <= (radius * radius)[:, None]) & (np.asarray(active) != 0)[:, None]
    _, found = np.nonzero(inside)                   # row-major: by track, then detection
    offsets[0] = 0
    offsets[1:] = np.cumsum(inside.sum(axis=1))
    written = min(found.size, detection.shape[0])
    detection[:written] = found[:written]
    return found.size



# --- classification (issue 6, item 2) ---------------------------------------------------
# Twin of src_cython/classify.pyx: per track, per box, the Gaussian estimate integrated over
# the box on each axis, summed in log space per class.


def class_kinematics(x, P, rotation, height, sigma_floor, mean, sigma):
    vel = np.einsum("nij,nj->ni", rotation, x[:, 3:])
    speed = np.hypot(vel[:, 0], vel[:, 1])
    up = rotation[:, 2]
    d = (vel[:, :1] * rotation[:, 0] + vel[:, 1:2] * rotation[:, 1]) \
        / np.maximum(speed, 1e-9)[:, None]
    variance = np.stack([np.einsum("ni,nij,nj->n", up, P[:, :3, :3], up),
                         np.einsum("ni,nij,nj->n", d, P[:, 3:, 3:], d),
                         np.einsum("ni,nij,nj->n", up, P[:, 3:, 3:], up)], axis=1)
    mean[:] = np.stack([height, speed, vel[:, 2]], axis=1)
    sigma[:] = np.maximum(np.sqrt(np.maximum(variance, 0.0)), sigma_floor)


def class_log_likelihoods(mean, sigma, lower, upper, box_constant, owner, log_floor, out):
    lo = (lower[None] - mean[:, None]) / sigma[:, None]                  # (n, B, 3)
    hi = (upper[None] - mean[:, None]) / sigma[:, None]
    above = hi < 0.0
    near = np.where(above, hi, -lo)
    far = np.where(above, lo, -hi)
    mass = ndtr(near) - ndtr(far)
    tail = -0.5 * near * near - np.log(np.maximum(-near, 1.0)) - 0.5 * np.log(2.0 * np.pi)
    log_mass = np.where(mass > 1e-300, np.log(np.maximum(mass, 1e-300)), tail)
    log_box = log_mass.sum(axis=2) + box_constant
    for c in range(out.shape[1]):
        own = log_box[:, owner == c]
        out[:, c] = np.logaddexp.reduce(own, axis=1) if own.shape[1] else -np.inf
    np.maximum(out, out.max(axis=1, keepdims=True) + log_floor, out=out)


# the twins of src_cython/imm.pyx and imm_modes.pyx, in a module of their own
from .reference_imm import (imm_combine, imm_innovation_covariances,  # noqa: E402,F401
                            imm_mix, imm_mode_association, imm_mode_probabilities,
                            imm_pair_likelihoods, imm_predict_modes)
