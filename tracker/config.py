"""Tracker settings: one documented place, loaded from ``--config FILE`` (YAML) over defaults.

Every number the tracker uses lives here with its default and one line of
doc (docs/config.md lists them). A config file sets any subset, e.g.::

    gate_probability: 0.999
    process_noise: {horizontal: 10.0, vertical: 1.0}
    sensor_defaults:
      radar: {pd: 0.8}

Recordings may omit a sensor's ``pd`` and ``clutter_density`` (DESIGN.md
requires only ``sigma``); then ``sensor_defaults`` of the sensor's kind
apply (a missing clutter density is estimated, with the default as its
prior: ``clutter``), and a header value always wins. ``summary.json`` records the
effective configuration.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, Mapping

from .errors import InputError


@dataclass(frozen=True)
class SensorDefaults:
    """What the tracker assumes of a sensor whose header does not say."""

    pd: float                  #: probability of detecting a tracked target inside coverage
    clutter_density: float     #: false detections per unit measurement volume (SI, radians)


def _default_sensor_defaults() -> dict[str, SensorDefaults]:
    return {
        # a surveillance radar: ~3 false alarms per rotation over 250 km x 2 pi x 0.8 rad
        # x 700 m/s of range-rate is ~3e-9 per m rad^2 (m/s); without range-rate, per m rad^2
        "radar": SensorDefaults(pd=0.8, clutter_density=3e-9),
        "radar_no_range_rate": SensorDefaults(pd=0.8, clutter_density=2e-6),
        # a satellite infrared sensor sees launches and impact flashes, not air targets:
        # a near-zero pd lets its detections update tracks without its misses eroding them
        "los": SensorDefaults(pd=0.02, clutter_density=1.0),
        # a geolocation feed: ~1 false report per 1,000 km x 1,000 km x 15 km
        "position": SensorDefaults(pd=0.9, clutter_density=1e-16),
    }


@dataclass(frozen=True)
class ProcessNoise:
    """White-acceleration intensities (m^2/s^3) in each track's local ENU frame."""

    horizontal: float = 100.0  #: sqrt(q / T) ~ 3 m/s^2 of white acceleration over a 10 s
    #: revisit, enough for a 250 m/s missile's 2 deg/s waypoint turn (~9 m/s^2) to stay in
    #: the 0.999 gate; straight flight would want ~10 (issue 6's IMM gives both)
    vertical: float = 1.0      #: climbs and dives are rarer and gentler than turns


@dataclass(frozen=True)
class Initiation:
    """How a detection no track claims starts a tentative track."""

    existence: float = 0.2                 #: existence of a new track (JIPDA birth)
    velocity_sigma_h_mps: float = 300.0    #: prior velocity sigma per horizontal axis
    velocity_sigma_v_mps: float = 15.0     #: prior vertical velocity sigma: air targets fly
    #: mostly level, and radar elevation is too coarse (0.3 deg is 200 m at 40 km) to
    #: learn a vertical speed from a few detections
    claimed_below: float = 0.5             #: a detection claimed with less probability is free
    #: a tentative track more uncertain than this is deleted (a confirmed one at
    #: ``max_position_sigma_m``): one radar detection (its range-rate gives the radial
    #: velocity) and a 300 m/s cross velocity sigma spread 5 km in 17 s, which left a
    #: target seen one scan in three (a far airborne radar's sea-skimmer) one revisit to
    #: be seen again; 15 km is ~50 s, four 10 s revisits (~35 s without range-rate)
    max_position_sigma_m: float = 15_000.0


