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
    cdef Py_ssize_t i
    for i in range(n):
        if not isfinite(a[i]):
            return False
    return True


cdef inline void mat_mul(const double* A, const double* B, double* C,
                         Py_ssize_t r, Py_ssize_t k, Py_ssize_t c) noexcept nogil:
    """C (r x c) = A (r x k) @ B (k x c)."""
    cdef Py_ssize_t i, j, l
    cdef double s
    for i in range(r):
        for j in range(c):
            s = 0.0
            for l in range(k):
                s += A[i * k + l] * B[l * c + j]
            C[i * c + j] = s


cdef inline void mat_mul_bt(const double* A, const double* B, double* C,
                            Py_ssize_t r, Py_ssize_t k, Py_ssize_t c) noexcept nogil:
    """C (r x c) = A (r x k) @ B' where B is (c x k)."""
    cdef Py_ssize_t i, j, l
    cdef double s
    for i in range(r):
        for j in range(c):
            s = 0.0
            for l in range(k):
                s += A[i * k + l] * B[j * k + l]
            C[i * c + j] = s


cdef inline void symmetrise(double* A, Py_ssize_t n) noexcept nogil:
    """A = (A + A') / 2: round-off otherwise lets P drift from symmetry over many updates."""
    cdef Py_ssize_t i, j
    cdef double s
    for i in range(n):
        for j in range(i + 1, n):
            s = 0.5 * (A[i * n + j] + A[j * n + i])
            A[i * n + j] = s
            A[j * n + i] = s


cdef inline bint cholesky(double* A, Py_ssize_t m) noexcept nogil:
    """In-place lower Cholesky factor L of a symmetric A (A = L L'); False if A is not PD.

    Only the lower triangle is read; the strict upper triangle is zeroed.
    """
    cdef Py_ssize_t i, j, l
    cdef double s
    for j in range(m):
        s = A[j * m + j]
        for l in range(j):
            s -= A[j * m + l] * A[j * m + l]
        if not (s > 0.0) or not isfinite(s):
            return False
        A[j * m + j] = sqrt(s)
        for i in range(j + 1, m):
            s = A[i * m + j]
            for l in range(j):
                s -= A[i * m + l] * A[j * m + l]
            A[i * m + j] = s / A[j * m + j]
        for i in range(j):
            A[i * m + j] = 0.0
    return True


cdef inline void forward_solve(const double* L, double* b, Py_ssize_t m) noexcept nogil:
    """b = L^-1 b for lower-triangular L."""
    cdef Py_ssize_t i, l
    cdef double s
    for i in range(m):
        s = b[i]
        for l in range(i):
            s -= L[i * m + l] * b[l]
        b[i] = s / L[i * m + i]


cdef inline void cholesky_solve(const double* L, double* b, Py_ssize_t m) noexcept nogil:
    """b = (L L')^-1 b: forward then back substitution."""
    cdef Py_ssize_t i, l
    cdef double s
    forward_solve(L, b, m)
    for i in range(m - 1, -1, -1):
        s = b[i]
        for l in range(i + 1, m):
            s -= L[l * m + i] * b[l]
        b[i] = s / L[i * m + i]
