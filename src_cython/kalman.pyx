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
from _shapes cimport Shape, Shape6x2, Shape6x3, Shape6x4, ShapeAny, shape_m, shape_n
from _linalg cimport (MAXN, MAXM, STATUS_OK, STATUS_INVALID_INPUT, STATUS_NOT_PD,
                      STATUS_OVERFLOW, all_finite, axpy, scale, dot, symmetrise,
                      ldl)

from libc.string cimport memcpy, memset


# compile-time shapes (_shapes.pxd): this module's tag instances
cdef Shape6x2 SHAPE_6x2
cdef Shape6x3 SHAPE_6x3
cdef Shape6x4 SHAPE_6x4
cdef ShapeAny SHAPE_ANY


cdef inline bint isfinite_(double v) noexcept nogil:
    return all_finite(&v, 1)


cdef inline bint _gain(Shape shape, const double* P, const double* H, const double* R,
                       double* S, double* L, double* inv_d, double* Kt, double* HP,
                       Py_ssize_t n_any, Py_ssize_t m_any) noexcept nogil:
    """S = H P H' + R, its factors S = L D L', H P, and the gain K = P H' S^-1.

    Everything is kept by rows of length n: ``HP`` = H P (m x n, the transpose
    of P H' since P is symmetric) and ``Kt`` = K' = S^-1 H P (m x n), found by
    forward and back substitution with L on whole rows (solved, not inverted).
    False, with S filled, when S is not positive definite.
    """
    cdef Py_ssize_t i, j, l, n = shape_n(shape, n_any), m = shape_m(shape, m_any)
    cdef double s
    # work in local arrays, which the compiler knows alias nothing, and copy out at the end
    cdef double hp[MAXM * MAXN]
    cdef double kt[MAXM * MAXN]
    cdef double ld[MAXM * MAXM]
    memset(hp, 0, m * n * sizeof(double))
    for j in range(m):                            # H P, row by row
        for l in range(n):
            # measurement matrices are mostly zeros (no velocity in a position or angle
            # measurement): skipping them saves most of this product, exactly
            if H[j * n + l] != 0.0:
                axpy(H[j * n + l], &P[l * n], &hp[j * n], n)
    for j in range(m):                            # S = (H P) H' + R, symmetric
        for i in range(j, m):
            s = dot(&hp[j * n], &H[i * n], n) + 0.5 * (R[j * m + i] + R[i * m + j])
            ld[j * m + i] = s
            ld[i * m + j] = s
    memcpy(S, ld, m * m * sizeof(double))
    if not ldl(ld, inv_d, m):
        return False
    memcpy(kt, hp, m * n * sizeof(double))
    for i in range(m):                            # L Y = H P (unit diagonal)
        for l in range(i):
            axpy(-ld[i * m + l], &kt[l * n], &kt[i * n], n)
    for i in range(m - 1, -1, -1):                # L' K' = D^-1 Y
        scale(inv_d[i], &kt[i * n], n)
        for l in range(i + 1, m):
            axpy(-ld[l * m + i], &kt[l * n], &kt[i * n], n)
    memcpy(HP, hp, m * n * sizeof(double))
    memcpy(Kt, kt, m * n * sizeof(double))
    memcpy(L, ld, m * m * sizeof(double))
    return True


