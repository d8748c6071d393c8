r"""Fly every flight of a scenario at once: missiles and airliners, one time step for all.

:func:`simulate_flights` integrates all flights together with a fixed step
(default 0.5 s): the state is arrays over flights (geodetic latitude,
longitude and height, heading, speed along the path, vertical speed, the
waypoint being flown to, phase flags), and each step is a fixed number of
NumPy operations on those arrays, never a Python loop over flights.

Kinematics (a point mass flying the commanded path, no aerodynamics beyond
what the failures need):

* **Horizontal guidance.** Each step the flight re-aims at its current
  waypoint: the commanded heading is the azimuth of the waypoint in the local
  east-north-up frame (the normal-section azimuth), and the heading turns
  toward it at no more than the turn rate. Re-aiming every step makes the
  flown path a geodesic up to the small angle between the normal section and
  the geodesic. Measured with Clairaut's relation (a geodesic keeps
  :math:`N\cos\varphi\sin\psi` constant): on a 1,000 km leg the heading
  stays within 8e-6 rad of the geodesic's (tests/test_flights.py), a
  cross-track departure of about :math:`\delta\psi\,L/4`: ~2 m there, and
  well under a metre on legs of a few hundred kilometres. Waypoints are flown by: the turn starts
  :math:`R\tan(\Delta/2)` before the waypoint (turn radius :math:`R = V/\omega`,
  turn angle :math:`\Delta`), so the path joins the next leg without
  overshoot.
* **Position.** With north and east speeds :math:`v_n, v_e`, a midpoint
  step of :math:`\dot\varphi = v_n/(M+h)`, :math:`\dot\lambda = v_e/((N+h)\cos\varphi)`
  (meridian and prime-vertical radii :math:`M, N`, ``tracker.frames.principal_radii``).
* **Missile height.** Climb-out after launch (booster burning for
  ``boost_s``; speed rising linearly to cruise speed) to ``climb_out_alt_m``,
  then a first-order height hold :math:`\dot h = (h_c - h)/\tau`, clipped to
  the climb and descent limits, onto the cruise height: ``alt_sea_m`` over
  water, ``alt_land_m`` where the land mask says land at the missile or
  ``lookahead_s`` ahead of it (so it climbs before the coast). The mask is
  consulted every ``land_check_s``. Near the target: a pop-up to
  ``popup_alt_m`` from ``popup_range_m``, then, once the target lies
  ``dive_angle_deg`` below the horizontal, a pure-pursuit dive onto it.
* **Failures** (``Failure.mode``):
  ``engine``: no thrust; the missile zooms up at ``zoom_climb_mps`` trading
  speed for height, its energy height :math:`H = h + V^2/2g` falling by drag
  at :math:`\dot H = -V/(L/D)`, until it has slowed to ``glide_speed_mps``; it
  then glides down at :math:`\gamma = \arctan(1/(L/D))` to the ground.
  ``guidance``: the heading freezes and the missile pulls into a dive of
  ``dive_angle_deg`` (vertical acceleration limited to ``DIVE_ACCEL_MPS2``).
  ``drift``: the heading error grows at ``rate_deg_s`` (a drifting heading
  reference: the missile believes it is on course) and after
  ``crash_after_s`` it dives as a guidance failure does.
* **Airliners** fly their route at a constant height and speed, from their
  entry time at the first point until they pass the last one.

Heights are above the ellipsoid, which is the ground of the ``ellipsoid``
surface model (SCENARIO.md).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Iterator

import numpy as np

from tracker import frames
from tracker.recording import Event, Truth
from .scenario import ALL_SEA, Airway, Flight, MissileProfile, Scenario

G = 9.80665                      #: m/s^2, standard gravity
DIVE_ACCEL_MPS2 = 2.0 * G        #: vertical acceleration pulling into a failure dive
TERMINAL_ACCEL_MPS2 = 6.0 * G    #: vertical acceleration pulling into the terminal dive
POPUP_CLIMB_MPS = 40.0           #: climb-rate limit of the terminal pop-up
FLIGHTS_STREAM = 0x666C74        #: flights draw from default_rng([FLIGHTS_STREAM, seed])
_MODES = {None: 0, "engine": 1, "guidance": 2, "drift": 3}
_MODE_NAMES = {1: "engine", 2: "guidance", 3: "drift"}


@dataclass
class Trajectories:
    """Sampled truth of all flights: arrays over flights F and sample times T.

    Before launch a flight sits at its origin, after its end at its end
    point, both with zero velocity and ``alive`` False: every array is finite.
    """

    ids: list[str]
    kinds: np.ndarray            #: (F,) str: cruise_missile | aircraft
    rcs_m2: np.ndarray           #: (F,) mean radar cross-section
    t: np.ndarray                #: (T,) UTC s, from the scenario start, step apart
    pos: np.ndarray              #: (F, T, 3) ECEF m
    vel: np.ndarray              #: (F, T, 3) ECEF m/s
    alive: np.ndarray            #: (F, T) bool: launched (or entered) and not yet ended
    boosting: np.ndarray         #: (F, T) bool: booster burning
    events: list[Event]          #: launch, failure, impact, in time order
    lat: np.ndarray              #: (F, T) rad
    lon: np.ndarray              #: (F, T) rad, in (-pi, pi]
    alt: np.ndarray              #: (F, T) m above the ellipsoid
    vel_enu: np.ndarray          #: (F, T, 3) m/s in each sample's local ENU frame
    launch_t: np.ndarray         #: (F,) UTC s of launch or entry
    end_t: np.ndarray            #: (F,) UTC s of impact or exit; inf if still flying
    end_cause: list[str | None]  #: target | engine | guidance | drift | left | None
    targets: list[tuple[float, float] | None] = field(default_factory=list)  #: (lat, lon) rad

    def at(self, t: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Position (F, 3), velocity (F, 3) ECEF, alive (F,) and boosting (F,) at ``t``.

        Linear interpolation between the two samples around ``t``; a flight
        is alive (boosting) when it is at both of them. Outside the sampled
        span nothing is alive.
        """
        times = self.t
        j = int(np.clip(np.searchsorted(times, t, side="right") - 1, 0, max(times.size - 2, 0)))
        k = min(j + 1, times.size - 1)
        w = 0.0 if k == j else float(np.clip((t - times[j]) / (times[k] - times[j]), 0.0, 1.0))
        pos = (1.0 - w) * self.pos[:, j] + w * self.pos[:, k]
        vel = (1.0 - w) * self.vel[:, j] + w * self.vel[:, k]
        inside = times[0] <= t <= times[-1]
        alive = self.alive[:, j] & self.alive[:, k] & inside
        boosting = self.boosting[:, j] & self.boosting[:, k] & inside
        return pos, vel, alive, boosting

    def truth_records(self, period_s: float) -> Iterator[Truth]:
        """Truth of every living flight every ``period_s`` from the first sample.

        Time-ordered, flights in scenario order at each time; ``seen_by`` is
        left None (the caller fills it from the sensors' coverage). The
        period should be a multiple of the sample step; other times are
        interpolated linearly in latitude, longitude and height.
        """
        step = self.t[1] - self.t[0] if self.t.size > 1 else period_s
        n = int(math.floor((self.t[-1] - self.t[0]) / period_s + 1e-9)) + 1
        for i in range(n):
            t = self.t[0] + i * period_s
            x = (t - self.t[0]) / step
            j = min(int(math.floor(x + 1e-9)), self.t.size - 1)
            w = x - j if j + 1 < self.t.size else 0.0
            k = min(j + 1, self.t.size - 1)
            alive = self.alive[:, j] & (self.alive[:, k] | (w < 1e-9))
            for f in np.flatnonzero(alive):
                lat = (1 - w) * self.lat[f, j] + w * self.lat[f, k]
                lon = frames.wrap_pi(self.lon[f, j]
                                     + w * frames.wrap_pi(self.lon[f, k] - self.lon[f, j]))
                alt = (1 - w) * self.alt[f, j] + w * self.alt[f, k]
                v = (1 - w) * self.vel_enu[f, j] + w * self.vel_enu[f, k]
                yield Truth(t=float(t), id=self.ids[f], kind=str(self.kinds[f]),
                            lat_rad=float(lat), lon_rad=float(lon), alt_m=float(alt),
                            vel_enu=(float(v[0]), float(v[1]), float(v[2])))


