# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The fine stage of gating: Mahalanobis test of candidate (track, detection) pairs.

The coarse stage (``tracker.gating.candidates``, a k-d tree) proposes pairs,
grouped by track; this kernel decides them. For each track it factors the
innovation covariance once, S = L D L' (``_linalg.ldl``: no square roots; S is
positive definite exactly when every pivot is positive), and for each of the
track's candidate detections forms

    nu = z - z_hat                    angle columns wrapped into (-pi, pi]
    d2 = nu' S^-1 nu = w' D^-1 w      L w = nu (forward substitution)

and keeps the pair when d2 <= threshold, with the log of its Gaussian likelihood

    log N(nu; 0, S) = -d2 / 2 - (m log(2 pi) + log det S) / 2,   log det S = sum_j log D_j

(kept as a log: likelihood ratios later divide by clutter densities as small as
1e-17, and exp(-d2/2) / sqrt((2 pi)^m det S) leaves the double range for a
small S). Accepted pairs are written compactly, grouped by track with CSR
offsets, in candidate order: the layout ``tracker.kalman.pda_update`` takes.

One loop over tracks with the GIL released, stack buffers only, a status per
track instead of an exception. The caller (``tracker.gating``) checks shapes
and index ranges and allocates the outputs; ``tracker.reference.gate_pairs``
is the NumPy twin. float64 throughout: ECEF coordinates (6.4e6 m) are 0.5 m
apart in float32, coarser than the measurements.
"""
from _shapes cimport Shape, Shape6x2, Shape6x3, Shape6x4, ShapeAny, shape_m
from _linalg cimport MAXM, STATUS_OK, STATUS_INVALID_INPUT, STATUS_NOT_PD, all_finite, ldl

from libc.math cimport M_PI, fmod, log
from libc.stdlib cimport qsort
from libc.string cimport memcpy

cdef enum:
    STATUS_SKIPPED = 4          # not gated: the caller left the track out (outside coverage)

cdef double TWO_PI = 2.0 * M_PI
cdef double LOG_TWO_PI = log(2.0 * M_PI)


# compile-time shapes (_shapes.pxd): this module's tag instances; the gate needs only m
cdef Shape6x2 SHAPE_2
cdef Shape6x3 SHAPE_3
cdef Shape6x4 SHAPE_4
cdef ShapeAny SHAPE_ANY


cdef inline double wrap_pi(double a) noexcept nogil:
    """a mapped into (-pi, pi] as ``frames.wrap_pi`` does; a value already there is kept
    bit for bit (pi - (pi - a) would round a small difference)."""
    cdef double r
    if a > M_PI or a <= -M_PI:
        r = fmod(M_PI - a, TWO_PI)
        if r < 0.0:                               # np.mod's sign: that of the divisor
            r += TWO_PI
        a = M_PI - r
    return a


def wrap_pi_wrapper(double a):
    """``wrap_pi`` callable from Python, for the tests."""
    return wrap_pi(a)


cdef inline signed char _factor(Shape shape, const double* z_hat, const double* S, double* L,
                                double* inv_d, double* log_norm,
                                Py_ssize_t m_any) noexcept nogil:
    """L D L' = (S + S') / 2 in ``L`` (lower triangle), 1 / D in ``inv_d``, and
    ``log_norm`` = -(m log(2 pi) + log det S) / 2."""
    cdef Py_ssize_t i, j, m = shape_m(shape, m_any)
    cdef double s = 0.0
    for i in range(m):
        for j in range(m):
            L[i * m + j] = 0.5 * (S[i * m + j] + S[j * m + i])
    if not (all_finite(z_hat, m) and all_finite(L, m * m)):
        return STATUS_INVALID_INPUT
    if not ldl(L, inv_d, m):
        return STATUS_NOT_PD
    for i in range(m):                            # log det S = sum log D_j = -sum log(1/D_j)
        s += log(inv_d[i])
    log_norm[0] = 0.5 * (s - m * LOG_TWO_PI)
    return STATUS_OK


cdef Py_ssize_t _gate_all(Shape shape, const double* z_hat, const double* S, const double* z,
                          const unsigned char* angle, const Py_ssize_t* candidate_offsets,
                          const Py_ssize_t* candidates, const unsigned char* active,
                          double threshold, Py_ssize_t* offsets, Py_ssize_t* track,
                          Py_ssize_t* detection, double* d2, double* log_likelihood,
                          double* innovation, signed char* status, Py_ssize_t N,
                          Py_ssize_t m_any) noexcept nogil:
    """Every track's candidates; returns the number of accepted pairs written."""
    cdef Py_ssize_t i, c, j, k, l, n_out = 0, m = shape_m(shape, m_any)
    cdef double L[MAXM * MAXM]
    cdef double inv_d[MAXM]
    cdef double nu[MAXM]
    cdef double w[MAXM]
    cdef double log_norm = 0.0, q
    cdef const double* zh
    cdef const double* zj
    for i in range(N):
        offsets[i] = n_out
        if not active[i]:
            status[i] = STATUS_SKIPPED
            continue
        zh = &z_hat[i * m]
        status[i] = _factor(shape, zh, &S[i * m * m], L, inv_d, &log_norm, m)
        if status[i] != STATUS_OK:
            continue
        for c in range(candidate_offsets[i], candidate_offsets[i + 1]):
            j = candidates[c]
            zj = &z[j * m]
            q = 0.0
            for k in range(m):
                nu[k] = zj[k] - zh[k]             # nu = z - z_hat
                if angle[k]:
                    nu[k] = wrap_pi(nu[k])
                w[k] = nu[k]                      # L w = nu
                for l in range(k):
                    w[k] -= L[k * m + l] * w[l]
                q += w[k] * w[k] * inv_d[k]       # d2 = w' D^-1 w
            if q <= threshold:                    # NaN (a bad detection) is never inside
                track[n_out] = i
                detection[n_out] = j
                d2[n_out] = q
                log_likelihood[n_out] = log_norm - 0.5 * q
                memcpy(&innovation[n_out * m], nu, m * sizeof(double))
                n_out += 1
    offsets[N] = n_out
    return n_out


