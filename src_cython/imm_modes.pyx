# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The mode-matched parts of one IMM-JIPDA scan, batched over N tracks x M modes.

``imm.pyx`` mixes and combines; this module does the rest of what used to be
NumPy between the compiled calls:

* ``imm_predict_modes``: each mode's transition F (constant velocity, or a
  coordinated turn at rate omega about the track's local up) and its process
  noise Q (white acceleration shaped in local ENU), built on the stack and
  applied to the mixed mode state (``tracker.models`` has the equations);
* ``imm_pair_likelihoods``: the innovation of every gated (track, detection)
  pair under every mode, log N(nu_ij; 0, S_j) - log lambda, and the track-level
  mixture log sum_j c_j l_ij that JIPDA takes (Musicki & Suvorova, IEEE TAES
  44(1), 2008);
* ``imm_innovation_covariances``: S = H P H' + R of chosen mode states, for the
  modes' own gates;
* ``imm_mode_association``: the track-level association probabilities split
  among the modes (``tracker.imm.mode_association``), for the mode-matched
  ``kalman.pda_update``.

Pair layout ("mode-major within each track"): the pairs of track t are
``offsets[t]:offsets[t + 1]`` (c_t of them); a per-(pair, mode) array of K * M
rows holds pair i of track t under mode j at row ``M offsets[t] + j c_t + i``.
That is the CSR layout of ``kalman.pda_update`` run on the N * M mode states
(``x.reshape(N * M, 6)``), with ``flat_offsets[t M + j] = M offsets[t] + j c_t``.

