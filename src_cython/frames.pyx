# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""ECEF to geodetic coordinates: the kernel of ``tracker.frames.ecef_to_geodetic``.

Bowring's fixed-point iteration (B. R. Bowring, "Transformation from spatial
to geographical coordinates", Survey Review 23(181), 1976), from the latitude
the point would have at height 0. With p = hypot(x, y), each step is

    N = a / sqrt(1 - e^2 sin^2 phi)
    h = p cos phi + z sin phi - a^2 / N
    phi <- atan2(z, q),  q = p (1 - e^2 N / (N + h))

and the height is h = p cos phi + z sin phi - a sqrt(1 - e^2 sin^2 phi), which
holds at the poles too. ``tracker.frames`` holds the ellipsoid, the number of
steps and why five are enough; ``tracker.reference.ecef_to_geodetic`` is the
NumPy twin.

No trigonometric call per step: phi = atan2(z, q) is carried as (q, z), and
cos phi, sin phi are (q, z) / sqrt(q^2 + z^2); the one atan2 of the latitude
comes last. Points go in blocks, the steps outer and the points inner, so the
square roots and divisions of different points overlap in the pipeline
instead of each step waiting for the last. The tracker converts every
track's position several times a scan: in NumPy each step is a dozen
whole-array calls, whose fixed cost dominates below a thousand tracks.
"""
from libc.math cimport atan2, hypot, sqrt

cdef enum:
    BLOCK = 64          # points per block: their (p, q) stay in the first-level cache


cdef void _geodetic(const double* xyz, Py_ssize_t n, double semimajor, double e2, int steps,
                    double* lat, double* lon, double* alt, double* up) noexcept nogil:
    """Bowring's iteration on blocks of points; then lat, lon, alt, or (when ``up`` is not
    NULL) the unit up instead: cos phi = q / r, sin phi = z / r (r^2 = q^2 + z^2),
    cos lambda = x / p, sin lambda = y / p, with no trigonometric call (lambda = 0 on
    the polar axis, p = 0, as atan2(0, 0))."""
    cdef Py_ssize_t block, start, stop, i, j
    cdef int k
    cdef double p[BLOCK]
    cdef double q[BLOCK]
    cdef double x, y, z, r, c, s, prime_vertical, h
    cdef double a2 = semimajor * semimajor
    for block in range((n + BLOCK - 1) // BLOCK):
        start = block * BLOCK
        stop = min(start + BLOCK, n)
        for i in range(start, stop):
            j = i - start
            p[j] = hypot(xyz[i * 3], xyz[i * 3 + 1])
            q[j] = p[j] * (1.0 - e2)            # the latitude of a point at height 0
        for k in range(steps):
            for i in range(start, stop):
                j = i - start
                z = xyz[i * 3 + 2]
                r = sqrt(q[j] * q[j] + z * z)
                c, s = q[j] / r, z / r
                prime_vertical = semimajor / sqrt(1.0 - e2 * (s * s))
                h = p[j] * c + z * s - a2 / prime_vertical
                q[j] = p[j] * (1.0 - e2 * (prime_vertical / (prime_vertical + h)))
        for i in range(start, stop):
            j = i - start
            x, y, z = xyz[i * 3], xyz[i * 3 + 1], xyz[i * 3 + 2]
            r = sqrt(q[j] * q[j] + z * z)
            c, s = q[j] / r, z / r
            if up != NULL:
                up[i * 3] = c * (x / p[j]) if p[j] > 0.0 else c
                up[i * 3 + 1] = c * (y / p[j]) if p[j] > 0.0 else 0.0
                up[i * 3 + 2] = s
            else:
                lat[i] = atan2(z, q[j])
                lon[i] = atan2(y, x)
                alt[i] = p[j] * c + z * s - semimajor * sqrt(1.0 - e2 * (s * s))


def ecef_to_geodetic(const double[:, ::1] xyz,   # IN  (n, 3) ECEF position (m)
                     double semimajor,           # IN  a (m)
                     double e2,                  # IN  first eccentricity squared
                     int steps,                  # IN  Bowring steps
                     double[::1] lat,            # OUT (n,) geodetic latitude (rad)
                     double[::1] lon,            # OUT (n,) longitude (rad), (-pi, pi]
                     double[::1] alt):           # OUT (n,) height above the ellipsoid (m)
    """Geodetic latitude, longitude and height of every point, written into the outputs."""
    cdef Py_ssize_t n = xyz.shape[0]
    if lat.shape[0] != n or lon.shape[0] != n or alt.shape[0] != n or xyz.shape[1] != 3:
        raise ValueError("xyz must be (n, 3) and lat, lon, alt (n,)")
    if n:
        with nogil:
            _geodetic(&xyz[0, 0], n, semimajor, e2, steps, &lat[0], &lon[0], &alt[0], NULL)


def ecef_to_up(const double[:, ::1] xyz,         # IN  (n, 3) ECEF position (m)
               double semimajor,                 # IN  a (m)
               double e2,                        # IN  first eccentricity squared
               int steps,                        # IN  Bowring steps
               double[:, ::1] up):               # OUT (n, 3) unit geodetic up, ECEF
    """The ellipsoid normal at every point, (cos phi cos lambda, cos phi sin lambda, sin phi),
    from the same iteration, without its atan2s (``_geodetic``)."""
    cdef Py_ssize_t n = xyz.shape[0]
    if up.shape[0] != n or up.shape[1] != 3 or xyz.shape[1] != 3:
        raise ValueError("xyz and up must be (n, 3)")
    if n:
        with nogil:
            _geodetic(&xyz[0, 0], n, semimajor, e2, steps, NULL, NULL, NULL, &up[0, 0])
