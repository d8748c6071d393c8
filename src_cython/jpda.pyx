# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""JIPDA association of every cluster of one scan: exact marginals by EHM, LBP above.

One call solves all clusters of a scan (flat CSR arrays plus cluster offsets) with
the GIL released. Nothing is allocated: the caller (``tracker.association``) checks
the input, orders the tracks of each cluster, decides per cluster whether the exact
net fits its budget, and passes work buffers sized for the largest net. Kernels never
raise: a cluster with an unusable input gets ``STATUS_INVALID_INPUT`` on its tracks,
which are left as they were (beta_none 1, existence unchanged).

Exact marginals (Efficient Hypothesis Management: S. Maskell, M. Briers, R. Wright,
SPIE 5428, 2004; P. Horridge, S. Maskell, FUSION 2006). The tracks of a cluster are
taken in order; a node of layer k is the set of detections used by tracks 0..k-1 that
some track >= k also gates (a bit mask over "slots": a detection holds a slot from the
first to the last track that gates it, and a detection only one track gates needs
none). Each node holds the summed weight of every partial event that reaches it
(forward, f) and of every completion (backward, b); the marginal of track k taking
option o is the sum over layer-k nodes of f * w_o * b(child), over the layer's total.
The cost is the number of (node, option) branches, not the number of joint events.

Arithmetic: weights are scaled per track (largest option 1) and each layer's f and b
by their maximum, so values stay in [0, 1]. If the mass that links f and b in some
layer (sum of f w b) falls below 1e-200, round-off may have dropped a real part of it
(weights a cluster cannot tell apart in double precision), and the cluster is redone in
log space (logaddexp): slower, never wrong. ``method`` reports which ran.

