"""airtrack against Stone Soup on a multi-sensor recording (issue 6, "Peer comparison").

    PYTHONPATH=tests python tests/benchmarks/stonesoup_multisensor.py REC --from 1500 --to 2700

Both trackers take the same scans of a recording (a time window, seconds after
its first scan) and are scored by the same code, ``tracker.scoring.RunScorer``
(GOSPA c = 2 km, p = 2, alpha = 2 at every truth time over confirmed tracks;
coverage, ids per missile by the CLEAR MOT rule, false tracks), from TRACK
records each tracker's confirmed tracks give after every scan it processes.

airtrack: ``Tracker`` with its default configuration (the IMM, JIPDA with
existence, coverage, sectors, lost-track re-linking).

Stone Soup, built as the issue asks:
- the exact Cartesian frame, ECEF, with one nearly-constant-velocity model
  of intensity ``q`` per axis (``--q``, default 100 m^2/s^3, airtrack's
  single-model default, sized for 2 deg/s waypoint turns);
- each radar scan through Stone Soup's own radar model,
  ``CartesianToElevationBearingRangeRate``, with the site as its translation
  offset, the site's local ENU axes as its rotation and, for the airborne
  radar, the site's velocity (range-rate relative to the moving radar); its
  bearing is Stone Soup's, counter-clockwise from east: 90 deg - azimuth;
  geolocated positions through ``LinearGaussian`` on ECEF position with the
  feed's noise rotated from ENU; the infrared satellite's lines of sight,
  which see no air target (pd 0 for airtrack too), are left out;
- one ``JPDAwithEHM`` per sensor behind Stone Soup's k-d tree pre-gate
  (10 km), ``PDAHypothesiser`` with each sensor's header pd and clutter
  density and gate probability 0.999, the ``PDAUpdater`` (an EKF);
- a ``MultiMeasurementInitiator`` (two points, holding tracks by GNN with
  2-D assignment at a 0.999 Mahalanobis gate, velocity prior 300 m/s per
  axis; the k-d tree pre-gate, which needs one measurement model for every
  detection, serves only the fixed radars' JPDA);
- ``UpdateTimeDeleter``s: a track without a detection for ``--delete-after``
  s (default 60), a holding track for 25 s (two 12 s rotations);
- sector scans merged into whole rotations (Stone Soup has no ``sector``:
  one scan of a sector would count as a miss for every track outside it);
  each detection keeps its own time, to which Stone Soup predicts.
Times are wall-clock seconds of tracking per processed scan, one core.
"""
from __future__ import annotations

import argparse
import datetime
import time
from collections import defaultdict

import numpy as np
from scipy.stats import chi2

from tracker import frames
from tracker.config import TrackerConfig
from tracker.engine import Tracker
from tracker.recording import RecordingReader, Truth
from tracker.scan import Scan, Sensor
from tracker.scoring import RunScorer

GATE_PROBABILITY = 0.999
EPOCH = datetime.datetime(1970, 1, 1)


def read_window(path: str, start_s: float, end_s: float):
    """(header sensors, scans, truths) of the recording between start_s and end_s after its
    first scan."""
    scans, truths, t_first = [], [], None
    with RecordingReader(path) as reader:
        sensors = reader.header.sensors
        for record in reader:
            if isinstance(record, Scan):
                t_first = record.t if t_first is None else t_first
                if start_s <= record.t - t_first <= end_s:
                    scans.append(record)
            elif isinstance(record, Truth) and t_first is not None \
                    and start_s <= record.t - t_first <= end_s:
                truths.append(record)
    return sensors, scans, truths


def rotations(scans: list[Scan], sensors) -> list[tuple[float, str, list[tuple[float, Scan]]]]:
    """Each sensor's sector scans grouped into whole rotations of its ``period_s``:
    (time of the rotation's last sector, sensor, its scans), in time order."""
    groups: dict[tuple[str, int], list[Scan]] = defaultdict(list)
    first: dict[str, float] = {}
    for scan in scans:
        period = sensors[scan.sensor].period_s or 1e-9
        t0 = first.setdefault(scan.sensor, scan.t)
        groups[(scan.sensor, int(np.floor((scan.t - t0) / period + 1e-9)))].append(scan)
    out = [(max(s.t for s in group), sensor, group) for (sensor, _), group in groups.items()]
    return sorted(out, key=lambda r: r[0])


