r"""JIPDA data association of one scan: clusters, exact marginals (EHM), LBP above a budget.

The checked entry to ``tracker._jpda``. ``associate`` takes the sparse gate graph of
one scan (track/detection pairs grouped by track, CSR style, with the log-likelihood
ratio of each pair), splits it into independent clusters, orders each cluster's
tracks, decides which clusters are solved exactly, sizes the work buffers, and calls
the kernel once for the whole scan. Its output feeds ``tracker.kalman.pda_update``
(``beta``, ``beta_none``, ``offsets``) and the track lifecycle (``existence``,
``claimed``). Equations, size limits and accuracy: ``docs/association.md``.
"""
from __future__ import annotations

from dataclasses import dataclass
from math import comb

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, reverse_cuthill_mckee

from tracker import _jpda

METHOD_EXACT = 0         #: exact marginals by EHM (scaled arithmetic)
METHOD_EXACT_LOG = 1     #: exact, redone in log space (weights beyond double's range)
METHOD_LBP = 2           #: loopy belief propagation, converged
METHOD_LBP_CAPPED = 3    #: loopy belief propagation stopped at its iteration cap
STATUS_OK = 0            #: associated
STATUS_INVALID_INPUT = 1  #: unusable input in the track's cluster: beta_none 1, r unchanged

#: Largest EHM net solved exactly, in branches (node x option pairs, bounded from the
#: gate pattern before the net is built). 2^20 takes any cluster of up to 12 tracks
#: and 12 shared detections, whatever the gate pattern, in a few ms; cost and memory
#: (40 bytes a branch) grow linearly with it.
MAX_EXACT_BRANCHES = 1 << 20
MAX_ITERATIONS = 1000    #: LBP iteration cap (a dense 12 x 12 cluster needs ~700 at 1e-8)
TOLERANCE = 1e-8         #: LBP stops when no message (in [0, 1]) moves more than this

_KEY_BITS = 64           # a node key is a 64-bit mask of the detections still shared
# _PARTIAL[w, k] = sum_{i <= k} C(w, i): how many sets of at most k of w detections
_PARTIAL = np.array([[sum(comb(w, i) for i in range(min(k, w) + 1)) for k in range(_KEY_BITS + 1)]
                     for w in range(_KEY_BITS + 1)], dtype=np.float64)


@dataclass(frozen=True)
class Association:
    """Association of one scan: what the PDA update and the track lifecycle need."""
    beta: np.ndarray                 #: (K,) P(detection of pair is the track's | track exists)
    beta_none: np.ndarray            #: (N,) P(none of its detections is the track's | exists)
    existence: np.ndarray            #: (N,) posterior existence probability r'
    claimed: np.ndarray              #: (n_det,) P(the detection is some track's target)
    status: np.ndarray               #: (N,) int8 STATUS_* per track
    order: np.ndarray                #: (N,) tracks, cluster after cluster, in solving order
    cluster_offsets: np.ndarray      #: (C + 1,) cluster c is order[cluster_offsets[c]:...[c+1]]
    cluster_detections: np.ndarray   #: (C,) detections gated in each cluster
    method: np.ndarray               #: (C,) int8 METHOD_* that solved each cluster

    @property
    def cluster_tracks(self) -> np.ndarray:
        """(C,) tracks in each cluster."""
        return np.diff(self.cluster_offsets)

    @property
    def n_exact(self) -> int:
        """Clusters solved exactly (EHM, either arithmetic)."""
        return int(np.count_nonzero(self.method <= METHOD_EXACT_LOG))

    @property
    def n_approximate(self) -> int:
        """Clusters solved by loopy belief propagation (reported in summary.json)."""
        return int(np.count_nonzero(self.method >= METHOD_LBP))

    @property
    def n_capped(self) -> int:
        """LBP clusters that stopped at the iteration cap before converging."""
        return int(np.count_nonzero(self.method == METHOD_LBP_CAPPED))

    @property
    def n_log_space(self) -> int:
        """Exact clusters redone in log space."""
        return int(np.count_nonzero(self.method == METHOD_EXACT_LOG))


def _per_track(value, N: int) -> np.ndarray:
    """A per-track float64 array from an array or a scalar."""
    a = np.asarray(value, dtype=np.float64)
    return np.ascontiguousarray(a if a.shape == (N,) else np.broadcast_to(a, (N,)))


