"""``Tracker.process(scan)``: predict, gate, associate, update, manage (DESIGN.md, "Data flow").

Orchestration only: each stage is one call over all the tracks a scan
covers, into the compiled kernels or a vectorised module:

1. coverage: the tracks this scan could see (``tracker.gating.coverage``);
   tracks outside it are neither predicted nor penalised by it;
2. predict the covered tracks to the scan time (``kalman.predict_cv``), and
   their existence by the survival probability;
3. predicted measurements, Jacobians and S (``tracker.measurement``);
4. gate (``tracker.gating``): a coarse spatial stage, then Mahalanobis;
5. JIPDA association probabilities and posterior existence per cluster
   (``tracker.association``);
6. the PDA update of every covered track (``kalman.pda_update``);
7. tentative tracks from unclaimed detections, confirmation and deletion
   (``tracker.lifecycle``).

Scans are taken in time order through a reorder buffer: a scan is held until
``out_of_order_lag_s`` of newer scan time has arrived, so scans up to that
lag late are processed in order; a scan older than one already processed is
rejected and counted; a second scan with the same (sensor, t) is dropped and
counted.
"""
from __future__ import annotations

import heapq
import itertools
import math
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

import numpy as np
from scipy.special import erfc

from . import (classify, clutter, detectability, flashes, frames, gating, imm, kalman, lifecycle,
               merge, records, relink, resume, surface)
from .association import associate
from .detectability import COVERING_PD
from .config import SensorDefaults, TrackerConfig
from .cross_section import CrossSectionModel
from .measurement import measure
from .mode_update import (gate_modes, measure_modes, mode_innovations, pair_of_rows,
                          update_modes)
from .models import ConstantVelocity
from .scan import Scan, Sensor
from .tracks import CONFIRMED, TENTATIVE, TrackTable


@dataclass
class RunCounts:
    """What a run did, for summary.json."""

    scans: int = 0
    scans_late_rejected: int = 0
    scans_duplicate: int = 0
    detections: int = 0
    tracks_started: int = 0
    tracks_confirmed: int = 0
    tracks_deleted: int = 0
    tracks_lost: int = 0                 #: confirmed tracks lost, kept for re-linking
    tracks_relinked: int = 0             #: new tracks that took a lost track's id
    tracks_resumed: int = 0              #: lost tracks confirmed again by their own detections
    tracks_merged: int = 0               #: confirmed tracks deleted as duplicates of older ones
    impacts_observed: int = 0            #: confirmed tracks a flash says came down (p >= 0.5)
    kernel_failures: Counter = field(default_factory=Counter)
    clusters_exact: int = 0
    clusters_approximate: int = 0
    surface_projections: int = 0
    stage_seconds: Counter = field(default_factory=Counter)