@dataclass(frozen=True)
class CrossSection:
    """Each track's radar cross-section, learned, for its Pd at any radar and range.

    Used, when enabled, for the radars whose header gives ``r50_m``
    (``tracker.cross_section``, docs/tracker.md "Detection probability"); the
    others learn a pd per sensor.
    """

    #: off: a track that knows its pd is low keeps its existence through misses, and
    #: while the IMM's coasting mixture drifts (docs/imm.md) such a track stays
    #: confirmed off its target (dense-raid: 1.99 ids per missile and 39 false tracks
    #: against 1.82 and 24, coverage unchanged)
    enabled: bool = False
    #: the grid of cross-sections, log-spaced, with a log-uniform prior: from a small
    #: drone or a sea-skimming missile's nose (0.01 m^2) to a wide-body airliner's side
    min_m2: float = 0.01
    max_m2: float = 1000.0
    bins: int = 21                          #: 2.5 dB apart
    #: a look weighs 1 - 1/this at the next look (in log-likelihood): aspect changes
    memory_looks: float = 40.0
    #: what a header with ``r50_m`` but not the rest is taken to mean
    rcs_ref_m2: float = 1.0
    swerling: int = 1
    pfa: float = 1e-6


@dataclass(frozen=True)
class Detection:
    """Each track's own detection probability per sensor, learned from its record."""

    #: weight, in looks, of the Beta prior of a track's pd: its mean is what the sensor's
    #: confirmed tracks show (``population_*``), not the header's coverage average
    prior_looks: float = 4.0
    #: a look weighs 1 - 1/this at the next look: the estimate follows a target across
    #: ranges and aspects (40 looks: ~7 min at a 10 s revisit); 0: the sensor's pd as is
    memory_looks: float = 40.0
    #: the prior's mean per sensor: the hit rate of its looks at confirmed tracks, over a
    #: Beta prior worth this many looks at the header's pd (a coverage average for a
    #: typical target, ~0.25 for a radar's 1 m^2, while the targets it tracks are seen
    #: nearly every rotation: an airliner's track held at ~0.86 outlived its target by
    #: four misses)
    population_looks: float = 10.0
    #: ... remembering this many looks (a few minutes of a busy radar's picture)
    population_memory_looks: float = 2000.0
    #: radars whose header gives r50_m: Pd from the radar equation and the track's
    #: learned cross-section, not from the looks and hits above
    cross_section: CrossSection = field(default_factory=CrossSection)
    #: prior probability that a sensor can detect a target it covers at all, until it has:
    #: a cooperative-only feed never reports a missile, so its misses must not erase a
    #: new missile track; 1 trusts the sensor's pd from the first look
    visible_prior: float = 0.5


@dataclass(frozen=True)
class Imm:
    """The modes every track carries (``tracker.imm``, docs/imm.md), with their noise.

    Off (``enabled: false``), each track is a single nearly-constant-velocity
    filter with the top-level ``process_noise``.
    """

    enabled: bool = True
    #: straight flight: an airliner or a cruise missile between waypoints; low enough that
    #: velocity is known to ~1 m/s (two missiles 10 m/s apart overtaking 300 m from one
    #: another keep their tracks), the turn and vertical modes take the manoeuvres
    straight: ProcessNoise = field(default_factory=lambda: ProcessNoise(1.0, 0.1))
    turn_rate_deg_s: float = 3.0           #: the coordinated-turn modes' rate, right and left
    #: (standard rate); their noise covers 1-5 deg/s at 250 m/s: a rate error dw is an
    #: acceleration v dw (8.7 m/s^2 for 2 deg/s) that stays in the gate over a 10 s
    #: revisit when q >= 3 (v dw T^2 / 5)^2 / T^3, about 90
    turn: ProcessNoise = field(default_factory=lambda: ProcessNoise(100.0, 1.0))
    #: pop-ups, terminal dives and failures: sqrt(q / T) = 24 m/s^2 vertical over 5 s
    vertical: ProcessNoise = field(default_factory=lambda: ProcessNoise(10.0, 3000.0))
    straight_sojourn_s: float = 120.0      #: mean time in each mode before a switch
    turn_sojourn_s: float = 30.0
    vertical_sojourn_s: float = 20.0
    probability_floor: float = 1e-4        #: no mode probability falls below this
    #: a confirmed track's gate is the union of its modes' gates (``gating.gate_union``),
    #: not the combination's alone: a manoeuvre's first detection is then offered to the
    #: mode that can explain it
    union_gate: bool = True
    #: the vertical mode is a missile's (pop-ups, terminal dives, failures): a track's
    #: switches into it are scaled by 1 - p_aircraft (1 - this), p_aircraft its
    #: classification's probability of ``aircraft``: an airliner climbs and descends
    #: within the other modes' vertical noise, and a far radar's coarse elevation
    #: (0.5 deg: 2.6 km at 300 km) would otherwise keep its height wandering by km
    aircraft_vertical_entry: float = 0.0


