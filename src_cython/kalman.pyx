# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Kalman predict and update kernels, batched over many tracks.

Every kernel runs one loop over tracks with the GIL released, works on stack
buffers (no allocation per track) and writes a per-track status instead of
raising: a track whose inputs are not finite, whose innovation covariance is
not positive definite, or whose result overflows is left exactly as it was.
Shapes are checked by the caller (``tracker.kalman``), which also allocates
the outputs; each kernel has a pure-NumPy twin of the same name and signature
in ``tracker.reference``.

float64 throughout: at the ECEF radius (6.4e6 m) float32 values are 0.5 m
apart, coarser than the measurements.
"""
from _linalg cimport (MAXN, MAXM, STATUS_OK, STATUS_INVALID_INPUT, STATUS_NOT_PD,
                      STATUS_OVERFLOW, all_finite, mat_mul, mat_mul_bt, symmetrise,
                      cholesky, forward_solve, cholesky_solve)

from libc.string cimport memcpy, memset


cdef inline bint isfinite_(double v) noexcept nogil:
    return all_finite(&v, 1)


cdef inline void _joseph(const double* P, const double* K, const double* H,
                         const double* R, double* out, Py_ssize_t n,
                         Py_ssize_t m) noexcept nogil:
    """out = (I - K H) P (I - K H)' + K R K'  (Joseph form, symmetrised).

    Unlike P - K S K', it stays symmetric positive semi-definite whatever the
    round-off in K (Bucy & Joseph 1968; Bar-Shalom, Li & Kirubarajan 2001, eq. 5.2.3-18).
    """
    cdef double A[MAXN * MAXN]
    cdef double T[MAXN * MAXN]
    cdef double KR[MAXN * MAXM]
    cdef Py_ssize_t i
    mat_mul(K, H, A, n, m, n)                     # K H
    for i in range(n * n):
        A[i] = -A[i]
    for i in range(n):
        A[i * n + i] += 1.0                       # A = I - K H
    mat_mul(A, P, T, n, n, n)                     # A P
    mat_mul_bt(T, A, out, n, n, n)                # A P A'
    mat_mul(K, R, KR, n, m, m)                    # K R
    mat_mul_bt(KR, K, T, n, m, n)                 # K R K'
    for i in range(n * n):
        out[i] += T[i]
    symmetrise(out, n)


cdef inline bint _gain(const double* P, const double* H, const double* R,
                       double* S, double* L, double* K, Py_ssize_t n,
                       Py_ssize_t m) noexcept nogil:
    """S = H P H' + R, its Cholesky factor L, and K = P H' S^-1 (solved, not inverted)."""
    cdef double PHt[MAXN * MAXM]
    cdef Py_ssize_t i
    mat_mul_bt(P, H, PHt, n, n, m)                # P H'
    mat_mul(H, PHt, S, m, n, m)                   # H P H'
    for i in range(m * m):
        S[i] += R[i]
    symmetrise(S, m)
    memcpy(L, S, m * m * sizeof(double))
    if not cholesky(L, m):
        return False
    for i in range(n):                            # row i of K: S^-1 (row i of P H'), S symmetric
        memcpy(&K[i * m], &PHt[i * m], m * sizeof(double))
        cholesky_solve(L, &K[i * m], m)
    return True


def predict(double[:, ::1] x,                 # INOUT (N, n)     state
            double[:, :, ::1] P,              # INOUT (N, n, n)  covariance
            const double[:, :, ::1] F,        # IN    (N, n, n)  transition over each track's own dt
            const double[:, :, ::1] Q,        # IN    (N, n, n)  process noise over that dt
            signed char[::1] status):         # OUT   (N,)
    """x = F x, P = F P F' + Q for every track (Bar-Shalom et al. 2001, eq. 5.2.3-3, -5)."""
    cdef Py_ssize_t i, j, n = x.shape[1], N = x.shape[0]
    cdef double xn[MAXN]
    cdef double T[MAXN * MAXN]
    cdef double Pn[MAXN * MAXN]
    cdef const double* A
    with nogil:
        for i in range(N):
            if not (all_finite(&x[i, 0], n) and all_finite(&P[i, 0, 0], n * n)
                    and all_finite(&F[i, 0, 0], n * n) and all_finite(&Q[i, 0, 0], n * n)):
                status[i] = STATUS_INVALID_INPUT
                continue
            mat_mul(&F[i, 0, 0], &x[i, 0], xn, n, n, 1)
            mat_mul(&F[i, 0, 0], &P[i, 0, 0], T, n, n, n)
            mat_mul_bt(T, &F[i, 0, 0], Pn, n, n, n)
            A = &Q[i, 0, 0]
            for j in range(n * n):
                Pn[j] += A[j]
            symmetrise(Pn, n)
            if not (all_finite(xn, n) and all_finite(Pn, n * n)):
                status[i] = STATUS_OVERFLOW
                continue
            memcpy(&x[i, 0], xn, n * sizeof(double))
            memcpy(&P[i, 0, 0], Pn, n * n * sizeof(double))
            status[i] = STATUS_OK