def airway_flights(airway: Airway, start: float, end: float,
                   rng: np.random.Generator) -> list[Flight]:
    """The airliners of one airway entering between ``start + first_s`` and ``end``.

    Each direction gets one airliner every ``interval_s`` (moved by a uniform
    jitter), a height drawn from ``levels_m`` and a speed from ``speed_mps``.
    Ids read ``NAME-fNN`` (forward) and ``NAME-rNN`` (reverse).
    """
    out = []
    routes = [("f", airway.points)]
    if airway.directions == "both":
        routes.append(("r", airway.points[::-1]))
    first = start + airway.first_s
    count = int(math.floor((end - first) / airway.interval_s)) + 1
    for tag, points in routes:
        jitter = rng.uniform(-airway.jitter_s, airway.jitter_s, count)
        levels = rng.choice(np.asarray(airway.levels_m), count)
        speeds = rng.uniform(airway.speed_mps[0], airway.speed_mps[1], count)
        for k in range(count):
            t = first + k * airway.interval_s + jitter[k]
            if t > end:
                continue
            out.append(Flight(
                id=f"{airway.name}-{tag}{k + 1:02d}", kind="aircraft", launch_t=float(t),
                origin=points[0], waypoints=tuple(points[1:]), speed_mps=float(speeds[k]),
                alt_sea_m=float(levels[k]), alt_land_m=float(levels[k]), rcs_m2=airway.rcs_m2,
                turn_rate_deg_s=airway.turn_rate_deg_s, field=airway.field))
    return out