As in the other kernels: one loop over tracks with the GIL released, stack
buffers only, a status per track (or -inf for a mode that cannot be evaluated)
instead of exceptions; shapes are checked by ``tracker.imm`` and
``tracker.mode_update``; the NumPy twins of the same names and signatures are
in ``tracker.reference`` (``tracker/reference_imm.py``). float64 throughout:
at the ECEF radius (6.4e6 m) float32 values are 0.5 m apart.
"""
from _linalg cimport (MAXM, STATUS_OK, STATUS_INVALID_INPUT, STATUS_OVERFLOW, all_finite,
                      ldl)

from libc.math cimport M_PI, exp, fabs, fmod, log, sin, INFINITY
from libc.string cimport memset

cdef enum:
    MAXMODES = 8      # most modes a track may have (tracker.imm.MAX_MODES)

cdef double TWO_PI = 2.0 * M_PI
cdef double LOG_TWO_PI = log(2.0 * M_PI)
# below |omega dt| = 1e-2 the turn integrals use their series (tracker.models._SERIES_BELOW)
cdef double SERIES_BELOW = 1e-2


# ------------------------------------------------------------------------- prediction


cdef inline void _turn_blocks(double dt, double rate, const double* k, const double* k2,
                              double* B, double* C) noexcept nogil:
    """B = dt I - a K + b K^2 (position from velocity), C = I - sin(wT) K + 2 sin^2(wT/2) K^2.

    a = (1 - cos wT)/w, b = T - sin(wT)/w, by their series for small |wT| (no 0/0,
    no cancellation), as ``models.CoordinatedTurn.transition``; rate 0 gives the
    constant-velocity blocks B = dt I, C = I exactly.
    """
    cdef double wt = rate * dt, wt2, a, b, s, half
    cdef Py_ssize_t r
    if fabs(wt) < SERIES_BELOW:
        wt2 = wt * wt
        a = dt * wt / 2.0 * (1.0 - wt2 / 12.0 + wt2 * wt2 / 360.0)
        b = dt * wt2 / 6.0 * (1.0 - wt2 / 20.0 + wt2 * wt2 / 840.0)
    else:
        half = sin(wt / 2.0)
        a = 2.0 * half * half / rate
        b = dt - sin(wt) / rate
    s = sin(wt)
    half = sin(wt / 2.0)
    half = 2.0 * half * half
    for r in range(9):
        B[r] = -a * k[r] + b * k2[r]
        C[r] = -s * k[r] + half * k2[r]
    for r in range(3):
        B[r * 4] += dt
        C[r * 4] += 1.0


cdef inline void _predict_blocks(double* x, double* P, const double* B, const double* C,
                                 const double* A, double dt) noexcept nogil:
    """x = F x, P = F P F' + Q for F = [[I, B], [0, C]] and the white-acceleration Q.

    With P = [[Pp, X], [X', V]] (3x3 blocks) and Y = X + B V:
    Pp+ = Pp + B X' + Y B' + dt^3/3 A,  X+ = Y C' + dt^2/2 A,  V+ = C V C' + dt A
    (Bar-Shalom, Li & Kirubarajan 2001, eq. 6.2.2-12 for Q), 162 products instead of
    the dense product's 432. The upper blocks of P are read; Pp+ and V+ are
    symmetrised, X+' fills the lower-left block.
    """
    cdef double Y[9]
    cdef double CV[9]
    cdef double Pn[36]
    cdef double xn[6]
    cdef double s, h3 = dt * dt * dt / 3.0, h2 = dt * dt / 2.0
    cdef Py_ssize_t r, c, l
    for r in range(3):
        for c in range(3):
            s = P[r * 6 + c + 3]                                  # Y = X + B V
            for l in range(3):
                s += B[r * 3 + l] * P[(l + 3) * 6 + c + 3]
            Y[r * 3 + c] = s
            s = 0.0                                               # C V
            for l in range(3):
                s += C[r * 3 + l] * P[(l + 3) * 6 + c + 3]
            CV[r * 3 + c] = s
    for r in range(3):
        for c in range(3):
            s = P[r * 6 + c] + h3 * A[r * 3 + c]                  # Pp + B X' + Y B'
            for l in range(3):
                s += B[r * 3 + l] * P[c * 6 + l + 3] + Y[r * 3 + l] * B[c * 3 + l]
            Pn[r * 6 + c] = s
            s = h2 * A[r * 3 + c]                                 # Y C'
            for l in range(3):
                s += Y[r * 3 + l] * C[c * 3 + l]
            Pn[r * 6 + c + 3] = s
            Pn[(c + 3) * 6 + r] = s
            s = dt * A[r * 3 + c]                                 # C V C'
            for l in range(3):
                s += CV[r * 3 + l] * C[c * 3 + l]
            Pn[(r + 3) * 6 + c + 3] = s
    for r in range(3):
        for c in range(r + 1, 3):
            s = 0.5 * (Pn[r * 6 + c] + Pn[c * 6 + r])
            Pn[r * 6 + c] = s
            Pn[c * 6 + r] = s
            s = 0.5 * (Pn[(r + 3) * 6 + c + 3] + Pn[(c + 3) * 6 + r + 3])
            Pn[(r + 3) * 6 + c + 3] = s
            Pn[(c + 3) * 6 + r + 3] = s
        xn[r] = x[r]
        xn[r + 3] = 0.0
        for l in range(3):
            xn[r] += B[r * 3 + l] * x[l + 3]
            xn[r + 3] += C[r * 3 + l] * x[l + 3]
    for r in range(6):
        x[r] = xn[r]
    for r in range(36):
        P[r] = Pn[r]


cdef inline signed char _predict_modes_one(double* x, double* P, double dt, const double* u,
                                           const double* noise, const double* rate,
                                           Py_ssize_t M) noexcept nogil:
    """Predict the M mode states (in place) of one track over dt about its local up u."""
    cdef double k[9]
    cdef double k2[9]
    cdef double B[9]
    cdef double C[9]
    cdef double A[9]
    cdef Py_ssize_t j, r, c, l
    cdef double s
    if not (dt >= 0.0 and all_finite(&dt, 1) and all_finite(u, 3)
            and all_finite(x, M * 6) and all_finite(P, M * 36)):
        return STATUS_INVALID_INPUT
    # K, the cross-product matrix of u (K v = u x v), and K^2
    k[0], k[1], k[2] = 0.0, -u[2], u[1]
    k[3], k[4], k[5] = u[2], 0.0, -u[0]
    k[6], k[7], k[8] = -u[1], u[0], 0.0
    for r in range(3):
        for c in range(3):
            s = 0.0
            for l in range(3):
                s += k[r * 3 + l] * k[l * 3 + c]
            k2[r * 3 + c] = s
    for j in range(M):
        # ECEF acceleration density A = q_h I + (q_v - q_h) u u' (models.acceleration_psd)
        for r in range(3):
            for c in range(3):
                A[r * 3 + c] = (noise[j * 2 + 1] - noise[j * 2]) * (u[r] * u[c])
            A[r * 4] += noise[j * 2]
        _turn_blocks(dt, rate[j], k, k2, B, C)
        _predict_blocks(&x[j * 6], &P[j * 36], B, C, A, dt)
    if not (all_finite(x, M * 6) and all_finite(P, M * 36)):
        return STATUS_OVERFLOW
    return STATUS_OK


def imm_predict_modes(double[:, :, ::1] x,            # INOUT (N, M, 6)     mixed mode states, ECEF
                      double[:, :, :, ::1] P,         # INOUT (N, M, 6, 6)  mixed covariances
                      const double[::1] dt,           # IN    (N,)   s, each track's step, >= 0
                      const double[:, ::1] up,        # IN    (N, 3) unit geodetic up at the track
                      const double[:, ::1] noise,     # IN    (M, 2) q_horizontal, q_vertical, m^2/s^3
                      const double[::1] turn_rate,    # IN    (M,)   rad/s, > 0 right; 0 for CV
                      signed char[::1] status):       # OUT   (N,)
    """Mode-matched prediction of every mode of every track, F and Q built per mode.

    F = [[I, B], [0, C]] with B = T I - (1 - cos wT)/w K + (T - sin wT / w) K^2 and
    C = R(-wT) = I - sin(wT) K + (1 - cos wT) K^2, K the cross-product matrix of
    the track's up (``models.CoordinatedTurn``; w = 0 is ``ConstantVelocity``);
    Q the continuous white-noise acceleration of density
    A = q_h I + (q_v - q_h) u u' (``models.ConstantVelocity.process_noise``).
    A failed track (``STATUS_INVALID_INPUT``: NaN/inf or dt < 0;
    ``STATUS_OVERFLOW``) gets zeros in x and P.
    """
    cdef Py_ssize_t i, N = x.shape[0], M = x.shape[1]
    if N == 0:
        return
    with nogil:
        for i in range(N):
            status[i] = _predict_modes_one(&x[i, 0, 0], &P[i, 0, 0, 0], dt[i], &up[i, 0],
                                           &noise[0, 0], &turn_rate[0], M)
            if status[i] != STATUS_OK:
                memset(&x[i, 0, 0], 0, M * 6 * sizeof(double))
                memset(&P[i, 0, 0, 0], 0, M * 36 * sizeof(double))


# ------------------------------------------------------------------- pair likelihoods


cdef inline double _wrap(double a) noexcept nogil:
    """a mapped into [-pi, pi); a value already there is kept bit for bit."""
    cdef double r
    if a >= M_PI or a < -M_PI:
        r = fmod(a + M_PI, TWO_PI)
        if r < 0.0:                               # Python's %: the sign of the divisor
            r += TWO_PI
        a = r - M_PI
    return a


cdef inline void _innovation_covariance(const double* H, const double* R, const double* P,
                                        double* L, Py_ssize_t m) noexcept nogil:
    """The lower triangle of S = H P H' + (R + R')/2 (m x m) into L, for ``ldl``.

    H P by rows, skipping H's zeros (no velocity in a position or angle
    measurement), as ``kalman.pyx``'s gain does; the product is symmetric, so only
    its lower triangle is formed.
    """
    cdef double hp[MAXM * 6]
    cdef Py_ssize_t r, c, l
    cdef double s
    memset(hp, 0, m * 6 * sizeof(double))
    for r in range(m):
        for l in range(6):
            if H[r * 6 + l] != 0.0:
                for c in range(6):
                    hp[r * 6 + c] += H[r * 6 + l] * P[l * 6 + c]
    for r in range(m):
        for c in range(r + 1):
            s = 0.5 * (R[r * m + c] + R[c * m + r])
            for l in range(6):
                s += hp[r * 6 + l] * H[c * 6 + l]
            L[r * m + c] = s


cdef inline void _pair_track(const double* z_hat, const double* H, const double* R,
                             const double* P, const double* z, const Py_ssize_t* detection,
                             const unsigned char* angle, Py_ssize_t count, double log_clutter, const double* mu_pred,
                             double* innovations, double* log_ratio, double* log_mixture,
                             Py_ssize_t M, Py_ssize_t m) noexcept nogil:
    """One track's ``count`` pairs (``innovations``, ``log_ratio`` at its first flat row)."""
    cdef double L[MAXMODES * MAXM * MAXM]
    cdef double inv_d[MAXMODES * MAXM]
    cdef double constant[MAXMODES]           # -(m log 2 pi + log det S_j)/2 - log lambda
    cdef double log_c[MAXMODES]
    cdef bint ok[MAXMODES]
    cdef double a[MAXMODES]
    cdef double nu[MAXM]
    cdef double w, q, top, total
    cdef const double* zi
    cdef Py_ssize_t i, j, r, c, row
    for j in range(M):
        _innovation_covariance(&H[j * m * 6], &R[j * m * m], &P[j * 36], &L[j * m * m], m)
        # ldl is False also for a NaN or inf in S; one in P might meet only H's zeros
        ok[j] = all_finite(&P[j * 36], 36) and ldl(&L[j * m * m], &inv_d[j * m], m)
        constant[j] = -INFINITY
        if ok[j]:
            q = m * LOG_TWO_PI
            for r in range(m):                  # log det S = sum log D_r
                q -= log(inv_d[j * m + r])
            constant[j] = -0.5 * q - log_clutter
        log_c[j] = log(mu_pred[j]) if mu_pred[j] > 0.0 else -INFINITY
    for i in range(count):
        zi = &z[detection[i] * m]
        top = -INFINITY
        for j in range(M):
            row = j * count + i
            for r in range(m):
                nu[r] = zi[r] - z_hat[j * m + r]
                if angle[r]:
                    nu[r] = _wrap(nu[r])
                innovations[row * m + r] = nu[r]
            log_ratio[row] = -INFINITY
            if ok[j] and all_finite(nu, m):
                q = 0.0                         # nu' S^-1 nu = w' D^-1 w, L w = nu
                for r in range(m):
                    w = nu[r]
                    for c in range(r):
                        w -= L[j * m * m + r * m + c] * nu[c]
                    nu[r] = w
                    q += w * w * inv_d[j * m + r]
                log_ratio[row] = constant[j] - 0.5 * q
            a[j] = log_c[j] + log_ratio[row]
            if a[j] > top:
                top = a[j]
        if top > -INFINITY:                     # log sum_j c_j l_ij, the largest term 1
            total = 0.0
            for j in range(M):
                total += exp(a[j] - top)
            log_mixture[i] = top + log(total)
        else:
            log_mixture[i] = -INFINITY


