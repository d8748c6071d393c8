# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""JIPDA association kernels (issue 5, item 2): placeholder until the kernel lands."""
