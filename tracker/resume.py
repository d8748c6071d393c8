"""Lost tracks take part in association again: the first detection back resumes them.

A lost confirmed track (``tracker.relink``) waits for its target out of every
scan's coverage. Waiting only for a new track to confirm and be re-linked
costs two or three 10 s revisits at every coverage entry. Instead, a lost
track that a scan covers is gated and associated as an ordinary track of the
JIPDA, with its cruise prediction from its last detection (the one
``tracker.relink`` compares new tracks with, by its reference when it has
one), as IPDA treats a track whose target may have gone (Musicki, Evans &
Stankovic, "Integrated probabilistic data association", IEEE TAC 39(6), 1994;
JIPDA, Musicki & Evans, IEEE TAES 40(3), 2004):

* its prior existence is a Markov chain over the gap: the existence it had
  when it was lost (its last detection's, decayed by ``survival_per_s`` and
  lowered by its misses) times ``relink.survival_per_s`` per second since;
* a scan's misses lower it, r (1 - pd P_G) / (1 - r pd P_G), and a detection
  raises it only by its likelihood ratio against the clutter density,
  L = N(z; z_hat, S) / lambda: a lost track's gate grows over its gap, so an
  old one's L is small and clutter in it hardly moves it (JIPDA, the same
  equations as every track's, ``tracker.association``);
* it is *resumed* (``settle``), confirmed again under its own id at that
  scan with its updated state and its modes reset to straight flight, when
  its posterior existence reaches ``confirm_existence``, the detection is
  its with probability 1 - beta_0 at least
  ``relink.resume_association_probability``, and its gate shares no
  detection with another lost track's (``resumes``: a column's members are
  predicted over a gap with one common error, kilometres more than their
  spacing, and the likelihoods would point the first one back at the wrong
  id; re-linking compensates that error);
* one not resumed keeps the existence the scan gave it, but goes back to its
  last detection's state (x_fix, P_fix), from which the next scan predicts
  it again and re-linking compares new tracks with it.

A lost track whose cruise prediction is more uncertain than
``relink.resume_max_position_sigma_m`` does not take part: its gate would join
every track around it into one JIPDA cluster, and its likelihood ratio is
small anyway; a new track re-linked to it (``tracker.relink``) brings it back.
A detection claimed with probability ``initiation.claimed_below`` or more
starts no tentative track, a lost track's claim counting unless its gate
overlaps another lost one's (those could neither resume nor let a new track
start); a tentative track started beside a lost one and confirmed first is
re-linked to it (it is still lost) or, if it resumed, merged into it
(``tracker.merge``: the younger goes).
"""
from __future__ import annotations

import numpy as np

from .config import TrackerConfig
from .relink import Relinker
from .tracks import CONFIRMED, LOST, TrackTable


def enabled(config: TrackerConfig) -> bool:
    """Lost tracks are associated when they are kept and the sigma limit is positive."""
    return config.relink.max_gap_s > 0 and config.relink.resume_max_position_sigma_m > 0


def decay(table: TrackTable, dt: float, config: TrackerConfig) -> None:
    """Every lost track's existence over ``dt`` s: r <- r s^dt, s = ``relink.survival_per_s``."""
    if dt > 0:
        rows = table.lost_rows()
        table.existence[rows] *= config.relink.survival_per_s ** dt