cdef inline void _joseph(Shape shape, const double* P, const double* Kt, const double* S,
                         const double* HP, double* out, Py_ssize_t n_any,
                         Py_ssize_t m_any) noexcept nogil:
    """out = (I - K H) P (I - K H)' + K R K', the Joseph form, in expanded form.

    Unlike P - K S K', the Joseph form is right for any gain, so round-off in K
    perturbs P+ only to second order and P stays symmetric positive definite
    (Bar-Shalom, Li & Kirubarajan 2001, eq. 5.2.3-18). Multiplied out with
    Phi = P H' and S = H P H' + R it is P - K Phi' - Phi K' + K S K', the same
    function of K, which with W = K S / 2 - Phi reads

        out = P + W K' + K W'

    It is symmetric by construction, so only its upper triangle is computed:
    n (n + 1) m + n m^2 products instead of the 2 n^3 + 2 n^2 m + n m^2 of
    forming I - K H and multiplying through. ``Kt`` and ``HP`` are K' and
    H P = Phi' (m x n).
    """
    cdef double Wt[MAXM * MAXN]
    cdef double s
    cdef Py_ssize_t i, j, l, n = shape_n(shape, n_any), m = shape_m(shape, m_any)
    for j in range(m):                            # W' = S K' / 2 - H P
        for i in range(n):
            Wt[j * n + i] = -HP[j * n + i]
        for l in range(m):
            axpy(0.5 * S[j * m + l], &Kt[l * n], &Wt[j * n], n)
    for i in range(n):                            # P + W K' + K W': upper triangle, mirrored
        for j in range(i, n):
            s = 0.5 * (P[i * n + j] + P[j * n + i])
            for l in range(m):
                s += Wt[l * n + i] * Kt[l * n + j] + Kt[l * n + i] * Wt[l * n + j]
            out[i * n + j] = s
            out[j * n + i] = s


cdef inline signed char _predict_one(double* x, double* P, const double* F, const double* Q,
                                     Py_ssize_t n) noexcept nogil:
    """x = F x, P = F P F' + Q as row updates: T = F P, then (F P F')' = F T'."""
    cdef double xn[MAXN]
    cdef double T[MAXN * MAXN]
    cdef double Tt[MAXN * MAXN]
    cdef double Pn[MAXN * MAXN]
    cdef Py_ssize_t i, l
    memset(xn, 0, n * sizeof(double))
    memset(T, 0, n * n * sizeof(double))
    for i in range(n):
        xn[i] = dot(&F[i * n], x, n)
        for l in range(n):
            axpy(F[i * n + l], &P[l * n], &T[i * n], n)
    for i in range(n):
        for l in range(n):
            Tt[l * n + i] = T[i * n + l]
    memcpy(Pn, Q, n * n * sizeof(double))
    for i in range(n):
        for l in range(n):
            axpy(F[i * n + l], &Tt[l * n], &Pn[i * n], n)
    symmetrise(Pn, n)
    if not (all_finite(xn, n) and all_finite(Pn, n * n)):
        # NaN and inf propagate to the result, so only a failure needs the inputs read
        if not (all_finite(x, n) and all_finite(P, n * n) and all_finite(F, n * n)
                and all_finite(Q, n * n)):
            return STATUS_INVALID_INPUT
        return STATUS_OVERFLOW
    memcpy(x, xn, n * sizeof(double))
    memcpy(P, Pn, n * n * sizeof(double))
    return STATUS_OK


cdef inline signed char _predict_cv_one(double* x, double* P, double h,
                                        const double* A) noexcept nogil:
    """F P F' + Q on the 3x3 blocks [[pp, pv], [pv', vv]] of a symmetric P.

    pp+ = pp + h (pv + pv') + h^2 vv + h^3/3 A,  pv+ = pv + h vv + h^2/2 A,
    vv+ = vv + h A; pp+ and vv+ are symmetric, so their upper triangles are
    computed and mirrored, and pv+' fills the lower-left block.
    """
    cdef double Pn[36]
    cdef double xn[3]
    cdef double h2 = 0.5 * h * h, h3 = h * h * h / 3.0, hh = h * h, a
    cdef Py_ssize_t r, c
    if not (h >= 0.0 and isfinite_(h)):
        return STATUS_INVALID_INPUT
    for r in range(3):
        for c in range(3):
            a = 0.5 * (A[r * 3 + c] + A[c * 3 + r])
            Pn[r * 6 + c + 3] = P[r * 6 + c + 3] + h * P[(r + 3) * 6 + c + 3] + h2 * a
            if c >= r:
                Pn[r * 6 + c] = (P[r * 6 + c] + h * (P[r * 6 + c + 3] + P[c * 6 + r + 3])
                                 + hh * P[(r + 3) * 6 + c + 3] + h3 * a)
                Pn[(r + 3) * 6 + c + 3] = P[(r + 3) * 6 + c + 3] + h * a
        xn[r] = x[r] + h * x[r + 3]
    for r in range(3):
        for c in range(3):
            Pn[(c + 3) * 6 + r] = Pn[r * 6 + c + 3]
            if c > r:
                Pn[c * 6 + r] = Pn[r * 6 + c]
                Pn[(c + 3) * 6 + r + 3] = Pn[(r + 3) * 6 + c + 3]
    # NaN and inf in x, P or A reach the result, so only a failure needs the inputs read
    if not (all_finite(Pn, 36) and all_finite(xn, 3) and all_finite(&x[3], 3)):
        if not (all_finite(x, 6) and all_finite(P, 36) and all_finite(A, 9)):
            return STATUS_INVALID_INPUT
        return STATUS_OVERFLOW
    memcpy(x, xn, 3 * sizeof(double))
    memcpy(P, Pn, 36 * sizeof(double))
    return STATUS_OK


