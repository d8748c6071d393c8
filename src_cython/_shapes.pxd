# Compile-time shapes shared by the kernels. A per-track function specialised on one
# of these tag types (a Cython fused type) sees n and m as constants, so gcc unrolls
# its small loops and keeps the matrices in registers: the 6-state updates run about
# twice as fast as with run-time sizes. ShapeAny keeps the run-time sizes for
# everything else. Measurement sizes: los (2), position or radar without range-rate
# (3), radar with range-rate (4). Each module declares its own tag instances
# (cdef Shape6x2 SHAPE_6x2, ...).

cdef struct Shape6x2:
    char tag
cdef struct Shape6x3:
    char tag
cdef struct Shape6x4:
    char tag
cdef struct ShapeAny:
    char tag

ctypedef fused Shape:
    Shape6x2
    Shape6x3
    Shape6x4
    ShapeAny


cdef inline Py_ssize_t shape_n(Shape shape, Py_ssize_t n) noexcept nogil:
    """The state dimension: 6, or the run-time n for ShapeAny."""
    cdef Py_ssize_t fixed = n
    if Shape is not ShapeAny:
        fixed = 6
    return fixed


cdef inline Py_ssize_t shape_m(Shape shape, Py_ssize_t m) noexcept nogil:
    """The measurement dimension: 2, 3, 4, or the run-time m for ShapeAny."""
    cdef Py_ssize_t fixed = m
    if Shape is Shape6x2:
        fixed = 2
    elif Shape is Shape6x3:
        fixed = 3
    elif Shape is Shape6x4:
        fixed = 4
    return fixed