Loopy belief propagation (J. Williams, R. Lau, IEEE TAES 50(4), 2014) takes the
clusters whose net does not fit: parallel message updates, capped at
``max_iterations``; sums that exclude one term are formed without subtracting it
(see ``_exclusive``), since weights span many orders of magnitude.
"""
from _linalg cimport STATUS_OK, STATUS_INVALID_INPUT
from _logsum cimport log_add

from libc.math cimport exp, log, fabs, INFINITY
from libc.stdint cimport uint64_t

# What ``method`` holds per cluster (mirrored in tracker.association and tracker.reference)
cdef enum:
    METHOD_EXACT = 0         # IN: solve exactly; OUT: solved by EHM, scaled linear
    METHOD_EXACT_LOG = 1     # OUT: solved by EHM redone in log space
    METHOD_LBP = 2           # IN: approximate; OUT: LBP converged
    METHOD_LBP_CAPPED = 3    # OUT: LBP stopped at max_iterations

# EHM outcomes
cdef enum:
    EHM_OK = 0
    EHM_PRECISION = 1        # scaled arithmetic lost the mass: redo in log space
    EHM_TOO_BIG = 2          # the net outgrew its buffers or 64 slots: use LBP

cdef double MISS_FLOOR = 1e-300          # see tracker.reference.MISS_FLOOR
cdef double LBP_LOG_WEIGHT_MAX = 690.0   # see tracker.reference.LBP_LOG_WEIGHT_MAX
cdef double MIN_SCALED_MASS = 1e-200     # below this, redo the cluster in log space
cdef uint64_t GOLDEN = 0x9E3779B97F4A7C15ULL   # Fibonacci hashing of node keys


cdef inline double _mul(double a, double b, bint logs) noexcept nogil:
    return a + b if logs else a * b


cdef inline double _add(double a, double b, bint logs) noexcept nogil:
    """a + b, or log(e^a + e^b) in log space (exact at -inf, the log of 0)."""
    return log_add(a, b) if logs else a + b


cdef inline double _miss_log_weight(double r, double pd, double pg) noexcept nogil:
    """log(1 - Pd Pg r), floored at log(MISS_FLOOR)."""
    cdef double miss = 1.0 - pd * pg * r
    return log(miss if miss > MISS_FLOOR else MISS_FLOOR)


cdef inline bint _cluster_valid(const Py_ssize_t* tracks, Py_ssize_t n,
                                const Py_ssize_t* offsets, const double* loglr,
                                const double* r, const double* pd,
                                const double* pg) noexcept nogil:
    """r in [0, 1], Pd and Pg in (0, 1], no log-likelihood ratio NaN or +inf."""
    cdef Py_ssize_t k, p, t
    for k in range(n):
        t = tracks[k]
        if not (0.0 <= r[t] <= 1.0 and 0.0 < pd[t] <= 1.0 and 0.0 < pg[t] <= 1.0):
            return False
        for p in range(offsets[t], offsets[t + 1]):
            if not loglr[p] < INFINITY:          # false for NaN and +inf
                return False
    return True


cdef struct Work:
    # the caller's buffers, as raw pointers (see ``jipda`` for their shapes)
    uint64_t* keys
    double* f
    double* b
    Py_ssize_t* children
    Py_ssize_t* table
    Py_ssize_t* layer_node
    Py_ssize_t* layer_child
    double* miss            # per track position k: miss weight, then q_k0
    double* q_miss
    double* weight          # per pair: weight w_p
    double* q               # per pair: marginal q_p (LBP: also mu)
    double* nu              # per pair: LBP message detection -> track
    Py_ssize_t* first       # per detection: first / last track position gating it
    Py_ssize_t* last
    Py_ssize_t* slot        # per detection: its bit in node keys (-1: none), LBP: argmax
    double* top             # per detection: LBP largest term and sum of the rest
    double* rest
    Py_ssize_t max_nodes, max_children, table_size
    int table_bits


cdef inline void _clear_table(Work* w, Py_ssize_t start, Py_ssize_t stop,
                              int shift) noexcept nogil:
    """Set back to -1 the hash-table entries of nodes start..stop-1 (one layer)."""
    cdef Py_ssize_t c, h
    for c in range(start, stop):
        h = <Py_ssize_t>((w.keys[c] * GOLDEN) >> shift)
        while w.table[h] != c:
            h = (h + 1) & (w.table_size - 1)
        w.table[h] = -1


cdef int _ehm(const Py_ssize_t* tracks, Py_ssize_t n, const Py_ssize_t* offsets,
              const Py_ssize_t* det_index, const double* loglr, const double* r,
              const double* pd, const double* pg, bint logs, Work* w) noexcept nogil:
    """Exact marginals q_k0 (w.q_miss) and q_p (w.q) of one cluster; EHM_* outcome."""
    cdef Py_ssize_t k, p, j, t, a, o, e, c, node, width, opts, cbase, nn, start, h
    cdef Py_ssize_t hmask = w.table_size - 1
    cdef int shift = 64 - w.table_bits, bitpos
    cdef uint64_t used = 0, key, ck, bit, retire
    cdef double zero = -INFINITY if logs else 0.0
    cdef double one = 0.0 if logs else 1.0
    cdef double top, lm, fv, bv, wv, wb, total
    if w.table_bits < 1:
        return EHM_TOO_BIG

    # detections: the first and last position of a track that gates each, then slots
    for k in range(n):
        t = tracks[k]
        for p in range(offsets[t], offsets[t + 1]):
            w.first[det_index[p]] = n
            w.last[det_index[p]] = -1
    for k in range(n):
        t = tracks[k]
        for p in range(offsets[t], offsets[t + 1]):
            j = det_index[p]
            if k < w.first[j]:
                w.first[j] = k
            if k > w.last[j]:
                w.last[j] = k
    for k in range(n):
        t = tracks[k]
        for p in range(offsets[t], offsets[t + 1]):
            j = det_index[p]
            if w.first[j] != k:
                continue
            w.slot[j] = -1
            if w.last[j] > k:                             # shared with a later track
                if used == <uint64_t>0xFFFFFFFFFFFFFFFFULL:
                    return EHM_TOO_BIG                     # more than 64 live at once
                bitpos = 0
                while (used >> bitpos) & 1:
                    bitpos += 1
                w.slot[j] = bitpos
                used |= (<uint64_t>1) << bitpos
        for p in range(offsets[t], offsets[t + 1]):
            j = det_index[p]
            if w.last[j] == k and w.first[j] < k:         # its last track: slot free
                used &= ~((<uint64_t>1) << w.slot[j])

    # option weights of each track, scaled so that its largest is 1 (a common factor
    # of every joint event, so no marginal changes); logs in log space
    for k in range(n):
        t = tracks[k]
        lm = _miss_log_weight(r[t], pd[t], pg[t])
        top = lm
        for p in range(offsets[t], offsets[t + 1]):
            w.weight[p] = log(pd[t]) + log(r[t]) + loglr[p]        # Pd r ell_p
            if w.weight[p] > top:
                top = w.weight[p]
        if logs:
            w.miss[k] = lm
        else:
            w.miss[k] = exp(lm - top)
            for p in range(offsets[t], offsets[t + 1]):
                w.weight[p] = exp(w.weight[p] - top)

    # forward: f(child) = sum over branches into it of f(parent) w(option)
    w.keys[0] = 0
    w.f[0] = one
    w.layer_node[0] = 0
    w.layer_node[1] = 1
    w.layer_child[0] = 0
    for k in range(n):
        t = tracks[k]
        opts = offsets[t + 1] - offsets[t] + 1
        width = w.layer_node[k + 1] - w.layer_node[k]
        cbase = w.layer_child[k]
        if cbase + width * opts > w.max_children:
            return EHM_TOO_BIG
        retire = 0                                    # slots whose last track is k
        for p in range(offsets[t], offsets[t + 1]):
            j = det_index[p]
            if w.last[j] == k and w.first[j] < k:
                retire |= (<uint64_t>1) << w.slot[j]
        start = w.layer_node[k + 1]
        nn = start
        for a in range(width):
            node = w.layer_node[k] + a
            key = w.keys[node]
            fv = w.f[node]
            for o in range(opts):
                e = cbase + a * opts + o
                if o == 0:
                    ck = key
                    wv = w.miss[k]
                else:
                    p = offsets[t] + o - 1
                    wv = w.weight[p]
                    ck = key
                    if w.slot[det_index[p]] >= 0:
                        bit = (<uint64_t>1) << w.slot[det_index[p]]
                        if key & bit:                 # an earlier track has it
                            w.children[e] = -1
                            continue
                        ck = key | bit
                ck &= ~retire
                h = <Py_ssize_t>((ck * GOLDEN) >> shift)
                while True:
                    c = w.table[h]
                    if c < 0:
                        if nn >= w.max_nodes or 2 * (nn - start + 1) > w.table_size:
                            _clear_table(w, start, nn, shift)
                            return EHM_TOO_BIG
                        c = nn
                        nn += 1
                        w.table[h] = c
                        w.keys[c] = ck
                        w.f[c] = zero
                        break
                    if w.keys[c] == ck:
                        break
                    h = (h + 1) & hmask
                w.f[c] = _add(w.f[c], _mul(fv, wv, logs), logs)
                w.children[e] = c
        w.layer_node[k + 2] = nn
        w.layer_child[k + 1] = cbase + width * opts
        _clear_table(w, start, nn, shift)             # empty for the next layer
        if not logs:                                  # largest f of the layer becomes 1
            top = 0.0
            for c in range(start, nn):
                if w.f[c] > top:
                    top = w.f[c]
            if not (top > 0.0 and top < INFINITY):
                return EHM_PRECISION
            for c in range(start, nn):
                w.f[c] /= top

    # backward: b(node) = sum over its branches of w(option) b(child); each branch's
    # f w b is the mass of the joint events through it, summed into its option's q
    w.b[w.layer_node[n]] = one
    for k in range(n - 1, -1, -1):
        t = tracks[k]
        opts = offsets[t + 1] - offsets[t] + 1
        width = w.layer_node[k + 1] - w.layer_node[k]
        cbase = w.layer_child[k]
        w.q_miss[k] = zero
        for p in range(offsets[t], offsets[t + 1]):
            w.q[p] = zero
        for a in range(width):
            node = w.layer_node[k] + a
            fv = w.f[node]
            bv = zero
            for o in range(opts):
                c = w.children[cbase + a * opts + o]
                if c < 0:
                    continue
                if o == 0:
                    wb = _mul(w.miss[k], w.b[c], logs)
                    w.q_miss[k] = _add(w.q_miss[k], _mul(fv, wb, logs), logs)
                else:
                    p = offsets[t] + o - 1
                    wb = _mul(w.weight[p], w.b[c], logs)
                    w.q[p] = _add(w.q[p], _mul(fv, wb, logs), logs)
                bv = _add(bv, wb, logs)
            w.b[node] = bv
        total = w.q_miss[k]                           # every event passes one branch
        for p in range(offsets[t], offsets[t + 1]):
            total = _add(total, w.q[p], logs)
        if logs:
            w.q_miss[k] = exp(w.q_miss[k] - total)
            for p in range(offsets[t], offsets[t + 1]):
                w.q[p] = exp(w.q[p] - total)
        else:
            if not (total >= MIN_SCALED_MASS and total < INFINITY):
                return EHM_PRECISION
            w.q_miss[k] /= total
            for p in range(offsets[t], offsets[t + 1]):
                w.q[p] /= total
            top = 0.0                                 # largest b of the layer becomes 1
            for a in range(width):
                if w.b[w.layer_node[k] + a] > top:
                    top = w.b[w.layer_node[k] + a]
            if not (top > 0.0 and top < INFINITY):
                return EHM_PRECISION
            for a in range(width):
                w.b[w.layer_node[k] + a] /= top
    return EHM_OK


cdef inline double _exclusive(double v, Py_ssize_t p, Py_ssize_t arg, double top,
                              double rest) noexcept nogil:
    """The sum of a group's other terms: ``rest`` (all but the largest, ``top`` at
    ``arg``) for the largest, else (rest - v) + top, where top dominates the result,
    so the subtraction's round-off is relative to it (sum - v cancels when v dominates)."""
    if p == arg:
        return rest
    return (rest - v) + top


