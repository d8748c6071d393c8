"""Quality of a run against the recording's truth, from the run's own outputs.

At every truth time, each confirmed (or coasting) track's latest record is
extrapolated to that time along its velocity (records come at least every
output period), and GOSPA (``tracker.metrics.gospa``, c = 2 km, p = 2,
alpha = 2) matches tracks to every flying object. From the matches:

* ``missile_coverage_tracked``: the fraction of missile truth samples whose
  ``seen_by`` is not empty that a confirmed (or coasting) track matches
  (whatever the sensors: a boosting missile seen only by an infrared
  satellite counts, though a line of sight alone never starts a track);
* ``ids_per_missile``: distinct track ids that follow a missile, averaged over
  the missiles followed at least once. Who follows whom is decided time by
  time by the CLEAR MOT rule (``tracker.metrics.persistent_correspondence``):
  a track keeps its missile while it stays within c of it, so two missiles
  passing closer than the tracks' errors do not count as an identity change
  unless a track really leaves its missile. ``ids_per_missile_gospa`` counts
  instead every id GOSPA's own assignment ever gave a missile, flips during
  such passes included (stricter than any tracker can be);
* ``false_tracks_over_30s``: confirmed tracks left unmatched for more than
  30 s in a row: the time from the first to the last of consecutive truth
  samples at which the track is reported confirmed (or coasting) and GOSPA
  leaves it unmatched; a sample at which it is matched, or not reported as
  confirmed (tentative, deleted), ends the run;
* ``gospa_mean_m`` and its mean localisation / missed / false parts;
* ``aircraft_coverage_tracked``: as the missiles', for aircraft;
* ``missile_position_rmse_m`` against ``missile_best_sensor_rms_m``: the 3-D
  position error of the tracks GOSPA matches to a missile, and over the same
  samples the error of the best single sensor that covers it there, one
  measurement's 3-D position error from its sigmas (a radar at range r:
  sigma_r^2 + r^2 (sigma_az^2 cos^2 el + sigma_el^2); a position feed:
  2 sigma_h^2 + sigma_v^2; a line of sight gives no position);
* ``classification``: over the GOSPA matches, truth kind against the track's
  class (sample counts), the tracks that were ever ``cruise_missile`` while
  matched to an aircraft, and per missile the longest any track that
  followed it for 30 s or more took from its first match to its first match
  as ``cruise_missile``.
"""
from __future__ import annotations

import bisect
from collections import defaultdict
from typing import Mapping

import numpy as np

from . import frames
from .metrics import gospa, persistent_correspondence
from .recording import Truth
from .scan import Sensor, Site

CONFIRMED_STATUSES = ("confirmed", "coasting")