def flights_rng(scenario: Scenario, rng: np.random.Generator | int | None = None):
    """The generator that draws the traffic: ``rng`` itself, or one made from a seed.

    ``None`` takes the scenario's seed, an int is a seed; both give
    ``default_rng([FLIGHTS_STREAM, seed])``.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng([FLIGHTS_STREAM, scenario.seed if rng is None else int(rng)])


def scenario_flights(scenario: Scenario, rng: np.random.Generator | int | None = None,
                     end: float | None = None) -> list[Flight]:
    """Every flight of a scenario: its missiles, its explicit routes, its airway traffic.

    ``rng`` draws the airway traffic (see :func:`flights_rng`); airliners
    entering after ``end`` (default: the scenario's end) are left out.
    """
    rng = flights_rng(scenario, rng)
    end = scenario.end if end is None else end
    flights = list(scenario.flights) + [f for f in scenario.airliners if f.launch_t <= end]
    for airway in scenario.airways:
        flights.extend(airway_flights(airway, scenario.start, end, rng))
    return flights


def land_mask(scenario: Scenario) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """``is_land(lat_rad, lon_rad)`` of the scenario's ``land_mask`` (docs/scenario.md)."""
    if scenario.land_mask == ALL_SEA:
        return lambda lat, lon: np.zeros(np.broadcast(lat, lon).shape, dtype=bool)
    from tracker import geography
    return geography.load(scenario.land_mask or geography.DEFAULT_PATH).is_land


def _surface_ecef(lat, lon):
    """ECEF (x, y, z) of ground points (h = 0), components separately."""
    sl = np.sin(lat)
    n = frames.WGS84_A / np.sqrt(1.0 - frames.WGS84_E2 * sl * sl)
    cl = np.cos(lat)
    return n * cl * np.cos(lon), n * cl * np.sin(lon), n * (1.0 - frames.WGS84_E2) * sl


def _enu_to(lat, lon, x, y, z):
    """East, north (m) of points (x, y, z) ECEF seen from ground points (lat, lon)."""
    px, py, pz = _surface_ecef(lat, lon)
    dx, dy, dz = x - px, y - py, z - pz
    sl, cl, so, co = np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon)
    east = -so * dx + co * dy
    north = -sl * co * dx - sl * so * dy + cl * dz
    return east, north