def _check(offsets, det_index, log_likelihood_ratio, existence, detection_probability,
           gate_probability, n_detections):
    """Checked, contiguous copies of the inputs, and n_detections."""
    offsets = np.ascontiguousarray(offsets, dtype=np.intp)
    if offsets.ndim != 1 or offsets.shape[0] < 1:
        raise ValueError("offsets must have shape (n_tracks + 1,)")
    N = offsets.shape[0] - 1
    det_index = np.ascontiguousarray(det_index, dtype=np.intp)
    K = det_index.shape[0]
    degree = np.diff(offsets)
    if det_index.ndim != 1 or offsets[0] != 0 or offsets[-1] != K or (degree < 0).any():
        raise ValueError(f"offsets must be non-decreasing, shape ({N + 1},), from 0 to {K}")
    log_likelihood_ratio = np.ascontiguousarray(log_likelihood_ratio, dtype=np.float64)
    if log_likelihood_ratio.shape != (K,):
        raise ValueError(f"log_likelihood_ratio has shape {log_likelihood_ratio.shape}, "
                         f"expected ({K},)")
    bad = np.flatnonzero(np.isnan(log_likelihood_ratio) | (log_likelihood_ratio == np.inf))
    if bad.size:
        raise ValueError(f"log_likelihood_ratio of pairs {bad[:10]} is NaN or +inf")
    if n_detections is None:
        n_detections = int(det_index.max()) + 1 if K else 0
    if K and not (0 <= det_index.min() and det_index.max() < n_detections):
        raise ValueError(f"det_index outside 0..{n_detections - 1}")
    owner = np.repeat(np.arange(N), degree)
    pair_key = owner * max(n_detections, 1) + det_index
    # rising keys (each track's detections ascending, as tracker.gating gives them)
    # cannot repeat; only others need sorting
    if (np.diff(pair_key) <= 0).any() and (np.diff(np.sort(pair_key)) == 0).any():
        raise ValueError("a track gates the same detection twice")
    checked = []
    for name, value, low_open in (("existence", existence, False),
                                  ("detection_probability", detection_probability, True),
                                  ("gate_probability", gate_probability, True)):
        a = _per_track(value, N)
        ok = ((a > 0.0) if low_open else (a >= 0.0)) & (a <= 1.0)
        if not ok.all():
            raise ValueError(f"{name} of tracks {np.flatnonzero(~ok)[:10]} outside "
                             f"{'(0, 1]' if low_open else '[0, 1]'}")
        checked.append(a)
    return (offsets, det_index, log_likelihood_ratio, *checked, int(n_detections), owner)


def _trusted(offsets, det_index, log_likelihood_ratio, existence, detection_probability,
             gate_probability, n_detections):
    """``_check``'s outputs for inputs known to be well formed; NaN is still refused."""
    offsets = np.ascontiguousarray(offsets, dtype=np.intp)
    det_index = np.ascontiguousarray(det_index, dtype=np.intp)
    log_likelihood_ratio = np.ascontiguousarray(log_likelihood_ratio, dtype=np.float64)
    if np.isnan(log_likelihood_ratio).any() or (log_likelihood_ratio == np.inf).any():
        raise ValueError("log_likelihood_ratio is NaN or +inf")
    N = offsets.shape[0] - 1
    if n_detections is None:
        n_detections = int(det_index.max()) + 1 if det_index.size else 0
    owner = np.repeat(np.arange(N), np.diff(offsets))
    return (offsets, det_index, log_likelihood_ratio, _per_track(existence, N),
            _per_track(detection_probability, N), _per_track(gate_probability, N),
            int(n_detections), owner)


def _shares_detections(det_index: np.ndarray, n_detections: int) -> bool:
    """Whether two tracks gate one detection (a track gates a detection once)."""
    return det_index.size > 1 and np.bincount(det_index, minlength=n_detections).max() > 1


def clusters(offsets: np.ndarray, det_index: np.ndarray, n_detections: int,
             owner: np.ndarray | None = None):
    """Independent clusters of the gate graph, each with its tracks in solving order.

    Two tracks share a cluster when a chain of shared detections links them
    (connected components of the bipartite track/detection graph); a track that gates
    nothing is a cluster of its own. Within a cluster, tracks follow the reverse
    Cuthill-McKee order of the graph: neighbours stay close, so few detections are
    shared between the tracks already taken and the tracks still to come, which keeps
    the EHM net narrow.

    Returns
    -------
    order : ndarray of intp, shape (N,)
        Track indices, cluster after cluster.
    cluster_offsets : ndarray of intp, shape (C + 1,)
    """
    N = offsets.shape[0] - 1
    if not _shares_detections(det_index, n_detections):
        # every track is a cluster of its own; components are labelled in order of their
        # lowest node, and tracks are nodes 0..N-1, so this is the graph's order too
        return np.arange(N, dtype=np.intp), np.arange(N + 1, dtype=np.intp)
    if owner is None:
        owner = np.repeat(np.arange(N), np.diff(offsets))
    size = N + n_detections
    half = csr_matrix((np.ones(len(owner), np.int8), (owner, N + det_index)), shape=(size, size))
    graph = (half + half.T).tocsr()
    _, label = connected_components(graph, directed=False)
    rank = np.empty(size, np.intp)
    rank[reverse_cuthill_mckee(graph, symmetric_mode=True)] = np.arange(size)
    order = np.lexsort((rank[:N], label[:N])).astype(np.intp)
    starts = np.flatnonzero(np.r_[True, label[order][1:] != label[order][:-1]]) if N else \
        np.zeros(0, np.intp)
    return order, np.r_[starts, N].astype(np.intp)


