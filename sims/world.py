"""The simulated world: a scenario's flights seen by its sensors, as a recording.

:func:`simulate` flies every flight of a scenario, builds its sensors, and
returns the recording's :class:`tracker.recording.Header` with an iterator over
the records in time order: every sensor's scans, the truth of every flying
object at the scenario's truth rate (with ``seen_by``: the sensors whose
coverage held it, DESIGN.md) and the launch, failure and impact events.

Randomness: one :class:`numpy.random.SeedSequence` from the seed, spawned
into one stream for the flights and one per sensor, so the same seed gives
the same recording, and adding a sensor leaves the others' draws unchanged.
"""
from __future__ import annotations

import heapq
import math
from typing import Iterator

import numpy as np

from tracker import frames
from tracker.errors import InputError
from tracker.recording import Event, Header, Truth
from tracker.scan import Scan

from .flights import Trajectories, simulate_flights
from .scenario import Scenario
from .sensors import InfraredSatellite, SimSensor, build_sensor, header_description


def build_sensors(scenario: Scenario) -> list[SimSensor]:
    """The scenario's sensors, each checked; an error names the file, line and field.

    A satellite's line-of-sight floor depends on where it looks: it is checked
    at every point the scenario's missiles fly through (launch, waypoints, target).
    """
    route = [p for f in scenario.flights for p in (f.origin, *f.waypoints, f.target) if p]
    lat, lon = np.array([p.lat for p in route]), np.array([p.lon for p in route])
    sensors = []
    for spec in scenario.sensors:
        try:
            sensor = build_sensor(spec.spec, spec.field)
            if isinstance(sensor, InfraredSatellite) and route:
                sensor.check_floor(lat, lon, spec.field)
        except InputError as err:
            raise scenario.locate(err) from None
        sensors.append(sensor)
    return sensors


def header(scenario: Scenario, sensors: list[SimSensor], seed: int,
           end: float) -> Header:
    """The recording's line 1: sensors, surface, expectations and provenance."""
    return Header(
        sensors={s.id: header_description(s) for s in sensors},
        surface=dict(scenario.surface),
        scenario={"name": scenario.name, "seed": seed, "start": scenario.start,
                  "end": end, "truth_period_s": scenario.truth_period_s},
        expect=scenario.expect,
    )


def truth_records(traj: Trajectories, sensors: list[SimSensor], start: float, end: float,
                  period_s: float) -> Iterator[Truth]:
    """Truth of every flying object every ``period_s``, with the sensors that covered it."""
    n_steps = int(math.floor((end - start) / period_s + 1e-9)) + 1
    for k in range(n_steps):
        t = start + k * period_s
        pos, vel, alive, boosting = traj.at(t)
        flying = np.flatnonzero(alive)
        if flying.size == 0:
            continue
        pos, vel, boosting = pos[flying], vel[flying], boosting[flying]
        kinds = traj.kinds[flying]
        covered = np.stack([s.coverage(pos, t, traj.rcs_m2[flying], boosting, kinds)
                            for s in sensors]) if sensors else np.zeros((0, flying.size), bool)
        lat, lon, alt = frames.ecef_to_geodetic(pos)
        vel_enu = frames.ecef_to_enu_vector(vel, lat, lon)
        ids = [s.id for s in sensors]
        for j, i in enumerate(flying):
            yield Truth(t=t, id=traj.ids[i], kind=str(kinds[j]), lat_rad=float(lat[j]),
                        lon_rad=float(lon[j]), alt_m=float(alt[j]),
                        vel_enu=tuple(float(v) for v in vel_enu[j]),
                        seen_by=tuple(ids[s] for s in np.flatnonzero(covered[:, j])))


def simulate(scenario: Scenario, seed: int | None = None,
             duration_s: float | None = None) -> tuple[Header, Iterator[Scan | Truth | Event]]:
    """Fly the scenario; its header and its records in time order.

    ``seed`` replaces the scenario's; ``duration_s`` shortens it (the first
    ``duration_s`` seconds, e.g. for quick tests).
    """
    seed = scenario.seed if seed is None else int(seed)
    end = scenario.end if duration_s is None else min(scenario.end,
                                                       scenario.start + float(duration_s))
    sensors = build_sensors(scenario)
    streams = np.random.SeedSequence(seed).spawn(1 + len(sensors))
    traj = simulate_flights(scenario, np.random.default_rng(streams[0]), end=end)

    scans = [s.scans(traj, scenario.start, end, np.random.default_rng(stream))
             for s, stream in zip(sensors, streams[1:])]
    truth = truth_records(traj, sensors, scenario.start, end, scenario.truth_period_s)
    events = iter(sorted((e for e in traj.events if e.t <= end), key=lambda e: e.t))
    # at equal times: events, then scans, then truth (a scan may show an impact's flash)
    ranked = [((0, e) for e in events)] + [((1, s) for s in stream) for stream in scans] \
        + [((2, r) for r in truth)]
    merged = heapq.merge(*ranked, key=lambda item: (item[1].t, item[0]))
    return header(scenario, sensors, seed, end), (record for _, record in merged)