def imm_pair_likelihoods(const double[:, :, ::1] z_hat,      # IN  (N, M, m)   each mode's h(x_j)
                         const double[:, :, :, ::1] H,       # IN  (N, M, m, 6) Jacobian at x_j
                         const double[:, :, :, ::1] R,       # IN  (N, M, m, m) measurement noise
                         const double[:, :, :, ::1] P,       # IN  (N, M, 6, 6) mode covariances
                         const double[:, ::1] z,             # IN  (D, m)      the scan's detections
                         const Py_ssize_t[::1] detection,    # IN  (K,)        each gated pair's detection
                         const Py_ssize_t[::1] offsets,      # IN  (N + 1,)    track t: pairs offsets[t]:[t+1]
                         const unsigned char[::1] angle,     # IN  (m,)        1: an angle column
                         const double[::1] clutter_density,  # IN  (N,)        lambda > 0, per unit volume
                         const double[:, ::1] mu_pred,       # IN  (N, M)      c_j, predicted mode probabilities
                         double[:, ::1] innovations,         # OUT (K * M, m)  z_i - h(x_j), mode-major layout
                         double[::1] log_ratio,              # OUT (K * M,)    log N(nu_ij; 0, S_j) - log lambda
                         double[::1] log_mixture):           # OUT (K,)        log sum_j c_j exp(log_ratio_ij)
    """Every gated pair under every mode: innovation, log-likelihood ratio and the mixture.

    nu_ij = z_i - h(x_j), angle columns wrapped into [-pi, pi);
    S_j = H_j P_j H_j' + R_j;
    log l_ij = -(nu' S_j^-1 nu + m log 2 pi + log det S_j)/2 - log lambda by an
    L D L' factorisation of each S_j, once per mode; -inf under a mode whose S is
    not positive definite (or not finite). log_mixture_i = log sum_j c_j l_ij,
    -inf when no mode explains the pair.
    """
    cdef Py_ssize_t t, N = z_hat.shape[0], M = z_hat.shape[1], m = z_hat.shape[2]
    cdef Py_ssize_t start, count
    if N == 0 or offsets[N] == 0:
        return
    with nogil:
        for t in range(N):
            start, count = offsets[t], offsets[t + 1] - offsets[t]
            if count > 0:
                _pair_track(&z_hat[t, 0, 0], &H[t, 0, 0, 0], &R[t, 0, 0, 0], &P[t, 0, 0, 0],
                            &z[0, 0], &detection[start], &angle[0], count,
                            log(clutter_density[t]), &mu_pred[t, 0],
                            &innovations[M * start, 0], &log_ratio[M * start],
                            &log_mixture[start], M, m)


