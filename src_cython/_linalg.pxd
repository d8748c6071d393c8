# cython: language_level=3
"""Small dense linear algebra on row-major C arrays, for the per-track loops.

Tracking matrices are tiny (a 6-state track, at most 4 measurement axes), so
plain loops on stack buffers beat any BLAS call here: no call overhead, no
allocation, and the GIL stays released. Every helper is ``noexcept nogil``
so Cython 3 adds no exception check after each call (pandas-dev/pandas#53144).
"""
from libc.math cimport sqrt, isfinite

cdef enum:
    MAXN = 9       # largest state a kernel accepts (6 for CV/CT, 9 for a CA model)
    MAXM = 6       # largest measurement vector

# Per-track status codes, shared by every kernel (mirrored in tracker.kalman).
cdef enum:
    STATUS_OK = 0
    STATUS_INVALID_INPUT = 1    # a NaN/inf in the track's inputs, or a negative time step
    STATUS_NOT_PD = 2           # innovation covariance not positive definite
    STATUS_OVERFLOW = 3         # the result was not finite; the track is left as it was


cdef inline bint all_finite(const double* a, Py_ssize_t n) noexcept nogil:
    """True if no element is NaN or infinite.

    v * 0 is 0 for a finite v and NaN otherwise, so one comparison at the end
    replaces a branch per element; four partial sums keep the adds independent.
    """
    cdef double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    cdef Py_ssize_t i = 0
    while i + 4 <= n:
        s0 += a[i] * 0.0
        s1 += a[i + 1] * 0.0
        s2 += a[i + 2] * 0.0
        s3 += a[i + 3] * 0.0
        i += 4
    while i < n:
        s0 += a[i] * 0.0
        i += 1
    return (s0 + s1) + (s2 + s3) == 0.0


cdef inline void axpy(double a, const double* x, double* y, Py_ssize_t n) noexcept nogil:
    """y += a x. Kernels are written as row updates like this one: over a contiguous
    row of constant length the compiler emits packed (SIMD) arithmetic, which it
    may not do for a dot product without reassociating the sum."""
    cdef Py_ssize_t i
    for i in range(n):
        y[i] += a * x[i]


cdef inline void scale(double a, double* x, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        x[i] *= a


cdef inline double dot(const double* a, const double* b, Py_ssize_t n) noexcept nogil:
    cdef double s = 0.0
    cdef Py_ssize_t i
    for i in range(n):
        s += a[i] * b[i]
    return s


cdef inline void symmetrise(double* A, Py_ssize_t n) noexcept nogil:
    """A = (A + A') / 2: round-off otherwise lets P drift from symmetry over many updates."""
    cdef Py_ssize_t i, j
    cdef double s
    for i in range(n):
        for j in range(i + 1, n):
            s = 0.5 * (A[i * n + j] + A[j * n + i])
            A[i * n + j] = s
            A[j * n + i] = s


cdef inline bint ldl(double* A, double* inv_d, Py_ssize_t m) noexcept nogil:
    """In-place A = L D L' of a symmetric A, L unit lower-triangular; False if A is not PD.

    Only the lower triangle of A is read; it receives L below the diagonal
    (the diagonal and upper triangle are left as they were). ``inv_d`` receives
    1 / D. Unlike Cholesky it takes no square roots, which shortens the chain
    of dependent operations each track waits on; A is positive definite
    exactly when every pivot D[j] is positive (Golub & Van Loan, 4th ed., 4.1.2).
    """
    cdef Py_ssize_t i, j, l
    cdef double s
    cdef double d[MAXM]
    for j in range(m):
        s = A[j * m + j]
        for l in range(j):
            s -= A[j * m + l] * A[j * m + l] * d[l]
        if not (s > 0.0 and isfinite(s)):
            return False
        d[j] = s
        inv_d[j] = 1.0 / s
        for i in range(j + 1, m):
            s = A[i * m + j]
            for l in range(j):
                s -= A[i * m + l] * A[j * m + l] * d[l]
            A[i * m + j] = s * inv_d[j]
    return True