def gate_pairs(const double[:, ::1] z_hat,            # IN  (N, m)     predicted measurement
               const double[:, :, ::1] S,             # IN  (N, m, m)  innovation covariance
               const double[:, ::1] z,                # IN  (n_det, m) detections
               const unsigned char[::1] angle,        # IN  (m,)       1: an angle column, wrapped
               const Py_ssize_t[::1] candidate_offsets,   # IN (N + 1,) track i: offsets[i] to [i + 1]
               const Py_ssize_t[::1] candidates,      # IN  (C,)       detection of each candidate
               const unsigned char[::1] active,       # IN  (N,)       0: skip (STATUS_SKIPPED)
               double threshold,                      # IN             accept d2 <= threshold
               Py_ssize_t[::1] offsets,               # OUT (N + 1,)   CSR of the accepted pairs
               Py_ssize_t[::1] track,                 # OUT (C,)       first K rows written
               Py_ssize_t[::1] detection,             # OUT (C,)
               double[::1] d2,                        # OUT (C,)       nu' S^-1 nu
               double[::1] log_likelihood,            # OUT (C,)       log N(nu; 0, S)
               double[:, ::1] innovation,             # OUT (C, m)     nu, angles wrapped
               signed char[::1] status):              # OUT (N,)       STATUS_* per track
    """Decide the candidate pairs of every track; returns K, the number accepted.

    The accepted pairs fill rows 0..K-1 of the outputs, track by track in
    candidate order; track i owns rows ``offsets[i]:offsets[i + 1]``. A track
    whose z_hat or S is not finite (STATUS_INVALID_INPUT), whose S is not
    positive definite (STATUS_NOT_PD) or that is not ``active``
    (STATUS_SKIPPED) gets no pairs.
    """
    cdef Py_ssize_t N = z_hat.shape[0], m = z_hat.shape[1], K = 0
    cdef double empty[MAXM]
    cdef Py_ssize_t no_index = 0
    cdef const double* zp = empty
    cdef const Py_ssize_t* cp = &no_index
    cdef Py_ssize_t* tp = &no_index
    cdef Py_ssize_t* dp = &no_index
    cdef double* d2p = empty
    cdef double* llp = empty
    cdef double* inp = empty
    if N == 0:
        offsets[0] = 0
        return 0
    if z.shape[0] > 0:
        zp = &z[0, 0]
    if candidates.shape[0] > 0:
        cp = &candidates[0]
        tp = &track[0]
        dp = &detection[0]
        d2p = &d2[0]
        llp = &log_likelihood[0]
        inp = &innovation[0, 0]
    with nogil:
        if m == 2:
            K = _gate_all(SHAPE_2, &z_hat[0, 0], &S[0, 0, 0], zp, &angle[0],
                          &candidate_offsets[0], cp, &active[0], threshold, &offsets[0],
                          tp, dp, d2p, llp, inp, &status[0], N, 2)
        elif m == 3:
            K = _gate_all(SHAPE_3, &z_hat[0, 0], &S[0, 0, 0], zp, &angle[0],
                          &candidate_offsets[0], cp, &active[0], threshold, &offsets[0],
                          tp, dp, d2p, llp, inp, &status[0], N, 3)
        elif m == 4:
            K = _gate_all(SHAPE_4, &z_hat[0, 0], &S[0, 0, 0], zp, &angle[0],
                          &candidate_offsets[0], cp, &active[0], threshold, &offsets[0],
                          tp, dp, d2p, llp, inp, &status[0], N, 4)
        else:
            K = _gate_all(SHAPE_ANY, &z_hat[0, 0], &S[0, 0, 0], zp, &angle[0],
                          &candidate_offsets[0], cp, &active[0], threshold, &offsets[0],
                          tp, dp, d2p, llp, inp, &status[0], N, m)
    return K