@dataclass(frozen=True)
class Relink:
    """Lost confirmed tracks, kept to give their id back to the target when it reappears."""

    max_gap_s: float = 1200.0              #: a lost track waits this long (s) for its target:
    #: a cruise missile crosses 300 km of uncovered ground in 20 min; 0 turns re-linking off
    gate_probability: float = 0.999        #: of the 6-D state gate between a lost track's
    #: prediction and a newly confirmed track
    #: white acceleration of a target in cruise, for predicting lost tracks over minutes:
    #: the tracker's own noise is sized for turns within a revisit, and over 10 min its
    #: gate would take in every target for 100 km around
    process_noise: ProcessNoise = field(
        default_factory=lambda: ProcessNoise(horizontal=10.0, vertical=0.1))
    #: white acceleration along the direction of flight (m^2/s^3) of a lost target, its
    #: speed changes: a cruise missile or an airliner holds its speed (0.1: a 1-sigma
    #: change of 10 m/s over 1,000 s) and turns (process_noise.horizontal is across it)
    speed_noise: float = 0.1
    #: a re-linked track is a reference for a lost one that trails it along its path by at
    #: most this (s): its measured offset stands in for the common manoeuvre (tracker/relink)
    reference_max_lag_s: float = 300.0
    #: ... whose prediction lies this close (m) to the reference's predicted line
    reference_max_cross_track_m: float = 3000.0
    #: ... and whose velocity differs from the reference's by at most this (m/s)
    reference_max_velocity_difference_mps: float = 30.0
    #: lost tracks whose likelihoods for a new track are within this ratio of the best are
    #: told apart by the order they were lost in (the earliest first), not by kinematics;
    #: 1: the most likely always (members of a column that do not come back, having
    #: crashed or flown to other targets, would otherwise pass their ids down the column)
    tie_likelihood_ratio: float = 1.0
    #: a lost track's existence is kept this much per second of its gap (tracker/resume):
    #: the Markov survival of IPDA over minutes unseen (0.999: 0.74 after 5 min, 0.30
    #: after the 20 min of max_gap_s)
    survival_per_s: float = 0.999
    #: a lost track whose cruise prediction's position sigma (sqrt of the trace) is at
    #: most this (m) takes part in association, and its target's detections resume it
    #: (tracker/resume); 0, the default: lost tracks wait for re-linking only (20 km, ~7
    #: min of cruise noise, raised coverage but also false tracks: docs/tracker.md)
    resume_max_position_sigma_m: float = 0.0
    #: ... and it resumes on a detection it owns with at least this probability (given
    #: that it exists), its existence at least confirm_existence and its gate sharing no
    #: detection with another lost track's (a column's common error: tracker/resume)
    resume_association_probability: float = 0.9


@dataclass(frozen=True)
class Merge:
    """Two confirmed tracks on one target become one (tracker/merge.py)."""

    gate_probability: float = 0.99         #: of the 6-D track-to-track gate
    min_duration_s: float = 10.0           #: the pair stays a pair this long (s); < 0: never
    check_period_s: float = 5.0            #: how often the check runs (s)


@dataclass(frozen=True)
class KinematicBox:
    """One flight regime of a class: uniform over height, ground speed and climb rate.

    A class's kinematic likelihood is a weighted mixture of its boxes
    (``tracker.classify``). Heights are above the surface; speeds horizontal.
    """

    weight: float
    height_m: tuple = (0.0, 1.0)           #: [min, max] height above the surface (m)
    speed_mps: tuple = (0.0, 1.0)          #: [min, max] horizontal speed (m/s)
    climb_mps: tuple = (-1.0, 1.0)         #: [min, max] vertical speed (m/s, + up)