def net_bounds(offsets, det_index, n_detections, order, cluster_offsets, owner=None):
    """Upper bounds on each cluster's EHM net, from the gate pattern alone.

    Before track k of a cluster (parent layer k), a node is the set of detections
    already used that a later track also gates: of the W_k detections gated both by a
    track < k and a track >= k, at most k are used, so the layer has at most
    sum_{i <= min(k, W_k)} C(W_k, i) nodes, each with 1 + deg_k branches.

    Returns
    -------
    branches, nodes, width : ndarray, shape (C,)
        Bounds on the branches, nodes and widest layer of each net (float: inf when
        more than 64 detections are shared at once, which a 64-bit key cannot hold).
    """
    N = offsets.shape[0] - 1
    C = cluster_offsets.shape[0] - 1
    if N == 0:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    if owner is None:
        owner = np.repeat(np.arange(N), np.diff(offsets))
    degree = np.diff(offsets)[order]
    if C == N:
        # one track a cluster: no detection is shared, each net is a root node with a
        # branch per option (1 + degree) and the closing node
        return 1.0 + degree, np.full(C, 2.0), np.ones(C)
    position = np.empty(N, np.intp)
    position[order] = np.arange(N)                  # each track's place in ``order``
    cluster_start = np.repeat(cluster_offsets[:-1], np.diff(cluster_offsets))
    k = np.arange(N) - cluster_start                # place within its cluster
    first = np.full(n_detections, N, np.intp)
    last = np.full(n_detections, -1, np.intp)
    np.minimum.at(first, det_index, position[owner])
    np.maximum.at(last, det_index, position[owner])
    shared = last > first
    step = np.zeros(N + 1, np.intp)
    np.add.at(step, first[shared] + 1, 1)
    np.add.at(step, last[shared] + 1, -1)
    live = np.cumsum(step)[:N]                      # W_k of the track at each place
    new = np.bincount(first[shared], minlength=N)[:N]
    fits = live + new <= _KEY_BITS
    capped = np.minimum(live, _KEY_BITS)
    nodes_k = np.where(fits, _PARTIAL[capped, np.minimum(k, capped)], np.inf)
    starts = cluster_offsets[:-1]
    branches = np.add.reduceat(nodes_k * (1 + degree), starts)
    nodes = np.add.reduceat(nodes_k, starts) + 1.0  # + the closing node
    width = np.maximum.reduceat(nodes_k, starts)
    return branches[:C], nodes[:C], width[:C]


def workspace(N: int, K: int, n_detections: int, nodes: float, branches: float, width: float):
    """Work buffers of ``_jpda.jipda`` for nets of at most these bounds (keyword dict)."""
    nodes, branches = max(int(nodes), 1), max(int(branches), 1)
    table = 2
    while table < 2 * (int(width) + 1):
        table *= 2
    return dict(node_keys=np.empty(nodes, np.uint64), node_weights=np.empty((2, nodes)),
                children=np.empty(branches, np.intp), table=np.full(table, -1, np.intp),
                layer_work=np.empty((2, N + 2), np.intp), track_work=np.empty((2, N + 1)),
                pair_work=np.empty((3, K + 1)), det_work=np.empty((3, n_detections + 1), np.intp),
                det_sums=np.empty((2, n_detections + 1)))


