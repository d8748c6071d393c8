"""Simulated sensors: a scenario's sensor dictionaries -> components that report Scans.

:func:`build_sensor` checks one sensor dictionary of a scenario (every field,
and the realism floors of SCENARIO.md) and returns a :class:`SimSensor`:

* ``id``: the sensor id;
* ``description``: its :class:`tracker.scan.Sensor` for the recording header
  (internal units: radians, SI; ``clutter_density`` consistent with the
  false alarms it generates);
* ``scans(traj, t_start, t_end, rng)``: its :class:`tracker.scan.Scan` s over
  [t_start, t_end] in time order, every random number from ``rng``;
  ``detection_ids`` name the truth flight (or the impacting flight, for a
  flash) of each detection and ``None`` for a false alarm: truth, for
  evaluation only;
* ``coverage(pos, t, rcs_m2, boosting, kinds=None)``: which objects (alive,
  ECEF (N, 3)) are inside its coverage with Pd >= 0.1 at ``t`` (the
  recording's truth ``seen_by``);
* ``header_omits``: the optional header fields (``pd``, ``clutter_density``)
  that the recording leaves out for it, from the scenario's ``header_omits``
  (DESIGN.md lets a recording omit them; the tracker then uses its defaults).
  :func:`header_description` is the header entry without them.

Kinds (``kind`` in the scenario): ``ground_radar``, ``airborne_radar``,
``infrared_satellite``, ``position``. The models and the accepted fields are
in ``docs/sensors.md``.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterator, Protocol

import numpy as np

from tracker.scan import Scan, Sensor

from .airborne import AirborneRadar, Racetrack
from .infrared import InfraredSatellite
from .position import PositionFeed
from .radar import GroundRadar, SurveillanceRadar
from .radar_equation import RadarDetection, single_look_pd
from .spec import SpecReader

__all__ = ["SimSensor", "build_sensor", "header_description", "HEADER_OMISSIBLE", "SENSOR_KINDS", "GroundRadar", "AirborneRadar",
           "InfraredSatellite", "PositionFeed", "Racetrack", "RadarDetection",
           "SurveillanceRadar", "single_look_pd"]

#: scenario ``kind`` -> the class that reads it
SENSOR_KINDS = {
    "ground_radar": GroundRadar,
    "airborne_radar": AirborneRadar,
    "infrared_satellite": InfraredSatellite,
    "position": PositionFeed,
}

#: header fields a scenario may leave out of the recording (DESIGN.md: "Optional")
HEADER_OMISSIBLE = ("pd", "clutter_density")


class SimSensor(Protocol):
    """What every simulated sensor offers (module docstring)."""

    id: str
    header_omits: tuple[str, ...]

    @property
    def description(self) -> Sensor: ...

    def scans(self, traj, t_start: float, t_end: float,
              rng: np.random.Generator) -> Iterator[Scan]: ...

    def coverage(self, pos, t: float, rcs_m2, boosting, kinds=None) -> np.ndarray: ...


def build_sensor(spec: Any, path: str) -> SimSensor:
    """The sensor described by one scenario dictionary, every field checked.

    Parameters
    ----------
    spec : dict
        The sensor's dictionary from the scenario file.
    path : str
        Its field path, e.g. ``"sensors[2]"``; errors name fields below it.

    Raises
    ------
    InputError
        ``field`` is the path of the bad field, e.g.
        ``sensors[2].sigma.az_deg: 0.05 is below the realism floor 0.1 (SCENARIO.md)``;
        the scenario loader adds the file name (``InputError.located``).
    """
    reader = SpecReader(spec, path)
    kind = reader.raw("kind")
    if kind not in SENSOR_KINDS:
        reader.fail("kind", f"expected one of {', '.join(SENSOR_KINDS)}, got {kind!r}")
    sensor = SENSOR_KINDS[kind].from_spec(reader)
    reader.text("description", "-")                 # free text for the reader of the file
    sensor.header_omits = _header_omits(reader)
    reader.finish()
    return sensor


def header_description(sensor: SimSensor) -> Sensor:
    """The sensor's recording-header entry, less the fields its scenario omits."""
    omits = getattr(sensor, "header_omits", ())
    return replace(sensor.description, **{name: None for name in omits})


def _header_omits(reader: SpecReader) -> tuple[str, ...]:
    """``header_omits``: distinct names from :data:`HEADER_OMISSIBLE` (default none)."""
    names = reader.raw("header_omits", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        reader.fail("header_omits", f"expected a list of field names, got {names!r}")
    for k, name in enumerate(names):
        if name not in HEADER_OMISSIBLE:
            reader.fail(f"header_omits[{k}]", f"expected one of {', '.join(HEADER_OMISSIBLE)}, "
                        f"got {name!r}")
        if name in names[:k]:
            reader.fail(f"header_omits[{k}]", f"{name!r} is listed twice")
    return tuple(names)