def _record(t: float, track_id: str, x: np.ndarray) -> dict:
    lat, lon, alt = frames.ecef_to_geodetic(x[None, :3])
    vel = frames.ecef_to_enu_vector(x[None, 3:], lat, lon)
    return {"type": "track", "t": t, "id": track_id, "status": "confirmed",
            "lat": float(np.degrees(lat[0])), "lon": float(np.degrees(lon[0])),
            "alt": float(alt[0]), "vel_enu": np.ravel(vel).tolist()}


def run_airtrack(sensors, scans, truths, config: TrackerConfig | None = None) -> dict:
    scorer = RunScorer(sensors=sensors)
    for truth in truths:
        scorer.add_truth(truth)

    def emit(record):
        scorer.add_track(record)

    tracker = Tracker(sensors, config or TrackerConfig(), emit)
    clock, seconds = time.perf_counter, 0.0
    for scan in scans:
        t0 = clock()
        tracker.submit(scan)
        seconds += clock() - t0
        if scan.site is not None:
            scorer.add_site(scan.sensor, scan.t, scan.site)
    t0 = clock()
    tracker.finish()
    seconds += clock() - t0
    return {"seconds": seconds, "scans": len(scans), **_scores(scorer)}


class StoneSoupTracker:
    """Stone Soup's parts (module docstring), one JPDA per sensor over shared tracks."""

    def __init__(self, sensors, q: float, delete_after_s: float):
        from stonesoup.dataassociator.neighbour import GNNWith2DAssignment
        from stonesoup.dataassociator.probability import JPDAwithEHM
        from stonesoup.dataassociator.tree import DetectionKDTreeMixIn
        from stonesoup.deleter.time import UpdateTimeDeleter
        from stonesoup.hypothesiser.distance import DistanceHypothesiser
        from stonesoup.hypothesiser.probability import PDAHypothesiser
        from stonesoup.initiator.simple import MultiMeasurementInitiator
        from stonesoup.measures import Mahalanobis
        from stonesoup.models.transition.linear import (CombinedLinearGaussianTransitionModel,
                                                        ConstantVelocity)
        from stonesoup.predictor.kalman import ExtendedKalmanPredictor
        from stonesoup.types.state import GaussianState
        from stonesoup.updater.kalman import ExtendedKalmanUpdater
        from stonesoup.updater.probability import PDAUpdater

        class KDTreeJPDAwithEHM(DetectionKDTreeMixIn, JPDAwithEHM):
            """JPDAwithEHM behind Stone Soup's k-d tree pre-gate."""

        transition = CombinedLinearGaussianTransitionModel([ConstantVelocity(q)] * 3)
        predictor = ExtendedKalmanPredictor(transition)
        updater = ExtendedKalmanUpdater(None)
        # the k-d tree pre-gate needs one measurement model for all of a scan's detections:
        # a fixed radar's; a moving radar's changes from sector to sector, and a position
        # feed's noise turns with each detection's local ENU, so those go without it
        self.associators = {}
        for sid, s in sensors.items():
            if s.kind == "los":
                continue
            hypothesiser = PDAHypothesiser(predictor, updater,
                                           clutter_spatial_density=s.clutter_density,
                                           prob_detect=s.pd, prob_gate=GATE_PROBABILITY)
            self.associators[sid] = KDTreeJPDAwithEHM(
                hypothesiser=hypothesiser, predictor=predictor, updater=updater,
                max_distance=10_000.0) if s.kind == "radar" and s.site is not None \
                else JPDAwithEHM(hypothesiser=hypothesiser)
        self.pda_updater = PDAUpdater(None)
        self.deleter = UpdateTimeDeleter(datetime.timedelta(seconds=delete_after_s))
        self.initiator = MultiMeasurementInitiator(
            prior_state=GaussianState(np.zeros(6), np.diag([0.0, 300.0 ** 2] * 3)),
            deleter=UpdateTimeDeleter(datetime.timedelta(seconds=25)),
            data_associator=GNNWith2DAssignment(
                hypothesiser=DistanceHypothesiser(
                    predictor, updater, Mahalanobis(),
                    missed_distance=float(np.sqrt(chi2.ppf(GATE_PROBABILITY, 4))))),
            updater=updater, min_points=2, skip_non_reversible=True)
        self.tracks: set = set()

    def step(self, sensor: str, detections: set, timestamp) -> set:
        associations = self.associators[sensor].associate(self.tracks, detections, timestamp)
        unassociated = set(detections)
        for track, hypotheses in associations.items():
            measured = [h for h in hypotheses if h]
            if measured:
                # the PDA gain comes from the missed-detection hypothesis's predicted
                # measurement, which needs a model: the likeliest detection's
                model = max(measured, key=lambda h: float(h.probability)).measurement \
                    .measurement_model
                track.append(self.pda_updater.update(hypotheses, measurement_model=model))
                unassociated.difference_update(h.measurement for h in measured)
            else:
                track.append(hypotheses[0].prediction)
        self.tracks -= self.deleter.delete_tracks(self.tracks)
        self.tracks |= self.initiator.initiate(unassociated, timestamp)
        return self.tracks