class RunScorer:
    """Collects truth and track records during a run; ``score()`` at the end."""

    def __init__(self, c: float = 2000.0, p: float = 2.0, false_run_s: float = 30.0,
                 sensors: Mapping[str, Sensor] | None = None):
        self.c, self.p, self.false_run_s = c, p, false_run_s
        self.sensors = dict(sensors or {})
        self._sites: dict[str, list[tuple[float, Site]]] = defaultdict(list)
        self._truth: dict[float, list[Truth]] = defaultdict(list)
        self._tracks: list[tuple[float, str, str, float, float, float, tuple, str]] = []

    @property
    def has_truth(self) -> bool:
        return bool(self._truth)

    def add_truth(self, truth: Truth) -> None:
        self._truth[truth.t].append(truth)

    def add_site(self, sensor: str, t: float, site: Site) -> None:
        """Where a moving sensor was at ``t`` (its scans' ``site``), in time order."""
        sites = self._sites[sensor]
        if not sites or t - sites[-1][0] >= 1.0:     # a site a second is plenty
            sites.append((t, site))

    def _site_at(self, sensor: Sensor, t: float) -> Site | None:
        if sensor.site is not None:
            return sensor.site
        sites = self._sites.get(sensor.id)
        if not sites:
            return None
        k = bisect.bisect_right(sites, t, key=lambda e: e[0])
        return sites[max(k - 1, 0)][1]

    def _best_sensor_error2(self, truth: Truth, position: np.ndarray) -> float:
        """The smallest one-measurement 3-D position error^2 among the sensors covering it."""
        best = np.inf
        for sid in truth.seen_by:
            sensor = self.sensors.get(sid)
            if sensor is None or sensor.kind == "los":
                continue
            sig = sensor.sigma
            if sensor.kind == "position":
                best = min(best, 2.0 * sig["h"] ** 2 + sig["v"] ** 2)
                continue
            site = self._site_at(sensor, truth.t)
            if site is None:
                continue
            _, el, r = frames.ecef_to_aer(position[None], site.lat_rad, site.lon_rad,
                                          site.alt_m)
            best = min(best, float(sig["range"] ** 2 + r[0] ** 2 * (
                (sig["az"] * np.cos(el[0])) ** 2 + sig["el"] ** 2)))
        return best

    def add_track(self, record: dict) -> None:
        self._tracks.append((record["t"], record["id"], record["status"], record["lat"],
                             record["lon"], record["alt"], tuple(record["vel_enu"]),
                             record.get("class", "unknown")))

    def _track_states(self):
        """Track records as arrays, sorted by time: t, id, status, ECEF position, velocity."""
        self._tracks.sort(key=lambda r: r[0])
        rec = self._tracks
        t = np.array([r[0] for r in rec])
        lat = np.radians([r[3] for r in rec])
        lon = np.radians([r[4] for r in rec])
        pos = frames.geodetic_to_ecef(lat, lon, np.array([r[5] for r in rec]))
        vel = frames.enu_to_ecef_vector(np.array([r[6] for r in rec]).reshape(-1, 3), lat, lon)
        return t, [r[1] for r in rec], [r[2] for r in rec], np.reshape(pos, (-1, 3)), \
            np.reshape(vel, (-1, 3)), [r[7] for r in rec]

    def score(self) -> dict:
        t_rec, ids, statuses, pos, vel, classes = self._track_states() if self._tracks else \
            (np.empty(0), [], [], np.empty((0, 3)), np.empty((0, 3)), [])
        covered_aircraft = matched_aircraft = 0
        confusion: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        aircraft_called_missile: dict[str, list[float]] = {}
        # per (missile, track): first match, first match as cruise_missile, samples matched
        pair_first: dict[tuple[str, str], float] = {}
        pair_called: dict[tuple[str, str], float] = {}
        pair_samples: dict[tuple[str, str], int] = defaultdict(int)
        track_error2, sensor_error2 = [], []
        latest: dict[str, int] = {}                 # track id -> index of its latest record
        k = 0
        distances, local, missed, false = [], [], [], []
        covered_missile = matched_missile = 0
        ids_of_missile: dict[str, dict[str, list[float]]] = defaultdict(dict)
        gospa_ids_of_missile: dict[str, set] = defaultdict(set)
        following: dict[str, str] = {}              # truth id -> track id (CLEAR MOT)
        unmatched_since: dict[str, float] = {}
        longest_unmatched: dict[str, float] = defaultdict(float)
        worst_run: dict[str, tuple[float, float]] = {}   # track id -> (start, end)
        for t in sorted(self._truth):
            while k < len(t_rec) and t_rec[k] <= t:
                if statuses[k] == "deleted":
                    latest.pop(ids[k], None)
                else:
                    latest[ids[k]] = k
                k += 1
            track_ids = [i for i, j in latest.items() if statuses[j] in CONFIRMED_STATUSES]
            rows = np.array([latest[i] for i in track_ids], dtype=np.intp)
            track_pos = pos[rows] + (t - t_rec[rows])[:, None] * vel[rows] if rows.size \
                else np.empty((0, 3))
            truth = self._truth[t]
            lat = np.array([r.lat_rad for r in truth])
            lon = np.array([r.lon_rad for r in truth])
            truth_pos = np.reshape(frames.geodetic_to_ecef(lat, lon, np.array([r.alt_m for r in truth])),
                                   (-1, 3))
            g = gospa(truth_pos, track_pos, c=self.c, p=self.p)
            distances.append(g.distance)
            local.append(g.localisation)
            missed.append(g.missed)
            false.append(g.false)
            match = {int(a): int(b) for a, b in g.pairs}
            following = persistent_correspondence(following, [r.id for r in truth], track_ids,
                                                  truth_pos, track_pos, c=self.c)
            for a, b in match.items():
                kind, called = truth[a].kind, classes[rows[b]]
                confusion[kind][called] += 1
                if kind == "cruise_missile":
                    pair = (truth[a].id, track_ids[b])
                    pair_first.setdefault(pair, t)
                    pair_samples[pair] += 1
                    best = self._best_sensor_error2(truth[a], truth_pos[a])
                    if np.isfinite(best):
                        sensor_error2.append(best)
                        track_error2.append(float(np.sum((track_pos[b] - truth_pos[a]) ** 2)))
                    if called == "cruise_missile":
                        pair_called.setdefault(pair, t)
                elif kind == "aircraft" and called == "cruise_missile":
                    span = aircraft_called_missile.setdefault(track_ids[b], [t, t])
                    span[1] = t
            for a, r in enumerate(truth):
                if r.kind == "aircraft" and r.seen_by:
                    covered_aircraft += 1
                    matched_aircraft += a in match
                if r.kind != "cruise_missile":
                    continue
                if r.seen_by:
                    covered_missile += 1
                    matched_missile += a in match
                if a in match:
                    gospa_ids_of_missile[r.id].add(track_ids[match[a]])
                if r.id in following:
                    span = ids_of_missile[r.id].setdefault(following[r.id], [t, t])
                    span[1] = t
            matched_tracks = {track_ids[b] for b in match.values()}
            for i in list(unmatched_since):          # a run ends when the track stops
                if i not in latest or statuses[latest[i]] not in CONFIRMED_STATUSES:
                    del unmatched_since[i]           # being reported as confirmed
            for i in track_ids:
                if i in matched_tracks:
                    unmatched_since.pop(i, None)
                else:
                    start = unmatched_since.setdefault(i, t)
                    if t - start >= longest_unmatched[i]:
                        longest_unmatched[i] = t - start
                        worst_run[i] = (start, t)
        n_ids = [len(s) for s in ids_of_missile.values()]
        return {
            "gospa": {"c_m": self.c, "p": self.p, "alpha": 2},
            "truth_times": len(distances),
            "gospa_mean_m": float(np.mean(distances)) if distances else 0.0,
            "gospa_localisation_mean_m2": float(np.mean(local)) if local else 0.0,
            "missed_mean": float(np.mean(missed)) if missed else 0.0,
            "false_mean": float(np.mean(false)) if false else 0.0,
            "missile_samples_covered": covered_missile,
            "missile_coverage_tracked": matched_missile / covered_missile if covered_missile
            else 0.0,
            "missiles_tracked": len(ids_of_missile),
            "ids_per_missile": float(np.mean(n_ids)) if n_ids else 0.0,
            "ids_per_missile_gospa": float(np.mean([len(v) for v in gospa_ids_of_missile.values()]))
            if gospa_ids_of_missile else 0.0,
            "aircraft_samples_covered": covered_aircraft,
            "aircraft_coverage_tracked": matched_aircraft / covered_aircraft
            if covered_aircraft else 0.0,
            "missile_position_rmse_m": float(np.sqrt(np.mean(track_error2)))
            if track_error2 else None,
            "missile_best_sensor_rms_m": float(np.sqrt(np.mean(sensor_error2)))
            if sensor_error2 else None,
            "classification": {
                "confusion": {kind: dict(sorted(row.items()))
                              for kind, row in sorted(confusion.items())},
                "aircraft_tracks_called_missile": {
                    i: span for i, span in sorted(aircraft_called_missile.items())},
                # per missile, the longest a track that followed it (matched for at least
                # the false-track run, 30 samples) took from its first match to its first
                # match as cruise_missile (null: one never was); a track crossing a
                # missile for a few seconds does not count
                "missile_seconds_to_class": _seconds_to_class(
                    pair_first, pair_called, pair_samples, self.false_run_s),
            },
            "false_tracks_over_30s": sum(v > self.false_run_s for v in longest_unmatched.values()),
            "longest_unmatched_confirmed_s": max(longest_unmatched.values(), default=0.0),
            # the evidence behind the counts, for an analyst: every missile's track ids
            # with the first and last truth time each matched it, and every false track
            "missile_track_ids": {m: {i: [span[0], span[1]] for i, span in spans.items()}
                                  for m, spans in sorted(ids_of_missile.items())},
            "false_tracks": [{"id": i, "unmatched_from": worst_run[i][0],
                              "unmatched_to": worst_run[i][1]}
                             for i, v in sorted(longest_unmatched.items()) if v > self.false_run_s],
        }


def _seconds_to_class(first: dict, called: dict, samples: dict, min_samples: float) -> dict:
    """Per missile: the worst delay to ``cruise_missile`` among the tracks that followed it."""
    out: dict[str, float | None] = {}
    for pair in sorted(first):
        if samples[pair] < min_samples:
            continue
        delay = called[pair] - first[pair] if pair in called else None
        missile = pair[0]
        if missile not in out:
            out[missile] = delay
        elif out[missile] is not None:
            out[missile] = None if delay is None else max(out[missile], delay)
    return out