# ------------------------------------------------------------- coarse stage, small scans

cdef int _ascending(const void* a, const void* b) noexcept nogil:
    cdef Py_ssize_t x = (<const Py_ssize_t*>a)[0], y = (<const Py_ssize_t*>b)[0]
    return (x > y) - (x < y)


cdef inline void _sort_indices(Py_ssize_t* v, Py_ssize_t n) noexcept nogil:
    """Ascending, in place: insertion sort for the few candidates a track usually has."""
    cdef Py_ssize_t i, j, key
    if n > 16:
        qsort(v, n, sizeof(Py_ssize_t), _ascending)
        return
    for i in range(1, n):
        key = v[i]
        j = i - 1
        while j >= 0 and v[j] > key:
            v[j + 1] = v[j]
            j -= 1
        v[j + 1] = key


def sweep_pairs(const double[:, ::1] points,          # IN  (n_det, 3) detections as points
                const Py_ssize_t[::1] by_key,         # IN  (n_det,)   detections by points[:, axis]
                Py_ssize_t axis,                      # IN             the sweep axis, 0 to 2
                const double[:, ::1] track_points,    # IN  (N, 3)     tracks as points
                const double[::1] radius,             # IN  (N,)       search radius per track
                const unsigned char[::1] active,      # IN  (N,)       0: no candidates
                Py_ssize_t[::1] offsets,              # OUT (N + 1,)   CSR of the pairs
                Py_ssize_t[::1] detection):           # OUT (capacity,) detection of each pair
    """Pairs (track i, detection j) with |p_j - t_i| <= r_i; returns C, their number.

    The detections are swept in ``by_key`` order (ascending coordinate ``axis``):
    a binary search finds the first with coordinate >= t_i - r_i, and the sweep
    stops past t_i + r_i, so a track only looks at its slab of detections, never
    at all of them. Each track's detections are written in ascending index, the
    layout of ``tracker.gating.Candidates``. When C exceeds ``capacity``
    (``len(detection)``) the outputs are incomplete: the caller calls again with
    room for C.
    """
    cdef Py_ssize_t N = track_points.shape[0], n_det = points.shape[0]
    cdef Py_ssize_t capacity = detection.shape[0], C = 0, i, j, low, high, middle, start, d
    cdef double r2, dx, dy, dz, low_key, high_key
    if (by_key.shape[0] != n_det or points.shape[1] != 3 or track_points.shape[1] != 3
            or radius.shape[0] != N or active.shape[0] != N or offsets.shape[0] != N + 1
            or not 0 <= axis < 3):
        raise ValueError("sweep_pairs: inconsistent shapes")
    with nogil:
        offsets[0] = 0
        for i in range(N):
            start = C
            if active[i] and n_det > 0:
                low_key = track_points[i, axis] - radius[i]
                high_key = track_points[i, axis] + radius[i]
                r2 = radius[i] * radius[i]
                low, high = 0, n_det                # first detection with key >= low_key
                while low < high:
                    middle = (low + high) // 2
                    if points[by_key[middle], axis] < low_key:
                        low = middle + 1
                    else:
                        high = middle
                for j in range(low, n_det):
                    d = by_key[j]
                    if points[d, axis] > high_key:
                        break
                    dx = points[d, 0] - track_points[i, 0]
                    dy = points[d, 1] - track_points[i, 1]
                    dz = points[d, 2] - track_points[i, 2]
                    if dx * dx + dy * dy + dz * dz <= r2:
                        if C < capacity:
                            detection[C] = d
                        C += 1
                if start < C <= capacity:
                    _sort_indices(&detection[start], C - start)
            offsets[i + 1] = C
    return C