def predict(table: TrackTable, covered: np.ndarray, t: float, relinker: Relinker,
            config: TrackerConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cruise predictions to ``t`` of the lost tracks among the ``covered`` rows.

    Those predicted with a finite, positive-definite covariance whose position
    sigma, sqrt(tr P_pos), is at most ``relink.resume_max_position_sigma_m`` take
    part (by their reference when they have one, ``Relinker.predictions``).
    Returns a mask over ``covered`` of the rows that stay covered, a mask over
    those of the lost ones, and their states (n, 6) and covariances (n, 6, 6).
    """
    lost = table.status[covered] == LOST
    if not lost.any():
        return np.ones(covered.size, dtype=bool), lost, np.empty((0, 6)), np.empty((0, 6, 6))
    rows, x, P = relinker.predictions(table, covered[lost], t)
    small = np.trace(P[:, :3, :3], axis1=1, axis2=2) \
        <= config.relink.resume_max_position_sigma_m ** 2
    keep = ~lost
    keep[lost] = np.isin(covered[lost], rows[small])
    return keep, lost[keep], x[small], P[small]


def resumes(lost: np.ndarray, existence: np.ndarray, beta_none: np.ndarray, offsets: np.ndarray,
            detection: np.ndarray, n_detections: int,
            config: TrackerConfig) -> tuple[np.ndarray, np.ndarray]:
    """Which of the ``lost`` tracks (a mask over a scan's covered tracks) the scan resumes,
    and which share their gate with another (two masks).

    Those whose posterior ``existence`` is at least ``confirm_existence``, whose
    detection is theirs with probability 1 - beta_0 at least
    ``relink.resume_association_probability``, and whose gate shares no
    detection with another lost track still there (existence at least
    ``delete_existence``): the members of a column are predicted over a gap
    with one common error, kilometres more than their spacing, and JIPDA's
    likelihoods would give the first back the id of the member its error
    points to; those are left to a new track and ``tracker.relink``'s
    bias-compensated choice.
    """
    there = lost & (existence >= config.delete_existence)
    shared = lost & ~alone(offsets, detection, there, n_detections)
    return lost & ~shared & (existence >= config.confirm_existence) \
        & (1.0 - beta_none >= config.relink.resume_association_probability), shared


def alone(offsets: np.ndarray, detection: np.ndarray, lost: np.ndarray,
          n_detections: int) -> np.ndarray:
    """Per track (segments of ``offsets``): no detection in its gate is in the gate of
    another of the ``lost`` tracks (a mask)."""
    owner = np.repeat(np.arange(offsets.size - 1), np.diff(offsets))
    mine = lost[owner]
    shared = mine & (np.bincount(detection[mine], minlength=n_detections)[detection] >= 2)
    return np.bincount(owner[shared], minlength=offsets.size - 1) == 0


def fixes(table: TrackTable, rows: np.ndarray) -> tuple:
    """What a scan's update of lost ``rows`` changes and ``settle`` may take back (copies)."""
    return (table.t_update[rows], table.x_fix[rows], table.P_fix[rows], table.t_detected[rows])


def settle(table: TrackTable, rows: np.ndarray, resumed: np.ndarray, t: float,
           relinker: Relinker, saved: tuple, straight: np.ndarray) -> None:
    """After a scan: the lost ``rows`` it resumes (a mask) are confirmed again, the others
    go back to their last detection.

    A resumed track's IMM modes all start at its state, with straight flight's
    probabilities, and its lost segment (the fix it was predicted from) is
    kept as a reference for the lost tracks trailing it (``Relinker.remember``),
    as a re-linked one's is. A lost track not resumed keeps the existence the
    scan gave it, but not the state: the detections it may have taken are
    likelier another target's or clutter than a lost target's, and its last
    detection is what it is predicted from (and what ``tracker.relink``
    compares new tracks with).
    """
    t_update, x_fix, P_fix, t_detected = saved
    back = ~resumed
    table.t_update[rows[back]], table.x_fix[rows[back]], table.P_fix[rows[back]] = \
        t_update[back], x_fix[back], P_fix[back]
    table.t_detected[rows[back]] = t_detected[back]
    waiting = rows[back]
    table.x[waiting], table.P[waiting], table.t_state[waiting] = \
        table.x_fix[waiting], table.P_fix[waiting], table.t_update[waiting]
    for k in np.flatnonzero(resumed):
        relinker.remember(table, int(rows[k]), t, table.ids[rows[k]],
                          state=(x_fix[k], P_fix[k], float(t_update[k])))
    up = rows[resumed]
    table.status[up] = CONFIRMED
    table.xm[up] = table.x[up][:, None, :]
    table.Pm[up] = table.P[up][:, None, :, :]
    table.mu[up] = straight