class _Plan:
    """Per-flight constants as arrays (F,) and waypoint tables (F, W)."""

    def __init__(self, flights: list[Flight]):
        n = len(flights)
        self.missile = np.array([f.kind == "cruise_missile" for f in flights], dtype=bool)
        profiles = [f.profile or MissileProfile() for f in flights]

        def col(values):
            return np.array(values, dtype=np.float64)

        def prof(name):
            return col([getattr(p, name) for p in profiles])

        self.launch_t = col([f.launch_t for f in flights])
        self.speed = col([f.speed_mps for f in flights])
        self.alt_sea = col([f.alt_sea_m for f in flights])
        self.alt_land = col([f.alt_land_m for f in flights])
        self.turn_rate = np.radians(col([p.turn_rate_deg_s if f.kind == "cruise_missile"
                                         else f.turn_rate_deg_s
                                         for f, p in zip(flights, profiles)]))
        for name in ("boost_s", "launch_speed_mps", "boost_climb_mps", "climb_out_alt_m",
                     "climb_mps", "descent_mps", "height_time_constant_s", "lookahead_s",
                     "popup_range_m", "popup_alt_m"):
            setattr(self, name, prof(name))
        self.dive_angle = np.radians(prof("dive_angle_deg"))
        failures = [f.failure for f in flights]
        self.mode = np.array([_MODES[x.mode if x else None] for x in failures], dtype=np.int8)
        self.fail_t = col([f.launch_t + x.after_s if x else np.inf
                           for f, x in zip(flights, failures)])
        self.glide_ratio = col([x.glide_ratio if x else 1.0 for x in failures])
        self.glide_speed = col([x.glide_speed_mps if x else 0.0 for x in failures])
        self.zoom_climb = col([x.zoom_climb_mps if x else 0.0 for x in failures])
        self.fail_dive = np.radians(col([x.dive_angle_deg if x else 90.0 for x in failures]))
        self.drift_rate = np.radians(col([x.rate_deg_s if x else 0.0 for x in failures]))
        self.crash_t = self.fail_t + col([x.crash_after_s if x and x.mode == "drift" else np.inf
                                          for x in failures])
        # route: the waypoints, then the target of a missile; padded with the last point
        routes = [list(f.waypoints) + ([f.target] if f.target is not None else [])
                  for f in flights]
        self.n_wp = np.array([len(r) for r in routes], dtype=np.intp)
        width = max(1, int(self.n_wp.max(initial=1)))
        lat = np.array([[p.lat for p in r] + [r[-1].lat] * (width - len(r)) for r in routes])
        lon = np.array([[p.lon for p in r] + [r[-1].lon] * (width - len(r)) for r in routes])
        self.origin_lat = col([f.origin.lat for f in flights])
        self.origin_lon = col([f.origin.lon for f in flights])
        self.wp = np.stack(_surface_ecef(lat, lon), axis=-1).reshape(n, width, 3)
        # fly-by lead factor tan(turn angle / 2) at each waypoint; 0 at the last
        prev_lat = np.concatenate([self.origin_lat[:, None], lat[:, :-1]], axis=1)
        prev_lon = np.concatenate([self.origin_lon[:, None], lon[:, :-1]], axis=1)
        px, py, pz = _surface_ecef(prev_lat, prev_lon)
        back_e, back_n = _enu_to(lat, lon, px, py, pz)
        nx, ny, nz = (np.concatenate([self.wp[:, 1:, i], self.wp[:, -1:, i]], axis=1)
                      for i in range(3))
        out_e, out_n = _enu_to(lat, lon, nx, ny, nz)
        turn = np.abs(frames.wrap_pi(np.arctan2(out_e, out_n) - np.arctan2(back_e, back_n) - np.pi))
        last = np.arange(width)[None, :] >= (self.n_wp[:, None] - 1)
        self.lead = np.where(last, 0.0, np.tan(np.minimum(turn, np.radians(150.0)) / 2.0))