cdef bint _lbp(const Py_ssize_t* tracks, Py_ssize_t n, const Py_ssize_t* offsets,
               const Py_ssize_t* det_index, const double* loglr, const double* r,
               const double* pd, const double* pg, Py_ssize_t max_iterations,
               double tolerance, Work* w) noexcept nogil:
    """Marginals q_k0 (w.q_miss), q_p (w.q) by loopy belief propagation; True if converged.

    w_p = Pd r ell_p / (1 - Pd Pg r); nu_p = 1 at first; then, in parallel,
    mu_p = w_p / (1 + sum_{other pairs p' of the track} w_p' nu_p') and
    nu_p = 1 / (1 + sum_{other pairs p' of the detection} mu_p'), until the largest
    change of nu is <= tolerance. q_p = w_p nu_p / (1 + sum_p' w_p' nu_p'), q_k0 = 1 / (...).
    """
    cdef Py_ssize_t k, p, t, j, it, arg
    cdef double lw, top, rest, v, change, denominator, nu_new
    cdef bint converged = False
    for k in range(n):
        t = tracks[k]
        for p in range(offsets[t], offsets[t + 1]):
            lw = log(pd[t]) + log(r[t]) + loglr[p] - _miss_log_weight(r[t], pd[t], pg[t])
            w.weight[p] = exp(lw if lw < LBP_LOG_WEIGHT_MAX else LBP_LOG_WEIGHT_MAX)
            w.nu[p] = 1.0
    for it in range(max_iterations):
        for k in range(n):                            # tracks -> detections
            t = tracks[k]
            top = -INFINITY
            arg = -1
            rest = 0.0
            for p in range(offsets[t], offsets[t + 1]):
                v = w.weight[p] * w.nu[p]
                if v > top:
                    top = v
                    arg = p
            for p in range(offsets[t], offsets[t + 1]):
                if p != arg:
                    rest += w.weight[p] * w.nu[p]
            for p in range(offsets[t], offsets[t + 1]):
                w.q[p] = w.weight[p] / (1.0 + _exclusive(w.weight[p] * w.nu[p], p, arg,
                                                         top, rest))
        for k in range(n):                            # detections -> tracks
            t = tracks[k]
            for p in range(offsets[t], offsets[t + 1]):
                j = det_index[p]
                w.top[j] = -INFINITY
                w.rest[j] = 0.0
                w.slot[j] = -1
        for k in range(n):
            t = tracks[k]
            for p in range(offsets[t], offsets[t + 1]):
                j = det_index[p]
                if w.q[p] > w.top[j]:
                    w.top[j] = w.q[p]
                    w.slot[j] = p
        for k in range(n):
            t = tracks[k]
            for p in range(offsets[t], offsets[t + 1]):
                j = det_index[p]
                if p != w.slot[j]:
                    w.rest[j] += w.q[p]
        change = 0.0
        for k in range(n):
            t = tracks[k]
            for p in range(offsets[t], offsets[t + 1]):
                j = det_index[p]
                nu_new = 1.0 / (1.0 + _exclusive(w.q[p], p, w.slot[j], w.top[j], w.rest[j]))
                if fabs(nu_new - w.nu[p]) > change:
                    change = fabs(nu_new - w.nu[p])
                w.nu[p] = nu_new
        if change <= tolerance:
            converged = True
            break
    for k in range(n):
        t = tracks[k]
        denominator = 1.0
        for p in range(offsets[t], offsets[t + 1]):
            denominator += w.weight[p] * w.nu[p]
        w.q_miss[k] = 1.0 / denominator
        for p in range(offsets[t], offsets[t + 1]):
            w.q[p] = w.weight[p] * w.nu[p] / denominator
    return converged


