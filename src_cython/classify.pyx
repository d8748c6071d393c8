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

``class_kinematics`` gives what the boxes are over: with R the ENU rotation
at the track (rows e, n, u), v = R v_ecef, the speed s = hypot(v_e, v_n), its
direction d = (v_e e + v_n n) / s, and

    sigma_h^2 = u' P_pos u,  sigma_s^2 = d' P_vel d,  sigma_w^2 = u' P_vel u,

each no smaller than its floor.
"""
from libc.math cimport INFINITY, erfc, fmax, hypot, log, sqrt

from _logsum cimport log_add

cdef double _SQRT_HALF = 0.70710678118654752440
cdef double _HALF_LOG_TWO_PI = 0.91893853320467274178


cdef inline double _ndtr(double z) noexcept nogil:
    return 0.5 * erfc(-z * _SQRT_HALF)


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
                out[i, c] = log_add(out[i, c], log_box)
            top = -INFINITY
            for c in range(n_classes):
                top = fmax(top, out[i, c])
            for c in range(n_classes):
                out[i, c] = fmax(out[i, c], top + log_floor)


def class_kinematics(const double[:, ::1] x,                # IN  (n, 6) ECEF states
                     const double[:, :, ::1] P,             # IN  (n, 6, 6) covariances
                     const double[:, :, ::1] rotation,      # IN  (n, 3, 3) ECEF -> ENU rows
                     const double[::1] height,              # IN  (n,) above the surface
                     const double[::1] sigma_floor,         # IN  (3,)
                     double[:, ::1] mean,                   # OUT (n, 3) h, s, w
                     double[:, ::1] sigma):                 # OUT (n, 3) their sigmas
    cdef Py_ssize_t n = x.shape[0], i, a, b
    cdef double ve, vn, vu, speed, d[3], u[3], qh, qs, qw
    with nogil:
        for i in range(n):
            ve = vn = vu = 0.0
            for a in range(3):
                ve += rotation[i, 0, a] * x[i, 3 + a]
                vn += rotation[i, 1, a] * x[i, 3 + a]
                vu += rotation[i, 2, a] * x[i, 3 + a]
            speed = hypot(ve, vn)
            for a in range(3):
                u[a] = rotation[i, 2, a]
                d[a] = (ve * rotation[i, 0, a] + vn * rotation[i, 1, a]) / fmax(speed, 1e-9)
            qh = qs = qw = 0.0
            for a in range(3):
                for b in range(3):
                    qh += u[a] * P[i, a, b] * u[b]
                    qs += d[a] * P[i, 3 + a, 3 + b] * d[b]
                    qw += u[a] * P[i, 3 + a, 3 + b] * u[b]
            mean[i, 0], mean[i, 1], mean[i, 2] = height[i], speed, vu
            sigma[i, 0] = fmax(sqrt(fmax(qh, 0.0)), sigma_floor[0])
            sigma[i, 1] = fmax(sqrt(fmax(qs, 0.0)), sigma_floor[1])
            sigma[i, 2] = fmax(sqrt(fmax(qw, 0.0)), sigma_floor[2])