@dataclass(frozen=True)
class Classification:
    """What a cruise missile and an aircraft look like, kinematically (``tracker.classify``).

    Defaults from public descriptions, not from any scenario: a subsonic
    land-attack cruise missile cruises at 0.6-0.9 Mach, 10-300 m above the
    surface, pops up and dives on its target; an airliner cruises at 7-13.5 km
    (FL230-FL440), climbs and descends at up to ~25 m/s, and below ~3 km
    (FL100) flies at most 250 kt (128 m/s, ICAO Doc 4444 / FAA 91.117) plus
    margin. What fits neither is ``unknown``.
    """

    #: cruise: low and fast, nearly level
    missile_cruise: KinematicBox = field(default_factory=lambda: KinematicBox(
        0.8, (0.0, 600.0), (180.0, 320.0), (-40.0, 40.0)))
    #: pop-up, terminal dive, zoom and glide after a failure
    missile_manoeuvre: KinematicBox = field(default_factory=lambda: KinematicBox(
        0.2, (0.0, 3000.0), (90.0, 340.0), (-300.0, 120.0)))
    aircraft_cruise: KinematicBox = field(default_factory=lambda: KinematicBox(
        0.7, (6000.0, 13500.0), (150.0, 290.0), (-15.0, 15.0)))
    aircraft_climb: KinematicBox = field(default_factory=lambda: KinematicBox(
        0.25, (2500.0, 12000.0), (110.0, 270.0), (-25.0, 25.0)))
    #: below FL100: the 250 kt limit, approach and departure
    aircraft_low: KinematicBox = field(default_factory=lambda: KinematicBox(
        0.05, (0.0, 3500.0), (50.0, 150.0), (-15.0, 20.0)))
    #: anything an air target can do
    unknown: KinematicBox = field(default_factory=lambda: KinematicBox(
        1.0, (0.0, 30000.0), (0.0, 1200.0), (-400.0, 400.0)))
    prior_missile: float = 0.2             #: prior class probabilities (normalised)
    prior_aircraft: float = 0.4
    prior_unknown: float = 0.4
    decide_probability: float = 0.9        #: a track is given a class at this posterior
    #: evidence fades over this time (s): a track's kinematics over the last minute or so
    #: decide, and a misclassified start does not stick
    memory_s: float = 60.0
    #: independent looks the evidence of a full memory is worth. A track's estimate fuses
    #: its whole past and its errors persist for minutes (a far radar's height bias), so a
    #: new detection is not a new independent sample: 1 makes the evidence a fading
    #: average of what each estimate says; more trusts repetition, and lets a persistent
    #: height error grow into certainty
    looks_per_memory: float = 1.0
    #: a track's evidence is updated at most this often (s): its kinematics change little
    #: in seconds, and a track several sensors see would otherwise pay at every detection
    min_interval_s: float = 10.0


@dataclass(frozen=True)
class Clutter:
    """Clutter density estimated online where a header gives none (``tracker.clutter``)."""

    enabled: bool = True                   #: false: ``sensor_defaults`` as they are, no estimate
    header_wins: bool = True               #: false: estimate even when a header gives a density
    #: (the header's value is then the prior)
    #: weight of the prior (the header's or ``sensor_defaults``' density), in looks at the
    #: sensor's whole volume; with the memory it bounds the prior's pull to a / (memory + a)
    prior_looks: float = 1.0
    #: a look at the whole volume weighs 1 - 1/this at the next (100: ~17 min of a 10 s
    #: rotation), so the estimate follows clutter that changes over tens of minutes
    memory_looks: float = 100.0
    #: a map cell's prior, in looks at that cell, is the sensor-wide estimate: a cell follows
    #: its own count only once it has seen several times this (shrinkage to the mean)
    map_prior_looks: float = 5.0
    map_floor: float = 0.1                 #: no cell below this fraction of the sensor-wide value
    radar_range_cells: int = 4             #: a radar's map: rings of equal range ...
    radar_azimuth_cells: int = 16          #: ... times sectors of equal azimuth
    position_cells: int = 4                #: a position feed's map: its region, cells a side
    #: extents a header may not give (a radar's ``range_max_m`` and ``el_band_deg``, the span
    #: of its false alarms' range-rates ``clutter_rr_max_mps``, a feed's altitudes)
    radar_range_max_m: float = 250_000.0
    radar_el_min_deg: float = -1.0
    radar_el_max_deg: float = 45.0
    range_rate_span_mps: float = 700.0
    position_alt_min_m: float = 0.0
    position_alt_max_m: float = 15_000.0