def _radar_model(cls, sensor: Sensor, site):
    """Stone Soup's radar model of ``sensor`` at ``site`` (rotation: the site's ENU axes)."""
    origin = np.ravel(frames.geodetic_to_ecef(site.lat_rad, site.lon_rad, site.alt_m))
    enu = frames.enu_rotation(site.lat_rad, site.lon_rad)
    velocity = np.zeros(3) if site.vel_enu is None else enu.T @ np.asarray(site.vel_enu)
    sig = sensor.sigma
    return cls(ndim_state=6, mapping=(0, 2, 4), velocity_mapping=(1, 3, 5),
               noise_covar=np.diag([sig["el"] ** 2, sig["az"] ** 2, sig["range"] ** 2,
                                    sig["rr"] ** 2]),
               translation_offset=origin[:, None], velocity=velocity[:, None], enu=enu)


def stonesoup_detections(sensor: Sensor, group: list[Scan]) -> set:
    """Stone Soup detections of one rotation's scans, each with its own time and model."""
    from stonesoup.base import Property
    from stonesoup.models.measurement.linear import LinearGaussian
    from stonesoup.models.measurement.nonlinear import CartesianToElevationBearingRangeRate
    from stonesoup.types.detection import Detection

    class SiteRadar(CartesianToElevationBearingRangeRate):
        """Stone Soup's radar model with the site's ENU axes as its rotation."""

        enu: np.ndarray = Property(doc="rows: the site's east, north, up in ECEF")

        @property
        def rotation_matrix(self) -> np.ndarray:
            return self.enu

    out = set()
    model = None
    for scan in group:
        timestamp = EPOCH + datetime.timedelta(seconds=scan.t)
        z = scan.detections
        if sensor.kind == "radar":
            if not scan.has_range_rate:
                continue            # every scenario radar here reports range-rate
            if model is None or scan.site is not None:   # a fixed radar: one per rotation
                model = _radar_model(SiteRadar, sensor, scan.site or sensor.site)
            for r, az, el, rr in z:
                bearing = np.pi / 2.0 - az
                bearing = (bearing + np.pi) % (2.0 * np.pi) - np.pi
                out.add(Detection(np.array([[el], [bearing], [r], [rr]]), timestamp=timestamp,
                                  measurement_model=model))
        elif sensor.kind == "position":
            lat, lon = z[:, 0], z[:, 1]
            pos = np.reshape(frames.geodetic_to_ecef(lat, lon, z[:, 2]), (-1, 3))
            rot = frames.enu_rotation(lat, lon)
            noise = np.diag([sensor.sigma["h"] ** 2] * 2 + [sensor.sigma["v"] ** 2])
            for p, R in zip(pos, np.reshape(rot, (-1, 3, 3))):
                model = LinearGaussian(ndim_state=6, mapping=(0, 2, 4),
                                       noise_covar=R.T @ noise @ R)
                out.add(Detection(p[:, None], timestamp=timestamp, measurement_model=model))
    return out


