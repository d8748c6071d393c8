"""Gate graphs for the association tests and benchmarks (CSR pairs grouped by track)."""
import numpy as np


def from_mask(mask: np.ndarray, log_likelihood_ratio: np.ndarray):
    """(offsets, det_index, log_likelihood_ratio of the gated pairs) of a (N, D) gate mask."""
    offsets = np.r_[0, np.cumsum(mask.sum(axis=1))].astype(np.intp)
    track, det = np.nonzero(mask)
    return offsets, det.astype(np.intp), np.ascontiguousarray(log_likelihood_ratio[track, det])


def scan(rng, N: int, shared_fraction: float = 0.1, dense: int = 0):
    """A scan's gate graph: mostly one track, one detection; some clusters of 2-6 tracks
    sharing their detections and a clutter detection or two; optionally one dense cluster
    of ``dense`` tracks x ``dense`` detections. Pd 0.9, Pg 0.999, existence in [0.5, 1].

    Returns (offsets, det_index, log_likelihood_ratio, existence, detection_probability,
    gate_probability, n_detections).
    """
    pairs, det = [], 0
    t = 0
    while t < N - dense:
        if rng.random() < shared_fraction:
            size = min(int(rng.integers(2, 7)), N - dense - t)
            dets = np.arange(det, det + size + int(rng.integers(1, 3)))   # own + clutter
            for i in range(size):
                seen = dets[rng.random(len(dets)) < 0.6]
                pairs += [(t + i, j) for j in np.union1d(seen, [dets[i]])]
            det += len(dets)
            t += size
        else:
            if rng.random() < 0.95:                   # detected (Pd 0.9, plus clutter)
                pairs.append((t, det))
                det += 1
            t += 1
    for i in range(dense):
        pairs += [(N - dense + i, det + j) for j in range(dense)]
    det += dense
    pairs = np.array(sorted(pairs), dtype=np.intp).reshape(-1, 2)
    offsets = np.r_[0, np.cumsum(np.bincount(pairs[:, 0], minlength=N))].astype(np.intp)
    # ell = N(nu; 0, S) / clutter density: about e^10 near the prediction, down to e^-5
    log_likelihood_ratio = rng.uniform(-5.0, 10.0, len(pairs))
    return (offsets, pairs[:, 1].copy(), log_likelihood_ratio, rng.uniform(0.5, 1.0, N),
            np.full(N, 0.9), np.full(N, 0.999), det)