cdef inline bint _update_inputs_finite(const double* x, const double* P, const double* H,
                                       const double* R, Py_ssize_t n,
                                       Py_ssize_t m) noexcept nogil:
    return (all_finite(x, n) and all_finite(P, n * n) and all_finite(H, m * n)
            and all_finite(R, m * m))


cdef struct Gain:
    # one track's gain, computed ahead of its update (see _update_all)
    double HP[MAXM * MAXN]
    double Kt[MAXM * MAXN]
    double L[MAXM * MAXM]
    double inv_d[MAXM]
    bint ok


cdef inline signed char _update_one(Shape shape, double* x, double* P, const double* H,
                                    const double* R, const double* v, bint linear,
                                    const Gain* g, const double* S, double* nis,
                                    Py_ssize_t n_any, Py_ssize_t m_any) noexcept nogil:
    """Update one track whose gain ``g`` is ready. ``v`` is the measurement z when
    ``linear`` (y = z - H x is formed here), otherwise the innovation y itself."""
    cdef Py_ssize_t n = shape_n(shape, n_any), m = shape_m(shape, m_any)
    cdef double y[MAXM]
    cdef double w[MAXM]
    cdef double xn[MAXN]
    cdef double Pn[MAXN * MAXN]
    cdef double q = 0.0
    cdef Py_ssize_t i, j
    nis[0] = -1.0
    if not g.ok:
        if not (_update_inputs_finite(x, P, H, R, n, m) and all_finite(v, m)):
            return STATUS_INVALID_INPUT
        return STATUS_NOT_PD
    for j in range(m):
        y[j] = v[j] - dot(&H[j * n], x, n) if linear else v[j]
    for i in range(m):                            # y' S^-1 y = w' D^-1 w, L w = y
        w[i] = y[i]
        for j in range(i):
            w[i] -= g.L[i * m + j] * w[j]
        q += w[i] * w[i] * g.inv_d[i]
    memcpy(xn, x, n * sizeof(double))
    for j in range(m):                            # x + K y
        axpy(y[j], &g.Kt[j * n], xn, n)
    _joseph(shape, P, g.Kt, S, g.HP, Pn, n, m)
    # NaN and inf in any input reach x+ or P+, so only a failure needs the inputs read
    if not (all_finite(xn, n) and all_finite(Pn, n * n) and isfinite_(q)):
        if not (_update_inputs_finite(x, P, H, R, n, m) and all_finite(v, m)):
            return STATUS_INVALID_INPUT
        return STATUS_OVERFLOW
    memcpy(x, xn, n * sizeof(double))
    memcpy(P, Pn, n * n * sizeof(double))
    nis[0] = q
    return STATUS_OK