@dataclass(frozen=True)
class TrackerConfig:
    """Every setting of the tracker, with its default."""

    gate_probability: float = 0.999        #: probability a target's detection falls in its gate
    survival_per_s: float = 0.9995         #: existence kept per second without evidence
    confirm_existence: float = 0.9         #: a tentative track confirms at this existence
    confirm_updates: int = 2               #: ... and after this many detections: two radar
    #: positions (with range-rate) or two geolocated positions make the velocity observable
    delete_existence: float = 0.03         #: a track is deleted below this existence
    report_existence: float = 0.5          #: a confirmed track below this existence is
    #: reported as tentative (more likely gone than there) until it recovers or is deleted
    max_position_sigma_m: float = 5_000.0  #: a track more uncertain than this is deleted
    #: (with the default process noise, ~70 s unobserved: 2 q t^3 / 3 = sigma^2; a 60 s
    #: coverage gap survives)
    min_altitude_m: float = -500.0         #: a track this far below the ellipsoid is deleted
    impact_prior: float = 1e-3             #: prior probability that a confirmed track's target
    #: comes down within one scan of a flash-seeing (infrared) sensor; the flash's
    #: likelihood decides, this only weighs it against a false alarm (tracker.flashes)
    impact_sigmas: float = 3.0             #: a track predicted below min_target_altitude_m by
    #: more than this many sigma of its height has come down (impact, crash): deleted
    min_target_altitude_m: float = 0.0     #: air targets fly above this height (m above the
    #: ellipsoid): an updated estimate below it is projected onto it
    coverage_altitude_sigmas: float = 3.0  #: a track whose height, raised this many sigma,
    #: clears a radar's horizon may take that radar's detections (no miss counted)
    output_period_s: float = 5.0           #: every live track gets a record this often
    out_of_order_lag_s: float = 2.0        #: scans are held this long for late arrivals
    exact_cluster_tracks: int = 12         #: larger clusters use the approximate association
    process_noise: ProcessNoise = field(default_factory=ProcessNoise)
    initiation: Initiation = field(default_factory=Initiation)
    detection: Detection = field(default_factory=Detection)
    relink: Relink = field(default_factory=Relink)
    merge: Merge = field(default_factory=Merge)
    imm: Imm = field(default_factory=Imm)
    classification: Classification = field(default_factory=Classification)
    clutter: Clutter = field(default_factory=Clutter)
    sensor_defaults: Mapping[str, SensorDefaults] = field(
        default_factory=_default_sensor_defaults)

    def __post_init__(self):
        for name in ("gate_probability", "survival_per_s", "confirm_existence",
                     "delete_existence", "report_existence"):
            value = getattr(self, name)
            if not 0.0 < value < 1.0:
                raise InputError(f"{value} must lie in (0, 1)", field=name)
        if not self.delete_existence < self.confirm_existence:
            raise InputError("must be below confirm_existence", field="delete_existence")
        if not self.delete_existence <= self.report_existence <= self.confirm_existence:
            raise InputError("must lie between delete_existence and confirm_existence",
                             field="report_existence")
        for name in ("min_altitude_m", "min_target_altitude_m"):
            if not math.isfinite(getattr(self, name)):
                raise InputError(f"{getattr(self, name)} must be a finite number", field=name)
        if not 0.0 <= self.impact_prior < 1.0:
            raise InputError(f"{self.impact_prior} must lie in [0, 1)", field="impact_prior")
        if not (math.isfinite(self.impact_sigmas) and self.impact_sigmas >= 0):
            raise InputError(f"{self.impact_sigmas} must be >= 0", field="impact_sigmas")
        if not (math.isfinite(self.coverage_altitude_sigmas) and self.coverage_altitude_sigmas >= 0):
            raise InputError(f"{self.coverage_altitude_sigmas} must be >= 0",
                             field="coverage_altitude_sigmas")
        for name in ("max_position_sigma_m", "output_period_s"):
            if not (math.isfinite(getattr(self, name)) and getattr(self, name) > 0):
                raise InputError(f"{getattr(self, name)} must be a positive number", field=name)
        if not (math.isfinite(self.out_of_order_lag_s) and self.out_of_order_lag_s >= 0):
            raise InputError(f"{self.out_of_order_lag_s} must be >= 0", field="out_of_order_lag_s")
        if self.confirm_updates < 1:
            raise InputError("must be at least 1", field="confirm_updates")
        if self.exact_cluster_tracks < 1:
            raise InputError("must be at least 1", field="exact_cluster_tracks")
        for name in ("horizontal", "vertical"):
            if not getattr(self.process_noise, name) >= 0:
                raise InputError("must be >= 0", field=f"process_noise.{name}")
        for name in ("prior_looks", "population_looks"):
            if not (math.isfinite(getattr(self.detection, name))
                    and getattr(self.detection, name) > 0):
                raise InputError("must be > 0", field=f"detection.{name}")
        if not (math.isfinite(self.detection.population_memory_looks)
                and self.detection.population_memory_looks >= 1):
            raise InputError("must be at least 1", field="detection.population_memory_looks")
        if not (math.isfinite(self.detection.memory_looks) and (
                self.detection.memory_looks == 0 or self.detection.memory_looks >= 1)):
            raise InputError("must be 0 or at least 1", field="detection.memory_looks")
        cs = self.detection.cross_section
        if not (math.isfinite(cs.min_m2) and math.isfinite(cs.max_m2) and 0 < cs.min_m2 < cs.max_m2):
            raise InputError("need 0 < min_m2 < max_m2", field="detection.cross_section.min_m2")
        if not 2 <= cs.bins <= 200:
            raise InputError("must lie in [2, 200]", field="detection.cross_section.bins")
        if not (math.isfinite(cs.memory_looks) and (cs.memory_looks == 0 or cs.memory_looks >= 1)):
            raise InputError("must be 0 or at least 1", field="detection.cross_section.memory_looks")
        if not (math.isfinite(cs.rcs_ref_m2) and cs.rcs_ref_m2 > 0):
            raise InputError("must be > 0", field="detection.cross_section.rcs_ref_m2")
        if cs.swerling not in (0, 1, 2, 3, 4):
            raise InputError("must be 0 to 4", field="detection.cross_section.swerling")
        if not 0.0 < cs.pfa < 0.5:
            raise InputError("must lie in (0, 0.5)", field="detection.cross_section.pfa")
        if not 0.0 < self.detection.visible_prior <= 1.0:
            raise InputError("must lie in (0, 1]", field="detection.visible_prior")
        if not (math.isfinite(self.relink.max_gap_s) and self.relink.max_gap_s >= 0):
            raise InputError("must be >= 0", field="relink.max_gap_s")
        for name in ("horizontal", "vertical"):
            if not getattr(self.relink.process_noise, name) >= 0:
                raise InputError("must be >= 0", field=f"relink.process_noise.{name}")
        for name in ("straight", "turn", "vertical"):
            for axis in ("horizontal", "vertical"):
                value = getattr(getattr(self.imm, name), axis)
                if not (math.isfinite(value) and value >= 0):
                    raise InputError("must be >= 0", field=f"imm.{name}.{axis}")
        for name in ("straight_sojourn_s", "turn_sojourn_s", "vertical_sojourn_s"):
            if not getattr(self.imm, name) > 0:
                raise InputError("must be > 0", field=f"imm.{name}")
        if not math.isfinite(self.imm.turn_rate_deg_s):
            raise InputError("must be a finite number", field="imm.turn_rate_deg_s")
        if not 0.0 < self.imm.probability_floor < 0.25:
            raise InputError("must lie in (0, 0.25)", field="imm.probability_floor")
        if not 0.0 <= self.imm.aircraft_vertical_entry <= 1.0:
            raise InputError("must lie in [0, 1]", field="imm.aircraft_vertical_entry")
        if not 0.0 < self.relink.survival_per_s <= 1.0:
            raise InputError("must lie in (0, 1]", field="relink.survival_per_s")
        if not 0.5 <= self.relink.resume_association_probability <= 1.0:
            raise InputError("must lie in [0.5, 1]", field="relink.resume_association_probability")
        for name in ("speed_noise", "reference_max_lag_s", "reference_max_cross_track_m",
                     "reference_max_velocity_difference_mps", "resume_max_position_sigma_m"):
            if not (math.isfinite(getattr(self.relink, name)) and getattr(self.relink, name) >= 0):
                raise InputError("must be a number >= 0", field=f"relink.{name}")
        if not (math.isfinite(self.relink.tie_likelihood_ratio)
                and self.relink.tie_likelihood_ratio >= 1.0):
            raise InputError("must be a number >= 1", field="relink.tie_likelihood_ratio")
        if not 0.0 < self.merge.gate_probability < 1.0:
            raise InputError("must lie in (0, 1)", field="merge.gate_probability")
        if not math.isfinite(self.merge.min_duration_s):
            raise InputError("must be a number", field="merge.min_duration_s")
        if not (math.isfinite(self.merge.check_period_s) and self.merge.check_period_s >= 0):
            raise InputError("must be a number >= 0", field="merge.check_period_s")
        if not 0.0 < self.relink.gate_probability < 1.0:
            raise InputError("must lie in (0, 1)", field="relink.gate_probability")
        c = self.clutter
        for name in ("prior_looks", "map_prior_looks", "radar_range_max_m",
                     "range_rate_span_mps"):
            if not (math.isfinite(getattr(c, name)) and getattr(c, name) > 0):
                raise InputError("must be a number > 0", field=f"clutter.{name}")
        if not (math.isfinite(c.memory_looks) and c.memory_looks > 1):
            raise InputError("must be a number > 1", field="clutter.memory_looks")
        if not 0.0 <= c.map_floor <= 1.0:
            raise InputError("must lie in [0, 1]", field="clutter.map_floor")
        for name in ("radar_range_cells", "radar_azimuth_cells", "position_cells"):
            if getattr(c, name) < 1:
                raise InputError("must be at least 1", field=f"clutter.{name}")
        for low, high in (("radar_el_min_deg", "radar_el_max_deg"),
                          ("position_alt_min_m", "position_alt_max_m")):
            if not getattr(c, low) < getattr(c, high):
                raise InputError(f"must be below clutter.{high}", field=f"clutter.{low}")
        if not (math.isfinite(self.initiation.max_position_sigma_m)
                and self.initiation.max_position_sigma_m > 0):
            raise InputError("must be a positive number", field="initiation.max_position_sigma_m")
        if not 0.0 < self.initiation.existence < 1.0:
            raise InputError("must lie in (0, 1)", field="initiation.existence")
        _check_classification(self.classification)
        for kind, d in self.sensor_defaults.items():
            if not 0.0 <= d.pd <= 1.0:
                raise InputError("must lie in [0, 1]", field=f"sensor_defaults.{kind}.pd")
            if not d.clutter_density > 0:
                raise InputError("must be > 0", field=f"sensor_defaults.{kind}.clutter_density")

    def as_json(self) -> dict:
        """The effective configuration as plain JSON values (for summary.json)."""
        return asdict(self)


