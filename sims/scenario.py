"""Scenario files: the world to simulate, as data (docs/scenario.md).

A scenario is one YAML document (``format: airtrack-scenario``,
``version: 1``) holding the start time, the seed, the missile flights (single
or in salvos), the air traffic (airways and explicit routes), the sensors and
the expectations of the impact monitor (a GeoJSON FeatureCollection of target
areas and corridors). :func:`load_scenario` reads it with PyYAML's safe
composer, keeps the line of every field, checks every field, and returns a
:class:`Scenario` in SI units and radians. The first bad field ends the
reading with one `InputError` reading ``PATH:LINE: FIELD: PROBLEM``, e.g.
``caspian.yaml:41: flights[3].waypoints[1].lat: expected a number in [-90, 90], got "x"``.

Sensors are checked by ``sims.sensors``, not here: each sensor entry is kept
as read (a :class:`SensorSpec` with its field path), and
:meth:`Scenario.locate` adds the file and line to an error that names a field.
Unknown keys are rejected everywhere (a misspelt optional key would otherwise
fall back silently to its default); ``description`` is allowed wherever a
mapping describes a thing.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

import yaml

from tracker.errors import InputError
from .scenario_expect import check_expect
from .scenario_fields import Fields, fail, located_yaml, number, point, shown

FORMAT = "airtrack-scenario"
VERSION = 1
#: bundled scenarios: ``NAME.yaml`` in this folder, loaded by bare name
SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"
#: ``land_mask: sea``: no land anywhere (open-ocean scenarios)
ALL_SEA = "sea"
FLIGHT_KINDS = ("cruise_missile",)
FAILURE_MODES = ("engine", "guidance", "drift")
SURFACE_MODELS = ("ellipsoid",)
#: failure fields (besides mode and after_s / t_s) each mode accepts
_FAILURE_FIELDS = {
    "engine": ("glide_ratio", "glide_speed_mps", "zoom_climb_mps"),
    "guidance": ("dive_angle_deg",),
    "drift": ("rate_deg_s", "crash_after_s", "dive_angle_deg"),
}
_DEG = math.pi / 180.0


@dataclass(frozen=True)
class Place:
    """A point on the ground: geodetic latitude and longitude (rad)."""

    lat: float
    lon: float
    name: str | None = None


@dataclass(frozen=True)
class MissileProfile:
    """How a cruise missile flies, apart from its route: each field a default.

    The defaults describe a notional subsonic land-attack cruise missile
    (SCENARIO.md: booster ~10 s, turbojet cruise, terrain following). A
    scenario overrides any of them in a flight's or salvo's ``profile``.
    """

    boost_s: float = 10.0                 #: booster burn after launch (IR satellites see it)
    launch_speed_mps: float = 30.0        #: speed leaving the launcher
    boost_climb_mps: float = 60.0         #: climb-rate limit during climb-out
    climb_out_alt_m: float = 300.0        #: top of the climb-out, then down to cruise
    climb_mps: float = 10.0               #: climb-rate limit in cruise (height changes)
    descent_mps: float = 15.0             #: descent-rate limit in cruise and after climb-out
    height_time_constant_s: float = 3.0   #: first-order height hold, dh/dt = (h_cmd - h) / tau
    turn_rate_deg_s: float = 2.0          #: largest turn rate
    lookahead_s: float = 15.0             #: land is looked for this far ahead (climb before the coast)
    popup_range_m: float = 10000.0        #: ground range to the target where the pop-up starts
    popup_alt_m: float = 300.0            #: pop-up height before the terminal dive (0: none)
    dive_angle_deg: float = 20.0          #: terminal dive starts when the target is this far below


@dataclass(frozen=True)
class Failure:
    """A missile failure: what breaks and when (see sims.flights for the motion)."""

    mode: str                             #: engine | guidance | drift
    after_s: float                        #: seconds after launch
    glide_ratio: float = 8.0              #: engine: lift/drag of the unpowered glide
    glide_speed_mps: float = 130.0        #: engine: the zoom climb ends at this speed, then glide
    zoom_climb_mps: float = 40.0          #: engine: climb rate of the zoom
    dive_angle_deg: float = 25.0          #: guidance, drift: flight-path angle of the final dive
    rate_deg_s: float = -0.1              #: drift: heading error growth (+ clockwise)
    crash_after_s: float = 600.0          #: drift: the dive starts this long after the failure


@dataclass(frozen=True)
class Flight:
    """One flight: a missile launch or an airliner's passage.

    Aircraft fly ``waypoints`` from ``origin`` at a constant height and
    speed and leave at the last one; missiles fly them, then to ``target``.
    """

    id: str
    kind: str                             #: cruise_missile | aircraft
    launch_t: float                       #: UTC s: launch, or entry at ``origin``
    origin: Place
    waypoints: tuple[Place, ...]
    speed_mps: float                      #: cruise speed
    alt_sea_m: float                      #: cruise height above the ground over water
    alt_land_m: float                     #: cruise height above the ground over land
    rcs_m2: float
    target: Place | None = None
    failure: Failure | None = None
    profile: MissileProfile | None = None
    turn_rate_deg_s: float = 1.5          #: aircraft (missiles: ``profile.turn_rate_deg_s``)
    salvo: str | None = None
    field: str = ""                       #: where it was written, e.g. ``flights[2]``


@dataclass(frozen=True)
class Airway:
    """An airway and the airliners on it (drawn with the seed by sims.flights)."""

    name: str
    points: tuple[Place, ...]             #: in the forward direction
    directions: str                       #: both | forward
    interval_s: float                     #: between airliners, each direction
    first_s: float                        #: first entry, seconds after start (< 0: already flying)
    jitter_s: float                       #: entries move by uniform(-jitter, +jitter)
    levels_m: tuple[float, ...]           #: cruise heights drawn from
    speed_mps: tuple[float, float]        #: speeds drawn uniformly from [low, high]
    rcs_m2: float
    turn_rate_deg_s: float
    field: str = ""


@dataclass(frozen=True)
class SensorSpec:
    """One entry of ``sensors``, kept as read; sims.sensors checks it."""

    id: str
    kind: str
    spec: Mapping[str, Any]               #: the whole entry, plain dicts and lists
    field: str                            #: ``sensors[i]``
    line: int | None


@dataclass(frozen=True)
class Scenario:
    """A checked scenario, in SI units and radians (times: UTC seconds)."""

    name: str
    path: str
    seed: int
    start: float
    duration_s: float
    truth_period_s: float
    surface: Mapping[str, Any]
    flights: tuple[Flight, ...]           #: missiles, expanded from salvos, in file order
    airways: tuple[Airway, ...]
    airliners: tuple[Flight, ...]         #: explicit routes of ``traffic.routes``
    sensors: tuple[SensorSpec, ...]
    expect: Mapping[str, Any]             #: GeoJSON FeatureCollection (lon/lat degrees)
    description: str = ""
    #: where a missile's cruise height is its land height: a borders GeoJSON (path),
    #: ``"sea"`` (nowhere) or None (the bundled borders, ``tracker.geography``)
    land_mask: str | None = None
    lines: Mapping[str, int] = field(default_factory=dict, repr=False, compare=False)

    @property
    def end(self) -> float:
        return self.start + self.duration_s

    def line_of(self, field_path: str | None) -> int | None:
        """Line of ``field_path`` or of the nearest enclosing field that has one."""
        return _line_of(self.lines, field_path)

    def locate(self, err: InputError) -> InputError:
        """``err`` (whose field is a path from the scenario's root) with file and line."""
        return err.located(path=self.path, line=self.line_of(err.field))


def _line_of(lines: Mapping[str, int], field_path: str | None) -> int | None:
    while field_path:
        if field_path in lines:
            return lines[field_path]
        # drop the last component: ".name", "[i]" or a top-level key
        shorter = re.sub(r"(\.[^.\[\]]*|\[\d+\])$", "", field_path)
        field_path = "" if shorter == field_path else shorter
    return lines.get("")


def list_scenarios() -> list[str]:
    """Names of the bundled scenarios (``load_scenario`` accepts them)."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def scenario_path(name_or_path: str | Path) -> Path:
    """The file of a bundled name (``caspian-2015``) or the path itself."""
    text = str(name_or_path)
    if "/" not in text and "\\" not in text and not text.endswith((".yaml", ".yml")):
        bundled = SCENARIO_DIR / f"{text}.yaml"
        if bundled.exists():
            return bundled
        known = ", ".join(list_scenarios())
        raise InputError(f"no such scenario (bundled: {known}; or give a path)", path=text)
    return Path(text)


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Read and check a scenario file (a bundled name or a path).

    Raises
    ------
    InputError
        The file is missing, is not YAML, or has a bad field; the message
        names the file, the line and the field path.
    """
    path = scenario_path(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no such file", path=str(path)) from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read: {getattr(e, 'strerror', None) or e}",
                         path=str(path)) from None
    document, lines = located_yaml(text, str(path))
    try:
        return _ScenarioReader(document, path, lines).scenario()
    except InputError as e:
        if e.path is not None:                       # an error of the expect file
            raise
        raise e.located(path=str(path), line=_line_of(lines, e.field)) from None


class _ScenarioReader:
    """Checks one scenario document, top-level key by key."""

    def __init__(self, document: Any, path: Path, lines: Mapping[str, int]):
        self.doc = Fields(document, "")
        self.path = path
        self.lines = lines
        self.places: dict[str, Place] = {}
        self.routes: dict[str, tuple[Place, ...]] = {}
        self.start = 0.0

    def scenario(self) -> Scenario:
        doc = self.doc
        fmt = doc.text("format")
        if fmt != FORMAT:
            fail("format", f'expected "{FORMAT}", got {shown(fmt)}')
        version = doc.integer("version")
        if version != VERSION:
            fail("version", f"this airtrack reads version {VERSION}, got {version}")
        name = doc.text("name")
        description = doc.text("description", "")
        seed = doc.integer("seed", low=0)
        start = self.start = _utc(doc.get("start"), "start")
        duration_s = doc.number("duration_s", low=0.0, low_open=True)
        truth_period_s = doc.number("truth_period_s", low=0.0, low_open=True)
        surface = doc.mapping("surface", {"model": "ellipsoid"})
        surface.choice("model", SURFACE_MODELS)
        surface.done()
        self._places(doc.mapping("places", {}))
        self._routes(doc.mapping("routes", {}))
        flights = self._flights(doc.sequence("flights", []), start)
        airways, airliners = self._traffic(doc.mapping("traffic", {}), start)
        sensors = self._sensors(doc.sequence("sensors", []))
        expect = check_expect(doc.get("expect"), "expect", self.path.parent)
        land_mask = self._land_mask(doc, flights)
        doc.done()
        seen: set[str] = set()
        for f in flights + airliners:
            if f.id in seen:
                fail(f.field, f'flight id "{f.id}" is used twice')
            seen.add(f.id)
        return Scenario(name=name, path=str(self.path), seed=seed, start=start,
                        duration_s=duration_s, truth_period_s=truth_period_s,
                        surface=dict(surface.value), flights=flights, airways=airways,
                        airliners=airliners, sensors=sensors, expect=expect,
                        description=description, land_mask=land_mask,
                        lines=dict(self.lines))

    def _land_mask(self, doc: Fields, flights: tuple[Flight, ...]) -> str | None:
        """The land mask, checked to cover every point of every missile's route.

        Outside a mask's extent nothing is land, so a missile there would fly
        its sea height over whatever land lies below: an error, not a guess.
        """
        value = doc.get("land_mask", None)
        if value == ALL_SEA:
            return ALL_SEA
        from tracker import geography
        path = None
        if value is not None:
            if type(value) is not str or not value:
                fail("land_mask", f'expected "{ALL_SEA}" or a path to a borders GeoJSON, '
                                  f"got {shown(value)}")
            path = str(self.path.parent / value)
            if not Path(path).is_file():
                fail("land_mask", f"no such file {shown(path)}")
        west, south, east, north = geography.load(path or geography.DEFAULT_PATH).extent
        for f in flights:
            route = (("launch", f.origin),) + tuple(
                (f"waypoint {i + 1}", p) for i, p in enumerate(f.waypoints)) + (("target", f.target),)
            for what, p in route:
                lat, lon = math.degrees(p.lat), math.degrees(p.lon)
                if not (south <= lat <= north and west <= lon <= east):
                    fail(f.field, f"{f.id}: its {what} ({lat:.2f}, {lon:.2f}) lies outside the land "
                                  f"mask ({south:g}..{north:g} N, {west:g}..{east:g} E), where sea "
                                  f"and land cruise heights cannot be told apart; give land_mask: "
                                  f"a borders GeoJSON covering it, or land_mask: {ALL_SEA}")
        return path

    # -- named points and routes ------------------------------------------

    def _places(self, places: Fields) -> None:
        for key in list(places.value):
            self.places[key] = point(places.get(key), places.at(key), {}, name=key)
            places.used(key)

    def _routes(self, routes: Fields) -> None:
        for key in list(routes.value):
            self.routes[key] = self._waypoints(routes.get(key), routes.at(key))
            routes.used(key)

    def _waypoints(self, value: Any, where: str) -> tuple[Place, ...]:
        """A list of points; a string item names a place or a whole route."""
        if isinstance(value, str) and value in self.routes:
            return self.routes[value]
        if type(value) is not list:
            fail(where, f"expected a list of points or a route name, got {shown(value)}")
        out: list[Place] = []
        for i, item in enumerate(value):
            if isinstance(item, str) and item in self.routes:
                out.extend(self.routes[item])
            else:
                out.append(point(item, f"{where}[{i}]", self.places))
        return tuple(out)

    # -- missiles ------------------------------------------------------------

    def _flights(self, items: list, start: float) -> tuple[Flight, ...]:
        out: list[Flight] = []
        for i, item in enumerate(items):
            entry = Fields(item, f"flights[{i}]")
            if entry.has("salvo"):
                out.extend(self._salvo(entry, start))
            else:
                out.append(self._missile(entry, start))
        return tuple(out)

    def _common(self, entry: Fields) -> dict:
        """Fields a single missile and a salvo share."""
        kind = entry.choice("kind", FLIGHT_KINDS)
        speed = entry.number("cruise_speed_mps", 250.0, low=0.0, low_open=True)
        alt = entry.mapping("cruise_alt_m", {"sea": 20.0, "land": 100.0})
        alt_sea = alt.number("sea", 20.0, low=0.0)
        alt_land = alt.number("land", 100.0, low=0.0)
        alt.done()
        rcs = entry.number("rcs_m2", 0.5, low=0.0, low_open=True)
        waypoints = self._waypoints(entry.get("waypoints"), entry.at("waypoints"))
        entry.used("waypoints")
        profile = self._profile(entry.mapping("profile", {}))
        entry.text("description", "")
        return dict(kind=kind, speed_mps=speed, alt_sea_m=alt_sea, alt_land_m=alt_land,
                    rcs_m2=rcs, waypoints=waypoints, profile=profile)

    def _launch(self, entry: Fields, start: float) -> tuple[float, Place]:
        launch = entry.mapping("launch")
        t = start + launch.number("t_s")
        if launch.has("at"):
            site = point(launch.text("at"), launch.at("at"), self.places)
        else:
            site = Place(launch.number("lat", low=-90.0, high=90.0) * _DEG,
                         launch.number("lon", low=-180.0, high=180.0) * _DEG)
        launch.done()
        return t, site

    def _missile(self, entry: Fields, start: float) -> Flight:
        flight_id = entry.text("id")
        launch_t, origin = self._launch(entry, start)
        common = self._common(entry)
        target = point(entry.get("target"), entry.at("target"), self.places)
        entry.used("target")
        failure = None
        if entry.has("failure"):
            failure = self._failure(entry.mapping("failure"), launch_t)
        entry.done()
        return Flight(id=flight_id, launch_t=launch_t, origin=origin, target=target,
                      failure=failure, field=entry.field, **common)

    def _salvo(self, entry: Fields, start: float) -> list[Flight]:
        name = entry.text("salvo")
        launch_t, origin = self._launch(entry, start)
        count = entry.integer("count", low=1)
        interval = entry.number("interval_s", low=0.0)
        common = self._common(entry)
        targets_field = entry.at("targets")
        targets = entry.sequence("targets")
        if len(targets) not in (1, count):
            fail(targets_field, f"expected 1 or count={count} targets, got {len(targets)}")
        targets = [point(t, f"{targets_field}[{i}]", self.places) for i, t in enumerate(targets)]
        failures: dict[int, Failure] = {}
        for j, item in enumerate(entry.sequence("failures", [])):
            spec = Fields(item, f"{entry.at('failures')}[{j}]")
            index = spec.integer("missile", low=1)
            if index > count:
                fail(spec.at("missile"), f"salvo has {count} missiles, got {index}")
            if index in failures:
                fail(spec.at("missile"), f"missile {index} already has a failure")
            t_launch_i = launch_t + (index - 1) * interval
            failures[index] = self._failure(spec, t_launch_i)
        entry.done()
        width = len(str(count))
        return [Flight(id=f"{name}-{k:0{max(2, width)}d}", launch_t=launch_t + (k - 1) * interval,
                       origin=origin, target=targets[(k - 1) % len(targets)],
                       failure=failures.get(k), salvo=name, field=entry.field, **common)
                for k in range(1, count + 1)]

    def _profile(self, profile: Fields) -> MissileProfile:
        values = {}
        for key in MissileProfile.__dataclass_fields__:
            if profile.has(key):
                values[key] = profile.number(key, low=0.0)
        profile.done()
        for key in ("boost_s", "turn_rate_deg_s", "climb_mps", "descent_mps",
                    "height_time_constant_s", "boost_climb_mps"):
            if key in values and values[key] <= 0.0:
                fail(profile.at(key), f"expected a number > 0, got {shown(values[key])}")
        if "dive_angle_deg" in values and not 0.0 < values["dive_angle_deg"] <= 90.0:
            fail(profile.at("dive_angle_deg"), "expected a number in (0, 90]")
        return MissileProfile(**values)

    def _failure(self, spec: Fields, launch_t: float) -> Failure:
        mode = spec.choice("mode", FAILURE_MODES)
        if spec.has("after_s") == spec.has("t_s"):
            fail(spec.field, "give exactly one of after_s (since launch) and t_s (since start)")
        if spec.has("after_s"):
            after = spec.number("after_s", low=0.0)
        else:
            after = spec.number("t_s") - (launch_t - self.start)
            if after < 0.0:
                fail(spec.at("t_s"), "the failure comes before the launch")
        values: dict[str, float] = {}
        for key in _FAILURE_FIELDS[mode]:
            if spec.has(key):
                low_open = key != "rate_deg_s"
                values[key] = spec.number(key, low=-math.inf if key == "rate_deg_s" else 0.0,
                                          low_open=low_open)
        if "dive_angle_deg" in values and values["dive_angle_deg"] > 90.0:
            fail(spec.at("dive_angle_deg"), "expected a number in (0, 90]")
        spec.done(hint=f"mode {mode} takes after_s or t_s, {', '.join(_FAILURE_FIELDS[mode])}")
        return Failure(mode=mode, after_s=after, **values)

    # -- traffic -------------------------------------------------------------

    def _traffic(self, traffic: Fields, start: float) -> tuple[tuple[Airway, ...], tuple[Flight, ...]]:
        airways = []
        for i, item in enumerate(traffic.sequence("airways", [])):
            airways.append(self._airway(Fields(item, f"traffic.airways[{i}]")))
        routes = []
        for i, item in enumerate(traffic.sequence("routes", [])):
            routes.append(self._route(Fields(item, f"traffic.routes[{i}]"), start))
        traffic.done()
        names = [a.name for a in airways]
        for a in airways:
            if names.count(a.name) > 1:
                fail(a.field, f'airway name "{a.name}" is used twice')
        return tuple(airways), tuple(routes)

    def _airway(self, entry: Fields) -> Airway:
        name = entry.text("name")
        points = self._waypoints(entry.get("points"), entry.at("points"))
        entry.used("points")
        if len(points) < 2:
            fail(entry.at("points"), "an airway needs at least 2 points")
        levels_field = entry.at("levels_m")
        levels = entry.sequence("levels_m", [9450.0, 10050.0, 10650.0, 11250.0, 11850.0])
        if not levels:
            fail(levels_field, "expected at least one level")
        levels = tuple(number(v, f"{levels_field}[{i}]", low=0.0) for i, v in enumerate(levels))
        speed = _interval(entry.get("speed_mps", [225.0, 255.0]), entry.at("speed_mps"))
        entry.used("speed_mps")
        airway = Airway(
            name=name, points=points,
            directions=entry.choice("directions", ("both", "forward"), "both"),
            interval_s=entry.number("interval_s", low=0.0, low_open=True),
            first_s=entry.number("first_s", 0.0),
            jitter_s=entry.number("jitter_s", 0.0, low=0.0),
            levels_m=levels, speed_mps=speed,
            rcs_m2=entry.number("rcs_m2", 40.0, low=0.0, low_open=True),
            turn_rate_deg_s=entry.number("turn_rate_deg_s", 1.5, low=0.0, low_open=True),
            field=entry.field)
        entry.text("description", "")
        entry.done()
        return airway

    def _route(self, entry: Fields, start: float) -> Flight:
        flight_id = entry.text("id")
        t = start + entry.number("t_s")
        points = self._waypoints(entry.get("waypoints"), entry.at("waypoints"))
        entry.used("waypoints")
        if len(points) < 2:
            fail(entry.at("waypoints"), "a route needs at least 2 points")
        alt = entry.number("alt_m", low=0.0)
        flight = Flight(id=flight_id, kind="aircraft", launch_t=t, origin=points[0],
                        waypoints=points[1:],
                        speed_mps=entry.number("speed_mps", low=0.0, low_open=True),
                        alt_sea_m=alt, alt_land_m=alt,
                        rcs_m2=entry.number("rcs_m2", 40.0, low=0.0, low_open=True),
                        turn_rate_deg_s=entry.number("turn_rate_deg_s", 1.5, low=0.0,
                                                     low_open=True),
                        field=entry.field)
        entry.text("description", "")
        entry.done()
        return flight

    # -- sensors ---------------------------------------------------------------

    def _sensors(self, items: list) -> tuple[SensorSpec, ...]:
        out, ids = [], set()
        for i, item in enumerate(items):
            entry = Fields(item, f"sensors[{i}]")
            sensor_id = entry.text("id")
            if sensor_id in ids:
                fail(entry.at("id"), f'sensor id "{sensor_id}" is used twice')
            ids.add(sensor_id)
            out.append(SensorSpec(id=sensor_id, kind=entry.text("kind"), spec=item,
                                  field=entry.field, line=_line_of(self.lines, entry.field)))
        return tuple(out)


def _interval(value: Any, where: str) -> tuple[float, float]:
    if type(value) is not list or len(value) != 2:
        fail(where, f"expected [low, high], got {shown(value)}")
    low = number(value[0], f"{where}[0]", low=0.0, low_open=True)
    high = number(value[1], f"{where}[1]", low=low)
    return low, high


def _utc(value: Any, where: str) -> float:
    """UTC seconds of an ISO-8601 time that names its zone (``Z`` or an offset)."""
    if not isinstance(value, str):
        fail(where, f"expected an ISO-8601 time such as 2015-10-07T06:00:00Z, got {shown(value)}")
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        fail(where, f"expected an ISO-8601 time such as 2015-10-07T06:00:00Z, got {shown(value)}")
    if when.tzinfo is None:
        fail(where, f"give the time zone (2015-10-07T06:00:00Z for UTC), got {shown(value)}")
    return when.astimezone(timezone.utc).timestamp()