def _pairs_of(offsets: np.ndarray, detection: np.ndarray, beta: np.ndarray,
              tracks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The gated pairs of ``tracks`` only: (offsets, detection, beta) of that subset."""
    counts = np.diff(offsets)[tracks]
    starts = offsets[tracks]
    index = np.repeat(starts - np.r_[0, np.cumsum(counts)[:-1]], counts) + np.arange(counts.sum())
    return np.r_[0, np.cumsum(counts)], detection[index], beta[index]


def _most_likely_detection(offsets: np.ndarray, detection: np.ndarray,
                           beta: np.ndarray) -> np.ndarray:
    """Per track (segments of ``offsets``), its gated detection of largest beta, or -1."""
    n = offsets.size - 1
    best = np.full(n, -1, dtype=np.int64)
    if detection.size:
        owner = np.repeat(np.arange(n), np.diff(offsets))
        order = np.lexsort((-beta, owner))
        first = order[np.r_[0, np.flatnonzero(np.diff(owner[order])) + 1]]
        best[owner[first]] = detection[first]
    return best


class Tracker:
    """A multi-sensor JIPDA tracker over ECEF tracks (see the module docstring).

    ``emit`` receives every TRACK record (a dict of DESIGN.md's TRACK fields)
    as it is made: updates, periodic records and final ``deleted`` records.
    """

    def __init__(self, sensors: Mapping[str, Sensor], config: TrackerConfig | None = None,
                 emit: Callable[[dict], None] | None = None):
        self.sensors = dict(sensors)
        self.config = config or TrackerConfig()
        self.emit = emit or (lambda record: None)
        self._sensor_column = {sid: k for k, sid in enumerate(self.sensors)}
        self.modes = imm.from_config(self.config)
        # a tentative track has not shown it is a target: it is one straight-flight
        # hypothesis (a broad manoeuvre mode would let any two clutter detections form a
        # "track"); its other modes open through the Markov chain once it is confirmed
        self._straight = np.eye(self.modes.n_modes)[0]
        self._cross_section = CrossSectionModel(self.sensors, self.config.detection.cross_section)
        self.tracks = TrackTable(n_sensors=len(self.sensors), initial_modes=self._straight,
                                 sensor_ids=list(self.sensors),
                                 cross_section_bins=self._cross_section.n_bins)
        self.counts = RunCounts()
        self.motion = ConstantVelocity(q_horizontal=self.config.process_noise.horizontal,
                                       q_vertical=self.config.process_noise.vertical)
        self._relinker = relink.Relinker.from_config(self.config.relink)
        self._merger = merge.Merger.from_config(self.motion, self.config.merge)
        self._classifier = classify.Classifier(self.config.classification)
        self.class_history = classify.ClassHistory()
        self._population = detectability.Population(len(self.sensors), self.config.detection)
        self.clutter = clutter.ClutterEstimator(self.sensors, self.config)
        self._scans_associated = 0
        self._pending: list[tuple[float, int, Scan]] = []
        self._sequence = itertools.count()
        self._newest_t = -math.inf          # newest scan time received
        self._processed_t = -math.inf       # time of the last scan processed
        self._seen: dict[str, set[float]] = defaultdict(set)
        self._limits = {sid: gating.CoverageLimits.from_sensor(s) for sid, s in self.sensors.items()}

    # ------------------------------------------------------------------ intake

    def submit(self, scan: Scan) -> None:
        """Take a scan; process every held scan that is now ``out_of_order_lag_s`` old."""
        seen = self._seen[scan.sensor]
        if scan.t in seen:
            self.counts.scans_duplicate += 1
            return
        if scan.t < self._processed_t:
            self.counts.scans_late_rejected += 1
            return
        seen.add(scan.t)
        heapq.heappush(self._pending, (scan.t, next(self._sequence), scan))
        self._newest_t = max(self._newest_t, scan.t)
        self._release(self._newest_t - self.config.out_of_order_lag_s)

    def finish(self) -> None:
        """Process every held scan, then close all tracks with a ``deleted`` record."""
        self._release(math.inf)
        rows = self.tracks.rows()
        self._emit(rows, self._processed_t, deleted=True)
        self.tracks.remove(rows)

    def _release(self, up_to: float) -> None:
        while self._pending and self._pending[0][0] <= up_to:
            _, _, scan = heapq.heappop(self._pending)
            self.process(scan)
            # forget (sensor, t) pairs older than any scan that can still arrive
            horizon = self._processed_t - 2 * self.config.out_of_order_lag_s - 1.0
            if len(self._seen[scan.sensor]) > 4096:
                self._seen[scan.sensor] = {t for t in self._seen[scan.sensor] if t >= horizon}

    # ------------------------------------------------------------------ one scan

    def sensor_defaults(self, sensor: Sensor, scan: Scan) -> SensorDefaults:
        """pd and clutter density: the header's when given, else the configured kind's."""
        kind = sensor.kind
        if kind == "radar" and not scan.has_range_rate and "rr" not in sensor.sigma:
            kind = "radar_no_range_rate"
        default = self.config.sensor_defaults[kind]
        pd, density = sensor.pd, sensor.clutter_density
        return SensorDefaults(pd=default.pd if pd is None else pd, clutter_density=(
            default.clutter_density if density is None else density))

    def process(self, scan: Scan) -> None:
        """Run one scan through every stage (module docstring)."""
        clock = time.perf_counter
        stage = self.counts.stage_seconds
        sensor = self.sensors[scan.sensor]
        table = self.tracks
        self.counts.scans += 1
        self.counts.detections += len(scan)
        t = scan.t
        # lost tracks take part too, their existence a Markov chain over the gap (tracker.resume)
        resuming = resume.enabled(self.config)
        if resuming and math.isfinite(self._processed_t):
            resume.decay(table, t - self._processed_t, self.config)
        self._processed_t = max(self._processed_t, t)

        t0 = clock()
        live = table.rows() if resuming else table.active_rows()
        dt = np.maximum(t - table.t_state[live], 0.0)
        ahead = table.x[live, :3] + dt[:, None] * table.x[live, 3:]      # coverage needs no P
        limits = self._limits[scan.sensor]
        margin = self._sector_margin(scan, sensor, live, dt, ahead) \
            if scan.sector is not None else 0.0
        raised, sigma_h = self._raised(live, dt, ahead) if sensor.kind == "radar" \
            else (None, None)
        probe = ahead if raised is None else raised
        # a track whose height, raised by its uncertainty, clears the radio horizon may
        # own one of the scan's detections (its chance of being visible scales its pd);
        # so may a track predicted just outside the sector, but its miss does not count
        if scan.sector is None:
            inside = wide = gating.coverage(scan, sensor, probe, limits)
        else:
            wide = gating.coverage(scan, sensor, probe, limits, margin)
            inside = np.zeros_like(wide)
            inside[wide] = gating.coverage(scan, sensor, probe[wide], limits)
        covered, edge = live[wide], ~inside[wide]
        visible = np.ones(covered.size) if raised is None else \
            self._visibility(scan, sensor, ahead[wide], sigma_h[wide])
        # a covered lost track is predicted in cruise, if it is not too uncertain
        keep, is_lost, x_lost, P_lost = resume.predict(table, covered, t, self._relinker,
                                                       self.config)
        covered, edge, visible = covered[keep], edge[keep], visible[keep]
        stage["coverage"] += clock() - t0

        t0 = clock()
        broken = np.empty(0, dtype=np.intp)
        if covered.size:
            dt = np.maximum(t - table.t_state[covered], 0.0)
            single = self.modes.n_modes == 1
            if single:           # one CV filter: the fused kernel, no mixing; xm, mu unused
                x, P = table.x[covered], table.P[covered]
                status = kalman.predict_cv(x, P, dt, self.motion.acceleration_psd(x))
                mu = xm = Pm = None
            else:
                mu = table.mu[covered]
                mu[table.status[covered] == TENTATIVE] = self._straight
                mu, xm, Pm, status = imm.predict(self.modes, mu, table.xm[covered],
                                                 table.Pm[covered], dt, self._entry_scale(covered))
                x, P, combined = imm.combine(mu, xm, Pm)
                status = np.maximum(status, combined)
            if is_lost.any():                     # one straight-flight hypothesis in cruise
                x[is_lost], P[is_lost], status[is_lost] = x_lost, P_lost, 0
                if not single:
                    mu[is_lost] = self._straight
                    xm[is_lost], Pm[is_lost] = x_lost[:, None], P_lost[:, None]
            broken = self._failed("predict", covered, status)
            if broken.size:                       # dropped, and counted, not propagated
                keep = status == 0
                covered, edge, visible, is_lost = covered[keep], edge[keep], visible[keep], \
                    is_lost[keep]
                x, P = x[keep], P[keep]
                if not single:
                    mu, xm, Pm = mu[keep], xm[keep], Pm[keep]
            table.existence[covered] *= self.config.survival_per_s ** np.where(
                is_lost, 0.0, t - table.t_state[covered])        # a lost one's: decayed
            table.x[covered], table.P[covered], table.t_state[covered] = x, P, t
            if not single:
                table.mu[covered], table.xm[covered], table.Pm[covered] = mu, xm, Pm
                if raised is not None:
                    visible = self._mode_visibility(scan, sensor, mu, xm, Pm)
        else:
            x, P = np.empty((0, 6)), np.empty((0, 6, 6))
        stage["predict"] += clock() - t0

        params = self.sensor_defaults(sensor, scan)
        density = self.clutter.density(scan, sensor, params.clutter_density)   # per detection
        claimed = by_confirmed = np.zeros(len(scan))
        waiting, resumed = covered[is_lost], np.zeros(covered.size, dtype=bool)
        saved = resume.fixes(table, waiting)
        # a sensor with pd 0 (an infrared satellite for air targets) can neither update
        # nor erode a track: its scans only feed initiation (which a line of sight cannot)
        if covered.size and params.pd > 0:
            claimed, by_confirmed, failed, resumed = self._update(
                scan, sensor, params.pd, density, covered, edge, visible, is_lost, x, P, mu, xm, Pm)
            broken = np.concatenate([broken, failed])
        # a line-of-sight sensor blind to air targets (pd 0) sees events: its detections
        # on a confirmed track are that target's impact (a weak pd sensor's are updates)
        if sensor.kind == "los" and params.pd == 0.0 and covered.size and len(scan):
            self._observe_impacts(scan, sensor, density, covered)
        self.clutter.update(scan, sensor, by_confirmed)     # what no confirmed track claims
        if waiting.size:
            resume.settle(table, waiting, resumed[is_lost], t, self._relinker, saved,
                          self._straight)
        resumed = covered[resumed]
        self.counts.tracks_resumed += resumed.size

        t0 = clock()
        free = np.flatnonzero(claimed < self.config.initiation.claimed_below)
        born = lifecycle.initiate(table, scan, sensor, free, self.config)
        table.class_p[born] = self._classifier.prior_probability
        self.counts.surface_projections += surface.hold_tracks_above(
            table, born, self.config.min_target_altitude_m)
        if self.modes.n_modes > 1:
            table.xm[born] = table.x[born][:, None, :]
        column = self._sensor_column[scan.sensor]
        table.looks[born, column] = table.hits[born, column] = 1.0
        table.visible_to[born, column] = 1.0
        if born.size and self._cross_section.covers(scan.sensor):
            # the detection that started it is a hit: it rules out the cross-sections
            # this radar could not have seen there (without it, a track born of clutter
            # explains its misses by a target too small to see, and never dies of them)
            ranges = measure(scan, sensor, table.x[born], table.P[born],
                             innovation_covariance=False).z_hat[:, 0]
            table.rcs_log_w[born] = self._cross_section.look(
                table.rcs_log_w[born], self._cross_section.pd_per_bin(scan.sensor, ranges),
                np.ones(born.size), np.ones(born.size))
        self.counts.tracks_started += born.size
        confirmed, lost, dead = lifecycle.manage(table, self.config, t, (covered, born))
        if broken.size:                           # manage's rows are sorted and unique
            dead = np.union1d(dead, broken)
        self.counts.tracks_confirmed += confirmed.size
        self.counts.tracks_lost += lost.size
        self.counts.tracks_deleted += dead.size
        if confirmed.size:
            self._relink(confirmed, np.setdiff1d(table.lost_rows(), dead), t)
        duplicates = self._merger.duplicates(table, t)
        if duplicates.size:
            duplicates = np.setdiff1d(duplicates, dead)
            dead = np.union1d(dead, duplicates)
            self.counts.tracks_merged += duplicates.size
            self.counts.tracks_deleted += duplicates.size
        stage["manage"] += clock() - t0

        t0 = clock()
        # rows as a mask over the table: sorted and unique, as set operations would give
        changed = np.zeros(table.capacity, dtype=bool)
        changed[covered] = changed[born] = changed[confirmed] = True
        changed[waiting[table.t_update[waiting] < t]] = False      # lost, and still unseen
        changed[resumed] = True
        # and the tracks not written for an output period
        changed |= t - table.t_output >= self.config.output_period_s
        changed &= table.live
        changed[dead] = False
        changed = np.flatnonzero(changed)
        # the updated and the periodic records, then the deleted tracks' last: one batch
        self._emit(np.concatenate([changed, dead]), t,
                   deleted=np.repeat([False, True], [changed.size, dead.size]))
        table.remove(dead)
        stage["output"] += clock() - t0

    def _relink(self, confirmed: np.ndarray, lost: np.ndarray, t: float) -> None:
        """Give newly ``confirmed`` tracks the ids of the ``lost`` tracks they continue.

        The new track's own (tentative) id ends with a ``deleted`` record; the
        lost track's row goes without one, its id living on. What each segment
        learned of its sensors is pooled (``detectability.pool``).
        """
        table = self.tracks
        for new, old in self._relinker.pairs(table, confirmed, lost, t):
            self._relinker.remember(table, old, t, table.ids[old])
            self._emit(np.array([new]), t, deleted=True)
            table.ids[new] = table.ids[old]
            table.t_born[new] = table.t_born[old]
            table.class_label[new] = table.class_label[old]
            detectability.pool(table, new, old, self.config.detection.visible_prior)
            table.pool_detections(new, old)
            table.remove(np.array([old]))
            self.counts.tracks_relinked += 1

    def _sector_margin(self, scan: Scan, sensor: Sensor, live: np.ndarray, dt: np.ndarray,
                       ahead: np.ndarray) -> np.ndarray:
        """Azimuth margin (rad) per track: its gate's half-width seen from the sensor.

        sqrt(gamma) * sqrt(tr(P_pos + dt^2 P_vel) / range^2 + sigma_az^2), with gamma
        the two-degree-of-freedom gate threshold: the trace bounds the largest
        eigenvalue, so the margin covers the gate in any direction.
        """
        site = scan.site if scan.site is not None else sensor.site
        site_ecef = np.ravel(frames.geodetic_to_ecef(site.lat_rad, site.lon_rad, site.alt_m))
        rng = np.maximum(np.linalg.norm(ahead - site_ecef, axis=1), 1.0)
        P = self.tracks.P[live]
        spread = np.trace(P[:, :3, :3], axis1=1, axis2=2) \
            + dt ** 2 * np.trace(P[:, 3:, 3:], axis1=1, axis2=2)
        gamma = gating.gate_threshold(self.config.gate_probability, 2)
        return np.sqrt(gamma * (spread / rng ** 2 + sensor.sigma["az"] ** 2))

    def _raised(self, live: np.ndarray, dt: np.ndarray,
                ahead: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Predicted positions raised by ``coverage_altitude_sigmas`` sigma of their height.

        A radar's horizon depends on the target's height, and a track's height
        is its least known coordinate (0.3 deg of elevation is 200 m at 40 km):
        a low target's track whose height is estimated a few hundred metres
        too low would fall outside a horizon the target is inside of, and its
        detections would start new tracks. The vertical (geocentric) variance
        of the predicted position is u' (P_pp + dt (P_pv + P_vp) + dt^2 P_vv) u.
        Returns the raised positions and the height sigmas (None, None when
        the setting is 0).
        """
        k = self.config.coverage_altitude_sigmas
        if k <= 0.0 or live.size == 0:
            return None, None
        P = self.tracks.P[live]
        sigma = surface.height_sigma(ahead, P[:, :3, :3] + dt[:, None, None] * (
            P[:, :3, 3:] + P[:, 3:, :3] + dt[:, None, None] * P[:, 3:, 3:]))
        return ahead + (k * sigma / np.linalg.norm(ahead, axis=1))[:, None] * ahead, sigma

    def _visibility(self, scan: Scan, sensor: Sensor, ahead: np.ndarray,
                    sigma_h: np.ndarray) -> np.ndarray:
        """Probability that each track is above the radar's radio horizon (n,).

        A target at slant range r is above the 4/3-Earth horizon of an antenna
        at height h_s when its height exceeds h_min = (r - sqrt(2 k R h_s))^2 /
        (2 k R) (0 when r is shorter; ``frames.radar_horizon_range`` inverted).
        With the track's height h ~ N(h_hat, sigma_h^2), the probability is
        Phi((h_hat - h_min) / sigma_h).
        """
        if ahead.shape[0] == 0:
            return np.ones(0)
        site = scan.site if scan.site is not None else sensor.site
        site_ecef = np.ravel(frames.geodetic_to_ecef(site.lat_rad, site.lon_rad, site.alt_m))
        r = np.linalg.norm(ahead - site_ecef, axis=1)
        two_kr = 2.0 * (4.0 / 3.0) * frames.EARTH_MEAN_RADIUS
        h_min = np.maximum(r - math.sqrt(two_kr * max(site.alt_m, 0.0)), 0.0) ** 2 / two_kr
        h_hat = frames.ecef_to_geodetic(ahead)[2]
        z = (h_hat - h_min) / np.maximum(sigma_h, 1.0)
        return 0.5 * erfc(-z / math.sqrt(2.0))

    def _observe_impacts(self, scan: Scan, sensor: Sensor, density: np.ndarray,
                         covered: np.ndarray) -> None:
        """Flashes of a sensor that sees events, not air targets: confirmed tracks that came
        down lose existence by the probability that they did (``tracker.flashes``)."""
        table = self.tracks
        rows = covered[table.status[covered] == CONFIRMED]
        p = flashes.impact_probabilities(scan, sensor, table.x[rows], table.P[rows],
                                         density, self.config.gate_probability,
                                         self.config.impact_prior)
        hit = p > 0.0
        rows, p = rows[hit], p[hit]
        table.existence[rows] *= 1.0 - p
        table.impact[rows] = 1.0 - (1.0 - table.impact[rows]) * (1.0 - p)
        self.counts.impacts_observed += int((p >= 0.5).sum())

    def _mode_visibility(self, scan: Scan, sensor: Sensor, mu: np.ndarray, xm: np.ndarray,
                         Pm: np.ndarray) -> np.ndarray:
        """Probability above the radio horizon of IMM tracks: sum_j mu_j Phi_j (n,).

        Each mode's own height and sigma (``_visibility``): the moment-matched
        combination would take the vertical mode's kilometre of spread for the
        track's, and a low target's misses would hardly count.
        """
        n, M = mu.shape
        position = xm[:, :, :3].reshape(n * M, 3)
        sigma_h = surface.height_sigma(position, Pm[:, :, :3, :3].reshape(n * M, 3, 3))
        return (self._visibility(scan, sensor, position, sigma_h).reshape(n, M) * mu).sum(axis=1)

    def _entry_scale(self, rows: np.ndarray) -> np.ndarray | None:
        """Per-track scale (N, M) of IMM switches into each mode: the vertical mode's by
        1 - p_aircraft (1 - ``imm.aircraft_vertical_entry``), from each track's class."""
        keep = self.config.imm.aircraft_vertical_entry
        if keep >= 1.0 or "vertical" not in self.modes.names:
            return None
        scale = np.ones((rows.size, self.modes.n_modes))
        p_aircraft = self._classifier.probabilities(
            self.tracks.class_evidence[rows])[:, classify.AIRCRAFT]
        scale[:, self.modes.names.index("vertical")] = 1.0 - (1.0 - keep) * p_aircraft
        return scale

    def _update(self, scan: Scan, sensor: Sensor, sensor_pd: float, density: np.ndarray,
                covered: np.ndarray, edge: np.ndarray, visible: np.ndarray, lost: np.ndarray,
                x: np.ndarray, P: np.ndarray, mu: np.ndarray, xm: np.ndarray,
                Pm: np.ndarray) -> tuple:
        """Measure, gate, associate and update the covered tracks at the scan time.

        x, P are their combined predictions; mu, xm, Pm their modes'
        (``tracker.mode_update``). Gating is about the combination (for a confirmed
        track with the union of its modes' gates, ``imm.union_gate``), the likelihoods
        and the updates each mode's own prediction.

        ``edge`` marks tracks just outside the scan's sector: they may take a
        detection, but a miss does not lower their existence. ``visible`` is each
        track's probability of being above the radio horizon; it scales the
        track's pd; ``density`` the clutter density at each detection. ``lost``
        marks lost tracks (``tracker.resume``). Returns each detection's
        probability of being claimed by a track (not counting lost ones whose
        gates share a detection), and by a confirmed one, the rows whose
        update failed, and a mask of the lost tracks resumed.
        """
        clock, stage, table, t = time.perf_counter, self.counts.stage_seconds, self.tracks, scan.t
        t0 = clock()
        meas = measure(scan, sensor, x, P)
        stage["measure"] += clock() - t0

        t0 = clock()
        single = self.modes.n_modes == 1
        modes_meas = None if single else measure_modes(scan, sensor, xm, Pm)
        union = table.status[covered] == CONFIRMED if not single \
            and self.config.imm.union_gate else None      # their modes' gates too
        gated = gate_modes(sensor.kind, meas, modes_meas, Pm, union,
                           self.config.gate_probability)
        stage["gate"] += clock() - t0

        t0 = clock()
        # pd if the sensor can see this kind of target, times the chance that it can
        column = self._sensor_column[scan.sensor]
        if self._cross_section.covers(scan.sensor):      # the radar equation at its range
            pd_b = self._cross_section.pd_per_bin(scan.sensor, meas.z_hat[:, 0])
            pd_if_visible = self._cross_section.track_pd(table.rcs_log_w[covered], pd_b) * visible
        else:
            pd_if_visible = self._track_pd(covered, scan.sensor, sensor_pd) * visible
        pd = pd_if_visible * table.visible_to[covered, column]
        existence_before = table.existence[covered]
        if single:
            log_mixture = gated.log_likelihood - np.log(density)[gated.detection]
        else:
            modes = mode_innovations(gated, modes_meas, Pm, mu, 1.0)
            # the clutter density at each pair's detection (tracker.clutter): every mode's
            # ratio, and so their mixture, divided by it
            log_density = np.log(density)[gated.detection]
            modes.log_ratio -= log_density[pair_of_rows(gated.offsets, self.modes.n_modes)]
            modes.log_mixture -= log_density
            log_mixture = modes.log_mixture
        assoc = associate(gated.offsets, gated.detection, log_mixture,
                          table.existence[covered], pd, self.config.gate_probability,
                          n_detections=len(scan), trusted=True)
        self.counts.clusters_exact += assoc.n_exact
        self.counts.clusters_approximate += assoc.n_approximate
        stage["associate"] += clock() - t0

        t0 = clock()
        if single:
            _, status = kalman.pda_update(x, P, meas.H, meas.R, gated.innovations, assoc.beta,
                                          assoc.beta_none, gated.offsets)
        else:
            mu, x, P, status = update_modes(xm, Pm, mu, modes, gated.offsets, assoc.beta,
                                            assoc.beta_none, self.config.imm.probability_floor)
        failed = self._failed("update", covered, status)
        ok = status == 0
        rows, kept = covered[ok], (slice(None) if ok.all() else ok)   # all ok: no copies
        table.x[rows], table.P[rows] = x[kept], P[kept]
        if not single:
            table.mu[rows], table.xm[rows], table.Pm[rows] = mu[kept], xm[kept], Pm[kept]
        no_pairs = np.diff(gated.offsets) == 0
        existence = np.where(edge & no_pairs, table.existence[covered], assoc.existence)
        table.existence[covered] = np.clip(existence, 0.0, 1.0)
        detected = ok & (assoc.beta_none < 0.5)
        self._scans_associated += 1
        table.last_scan[covered] = self._scans_associated
        table.best_detection[covered] = -1
        # two tracks can name one detection only inside one cluster of two or more
        shared = assoc.cluster_tracks >= 2
        if shared.any():
            tracks = assoc.order[np.repeat(shared, assoc.cluster_tracks)]
            table.best_detection[covered[tracks]] = _most_likely_detection(
                *_pairs_of(gated.offsets, gated.detection, assoc.beta, tracks))
        hit = covered[detected]
        table.t_update[hit] = t
        table.x_fix[hit] = table.x[hit]
        table.P_fix[hit] = table.P[hit]
        table.n_updates[hit] += 1
        if sensor_pd >= COVERING_PD:
            sure = ~edge & (visible >= 0.5)
            table.missed[covered[sure]] = ~detected[sure]
            # the track's own detection record (tracker.detectability)
            looked = ok & (~edge | detected)
            detectability.record_looks(
                table, covered[looked], column,
                1.0 - assoc.beta_none[looked], pd_if_visible[looked], visible[looked],
                assoc.existence[looked], self._population, self.config.detection)
            if self._cross_section.covers(scan.sensor):
                looked_rows = covered[looked]
                scale = (visible * table.visible_to[covered, column])[looked]
                table.rcs_log_w[looked_rows] = self._cross_section.look(
                    table.rcs_log_w[looked_rows], pd_b[looked] * scale[:, None],
                    1.0 - assoc.beta_none[looked], existence_before[looked])
        else:                                     # a sensor that rarely sees air targets
            table.missed[covered[detected]] = False   # does not make a track coast
        table.t_detected[covered[detected], column] = t
        # only updated tracks: a missed track predicted underground may have impacted
        self.counts.surface_projections += surface.hold_tracks_above(
            table, covered[detected], self.config.min_target_altitude_m, modes=True)
        due = hit[t - table.t_class[hit] >= self.config.classification.min_interval_s]
        table.class_evidence[due] = self._classifier.observe(
            table.class_evidence[due], table.t_class[due], table.x[due], table.P[due], t)
        table.t_class[due] = t
        table.class_now[due], table.class_p[due] = self._classifier.labels(
            table.class_evidence[due])
        stage["update"] += clock() - t0
        confirmed = table.status[covered] == CONFIRMED
        resumed, shared = resume.resumes(lost, assoc.existence, assoc.beta_none, gated.offsets,
                                         gated.detection, len(scan), self.config)
        resumed &= ok
        claimed = assoc.claimed
        if shared.any():      # lost tracks that share a gate leave its detections free
            claimed = claimed - clutter.claimed_by(gated.offsets, gated.detection, assoc.beta,
                                                   assoc.existence, shared, len(scan))
        return claimed, clutter.claimed_by(gated.offsets, gated.detection, assoc.beta,
                                           assoc.existence, confirmed, len(scan)), failed, resumed

    def _track_pd(self, rows: np.ndarray, sensor_id: str, pd: float) -> np.ndarray:
        """Each track's detection probability for this sensor (``detectability.track_pd``)."""
        return detectability.track_pd(self.tracks, rows, self._sensor_column[sensor_id], pd,
                                      self._population, self.config.detection)

    def _failed(self, stage: str, rows: np.ndarray, status: np.ndarray) -> np.ndarray:
        """Rows whose kernel call failed, counted by reason; they are deleted, not repaired."""
        if not status.any():                # the usual scan: skip np.unique's sort
            return rows[:0]
        for code in np.unique(status[status != 0]):
            self.counts.kernel_failures[f"{stage}: {kalman.STATUS_NAMES[int(code)]}"] += \
                int((status == code).sum())
        return rows[status != 0]

    # ------------------------------------------------------------------ outputs

    def _emit(self, rows: np.ndarray, t: float, deleted: bool | np.ndarray = False) -> None:
        """TRACK records of ``rows`` at time ``t`` (``tracker.records``)."""
        records.emit_track_records(self.tracks, rows, t, deleted, self.config, self.motion,
                                   self.class_history, self.emit)


def run(scans: Iterable[Scan], sensors: Mapping[str, Sensor], config: TrackerConfig,
        emit: Callable[[dict], None]) -> Tracker:
    """Track a stream of scans to the end; the tracker, with its counts."""
    tracker = Tracker(sensors, config, emit)
    for scan in scans:
        tracker.submit(scan)
    tracker.finish()
    return tracker