def simulate_flights(scenario: Scenario, rng: np.random.Generator | int | None = None, *,
                     end: float | None = None, step_s: float = 0.5, land_check_s: float = 3.0,
                     is_land: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
                     flights: list[Flight] | None = None) -> Trajectories:
    """Fly all flights of ``scenario`` from its start for ``duration_s``.

    Parameters
    ----------
    scenario : Scenario
    rng : numpy.random.Generator or int, optional
        Draws the airway traffic; an int is a seed replacing the scenario's
        (:func:`flights_rng`). Missiles draw nothing.
    end : float, optional
        Stop at this UTC time instead of the scenario's end.
    step_s : float
        Integration and sample step (s); ``truth_period_s`` should be a multiple.
    land_check_s : float
        How often the land mask is consulted for the cruise height (s).
    is_land : callable, optional
        ``is_land(lat_rad, lon_rad) -> bool array``; default: the scenario's
        land mask (:func:`land_mask`).
    flights : list of Flight, optional
        Fly these instead of ``scenario_flights(scenario, seed)``.
    """
    if is_land is None:
        is_land = land_mask(scenario)
    end = scenario.end if end is None else min(float(end), scenario.end)
    if flights is None:
        flights = scenario_flights(scenario, rng, end)
    return _Integrator(scenario.start, end, flights, step_s, land_check_s, is_land).run()