def _check_classification(c: Classification) -> None:
    for f in fields(c):
        value = getattr(c, f.name)
        where = f"classification.{f.name}"
        if isinstance(value, KinematicBox):
            if not (math.isfinite(value.weight) and value.weight >= 0):
                raise InputError("must be a number >= 0", field=f"{where}.weight")
            for axis in ("height_m", "speed_mps", "climb_mps"):
                span = getattr(value, axis)
                if not (len(span) == 2 and all(math.isfinite(v) for v in span)
                        and span[0] < span[1]):
                    raise InputError(f"expected [min, max] with min < max, got {list(span)}",
                                     field=f"{where}.{axis}")
        elif f.name.startswith("prior_"):
            if not (math.isfinite(value) and value > 0):
                raise InputError("must be > 0", field=where)
        elif f.name == "min_interval_s":
            if not (math.isfinite(value) and value >= 0):
                raise InputError("must be a number >= 0", field=where)
        elif f.name == "decide_probability":
            if not 0.5 <= value < 1.0:
                raise InputError("must lie in [0.5, 1)", field=where)
        elif not (math.isfinite(value) and value > 0):
            raise InputError("must be > 0", field=where)
    for name in ("missile", "aircraft"):
        if sum(getattr(c, f.name).weight for f in fields(c)
               if f.name.startswith(name + "_") and isinstance(getattr(c, f.name),
                                                                KinematicBox)) <= 0:
            raise InputError("the class's boxes weigh nothing", field=f"classification.{name}_*")