cdef inline signed char _pda_one(Shape shape, double* x, double* P, const double* H,
                                 const double* R, const double* innovations, const double* beta,
                                 Py_ssize_t k, double b0, double* S,
                                 Py_ssize_t n_any, Py_ssize_t m_any) noexcept nogil:
    """PDA update of one track from its k gated innovations (rows of ``innovations``)."""
    cdef Py_ssize_t n = shape_n(shape, n_any), m = shape_m(shape, m_any)
    cdef double L[MAXM * MAXM]
    cdef double inv_d[MAXM]
    cdef double Kt[MAXM * MAXN]
    cdef double HP[MAXM * MAXN]
    cdef double nu[MAXM]
    cdef double spread[MAXM * MAXM]
    cdef double DKt[MAXM * MAXN]
    cdef double xn[MAXN]
    cdef double Pn[MAXN * MAXN]
    cdef double b
    cdef const double* v
    cdef Py_ssize_t i, j, r, c
    if not (k >= 0 and isfinite_(b0) and all_finite(innovations, k * m)
            and all_finite(beta, k)):
        memset(S, 0, m * m * sizeof(double))
        return STATUS_INVALID_INPUT
    if not _gain(shape, P, H, R, S, L, inv_d, Kt, HP, n, m):
        memset(S, 0, m * m * sizeof(double))
        if not _update_inputs_finite(x, P, H, R, n, m):
            return STATUS_INVALID_INPUT
        return STATUS_NOT_PD
    memset(nu, 0, m * sizeof(double))
    memset(spread, 0, m * m * sizeof(double))
    for j in range(k):                            # nu = sum b_i nu_i, sum b_i nu_i nu_i'
        b = beta[j]
        v = &innovations[j * m]
        for r in range(m):
            nu[r] += b * v[r]
            for c in range(m):
                spread[r * m + c] += b * v[r] * v[c]
    for r in range(m):
        for c in range(m):
            spread[r * m + c] -= nu[r] * nu[c]    # spread of the innovations
    memcpy(xn, x, n * sizeof(double))
    for j in range(m):                            # x + K nu
        axpy(nu[j], &Kt[j * n], xn, n)
    _joseph(shape, P, Kt, S, HP, Pn, n, m)
    memset(DKt, 0, m * n * sizeof(double))
    for r in range(m):                            # D K', then K (D K') row by row
        for c in range(m):
            axpy(spread[r * m + c], &Kt[c * n], &DKt[r * n], n)
    for i in range(n):
        scale(1.0 - b0, &Pn[i * n], n)
        axpy(b0, &P[i * n], &Pn[i * n], n)
        for r in range(m):
            axpy(Kt[r * n + i], &DKt[r * n], &Pn[i * n], n)
    symmetrise(Pn, n)
    if not (all_finite(xn, n) and all_finite(Pn, n * n)):
        memset(S, 0, m * m * sizeof(double))
        if not _update_inputs_finite(x, P, H, R, n, m):
            return STATUS_INVALID_INPUT
        return STATUS_OVERFLOW
    memcpy(x, xn, n * sizeof(double))
    memcpy(P, Pn, n * n * sizeof(double))
    return STATUS_OK


# Loops over tracks. Each is called once with the common sizes as literal constants
# (6 states; 2, 3 or 4 measurement axes) and once generically: gcc's interprocedural
# constant propagation (-O3, -fipa-cp-clone) then compiles a copy with fixed loop bounds,
# which it unrolls and vectorises, about three times faster than the generic copy.

