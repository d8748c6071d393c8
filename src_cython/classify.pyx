# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Class log-likelihoods of many tracks: the kernel of ``tracker.classify``.

For track i and box b (a class's flight regime, uniform over [a, b] on each
of height, speed and climb), with z = (edge - m_i) / sigma_i per axis,

    log L_ib = const_b + sum_axes log(Phi(z_hi) - Phi(z_lo)),
    const_b = log w_b - sum_axes log(b - a),

the difference taken from the tail nearer the mean (no cancellation), and
where it underflows, the tail beyond the nearer edge alone,
log Phi(z) ~ -z^2/2 - log(-z) - log(2 pi)/2 (Abramowitz & Stegun 26.2.12).
Then per class c, log L_ic = log sum over its boxes of exp(log L_ib), no
class more than ``log_floor`` below the best. ``tracker.reference`` holds the
NumPy twin; the tracker calls this once a scan for the tracks it updated,
where NumPy took some thirty whole-array calls over (tracks, boxes, axes).
"""
from libc.math cimport INFINITY, erfc, exp, fmax, log, log1p

cdef double _SQRT_HALF = 0.70710678118654752440
cdef double _HALF_LOG_TWO_PI = 0.91893853320467274178


cdef inline double _ndtr(double z) noexcept nogil:
    return 0.5 * erfc(-z * _SQRT_HALF)


cdef inline double _log_add(double a, double b) noexcept nogil:
    """log(exp(a) + exp(b))."""
    if a == -INFINITY:
        return b
    if b == -INFINITY:
        return a
    if a > b:
        return a + log1p(exp(b - a))
    return b + log1p(exp(a - b))


def class_log_likelihoods(const double[:, ::1] mean,          # IN  (n, 3) h, s, w
                          const double[:, ::1] sigma,         # IN  (n, 3) their sigmas, > 0
                          const double[:, ::1] lower,         # IN  (B, 3) box lower edges
                          const double[:, ::1] upper,         # IN  (B, 3) box upper edges
                          const double[::1] box_constant,     # IN  (B,) log w_b - log volume_b
                          const long long[::1] owner,         # IN  (B,) class of each box
                          double log_floor,                   # IN  no class below best + this
                          double[:, ::1] out):                # OUT (n, C) log L_ic
    cdef Py_ssize_t n = mean.shape[0], n_boxes = lower.shape[0], n_classes = out.shape[1]
    cdef Py_ssize_t i, b, k, c
    cdef double log_box, lo, hi, near, far, mass, top
    with nogil:
        for i in range(n):
            for c in range(n_classes):
                out[i, c] = -INFINITY
            for b in range(n_boxes):
                log_box = box_constant[b]
                if log_box == -INFINITY:
                    continue
                for k in range(3):
                    lo = (lower[b, k] - mean[i, k]) / sigma[i, k]
                    hi = (upper[b, k] - mean[i, k]) / sigma[i, k]
                    if hi < 0.0:
                        near, far = hi, lo
                    else:
                        near, far = -lo, -hi
                    mass = _ndtr(near) - _ndtr(far)
                    if mass > 1e-300:
                        log_box += log(mass)
                    else:
                        log_box += -0.5 * near * near - log(fmax(-near, 1.0)) - _HALF_LOG_TWO_PI
                c = owner[b]
                out[i, c] = _log_add(out[i, c], log_box)
            top = -INFINITY
            for c in range(n_classes):
                top = fmax(top, out[i, c])
            for c in range(n_classes):
                out[i, c] = fmax(out[i, c], top + log_floor)
