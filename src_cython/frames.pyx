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

``enu_frames`` and ``enu_moments`` carry the same iteration on to the local
east-north-up frame, again without trigonometry: with c, s = cos, sin of the
latitude and (x, y) / p = cos, sin of the longitude, the rows of R are
e = (-sin lon, cos lon, 0), n = (-s cos lon, -s sin lon, c), u = (c cos lon,
c sin lon, s). The tracker wants R at every track several times a scan (the
local up of its process noise, a position sensor's noise, the ENU velocity and
covariance of its records), where NumPy took a dozen calls more.
"""
from libc.math cimport atan2, cos, hypot, sin, sqrt

cdef enum:
    BLOCK = 64          # points per block: their (p, q) stay in the first-level cache


cdef inline void _latitudes(const double* xyz, Py_ssize_t stride, Py_ssize_t n,
                            double semimajor, double e2, int steps,
                            double* p, double* q) noexcept nogil:
    """Bowring's steps for n <= BLOCK points (x, y, z at the start of rows ``stride``
    apart): p = hypot(x, y) and q, with the latitude atan2(z, q), into p[:n], q[:n]."""
    cdef Py_ssize_t j
    cdef int k
    cdef double z, r, c, s, prime_vertical, h
    cdef double a2 = semimajor * semimajor
    for j in range(n):
        p[j] = hypot(xyz[stride * j], xyz[stride * j + 1])
        q[j] = p[j] * (1.0 - e2)                    # the latitude of a point at height 0
    for k in range(steps):
        for j in range(n):
            z = xyz[stride * j + 2]
            r = sqrt(q[j] * q[j] + z * z)
            c, s = q[j] / r, z / r
            prime_vertical = semimajor / sqrt(1.0 - e2 * (s * s))
            h = p[j] * c + z * s - a2 / prime_vertical
            q[j] = p[j] * (1.0 - e2 * (prime_vertical / (prime_vertical + h)))


cdef inline void _geodetic(const double* point, double p, double q, double semimajor,
                           double e2, double* lat, double* lon, double* alt,
                           double* rotation) noexcept nogil:
    """Latitude, longitude, height of one point from its (p, q); with ``rotation`` not
    NULL, also its ENU rotation (3x3, rows e, n, u), built from (q, z) / r and (x, y) / p."""
    cdef double z = point[2]
    cdef double r = sqrt(q * q + z * z)
    cdef double c = q / r, s = z / r, cos_lon, sin_lon
    lat[0] = atan2(z, q)
    lon[0] = atan2(point[1], point[0])
    alt[0] = p * c + z * s - semimajor * sqrt(1.0 - e2 * (s * s))
    if rotation == NULL:
        return
    if p > 0.0:
        cos_lon, sin_lon = point[0] / p, point[1] / p
    else:                                           # on the axis: the longitude atan2 gave
        cos_lon, sin_lon = cos(lon[0]), sin(lon[0])
    rotation[0], rotation[1], rotation[2] = -sin_lon, cos_lon, 0.0
    rotation[3], rotation[4], rotation[5] = -s * cos_lon, -s * sin_lon, c
    rotation[6], rotation[7], rotation[8] = c * cos_lon, c * sin_lon, s


cdef inline void _to_geodetic(const double* xyz, Py_ssize_t stride, Py_ssize_t n,
                              double semimajor, double e2, int steps, double* lat,
                              double* lon, double* alt, double* rotation) noexcept nogil:
    """Geodetic coordinates of n points (rows ``stride`` apart), and with ``rotation``
    not NULL their ENU rotations (n x 9), a block of points at a time."""
    cdef Py_ssize_t block, start, i
    cdef double p[BLOCK]
    cdef double q[BLOCK]
    for block in range((n + BLOCK - 1) // BLOCK):
        start = block * BLOCK
        _latitudes(xyz + stride * start, stride, min(BLOCK, n - start), semimajor, e2, steps,
                   p, q)
        for i in range(start, min(start + BLOCK, n)):
            _geodetic(xyz + stride * i, p[i - start], q[i - start], semimajor, e2,
                      lat + i, lon + i, alt + i, NULL if rotation == NULL else rotation + 9 * i)


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
            _to_geodetic(&xyz[0, 0], 3, n, semimajor, e2, steps, &lat[0], &lon[0], &alt[0],
                         NULL)


def enu_frames(const double[:, ::1] xyz,         # IN  (n, 3) ECEF position (m)
               double semimajor,                 # IN  a (m)
               double e2,                        # IN  first eccentricity squared
               int steps,                        # IN  Bowring steps
               double[::1] lat,                  # OUT (n,) geodetic latitude (rad)
               double[::1] lon,                  # OUT (n,) longitude (rad), (-pi, pi]
               double[::1] alt,                  # OUT (n,) height above the ellipsoid (m)
               double[:, :, ::1] rotation):      # OUT (n, 3, 3) ECEF -> ENU, rows e, n, u
    """``ecef_to_geodetic`` and the local ENU rotation of every point."""
    cdef Py_ssize_t n = xyz.shape[0]
    if (lat.shape[0] != n or lon.shape[0] != n or alt.shape[0] != n or xyz.shape[1] != 3
            or rotation.shape[0] != n or rotation.shape[1] != 3 or rotation.shape[2] != 3):
        raise ValueError("xyz must be (n, 3), lat, lon, alt (n,) and rotation (n, 3, 3)")
    if n:
        with nogil:
            _to_geodetic(&xyz[0, 0], 3, n, semimajor, e2, steps, &lat[0], &lon[0], &alt[0],
                         &rotation[0, 0, 0])


def enu_moments(const double[:, ::1] x,          # IN  (n, 6) ECEF state [position, velocity]
                const double[:, :, ::1] P,       # IN  (n, 6, 6) its covariance
                double semimajor,                # IN  a (m)
                double e2,                       # IN  first eccentricity squared
                int steps,                       # IN  Bowring steps
                double[::1] lat,                 # OUT (n,) geodetic latitude (rad)
                double[::1] lon,                 # OUT (n,) longitude (rad), (-pi, pi]
                double[::1] alt,                 # OUT (n,) height above the ellipsoid (m)
                double[:, ::1] vel_enu,          # OUT (n, 3) R v, the velocity in local ENU
                double[:, :, ::1] cov_pos_enu):  # OUT (n, 3, 3) R P_pos R', (R P_pos) R'
    """Geodetic position, ENU velocity and ENU position covariance of every state."""
    cdef Py_ssize_t block, start, i, j, k, l, n = x.shape[0]
    cdef double rotations[9 * BLOCK]
    cdef double RC[9]
    cdef double* R
    cdef double acc
    if (x.shape[1] != 6 or P.shape[0] != n or P.shape[1] != 6 or P.shape[2] != 6
            or lat.shape[0] != n or lon.shape[0] != n or alt.shape[0] != n
            or vel_enu.shape[0] != n or vel_enu.shape[1] != 3 or cov_pos_enu.shape[0] != n
            or cov_pos_enu.shape[1] != 3 or cov_pos_enu.shape[2] != 3):
        raise ValueError("x must be (n, 6), P (n, 6, 6), lat, lon, alt (n,), "
                         "vel_enu (n, 3) and cov_pos_enu (n, 3, 3)")
    with nogil:
        for block in range((n + BLOCK - 1) // BLOCK):
            start = block * BLOCK
            _to_geodetic(&x[start, 0], 6, min(BLOCK, n - start), semimajor, e2, steps,
                         &lat[start], &lon[start], &alt[start], rotations)
            for i in range(start, min(start + BLOCK, n)):
                R = rotations + 9 * (i - start)
                for j in range(3):
                    vel_enu[i, j] = R[3 * j] * x[i, 3] + R[3 * j + 1] * x[i, 4] \
                        + R[3 * j + 2] * x[i, 5]
                    for l in range(3):      # (R P_pos)[j, l]
                        acc = 0.0
                        for k in range(3):
                            acc = acc + R[3 * j + k] * P[i, k, l]
                        RC[3 * j + l] = acc
                for j in range(3):
                    for l in range(3):      # (R P_pos R')[j, l]
                        acc = 0.0
                        for k in range(3):
                            acc = acc + RC[3 * j + k] * R[3 * l + k]
                        cov_pos_enu[i, j, l] = acc