def predict_cv(double[:, ::1] x,              # INOUT (N, 6)     ECEF [x y z vx vy vz]
               double[:, :, ::1] P,           # INOUT (N, 6, 6)
               const double[::1] dt,          # IN    (N,)       s, each track's own step, >= 0
               const double[:, :, ::1] accel_psd,   # IN (N, 3, 3) ECEF acceleration PSD, m^2/s^3
               signed char[::1] status):      # OUT   (N,)
    """Nearly-constant-velocity prediction with each track's own time step.

    F = [[I, dt I], [0, I]] and the continuous white-noise-acceleration
    Q = [[dt^3/3 A, dt^2/2 A], [dt^2/2 A, dt A]] (Bar-Shalom et al. 2001,
    eq. 6.2.2-12) are applied in closed form on the 3x3 blocks of P, which is
    about ten times fewer operations than the general ``predict``.
    """
    cdef Py_ssize_t i, r, c, N = x.shape[0]
    cdef double h, h2, h3, pp, pv, vp, vv, a
    cdef double* p
    cdef const double* A
    cdef double Pn[36]
    cdef double xn[3]
    with nogil:
        for i in range(N):
            h = dt[i]
            p = &P[i, 0, 0]
            A = &accel_psd[i, 0, 0]
            if not (h >= 0.0 and all_finite(&x[i, 0], 6) and all_finite(p, 36)
                    and all_finite(A, 9) and isfinite_(h)):
                status[i] = STATUS_INVALID_INPUT
                continue
            h2 = 0.5 * h * h
            h3 = h * h * h / 3.0
            for r in range(3):
                for c in range(3):
                    pp = p[r * 6 + c]
                    pv = p[r * 6 + c + 3]
                    vp = p[(r + 3) * 6 + c]
                    vv = p[(r + 3) * 6 + c + 3]
                    a = A[r * 3 + c]
                    Pn[r * 6 + c] = pp + h * (pv + vp) + h * h * vv + h3 * a
                    Pn[r * 6 + c + 3] = pv + h * vv + h2 * a
                    Pn[(r + 3) * 6 + c] = vp + h * vv + h2 * a
                    Pn[(r + 3) * 6 + c + 3] = vv + h * a
            symmetrise(Pn, 6)
            for r in range(3):
                xn[r] = x[i, r] + h * x[i, r + 3]
            if not (all_finite(Pn, 36) and all_finite(xn, 3)):
                status[i] = STATUS_OVERFLOW
                continue
            memcpy(&x[i, 0], xn, 3 * sizeof(double))
            memcpy(p, Pn, 36 * sizeof(double))
            status[i] = STATUS_OK


def update(double[:, ::1] x,                  # INOUT (N, n)
           double[:, :, ::1] P,               # INOUT (N, n, n)
           const double[:, :, ::1] H,         # IN    (N, m, n)  measurement matrix or Jacobian at x
           const double[:, :, ::1] R,         # IN    (N, m, m)  measurement noise
           const double[:, ::1] innovation,   # IN    (N, m)     z - h(x), angles already wrapped
           double[:, :, ::1] S,               # OUT   (N, m, m)  innovation covariance
           double[::1] nis,                   # OUT   (N,)       y' S^-1 y; -1 where status != 0
           signed char[::1] status):          # OUT   (N,)
    """Kalman / extended Kalman update of every track with one measurement each.

    S = H P H' + R, K = P H' S^-1, x+ = x + K y, P+ in Joseph form
    (Bar-Shalom et al. 2001, eq. 5.2.3-9 to -18). The caller forms the
    innovation y = z - h(x), so the same kernel serves the linear filter
    (h(x) = H x) and the EKF (H the Jacobian of h at the predicted x).
    """
    cdef Py_ssize_t i, j, N = x.shape[0], n = x.shape[1], m = H.shape[1]
    cdef double L[MAXM * MAXM]
    cdef double K[MAXN * MAXM]
    cdef double w[MAXM]
    cdef double xn[MAXN]
    cdef double Pn[MAXN * MAXN]
    cdef double q
    with nogil:
        for i in range(N):
            memset(&S[i, 0, 0], 0, m * m * sizeof(double))
            nis[i] = -1.0
            if not (all_finite(&x[i, 0], n) and all_finite(&P[i, 0, 0], n * n)
                    and all_finite(&H[i, 0, 0], m * n) and all_finite(&R[i, 0, 0], m * m)
                    and all_finite(&innovation[i, 0], m)):
                status[i] = STATUS_INVALID_INPUT
                continue
            if not _gain(&P[i, 0, 0], &H[i, 0, 0], &R[i, 0, 0], &S[i, 0, 0], L, K, n, m):
                memset(&S[i, 0, 0], 0, m * m * sizeof(double))
                status[i] = STATUS_NOT_PD
                continue
            memcpy(w, &innovation[i, 0], m * sizeof(double))
            forward_solve(L, w, m)                # |L^-1 y|^2 = y' S^-1 y
            q = 0.0
            for j in range(m):
                q += w[j] * w[j]
            mat_mul(K, &innovation[i, 0], xn, n, m, 1)
            for j in range(n):
                xn[j] += x[i, j]
            _joseph(&P[i, 0, 0], K, &H[i, 0, 0], &R[i, 0, 0], Pn, n, m)
            if not (all_finite(xn, n) and all_finite(Pn, n * n) and isfinite_(q)):
                status[i] = STATUS_OVERFLOW
                continue
            memcpy(&x[i, 0], xn, n * sizeof(double))
            memcpy(&P[i, 0, 0], Pn, n * n * sizeof(double))
            nis[i] = q
            status[i] = STATUS_OK