cdef void _finish(const Py_ssize_t* tracks, Py_ssize_t n, const Py_ssize_t* offsets,
                  const Py_ssize_t* det_index, const double* r, const double* pd,
                  const double* pg, Work* w, double* beta, double* beta_none,
                  double* posterior, double* claimed, signed char* status) noexcept nogil:
    """beta, beta_none and r' of each track from its marginals q_k0, q_p.

    rho = r (1 - Pd Pg) / (1 - Pd Pg r) is P(exists | no detection is the track's);
    r' = sum_p q_p + q_k0 rho; beta_p = q_p / r'; beta_none = q_k0 rho / r'.
    """
    cdef Py_ssize_t k, p, t
    cdef double rho, exists, miss
    for k in range(n):
        t = tracks[k]
        miss = 1.0 - pd[t] * pg[t] * r[t]
        rho = r[t] * (1.0 - pd[t] * pg[t]) / (miss if miss > MISS_FLOOR else MISS_FLOOR)
        exists = 0.0
        for p in range(offsets[t], offsets[t + 1]):
            exists += w.q[p]
            claimed[det_index[p]] += w.q[p]
        exists += w.q_miss[k] * rho
        status[t] = STATUS_OK
        if not exists > 0.0:
            beta_none[t] = 1.0
            posterior[t] = 0.0
            for p in range(offsets[t], offsets[t + 1]):
                beta[p] = 0.0
            continue
        beta_none[t] = w.q_miss[k] * rho / exists
        posterior[t] = exists if exists < 1.0 else 1.0
        for p in range(offsets[t], offsets[t + 1]):
            beta[p] = w.q[p] / exists