def associate(offsets, det_index, log_likelihood_ratio, existence, detection_probability,
              gate_probability, n_detections: int | None = None, *,
              max_exact_branches: float = MAX_EXACT_BRANCHES,
              max_iterations: int = MAX_ITERATIONS, tolerance: float = TOLERANCE,
              kernels=_jpda, trusted: bool = False) -> Association:
    r"""JIPDA association probabilities and posterior existence of every track of a scan.

    Parameters
    ----------
    offsets : array_like of int, shape (N + 1,)
        Track i gates pairs ``offsets[i]:offsets[i + 1]`` (``tracker.gating`` output).
    det_index : array_like of int, shape (K,)
        Detection of each pair, in 0..n_detections-1; a track gates a detection once.
    log_likelihood_ratio : array_like, shape (K,)
        :math:`\log(\mathcal N(\nu_{ij}; 0, S_i) / \lambda)`, with :math:`\lambda` the
        sensor's clutter density in measurement space (not divided by Pg). -inf allowed.
    existence : array_like, shape (N,) or scalar
        Prior existence probability :math:`r_i` in [0, 1].
    detection_probability, gate_probability : array_like, shape (N,) or scalar
        :math:`P_D` and :math:`P_G` of each track, in (0, 1].
    n_detections : int, optional
        Detections in the scan (default: the largest ``det_index`` + 1).
    max_exact_branches : float
        Clusters whose EHM net may exceed this many branches are solved by LBP.
    max_iterations, tolerance :
        LBP iteration cap and convergence tolerance on its messages.
    trusted : bool
        The inputs come from ``tracker.gating`` and the engine (pairs in order, one per
        track and detection, probabilities in range): only their types and finiteness
        are checked, not their structure (a tenth of the scan's time at 100 tracks).

    Returns
    -------
    Association

    Notes
    -----
    A joint event :math:`\theta` assigns each track at most one of its detections and
    each detection at most one track; with :math:`\ell_{ij}` the likelihood ratio,

    .. math:: P(\theta) \propto \prod_{i \notin \theta} (1 - P_D P_G r_i)
              \prod_{(i,j) \in \theta} P_D\, r_i\, \ell_{ij}

    The marginals :math:`q_{i0}` (no detection) and :math:`q_{ij}` are summed over
    events by EHM (exact) or estimated by LBP. With
    :math:`\rho_i = r_i (1 - P_D P_G) / (1 - P_D P_G r_i)`,

    .. math:: r_i' = \sum_j q_{ij} + q_{i0} \rho_i, \quad
              \beta_{ij} = q_{ij} / r_i', \quad \beta_{i0} = q_{i0} \rho_i / r_i'

    :math:`P_D \ell_{ij} = P_D P_G \cdot \ell_{ij} / P_G`, the paper's form with the
    gate-truncated likelihood. ``claimed[j]`` is :math:`\sum_i q_{ij}`.

    References
    ----------
    .. [1] D. Musicki, R. Evans, "Joint integrated probabilistic data association:
       JIPDA", IEEE TAES 40(3), 2004.
    .. [2] S. Maskell, M. Briers, R. Wright, "Fast mutual exclusion", SPIE 5428, 2004;
       P. Horridge, S. Maskell, "Real-time tracking of hundreds of targets with
       efficient exact JPDAF implementation", FUSION 2006.
    .. [3] J. Williams, R. Lau, "Approximate evaluation of marginal association
       probabilities with belief propagation", IEEE TAES 50(4), 2014.
    """
    (offsets, det_index, log_likelihood_ratio, existence, detection_probability,
     gate_probability, n_detections, owner) = (_trusted if trusted else _check)(
        offsets, det_index, log_likelihood_ratio, existence, detection_probability,
        gate_probability, n_detections)
    N, K = offsets.shape[0] - 1, det_index.shape[0]
    if not (max_iterations >= 1 and tolerance >= 0.0):
        raise ValueError(f"max_iterations={max_iterations} must be >= 1 and "
                         f"tolerance={tolerance} >= 0")
    if N == 0:                                    # no track in coverage: nothing is claimed
        empty = np.empty(0)
        return Association(empty, empty, empty, np.zeros(n_detections), np.empty(0, np.int8),
                           np.empty(0, np.intp), np.zeros(1, np.intp), np.empty(0, np.intp),
                           np.empty(0, np.int8))
    order, cluster_offsets = clusters(offsets, det_index, n_detections, owner)
    branches, nodes, width = net_bounds(offsets, det_index, n_detections, order,
                                        cluster_offsets, owner)
    exact = branches <= max_exact_branches
    method = np.where(exact, METHOD_EXACT, METHOD_LBP).astype(np.int8)
    work = workspace(N, K, n_detections, nodes[exact].max(initial=1),
                     branches[exact].max(initial=1), width[exact].max(initial=1))
    beta, beta_none, posterior = np.empty(K), np.empty(N), np.empty(N)
    claimed, status = np.empty(n_detections), np.empty(N, np.int8)
    kernels.jipda(offsets, det_index, log_likelihood_ratio, existence, detection_probability,
                  gate_probability, order, cluster_offsets, method, int(max_iterations),
                  float(tolerance), beta, beta_none, posterior, claimed, status, **work)
    if len(method) == N:                          # one track a cluster: its own detections
        cluster_detections = np.diff(offsets)[order]
    else:
        cluster_of = np.repeat(np.arange(len(method)), np.diff(cluster_offsets))
        track_cluster = np.empty(N, np.intp)
        track_cluster[order] = cluster_of
        det_cluster = np.full(n_detections, -1, np.intp)
        det_cluster[det_index] = track_cluster[owner]
        cluster_detections = np.bincount(det_cluster[det_cluster >= 0], minlength=len(method))
    return Association(beta, beta_none, posterior, claimed, status, order, cluster_offsets,
                       cluster_detections, method)
