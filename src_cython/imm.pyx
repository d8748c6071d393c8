# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Interacting Multiple Model kernels, batched over many tracks of M modes each.

The IMM of Blom & Bar-Shalom (IEEE TAC 33(8), 1988), as in Bar-Shalom, Li &
Kirubarajan, *Estimation with Applications to Tracking and Navigation*, Wiley
2001, sec. 11.6: mixing before the mode-matched predictions, mode probabilities
after the mode-matched updates, and the moment-matched output estimate. The
predictions and updates themselves are the Kalman kernels of ``kalman.pyx``
run on the (N * M) mode states.

Every mode of a track has a state of the same size n (6 in the tracker: ECEF
position and velocity), so mixing is plain arithmetic on the states.
Transition convention: ``trans[k, i, j]`` = p_ij, the probability of moving
*from* mode i *to* mode j over the step (rows sum to 1), as in Bar-Shalom et al.

Like the Kalman kernels, each runs one loop over tracks with the GIL released,
uses only stack buffers, and writes a status per track instead of raising. A
track whose status is not ``STATUS_OK`` gets zeros in every output (never NaN).
Shapes are checked by ``tracker.imm``, which allocates the outputs; the NumPy
twins of the same names and signatures are in ``tracker.reference``.

float64 throughout: at the ECEF radius (6.4e6 m) float32 values are 0.5 m apart.
"""
from _linalg cimport (MAXN, STATUS_OK, STATUS_INVALID_INPUT, STATUS_NOT_PD,
                      STATUS_OVERFLOW, all_finite, axpy)

from libc.math cimport exp, log, INFINITY
from libc.string cimport memset


cdef enum:
    MAXMODES = 8      # most modes a track may have (mirrored in tracker.imm.MAX_MODES)


cdef inline bint _positive_definite(const double* A, Py_ssize_t n) noexcept nogil:
    """True if the symmetric A (upper triangle read) is positive definite.

    A = L D L' with L unit lower triangular; A is positive definite exactly when
    every pivot D[j] is positive (Golub & Van Loan, 4th ed., 4.1.2). The same test
    as ``_linalg.ldl``, which is sized for measurements (m <= 6), here for states.
    """
    cdef double L[MAXN * MAXN]
    cdef double d[MAXN]
    cdef double s, inv_d
    cdef Py_ssize_t i, j, l
    for j in range(n):
        s = A[j * n + j]
        for l in range(j):
            s -= L[j * n + l] * L[j * n + l] * d[l]
        if not s > 0.0:                  # also false for NaN
            return False
        d[j] = s
        inv_d = 1.0 / s                  # one division per pivot, not one per entry
        for i in range(j + 1, n):
            s = A[j * n + i]
            for l in range(j):
                s -= L[i * n + l] * L[j * n + l] * d[l]
            L[i * n + j] = s * inv_d
    return True


cdef inline signed char _check_modes(const double* w, const double* x, const double* P,
                                     Py_ssize_t M, Py_ssize_t n) noexcept nogil:
    """Status of one track's mode weights (finite, >= 0, not all 0) and mode estimates.

    The weights are probabilities up to a factor; every mode covariance must be
    positive definite, whatever its weight.
    """
    cdef Py_ssize_t i
    cdef double total = 0.0
    if not (all_finite(w, M) and all_finite(x, M * n) and all_finite(P, M * n * n)):
        return STATUS_INVALID_INPUT
    for i in range(M):
        if w[i] < 0.0:
            return STATUS_INVALID_INPUT
        total += w[i]
    if not total > 0.0:
        return STATUS_INVALID_INPUT
    for i in range(M):
        if not _positive_definite(&P[i * n * n], n):
            return STATUS_NOT_PD
    return STATUS_OK


cdef inline void _moment_match(const double* w, const double* x, const double* P,
                               double* x_out, double* P_out,
                               Py_ssize_t M, Py_ssize_t n) noexcept nogil:
    """The single Gaussian with the mean and covariance of a mixture of M Gaussians.

    x = sum_i w_i x_i,  P = sum_i w_i (P_i + (x_i - x)(x_i - x)')   (w sums to 1)
    Modes of weight 0 are skipped: they add exactly 0. Only the upper triangles of
    the P_i are read, and only the upper triangle of P is computed, then mirrored:
    half the products.
    """
    cdef double d[MAXN]
    cdef Py_ssize_t i, r, c
    memset(x_out, 0, n * sizeof(double))
    memset(P_out, 0, n * n * sizeof(double))
    for i in range(M):
        if w[i] != 0.0:
            axpy(w[i], &x[i * n], x_out, n)
    for i in range(M):
        if w[i] == 0.0:
            continue
        for r in range(n):
            d[r] = x[i * n + r] - x_out[r]
        for r in range(n):                        # row r from the diagonal: w P_i[r] + (w d_r) d'
            axpy(w[i], &P[i * n * n + r * n + r], &P_out[r * n + r], n - r)
            axpy(w[i] * d[r], &d[r], &P_out[r * n + r], n - r)
    for r in range(n):
        for c in range(r + 1, n):
            P_out[c * n + r] = P_out[r * n + c]


cdef inline signed char _mix_one(const double* mu, const double* T, const double* x,
                                 const double* P, double* x_mixed, double* P_mixed,
                                 double* mu_pred, Py_ssize_t M, Py_ssize_t n) noexcept nogil:
    """Mixing of one track: predicted mode probabilities and mixed initial conditions."""
    cdef double w[MAXMODES]
    cdef double c
    cdef Py_ssize_t i, j
    cdef signed char status
    if not all_finite(T, M * M):
        return STATUS_INVALID_INPUT
    for i in range(M * M):
        if T[i] < 0.0:
            return STATUS_INVALID_INPUT
    status = _check_modes(mu, x, P, M, n)
    if status != STATUS_OK:
        return status
    for j in range(M):
        c = 0.0                                   # c_j = sum_i p_ij mu_i
        for i in range(M):
            c += T[i * M + j] * mu[i]
        mu_pred[j] = c
        if c > 0.0:
            for i in range(M):                    # mu_{i|j} = p_ij mu_i / c_j
                w[i] = T[i * M + j] * mu[i] / c
        else:                                     # nothing flows into j: it keeps its own
            for i in range(M):
                w[i] = 0.0
            w[j] = 1.0
        _moment_match(w, x, P, &x_mixed[j * n], &P_mixed[j * n * n], M, n)
    if not (all_finite(mu_pred, M) and all_finite(x_mixed, M * n)
            and all_finite(P_mixed, M * n * n)):
        return STATUS_OVERFLOW
    return STATUS_OK


cdef inline signed char _combine_one(const double* mu, const double* x, const double* P,
                                     double* x_out, double* P_out,
                                     Py_ssize_t M, Py_ssize_t n) noexcept nogil:
    """Moment-matched output estimate of one track."""
    cdef double w[MAXMODES]
    cdef double total = 0.0
    cdef Py_ssize_t j
    cdef signed char status = _check_modes(mu, x, P, M, n)
    if status != STATUS_OK:
        return status
    for j in range(M):
        total += mu[j]
    for j in range(M):                            # probabilities, even if mu is not normalised
        w[j] = mu[j] / total
    _moment_match(w, x, P, x_out, P_out, M, n)
    if not (all_finite(x_out, n) and all_finite(P_out, n * n)):
        return STATUS_OVERFLOW
    return STATUS_OK


cdef inline signed char _mode_probabilities_one(const double* mu_pred, const double* log_lik,
                                                double floor, double* mu_post,
                                                Py_ssize_t M) noexcept nogil:
    """mu_j = c_j Lambda_j / sum_i c_i Lambda_i in log space, then floored."""
    cdef double a[MAXMODES]
    cdef bint fixed[MAXMODES]
    cdef double top = -INFINITY, total = 0.0, free, scale
    cdef Py_ssize_t j, n_fixed = 0
    cdef bint changed = True
    if not all_finite(mu_pred, M):
        return STATUS_INVALID_INPUT
    for j in range(M):
        # log Lambda may be -inf (the mode cannot explain the scan), never NaN or +inf
        if mu_pred[j] < 0.0 or not log_lik[j] < INFINITY:
            return STATUS_INVALID_INPUT
        a[j] = log(mu_pred[j]) + log_lik[j] if mu_pred[j] > 0.0 else -INFINITY
        if a[j] > top:
            top = a[j]
    if not top > -INFINITY:                       # no mode has any weight
        return STATUS_INVALID_INPUT
    for j in range(M):                            # log-sum-exp: the largest term is 1
        a[j] = exp(a[j] - top)
        total += a[j]
        fixed[j] = False
    for j in range(M):
        a[j] /= total
    # Raise every mode below the floor to it and share what is left among the others in
    # proportion; repeat, since that share shrinks. The largest mode is never raised when
    # M floor < 1, so the loop ends within M rounds.
    while changed:
        changed = False
        free = 1.0 - n_fixed * floor
        total = 0.0
        for j in range(M):
            if not fixed[j]:
                total += a[j]
        scale = free / total
        for j in range(M):
            if not fixed[j] and a[j] * scale < floor:
                fixed[j] = True
                n_fixed += 1
                changed = True
    for j in range(M):
        mu_post[j] = floor if fixed[j] else a[j] * scale
    return STATUS_OK


# Loops over tracks. Each is called once with n = 6 as a literal and once generically:
# gcc's interprocedural constant propagation (-O3, -fipa-cp-clone) then compiles a copy
# with a fixed state size, whose small loops it unrolls (as in kalman.pyx).

cdef void _mix_all(const double* mu, const double* T, Py_ssize_t T_stride, const double* x,
                   const double* P, double* x_mixed, double* P_mixed, double* mu_pred,
                   signed char* status, Py_ssize_t N, Py_ssize_t M, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t k, nm = M * n, nnm = M * n * n
    for k in range(N):
        status[k] = _mix_one(&mu[k * M], &T[k * T_stride], &x[k * nm], &P[k * nnm],
                             &x_mixed[k * nm], &P_mixed[k * nnm], &mu_pred[k * M], M, n)
        if status[k] != STATUS_OK:
            memset(&x_mixed[k * nm], 0, nm * sizeof(double))
            memset(&P_mixed[k * nnm], 0, nnm * sizeof(double))
            memset(&mu_pred[k * M], 0, M * sizeof(double))


cdef void _combine_all(const double* mu, const double* x, const double* P, double* x_out,
                       double* P_out, signed char* status,
                       Py_ssize_t N, Py_ssize_t M, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t k
    for k in range(N):
        status[k] = _combine_one(&mu[k * M], &x[k * M * n], &P[k * M * n * n],
                                 &x_out[k * n], &P_out[k * n * n], M, n)
        if status[k] != STATUS_OK:
            memset(&x_out[k * n], 0, n * sizeof(double))
            memset(&P_out[k * n * n], 0, n * n * sizeof(double))


def imm_mix(const double[:, ::1] mu,          # IN  (N, M)        mode probabilities at k-1
            const double[:, :, ::1] trans,    # IN  (N, M, M) or (1, M, M)  p_ij, from i to j
            const double[:, :, ::1] x,        # IN  (N, M, n)     mode states at k-1
            const double[:, :, :, ::1] P,     # IN  (N, M, n, n)  mode covariances, SPD
            double[:, :, ::1] x_mixed,        # OUT (N, M, n)     x_0j, start of mode j's prediction
            double[:, :, :, ::1] P_mixed,     # OUT (N, M, n, n)  P_0j
            double[:, ::1] mu_pred,           # OUT (N, M)        c_j, predicted mode probabilities
            signed char[::1] status):         # OUT (N,)
    """IMM mixing: the initial condition of each mode-matched filter.

    c_j = sum_i p_ij mu_i,  mu_{i|j} = p_ij mu_i / c_j,  x_0j = sum_i mu_{i|j} x_i,
    P_0j = sum_i mu_{i|j} (P_i + (x_i - x_0j)(x_i - x_0j)')
    (Bar-Shalom, Li & Kirubarajan 2001, sec. 11.6). A mode into which nothing
    flows (c_j = 0) keeps its own state. One transition matrix may serve all
    tracks (``trans`` of shape (1, M, M)).
    """
    cdef Py_ssize_t N = x.shape[0], M = x.shape[1], n = x.shape[2]
    cdef Py_ssize_t T_stride = 0 if trans.shape[0] == 1 else M * M
    if N == 0:
        return
    with nogil:
        if n == 6:
            _mix_all(&mu[0, 0], &trans[0, 0, 0], T_stride, &x[0, 0, 0], &P[0, 0, 0, 0],
                     &x_mixed[0, 0, 0], &P_mixed[0, 0, 0, 0], &mu_pred[0, 0], &status[0],
                     N, M, 6)
        else:
            _mix_all(&mu[0, 0], &trans[0, 0, 0], T_stride, &x[0, 0, 0], &P[0, 0, 0, 0],
                     &x_mixed[0, 0, 0], &P_mixed[0, 0, 0, 0], &mu_pred[0, 0], &status[0],
                     N, M, n)


def imm_mode_probabilities(const double[:, ::1] mu_pred,          # IN  (N, M)  c_j
                           const double[:, ::1] log_likelihood,   # IN  (N, M)  log Lambda_j
                           double floor,                          # IN  each mode keeps >= this
                           double[:, ::1] mu_post,                # OUT (N, M)
                           signed char[::1] status):              # OUT (N,)
    """Mode probabilities after the mode-matched updates, floored.

    mu_j = c_j Lambda_j / sum_i c_i Lambda_i (Bar-Shalom et al. 2001, sec. 11.6),
    computed as a log-sum-exp so that likelihoods of 1e-300 or e^-1000 lose
    nothing. Modes below ``floor`` are raised to it and the rest rescaled, so no
    mode dies numerically (0 <= floor < 1 / M; otherwise every track fails).
    """
    cdef Py_ssize_t k, N = mu_pred.shape[0], M = mu_pred.shape[1]
    cdef bint floor_ok = floor >= 0.0 and floor * M < 1.0
    if N == 0:
        return
    with nogil:
        for k in range(N):
            status[k] = STATUS_INVALID_INPUT
            if floor_ok:
                status[k] = _mode_probabilities_one(&mu_pred[k, 0], &log_likelihood[k, 0],
                                                    floor, &mu_post[k, 0], M)
            if status[k] != STATUS_OK:
                memset(&mu_post[k, 0], 0, M * sizeof(double))


def imm_combine(const double[:, ::1] mu,          # IN  (N, M)        mode probabilities
                const double[:, :, ::1] x,        # IN  (N, M, n)     mode states
                const double[:, :, :, ::1] P,     # IN  (N, M, n, n)  mode covariances, SPD
                double[:, ::1] x_out,             # OUT (N, n)        combined state
                double[:, :, ::1] P_out,          # OUT (N, n, n)     combined covariance
                signed char[::1] status):         # OUT (N,)
    """The moment-matched output estimate of each track.

    x = sum_j mu_j x_j,  P = sum_j mu_j (P_j + (x_j - x)(x_j - x)')
    (Bar-Shalom et al. 2001, sec. 11.6). ``mu`` is normalised per track first.
    """
    cdef Py_ssize_t N = x.shape[0], M = x.shape[1], n = x.shape[2]
    if N == 0:
        return
    with nogil:
        if n == 6:
            _combine_all(&mu[0, 0], &x[0, 0, 0], &P[0, 0, 0, 0], &x_out[0, 0],
                         &P_out[0, 0, 0], &status[0], N, M, 6)
        else:
            _combine_all(&mu[0, 0], &x[0, 0, 0], &P[0, 0, 0, 0], &x_out[0, 0],
                         &P_out[0, 0, 0], &status[0], N, M, n)