def imm_innovation_covariances(const double[:, :, ::1] H,     # IN  (L, m, 6)  Jacobians of L mode states
                               const double[:, :, ::1] R,     # IN  (L, m, m)  measurement noise
                               const double[:, :, ::1] P,     # IN  (L, 6, 6)  mode covariances
                               const Py_ssize_t[::1] rows,    # IN  (K,)       which of the L, in [0, L)
                               double[:, :, ::1] S):          # OUT (K, m, m)  H P H' + (R + R')/2
    """S_k = H_r P_r H_r' + (R_r + R_r')/2 for r = rows[k], exactly symmetric: the modes'
    own gates (``tracker.mode_update.gate_modes``), with no (K, m, 6) temporaries."""
    cdef Py_ssize_t k, r, c, K = rows.shape[0], m = H.shape[1]
    cdef double L[MAXM * MAXM]
    if K == 0:
        return
    with nogil:
        for k in range(K):
            _innovation_covariance(&H[rows[k], 0, 0], &R[rows[k], 0, 0], &P[rows[k], 0, 0],
                                   L, m)
            for r in range(m):
                for c in range(r + 1):
                    S[k, r, c] = L[r * m + c]
                    S[k, c, r] = L[r * m + c]


# ------------------------------------------------------------------ mode association