def _merge(default: Any, given: Any, where: str) -> Any:
    """``default`` (a dataclass or mapping of them) updated from the plain ``given``."""
    if not isinstance(given, Mapping):
        raise InputError(f"expected a mapping, got {type(given).__name__}", field=where or None)
    if is_dataclass(default):
        known = {f.name: f for f in fields(default)}
        changes = {}
        for key, value in given.items():
            path = f"{where}.{key}" if where else str(key)
            if key not in known:
                raise InputError(f"unknown setting (known: {', '.join(known)})", field=path)
            current = getattr(default, key)
            if is_dataclass(current) or isinstance(current, Mapping):
                changes[key] = _merge(current, value, path)
            elif isinstance(current, tuple):
                if not (isinstance(value, list) and len(value) == len(current) and all(
                        isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
                    raise InputError(f"expected a list of {len(current)} numbers, got {value!r}",
                                     field=path)
                changes[key] = tuple(float(v) for v in value)
            elif isinstance(current, bool):
                if not isinstance(value, bool):
                    raise InputError(f"expected true or false, got {value!r}", field=path)
                changes[key] = value
            elif not isinstance(value, (int, float)) or isinstance(value, bool):
                raise InputError(f"expected a number, got {value!r}", field=path)
            else:
                changes[key] = type(current)(value)
        return replace(default, **changes)
    merged = dict(default)                      # sensor_defaults: kind -> SensorDefaults
    for key, value in given.items():
        path = f"{where}.{key}"
        base = merged.get(key, SensorDefaults(pd=0.8, clutter_density=1e-9))
        merged[key] = _merge(base, value, path)
    return merged


def load_config(path: str | Path | None) -> TrackerConfig:
    """The defaults, overridden by the YAML file at ``path`` when given."""
    if path is None:
        return TrackerConfig()
    import yaml

    try:
        text = Path(path).read_text()
    except OSError as e:
        raise InputError(e.strerror or str(e), path=str(path)) from None
    try:
        given = yaml.safe_load(text) or {}
    except yaml.YAMLError as e:
        line = getattr(getattr(e, "problem_mark", None), "line", None)
        raise InputError(f"not YAML: {getattr(e, 'problem', e)}", path=str(path),
                         line=None if line is None else line + 1) from None
    try:
        return _merge(TrackerConfig(), given, "")
    except InputError as e:
        raise e.located(path=str(path)) from None