def pda_update(double[:, ::1] x,              # INOUT (N, n)
               double[:, :, ::1] P,           # INOUT (N, n, n)
               const double[:, :, ::1] H,     # IN    (N, m, n)
               const double[:, :, ::1] R,     # IN    (N, m, m)
               const double[:, ::1] innovations,   # IN (K, m) every gated detection's z_i - h(x)
               const double[::1] beta,        # IN    (K,)  association probability of each
               const double[::1] beta_none,   # IN    (N,)  probability that none is the target
               const Py_ssize_t[::1] offsets,  # IN   (N + 1,) track i owns rows offsets[i]:offsets[i+1]
               double[:, :, ::1] S,           # OUT   (N, m, m)
               signed char[::1] status):      # OUT   (N,)
    """Probabilistic data association update: each track takes all its gated detections.

    With nu = sum_i beta_i nu_i (Bar-Shalom, Daum & Huang, IEEE CSM 29(6), 2009, eq. 33-41):
    x+ = x + K nu, P+ = beta_0 P + (1 - beta_0) P_c + K (sum_i beta_i nu_i nu_i' - nu nu') K',
    where P_c is the Joseph-form covariance of a single update; the last term is the
    spread of the innovations. A track with no detections gets P+ = P (beta_0 = 1).
    """
    cdef Py_ssize_t i, j, r, c, k, N = x.shape[0], n = x.shape[1], m = H.shape[1]
    cdef double L[MAXM * MAXM]
    cdef double K[MAXN * MAXM]
    cdef double nu[MAXM]
    cdef double spread[MAXM * MAXM]
    cdef double KD[MAXN * MAXM]
    cdef double T[MAXN * MAXN]
    cdef double xn[MAXN]
    cdef double Pn[MAXN * MAXN]
    cdef double b, b0
    cdef const double* v
    with nogil:
        for i in range(N):
            memset(&S[i, 0, 0], 0, m * m * sizeof(double))
            b0 = beta_none[i]
            if not (all_finite(&x[i, 0], n) and all_finite(&P[i, 0, 0], n * n)
                    and all_finite(&H[i, 0, 0], m * n) and all_finite(&R[i, 0, 0], m * m)
                    and isfinite_(b0) and offsets[i] <= offsets[i + 1]):
                status[i] = STATUS_INVALID_INPUT
                continue
            if (offsets[i + 1] > offsets[i] and not (
                    all_finite(&innovations[offsets[i], 0], (offsets[i + 1] - offsets[i]) * m)
                    and all_finite(&beta[offsets[i]], offsets[i + 1] - offsets[i]))):
                status[i] = STATUS_INVALID_INPUT
                continue
            if not _gain(&P[i, 0, 0], &H[i, 0, 0], &R[i, 0, 0], &S[i, 0, 0], L, K, n, m):
                memset(&S[i, 0, 0], 0, m * m * sizeof(double))
                status[i] = STATUS_NOT_PD
                continue
            for r in range(m):
                nu[r] = 0.0
            for j in range(m * m):
                spread[j] = 0.0
            for k in range(offsets[i], offsets[i + 1]):
                b = beta[k]
                v = &innovations[k, 0]
                for r in range(m):
                    nu[r] += b * v[r]
                    for c in range(m):
                        spread[r * m + c] += b * v[r] * v[c]
            for r in range(m):
                for c in range(m):
                    spread[r * m + c] -= nu[r] * nu[c]
            mat_mul(K, nu, xn, n, m, 1)
            for j in range(n):
                xn[j] += x[i, j]
            _joseph(&P[i, 0, 0], K, &H[i, 0, 0], &R[i, 0, 0], Pn, n, m)
            mat_mul(K, spread, KD, n, m, m)
            mat_mul_bt(KD, K, T, n, m, n)
            v = &P[i, 0, 0]
            for j in range(n * n):
                Pn[j] = b0 * v[j] + (1.0 - b0) * Pn[j] + T[j]
            symmetrise(Pn, n)
            if not (all_finite(xn, n) and all_finite(Pn, n * n)):
                status[i] = STATUS_OVERFLOW
                continue
            memcpy(&x[i, 0], xn, n * sizeof(double))
            memcpy(&P[i, 0, 0], Pn, n * n * sizeof(double))
            status[i] = STATUS_OK