def imm_mode_association(const double[::1] log_ratio,      # IN  (K * M,)  mode-major layout
                         const double[::1] log_mixture,    # IN  (K,)      log l_i = log sum_j c_j l_ij
                         const double[::1] beta,           # IN  (K,)      track-level association
                         const double[::1] beta_none,      # IN  (N,)      "none is the target's"
                         const Py_ssize_t[::1] offsets,    # IN  (N + 1,)
                         double[:, ::1] log_likelihood,    # OUT (N, M)    log Lambda~_j
                         double[::1] beta_mode,            # OUT (K * M,)  beta_{i|j}, mode-major
                         double[::1] beta_none_mode,       # OUT (N * M,)  beta_{0|j}
                         Py_ssize_t[::1] flat_offsets):    # OUT (N * M + 1,) CSR of the mode states
    """Split each track's association among its modes (``tracker.imm.mode_association``).

    Lambda~_j = beta_0 + sum_i beta_i l_ij / l_i, beta_{i|j} = beta_i (l_ij / l_i) / Lambda~_j,
    beta_{0|j} = beta_0 / Lambda~_j; a pair with l_i = 0 takes no share, and a mode
    with Lambda~_j = 0 gets beta_{i|j} = 0, beta_{0|j} = 1 (log Lambda~_j = -inf).
    """
    cdef Py_ssize_t t, i, j, row, start, count
    cdef Py_ssize_t N = log_likelihood.shape[0], M = log_likelihood.shape[1]
    cdef double lam[MAXMODES]
    cdef double share
    with nogil:
        flat_offsets[0] = 0
        for t in range(N):
            start, count = offsets[t], offsets[t + 1] - offsets[t]
            for j in range(M):
                lam[j] = beta_none[t]
                flat_offsets[t * M + j + 1] = M * start + (j + 1) * count
            for i in range(count):
                for j in range(M):
                    row = M * start + j * count + i
                    share = 0.0
                    if log_mixture[start + i] > -INFINITY:      # l_ij / l_i
                        share = exp(log_ratio[row] - log_mixture[start + i])
                    beta_mode[row] = beta[start + i] * share
                    lam[j] += beta_mode[row]
            for j in range(M):
                log_likelihood[t, j] = log(lam[j]) if lam[j] > 0.0 else -INFINITY
                beta_none_mode[t * M + j] = beta_none[t] / lam[j] if lam[j] > 0.0 else 1.0
                if lam[j] > 0.0:
                    for i in range(count):
                        beta_mode[M * start + j * count + i] /= lam[j]
                else:
                    for i in range(count):
                        beta_mode[M * start + j * count + i] = 0.0