cdef void _predict_all(double* x, double* P, const double* F, const double* Q,
                       signed char* status, Py_ssize_t N, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(N):
        status[i] = _predict_one(&x[i * n], &P[i * n * n], &F[i * n * n], &Q[i * n * n], n)


cdef void _update_all(Shape shape, double* x, double* P, const double* H, const double* R,
                      const double* v, bint linear, double* S, double* nis,
                      signed char* status, Py_ssize_t N, Py_ssize_t n_any,
                      Py_ssize_t m_any) noexcept nogil:
    """Update every track, software-pipelined: the gain of track i + 1 is computed
    just before the update of track i, so the processor can work on the update
    (independent, many multiplications) while the gain's chain of dependent
    divisions and substitutions completes, instead of waiting on it."""
    cdef Py_ssize_t i, n = shape_n(shape, n_any), m = shape_m(shape, m_any)
    cdef Gain gains[2]
    cdef Gain* g
    if N == 0:
        return
    gains[0].ok = _gain(shape, P, H, R, S, gains[0].L, gains[0].inv_d, gains[0].Kt,
                        gains[0].HP, n, m)
    for i in range(N):
        if i + 1 < N:
            g = &gains[(i + 1) & 1]
            g.ok = _gain(shape, &P[(i + 1) * n * n], &H[(i + 1) * m * n], &R[(i + 1) * m * m],
                         &S[(i + 1) * m * m], g.L, g.inv_d, g.Kt, g.HP, n, m)
        status[i] = _update_one(shape, &x[i * n], &P[i * n * n], &H[i * m * n], &R[i * m * m],
                                &v[i * m], linear, &gains[i & 1], &S[i * m * m], &nis[i], n, m)
        if status[i] != STATUS_OK:
            memset(&S[i * m * m], 0, m * m * sizeof(double))


cdef void _update_dispatch(double[:, ::1] x, double[:, :, ::1] P, const double[:, :, ::1] H,
                           const double[:, :, ::1] R, const double[:, ::1] v, bint linear,
                           double[:, :, ::1] S, double[::1] nis,
                           signed char[::1] status) noexcept nogil:
    """Run the update with the compile-time shape that fits, or the run-time one."""
    cdef Py_ssize_t N = x.shape[0], n = x.shape[1], m = H.shape[1]
    if N == 0:
        return
    if n == 6 and m == 2:
        _update_all(SHAPE_6x2, &x[0, 0], &P[0, 0, 0], &H[0, 0, 0], &R[0, 0, 0], &v[0, 0],
                    linear, &S[0, 0, 0], &nis[0], &status[0], N, 6, 2)
    elif n == 6 and m == 3:
        _update_all(SHAPE_6x3, &x[0, 0], &P[0, 0, 0], &H[0, 0, 0], &R[0, 0, 0], &v[0, 0],
                    linear, &S[0, 0, 0], &nis[0], &status[0], N, 6, 3)
    elif n == 6 and m == 4:
        _update_all(SHAPE_6x4, &x[0, 0], &P[0, 0, 0], &H[0, 0, 0], &R[0, 0, 0], &v[0, 0],
                    linear, &S[0, 0, 0], &nis[0], &status[0], N, 6, 4)
    else:
        _update_all(SHAPE_ANY, &x[0, 0], &P[0, 0, 0], &H[0, 0, 0], &R[0, 0, 0], &v[0, 0],
                    linear, &S[0, 0, 0], &nis[0], &status[0], N, n, m)


cdef void _pda_all(Shape shape, double* x, double* P, const double* H, const double* R,
                   const double* innovations, const double* beta, const double* beta_none,
                   const Py_ssize_t* offsets, double* S, signed char* status,
                   Py_ssize_t N, Py_ssize_t n_any, Py_ssize_t m_any) noexcept nogil:
    cdef Py_ssize_t i, n = shape_n(shape, n_any), m = shape_m(shape, m_any)
    for i in range(N):
        status[i] = _pda_one(shape, &x[i * n], &P[i * n * n], &H[i * m * n], &R[i * m * m],
                             &innovations[offsets[i] * m], &beta[offsets[i]],
                             offsets[i + 1] - offsets[i], beta_none[i], &S[i * m * m], n, m)


def predict(double[:, ::1] x,                 # INOUT (N, n)     state
            double[:, :, ::1] P,              # INOUT (N, n, n)  covariance
            const double[:, :, ::1] F,        # IN    (N, n, n)  transition over each track's own dt
            const double[:, :, ::1] Q,        # IN    (N, n, n)  process noise over that dt
            signed char[::1] status):         # OUT   (N,)
    """x = F x, P = F P F' + Q for every track (Bar-Shalom et al. 2001, eq. 5.2.3-3, -5)."""
    cdef Py_ssize_t N = x.shape[0], n = x.shape[1]
    if N == 0:
        return
    with nogil:
        if n == 6:
            _predict_all(&x[0, 0], &P[0, 0, 0], &F[0, 0, 0], &Q[0, 0, 0], &status[0], N, 6)
        else:
            _predict_all(&x[0, 0], &P[0, 0, 0], &F[0, 0, 0], &Q[0, 0, 0], &status[0], N, n)


def predict_cv(double[:, ::1] x,              # INOUT (N, 6)     ECEF [x y z vx vy vz]
               double[:, :, ::1] P,           # INOUT (N, 6, 6)
               const double[::1] dt,          # IN    (N,)       s, each track's own step, >= 0
               const double[:, :, ::1] accel_psd,   # IN (N, 3, 3) ECEF acceleration PSD, m^2/s^3
               signed char[::1] status):      # OUT   (N,)
    """Nearly-constant-velocity prediction with each track's own time step.

    F = [[I, dt I], [0, I]] and the continuous white-noise-acceleration
    Q = [[dt^3/3 A, dt^2/2 A], [dt^2/2 A, dt A]] (Bar-Shalom et al. 2001,
    eq. 6.2.2-12) are applied in closed form on the 3x3 blocks of P, about ten
    times fewer operations than the general ``predict``.
    """
    cdef Py_ssize_t i
    with nogil:
        for i in range(x.shape[0]):
            status[i] = _predict_cv_one(&x[i, 0], &P[i, 0, 0], dt[i], &accel_psd[i, 0, 0])


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
    with nogil:
        _update_dispatch(x, P, H, R, innovation, False, S, nis, status)


def kf_update(double[:, ::1] x,               # INOUT (N, n)
              double[:, :, ::1] P,            # INOUT (N, n, n)
              const double[:, :, ::1] H,      # IN    (N, m, n)  measurement matrix
              const double[:, :, ::1] R,      # IN    (N, m, m)  measurement noise
              const double[:, ::1] z,         # IN    (N, m)     measurements
              double[:, :, ::1] S,            # OUT   (N, m, m)  innovation covariance
              double[::1] nis,                # OUT   (N,)       y' S^-1 y; -1 where status != 0
              signed char[::1] status):       # OUT   (N,)
    """Linear Kalman update: ``update`` with the innovation y = z - H x formed per track."""
    with nogil:
        _update_dispatch(x, P, H, R, z, True, S, nis, status)


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
    spread of the innovations. A track with no detections keeps its prediction (beta_0 = 1).
    """
    cdef Py_ssize_t N = x.shape[0], n = x.shape[1], m = H.shape[1]
    cdef double empty = 0.0
    cdef const double* inn = &empty
    cdef const double* b = &empty
    if N == 0:
        return
    if innovations.shape[0] > 0:
        inn = &innovations[0, 0]
        b = &beta[0]
    with nogil:
        if n == 6 and m == 2:
            _pda_all(SHAPE_6x2, &x[0, 0], &P[0, 0, 0], &H[0, 0, 0], &R[0, 0, 0], inn, b,
                     &beta_none[0], &offsets[0], &S[0, 0, 0], &status[0], N, 6, 2)
        elif n == 6 and m == 3:
            _pda_all(SHAPE_6x3, &x[0, 0], &P[0, 0, 0], &H[0, 0, 0], &R[0, 0, 0], inn, b,
                     &beta_none[0], &offsets[0], &S[0, 0, 0], &status[0], N, 6, 3)
        elif n == 6 and m == 4:
            _pda_all(SHAPE_6x4, &x[0, 0], &P[0, 0, 0], &H[0, 0, 0], &R[0, 0, 0], inn, b,
                     &beta_none[0], &offsets[0], &S[0, 0, 0], &status[0], N, 6, 4)
        else:
            _pda_all(SHAPE_ANY, &x[0, 0], &P[0, 0, 0], &H[0, 0, 0], &R[0, 0, 0], inn, b,
                     &beta_none[0], &offsets[0], &S[0, 0, 0], &status[0], N, n, m)