class _Integrator:
    """The fixed-step integration behind :func:`simulate_flights`."""

    def __init__(self, start, end, flights, step_s, land_check_s, is_land):
        if step_s <= 0.0:
            raise ValueError(f"step_s={step_s} must be > 0")
        self.flights = flights
        self.plan = _Plan(flights) if flights else None
        self.dt = float(step_s)
        self.land_every = max(1, int(round(land_check_s / step_s)))
        self.is_land = is_land
        self.start, self.end = start, end
        earliest = min([f.launch_t for f in flights] + [start])
        # the grid goes through the start; flights entering earlier are flown from then
        self.k0 = int(math.ceil((start - earliest) / self.dt - 1e-9))
        self.n_out = int(math.floor((end - start) / self.dt + 1e-9)) + 1
        self.events: list[Event] = []

    def run(self) -> Trajectories:
        fl, dt = self.flights, self.dt
        n = len(fl)
        times = self.start + dt * np.arange(-self.k0, self.n_out)
        T = self.n_out
        rec = {name: np.zeros((T, n)) for name in ("lat", "lon", "alt", "ve", "vn", "vu")}
        rec_alive = np.zeros((T, n), dtype=bool)
        rec_boost = np.zeros((T, n), dtype=bool)
        p = self.plan
        if n:
            s = self._initial_state()
            for i, t in enumerate(times):
                if i:
                    self._step(s, times[i - 1])
                self._launch(s, t)
                j = i - self.k0
                if j >= 0:
                    rec["lat"][j], rec["lon"][j], rec["alt"][j] = s["lat"], s["lon"], s["h"]
                    live = s["active"]
                    rec["ve"][j] = np.where(live, s["vh"] * np.sin(s["psi"]), 0.0)
                    rec["vn"][j] = np.where(live, s["vh"] * np.cos(s["psi"]), 0.0)
                    rec["vu"][j] = np.where(live, s["vz"], 0.0)
                    rec_alive[j] = live
                    rec_boost[j] = live & p.missile & (t - p.launch_t < p.boost_s)
        lat, lon, alt = (rec[k].T.copy() for k in ("lat", "lon", "alt"))
        vel_enu = np.stack([rec["ve"].T, rec["vn"].T, rec["vu"].T], axis=-1)
        self.events.sort(key=lambda e: (e.t, e.id))
        return Trajectories(
            ids=[f.id for f in fl], kinds=np.array([f.kind for f in fl], dtype=str),
            rcs_m2=np.array([f.rcs_m2 for f in fl], dtype=np.float64),
            t=times[self.k0:].copy(), pos=frames.geodetic_to_ecef(lat, lon, alt),
            vel=_enu_to_ecef(vel_enu, lat, lon),
            alive=rec_alive.T.copy(), boosting=rec_boost.T.copy(), events=self.events,
            lat=lat, lon=lon, alt=alt, vel_enu=vel_enu,
            launch_t=p.launch_t.copy() if n else np.zeros(0),
            end_t=self.end_t if n else np.zeros(0),
            end_cause=self.end_cause if n else [],
            targets=[(f.target.lat, f.target.lon) if f.target else None for f in fl])

    # -- state ---------------------------------------------------------------

    def _initial_state(self) -> dict[str, np.ndarray]:
        n = len(self.flights)
        p = self.plan
        self.end_t = np.full(n, np.inf)
        self.end_cause: list[str | None] = [None] * n
        self.steps = 0
        state = {name: np.zeros(n) for name in ("h", "psi", "vh", "vz", "V", "energy")}
        state["lat"], state["lon"] = p.origin_lat.copy(), p.origin_lon.copy()
        state["k"] = np.zeros(n, dtype=np.intp)
        for flag in ("launched", "active", "climbed", "failed", "gliding", "diving", "land"):
            state[flag] = np.zeros(n, dtype=bool)
        return state

    def _launch(self, s: dict, t: float) -> None:
        """Start the flights whose launch (entry) time has come, at their origin."""
        p = self.plan
        new = ~s["launched"] & (p.launch_t <= t)
        if not new.any():
            return
        w = p.wp[:, 0]
        east, north = _enu_to(p.origin_lat, p.origin_lon, w[:, 0], w[:, 1], w[:, 2])
        speed0 = np.where(p.missile, p.launch_speed_mps, p.speed)
        for name, value in (("lat", p.origin_lat), ("lon", p.origin_lon),
                            ("h", np.where(p.missile, 0.0, p.alt_sea)),
                            ("psi", frames.wrap_two_pi(np.arctan2(east, north))),
                            ("V", speed0), ("vh", speed0), ("vz", 0.0)):
            s[name] = np.where(new, value, s[name])
        s["launched"] |= new
        s["active"] |= new
        for f in np.flatnonzero(new & p.missile):
            flight = self.flights[f]
            extra = {"kind": flight.kind}
            if flight.salvo:
                extra["salvo"] = flight.salvo
            self.events.append(Event(t=float(p.launch_t[f]), id=flight.id, event="launch",
                                     lat_rad=float(p.origin_lat[f]),
                                     lon_rad=float(p.origin_lon[f]), extra=extra))

    def _end(self, s: dict, which: np.ndarray, t_end: np.ndarray, cause) -> None:
        s["active"] &= ~which
        for f in np.flatnonzero(which):
            self.end_t[f] = float(t_end[f])
            self.end_cause[f] = cause if isinstance(cause, str) else cause[f]

    def _land(self, s: dict, sel: np.ndarray) -> None:
        """Land under each selected missile or ``lookahead_s`` ahead of it."""
        idx = np.flatnonzero(sel)
        if idx.size == 0:
            return
        p = self.plan
        lat, lon, psi = s["lat"][idx], s["lon"][idx], s["psi"][idx]
        ahead = p.lookahead_s[idx] * p.speed[idx]
        meridian, prime = frames.principal_radii(lat)
        lat2 = lat + ahead * np.cos(psi) / meridian
        lon2 = lon + ahead * np.sin(psi) / (prime * np.cos(lat))
        land = np.asarray(self.is_land(np.concatenate([lat, lat2]), np.concatenate([lon, lon2])))
        s["land"][idx] = land[:idx.size] | land[idx.size:]

    def _step(self, s: dict, t: float) -> None:
        """Advance every active flight from ``t`` to ``t + dt``."""
        p, dt = self.plan, self.dt
        act = s["active"]
        self.steps += 1
        if not act.any():
            return
        mis = act & p.missile
        lat, lon, h, psi = s["lat"], s["lon"], s["h"], s["psi"]

        new_fail = mis & ~s["failed"] & (t >= p.fail_t)
        if new_fail.any():
            s["failed"] |= new_fail
            s["energy"] = np.where(new_fail, h + s["V"] ** 2 / (2.0 * G), s["energy"])
            for f in np.flatnonzero(new_fail):
                self.events.append(Event(t=float(t), id=self.flights[f].id, event="failure",
                                         lat_rad=float(lat[f]), lon_rad=float(lon[f]),
                                         extra={"cause": _MODE_NAMES[int(p.mode[f])],
                                                "alt": float(h[f])}))
        failed = s["failed"] & mis
        engine = failed & (p.mode == 1)
        drift = failed & (p.mode == 3)
        crash = failed & ((p.mode == 2) | ((p.mode == 3) & (t >= p.crash_t)))

        # horizontal guidance: azimuth and ground range of the current waypoint
        rows = np.arange(lat.size)
        k = s["k"]
        w = p.wp[rows, k]
        east, north = _enu_to(lat, lon, w[:, 0], w[:, 1], w[:, 2])
        dist = np.hypot(east, north)
        final = k >= p.n_wp - 1
        radius = p.speed / p.turn_rate
        near = dist <= np.maximum(p.lead[rows, k] * radius, 2.0 * s["vh"] * dt)
        s["k"] = k + (act & ~final & near & ~crash)          # the next leg from the next step
        leave = act & ~p.missile & final & (dist <= 1.5 * s["vh"] * dt)
        if leave.any():
            self._end(s, leave, np.full(lat.size, t), "left")
            act = s["active"]
        since_fail = t - np.minimum(p.fail_t, t)                 # 0 before a failure
        psi_cmd = np.arctan2(east, north) + np.where(drift, p.drift_rate * since_fail, 0.0)
        psi_cmd = np.where(crash, psi, psi_cmd)
        if mis.any():
            speed, vz, vh = self._missile_motion(s, t, mis, failed, engine, crash, final, dist)
        else:                                     # airliners only: level at cruise speed
            speed, vz, vh = p.speed, np.zeros(lat.size), p.speed

        # midpoint step of latitude and longitude; height with the step's vertical speed
        dpsi = np.clip(frames.wrap_pi(psi_cmd - psi), -p.turn_rate * dt, p.turn_rate * dt)
        psi_mid = psi + 0.5 * dpsi
        v_east, v_north = vh * np.sin(psi_mid), vh * np.cos(psi_mid)
        h_mid = h + 0.5 * vz * dt
        meridian, _ = frames.principal_radii(lat, h_mid)
        lat_mid = lat + 0.5 * v_north * dt / meridian
        meridian, prime = frames.principal_radii(lat_mid, h_mid)
        dlat = np.where(act, v_north * dt / meridian, 0.0)
        dlon = np.where(act, v_east * dt / (prime * np.cos(lat_mid)), 0.0)
        h_new = np.where(act, h + vz * dt, h)

        hit = act & p.missile & (h_new <= 0.0) & (s["climbed"] | s["failed"])
        frac = np.where(hit, h / np.where(hit, h - h_new, 1.0), 1.0)
        # longitude stays in (-pi, pi]: a flight may cross the antimeridian
        s["lat"], s["lon"] = lat + frac * dlat, frames.wrap_pi(lon + frac * dlon)
        s["h"] = np.where(hit, 0.0, h_new)
        s["psi"] = np.where(act, frames.wrap_two_pi(psi + dpsi), psi)
        s["V"], s["vz"], s["vh"] = speed, vz, vh
        if hit.any():
            causes = ["target" if not s["failed"][f] else _MODE_NAMES[int(p.mode[f])]
                      for f in range(lat.size)]
            self._end(s, hit, t + frac * dt, causes)
            for f in np.flatnonzero(hit):
                self.events.append(Event(t=float(t + frac[f] * dt), id=self.flights[f].id,
                                         event="impact", lat_rad=float(s["lat"][f]),
                                         lon_rad=float(s["lon"][f]),
                                         extra={"cause": causes[f], "alt": 0.0}))

    def _missile_motion(self, s, t, mis, failed, engine, crash, final, dist):
        """Speed along the path, vertical and horizontal speed of every flight this step."""
        p, dt, h = self.plan, self.dt, s["h"]
        # speed along the path: booster ramp, then cruise
        ramp = np.clip((t - p.launch_t) / p.boost_s, 0.0, 1.0)
        speed = np.where(p.missile, p.launch_speed_mps + (p.speed - p.launch_speed_mps) * ramp,
                         p.speed)
        # height: climb-out, cruise over sea or land, pop-up; first-order hold with limits
        s["climbed"] |= mis & (h >= 0.95 * p.climb_out_alt_m)
        climbed = s["climbed"]
        if (self.steps - 1) % self.land_every == 0:
            self._land(s, mis & climbed & ~failed)
        h_cruise = np.where(s["land"], p.alt_land, p.alt_sea)
        popup = final & (dist < p.popup_range_m) & (p.popup_alt_m > 0.0)
        h_cmd = np.where(~climbed, p.climb_out_alt_m,
                         np.where(popup, np.maximum(h_cruise, p.popup_alt_m), h_cruise))
        up = np.where(~climbed, np.minimum(p.boost_climb_mps, 0.95 * speed),
                      np.where(popup, POPUP_CLIMB_MPS, p.climb_mps))
        vz = np.where(p.missile, np.clip((h_cmd - h) / p.height_time_constant_s,
                                         -p.descent_mps, up), 0.0)
        # terminal dive: pure pursuit of the target once it is dive_angle below
        pull_in = speed ** 2 * np.sin(p.dive_angle) / TERMINAL_ACCEL_MPS2   # v t, t = v sin / a
        s["diving"] |= mis & ~failed & final & climbed & (
            np.arctan2(h, np.maximum(dist - 0.5 * pull_in, 0.0)) >= p.dive_angle)
        dive = s["diving"]
        slant = np.maximum(np.hypot(dist, h), 1e-9)
        # pursuit of the target, pulled into at a bounded vertical acceleration (a missile
        # does not pitch 15 degrees down in one step: that would be ~13 g); the dive starts
        # early by the ground the pull-in takes, so it still ends on the target
        vz = np.where(dive, np.maximum(-speed * h / slant,
                                       np.minimum(s["vz"], vz) - TERMINAL_ACCEL_MPS2 * dt), vz)
        # failure dives: heading frozen, pulled down at a bounded vertical acceleration
        vz = np.where(crash, np.maximum(s["vz"] - DIVE_ACCEL_MPS2 * dt,
                                        -speed * np.sin(p.fail_dive)), vz)
        vh = np.sqrt(np.maximum(speed ** 2 - vz ** 2, 0.0))
        if engine.any():
            speed, vz, vh = self._engine_out(s, engine, speed, vz, vh)
        return speed, vz, vh

    def _engine_out(self, s, engine, speed, vz, vh):
        """Zoom climb on the energy height, then a steady glide (see the module notes)."""
        p, dt, h = self.plan, self.dt, s["h"]
        energy = s["energy"] - dt * s["V"] / p.glide_ratio              # dH/dt = -V / (L/D)
        zoom_speed = np.sqrt(np.maximum(2.0 * G * (energy - h), 0.0))   # V^2 = 2 g (H - h)
        gliding = s["gliding"] | (engine & (zoom_speed <= p.glide_speed))
        s["gliding"] = gliding
        gamma = np.arctan(1.0 / p.glide_ratio)
        glide = engine & gliding
        zoom = engine & ~gliding
        speed = np.where(zoom, zoom_speed, np.where(glide, p.glide_speed, speed))
        vz_target = np.where(zoom, np.minimum(p.zoom_climb, 0.9 * speed),
                             np.where(glide, -p.glide_speed * np.sin(gamma), vz))
        # into the zoom and over its top into the glide the flight path bends at a bounded
        # vertical acceleration, not in one step (40 m/s up to 16 m/s down would be 12 g)
        step = DIVE_ACCEL_MPS2 * dt
        vz = np.where(engine, np.clip(vz_target, s["vz"] - step, s["vz"] + step), vz)
        vh = np.where(engine, np.sqrt(np.maximum(speed ** 2 - vz ** 2, 0.0)), vh)
        # a steady glide trades height for drag at constant speed: H follows h
        s["energy"] = np.where(glide, h + p.glide_speed ** 2 / (2.0 * G),
                               np.where(engine, energy, s["energy"]))
        return speed, vz, vh


def _enu_to_ecef(v_enu: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """ENU vectors (..., 3) at (lat, lon) (rad) in ECEF, without 3x3 matrices per point."""
    sl, cl, so, co = np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon)
    e, n, u = v_enu[..., 0], v_enu[..., 1], v_enu[..., 2]
    return np.stack([-so * e - sl * co * n + cl * co * u,
                     co * e - sl * so * n + cl * so * u,
                     cl * n + sl * u], axis=-1)
