# cython: language_level=3
"""Sums of probabilities held as logarithms, for the per-track loops."""
from libc.math cimport exp, log1p, INFINITY


cdef inline double log_add(double a, double b) noexcept nogil:
    """log(e^a + e^b), exact at -inf (the log of 0)."""
    if a == -INFINITY:
        return b
    if b == -INFINITY:
        return a
    if a > b:
        return a + log1p(exp(b - a))
    return b + log1p(exp(a - b))
