"""TRACK records (DESIGN.md) of a scan's tracks, built column-wise from the track table.

A record's state is the track's, predicted to the record time with the
constant-velocity motion when the track was last updated before it; its
position, ENU velocity and ENU position covariance come from one compiled
pass (``frames.enu_moments``). Status: the table's, except that a confirmed
track below ``report_existence`` is reported ``tentative`` (kept, same id)
and a reported one that missed its last covering scan ``coasting``.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from . import classify, frames, kalman
from .config import TrackerConfig
from .models import ConstantVelocity
from .tracks import CONFIRMED, DELETED, STATUS_NAMES, TENTATIVE, TrackTable

#: a record's status by code: the table's statuses, and a confirmed track without a
#: detection at its last covering scan
_COASTING = max(STATUS_NAMES) + 1
_RECORD_STATUS = np.array([STATUS_NAMES[k] for k in range(_COASTING)] + ["coasting"], dtype=object)
#: TRACK records built per block of rows: 5 lists a record stay well under the 700 live
#: containers that start a garbage collection
_RECORD_BLOCK = 64
_CLASS_NAMES = np.array(classify.CLASSES, dtype=object)


def emit_track_records(table: TrackTable, rows: np.ndarray, t: float,
                       deleted: bool | np.ndarray, config: TrackerConfig, motion: ConstantVelocity,
                       class_history: classify.ClassHistory, emit: Callable[[dict], None]) -> None:
    """TRACK records of ``rows`` at time ``t`` (a coasting track's state predicted to t);
    ``deleted`` (for all rows, or per row) makes a record the track's final one. Records a
    reported track's class changes in ``class_history`` and marks the rows output at t."""
    if rows.size == 0:
        return
    dt = t - table.t_state[rows]
    x, P = table.x[rows], table.P[rows]                 # copies (fancy indexing)
    if (dt > 0).any():
        kalman.predict_cv(x, P, np.maximum(dt, 0.0), motion.acceleration_psd(x))
    lat, lon, alt, vel, cov = frames.enu_moments(x, P)     # one compiled pass
    table.t_output[rows] = t
    # a confirmed track whose existence fell below report_existence is kept, with its
    # id, but reported as tentative until it recovers; a reported one that missed its
    # last covering scan is coasting
    status = table.status[rows]
    kept = status == CONFIRMED
    reported = kept & (table.existence[rows] >= config.report_existence)
    names = _RECORD_STATUS[np.where(
        deleted, DELETED, np.where(
            reported, np.where(table.missed[rows], _COASTING, CONFIRMED),
            np.where(kept, TENTATIVE, status)))].tolist()
    label, p_label = table.class_now[rows], table.class_p[rows]
    changed = np.flatnonzero(reported & (label != table.class_label[rows]))
    if changed.size:
        table.class_label[rows[changed]] = label[changed]
        class_history.record(t, table.ids[rows[changed]].tolist(), label[changed],
                                  p_label[changed], alt[changed], vel[changed])
    keys, sensors = table.detected_since(rows, t, config.output_period_s)
    # every column converted to Python values in one call each (tolist): a record
    # then costs one dict, not a dozen NumPy scalar look-ups. The nested vel/cov lists
    # go a block at a time: thousands of lists alive at once would set off the cyclic
    # garbage collector, which then walks the caller's whole heap
    columns = (keys, names, table.ids[rows].tolist(), np.degrees(lat).tolist(),
               np.degrees(lon).tolist(), alt.tolist(), table.existence[rows].tolist(),
               table.t_update[rows].tolist(), _CLASS_NAMES[label].tolist(),
               p_label.tolist())
    for start in range(0, rows.size, _RECORD_BLOCK):
        block = slice(start, start + _RECORD_BLOCK)
        for key, name, track_id, lat_deg, lon_deg, h, r, t_update, kind, p, v, c in zip(
                *(column[block] for column in columns), vel[block].tolist(),
                cov[block].tolist()):
            emit({
                "type": "track", "t": t, "id": track_id, "status": name,
                "lat": lat_deg, "lon": lon_deg, "alt": h,
                "vel_enu": v, "cov_pos_enu": c,
                "existence": r, "class": kind, "class_probability": p,
                "sensors": list(sensors[key]),
                "t_update": t_update,
            })