def run_stonesoup(sensors, scans, truths, q: float = 100.0, delete_after_s: float = 60.0
                  ) -> dict:
    scorer = RunScorer(sensors=sensors)
    for truth in truths:
        scorer.add_truth(truth)
    for scan in scans:
        if scan.site is not None:
            scorer.add_site(scan.sensor, scan.t, scan.site)
    tracker = StoneSoupTracker(sensors, q, delete_after_s)
    work = [(t, sid, stonesoup_detections(sensors[sid], group))
            for t, sid, group in rotations(scans, sensors) if sensors[sid].kind != "los"]
    names: dict = {}                     # Stone Soup track -> its id in the records
    last: dict = {}                      # ... and its latest record
    clock, seconds = time.perf_counter, 0.0
    for t, sid, detections in work:
        t0 = clock()
        tracks = tracker.step(sid, detections, EPOCH + datetime.timedelta(seconds=t))
        seconds += clock() - t0
        for track in tracks:
            name = names.setdefault(track, f"S{len(names) + 1}")
            state = track.states[-1]
            x = np.ravel(state.state_vector)[[0, 2, 4, 1, 3, 5]].astype(float)
            last[track] = _record(t, name, x)
            scorer.add_track(last[track])
        # a track Stone Soup deleted ends with a deleted record, as airtrack's do
        for track in [k for k in last if k not in tracks]:
            scorer.add_track({**last.pop(track), "t": t, "status": "deleted"})
    return {"seconds": seconds, "scans": len(work), **_scores(scorer)}


def _scores(scorer: RunScorer) -> dict:
    m = scorer.score()
    return {key: m[key] for key in ("gospa_mean_m", "missile_coverage_tracked",
                                    "aircraft_coverage_tracked", "ids_per_missile",
                                    "false_tracks_over_30s", "missile_position_rmse_m",
                                    "missile_best_sensor_rms_m")}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="stonesoup_multisensor",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("recording")
    parser.add_argument("--from", dest="start", type=float, default=1500.0,
                        help="window start, s after the first scan (default 1500)")
    parser.add_argument("--to", dest="end", type=float, default=2700.0,
                        help="window end, s after the first scan (default 2700)")
    parser.add_argument("--q", type=float, default=100.0,
                        help="Stone Soup's white-acceleration intensity per ECEF axis")
    parser.add_argument("--delete-after", type=float, default=60.0,
                        help="Stone Soup deletes a track without a detection for this long (s)")
    args = parser.parse_args(argv)
    sensors, scans, truths = read_window(args.recording, args.start, args.end)
    print(f"{args.recording}: {len(scans)} scans, {len(truths)} truth samples, "
          f"{args.start:.0f}-{args.end:.0f} s after the first scan")
    print("| tracker | s tracking | mean GOSPA (m) | missile coverage | aircraft coverage | "
          "ids / missile | false > 30 s | missile RMSE (m) | best sensor (m) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, result in (("airtrack", run_airtrack(sensors, scans, truths)),
                         ("stonesoup", run_stonesoup(sensors, scans, truths, args.q,
                                                     args.delete_after))):
        print(f"| {name} | {result['seconds']:.1f} | {result['gospa_mean_m']:.0f} | "
              f"{result['missile_coverage_tracked']:.3f} | "
              f"{result['aircraft_coverage_tracked']:.3f} | {result['ids_per_missile']:.2f} | "
              f"{result['false_tracks_over_30s']} | {result['missile_position_rmse_m'] or 0:.0f} | "
              f"{result['missile_best_sensor_rms_m'] or 0:.0f} |", flush=True)


if __name__ == "__main__":
    main()