def jipda(const Py_ssize_t[::1] offsets,        # IN  (N + 1,) track i owns pairs offsets[i]:offsets[i+1]
          const Py_ssize_t[::1] det_index,      # IN  (K,) detection of each pair
          const double[::1] log_likelihood_ratio,  # IN (K,) log(N(nu; 0, S) / clutter_density)
          const double[::1] existence,          # IN  (N,) prior existence r
          const double[::1] detection_probability,  # IN (N,) Pd
          const double[::1] gate_probability,   # IN  (N,) Pg
          const Py_ssize_t[::1] order,          # IN  (N,) tracks, cluster after cluster, in EHM order
          const Py_ssize_t[::1] cluster_offsets,  # IN (C + 1,) cluster c owns order[c_o[c]:c_o[c+1]]
          signed char[::1] method,              # INOUT (C,) METHOD_EXACT or METHOD_LBP in, what ran out
          Py_ssize_t max_iterations,            # IN  LBP iteration cap
          double tolerance,                     # IN  LBP: stop when no message moves more
          double[::1] beta,                     # OUT (K,) P(detection is the track's | it exists)
          double[::1] beta_none,                # OUT (N,) P(none is the track's | it exists)
          double[::1] posterior_existence,      # OUT (N,) r'
          double[::1] claimed,                  # OUT (n_det,) P(some track's target made it)
          signed char[::1] status,              # OUT (N,)
          unsigned long long[::1] node_keys,    # WORK (M,) M: nodes of the largest exact net
          double[:, ::1] node_weights,          # WORK (2, M) forward, backward
          Py_ssize_t[::1] children,             # WORK (E,) E: its branches
          Py_ssize_t[::1] table,                # WORK (T,) power of 2, >= 2 x widest layer, all -1
          Py_ssize_t[:, ::1] layer_work,        # WORK (2, N + 2)
          double[:, ::1] track_work,            # WORK (2, N + 1)
          double[:, ::1] pair_work,             # WORK (3, K + 1)
          Py_ssize_t[:, ::1] det_work,          # WORK (3, n_det + 1)
          double[:, ::1] det_sums):             # WORK (2, n_det + 1)
    """JIPDA association probabilities and posterior existence of every cluster.

    Joint events give each track at most one detection and each detection at most one
    track; an event weighs prod (1 - Pd Pg r_i) over tracks without a detection times
    prod Pd r_i ell_ij over assigned pairs. q_i0, q_ij are the marginal probabilities
    that track i takes no detection / detection j (EHM, or LBP for clusters marked so);
    then r' = sum_j q_ij + q_i0 rho_i, beta_ij = q_ij / r', beta_i0 = q_i0 rho_i / r',
    rho_i = r_i (1 - Pd Pg) / (1 - Pd Pg r_i). ``table`` must be all -1 on entry and is
    left so.
    """
    cdef Py_ssize_t C = cluster_offsets.shape[0] - 1, N = offsets.shape[0] - 1
    cdef Py_ssize_t n_det = claimed.shape[0], c, k, p, t, n, bits = 0
    cdef const Py_ssize_t* tracks
    cdef Work w
    cdef int rc, logs
    cdef Py_ssize_t zero_index = 0
    cdef double zero_value = 0.0
    cdef const Py_ssize_t* det_ptr = &zero_index
    cdef const double* lr_ptr = &zero_value
    cdef double* beta_ptr = &zero_value
    cdef double* claimed_ptr = &zero_value
    if N == 0:
        for k in range(n_det):
            claimed[k] = 0.0
        return
    if det_index.shape[0] > 0:
        det_ptr = &det_index[0]
        lr_ptr = &log_likelihood_ratio[0]
        beta_ptr = &beta[0]
    if n_det > 0:
        claimed_ptr = &claimed[0]
    while (<Py_ssize_t>1 << (bits + 1)) <= table.shape[0]:   # largest power of 2 in it
        bits += 1
    w.keys = <uint64_t*>&node_keys[0]
    w.f = &node_weights[0, 0]
    w.b = &node_weights[1, 0]
    w.children = &children[0]
    w.table = &table[0]
    w.layer_node = &layer_work[0, 0]
    w.layer_child = &layer_work[1, 0]
    w.miss = &track_work[0, 0]
    w.q_miss = &track_work[1, 0]
    w.weight = &pair_work[0, 0]
    w.q = &pair_work[1, 0]
    w.nu = &pair_work[2, 0]
    w.first = &det_work[0, 0]
    w.last = &det_work[1, 0]
    w.slot = &det_work[2, 0]
    w.top = &det_sums[0, 0]
    w.rest = &det_sums[1, 0]
    w.max_nodes = node_keys.shape[0]
    w.max_children = children.shape[0]
    w.table_size = <Py_ssize_t>1 << bits
    w.table_bits = <int>bits
    with nogil:
        for k in range(n_det):
            claimed_ptr[k] = 0.0
        for c in range(C):
            tracks = &order[cluster_offsets[c]]
            n = cluster_offsets[c + 1] - cluster_offsets[c]
            if not _cluster_valid(tracks, n, &offsets[0], lr_ptr, &existence[0],
                                  &detection_probability[0], &gate_probability[0]):
                for k in range(n):
                    t = tracks[k]
                    status[t] = STATUS_INVALID_INPUT
                    beta_none[t] = 1.0
                    posterior_existence[t] = existence[t]
                    for p in range(offsets[t], offsets[t + 1]):
                        beta_ptr[p] = 0.0
                continue
            if method[c] == METHOD_EXACT:
                for logs in range(2):                 # scaled first; log space if it must
                    rc = _ehm(tracks, n, &offsets[0], det_ptr, lr_ptr, &existence[0],
                              &detection_probability[0], &gate_probability[0], logs, &w)
                    if rc != EHM_PRECISION:
                        break
                if rc == EHM_OK:
                    method[c] = METHOD_EXACT_LOG if logs else METHOD_EXACT
                else:
                    method[c] = METHOD_LBP
            if method[c] >= METHOD_LBP:
                if _lbp(tracks, n, &offsets[0], det_ptr, lr_ptr, &existence[0],
                        &detection_probability[0], &gate_probability[0], max_iterations,
                        tolerance, &w):
                    method[c] = METHOD_LBP
                else:
                    method[c] = METHOD_LBP_CAPPED
            _finish(tracks, n, &offsets[0], det_ptr, &existence[0], &detection_probability[0],
                    &gate_probability[0], &w, beta_ptr, &beta_none[0],
                    &posterior_existence[0], claimed_ptr, &status[0])
        for k in range(n_det):        # LBP's marginals can overshoot 1 by its tolerance
            if claimed_ptr[k] > 1.0:
                claimed_ptr[k] = 1.0
