"""Write the small sample recording shipped as ``tracker/data/sample.jsonl.gz``.

Five minutes over the southern Caspian coast of Iran on the morning of
7 October 2015 (notional: SCENARIO.md's public facts, our own sites and
routes): two cruise missiles at 250 m/s and 50 m, one of which fails and
comes down near the coast, and an airliner at 10 km and 240 m/s crossing
their path. Five sensors, one of each shape the format has:

* ``gr-ramsar``: fixed ground radar with range-rate, 10 s rotation, 250 km
  limit, 4/3-Earth radio horizon, Swerling-1 detection, clutter;
* ``sr-anzali``: fixed radar without range-rate reporting 90-degree sectors;
* ``aew-1``: airborne radar on a racetrack-free circular orbit, ``site`` and
  ``vel_enu`` in each scan, range-rate relative to itself;
* ``sat-geo``: geostationary infrared line of sight, which sees the boosters
  and the impact flash and not the cruising missiles;
* ``pos-geo``: geolocated positions (300 m) of the airliner's emissions.

Sigmas respect SCENARIO.md's realism floors. Geometry uses pymap3d directly
(this tool must not depend on the tracker's own frames). A fixed seed makes
the output byte-for-byte repeatable; tests/test_recording.py regenerates it
and compares.

Usage: ``python tools/make_sample_recording.py [OUT]``
"""
from __future__ import annotations

import math
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pymap3d as pm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tracker.recording import Event, Header, RecordingWriter, Truth  # noqa: E402
from tracker.scan import Scan, Sector, Sensor, Site  # noqa: E402

SEED = 20151007
T0 = datetime(2015, 10, 7, 9, 0, tzinfo=timezone.utc).timestamp()
DURATION_S = 300.0
STEP_S = 0.1                       # flight integration step
TRUTH_PERIOD_S = 2.0
K_EARTH_M = 4.0 / 3.0 * 6_371_000.0    # 4/3-Earth radius for the radio horizon
PFA = 1e-6                         # Swerling 1: Pd = Pfa ** (1 / (1 + SNR))
SNR_PD50 = math.log(PFA) / math.log(0.5) - 1.0   # the SNR that gives Pd = 0.5
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "tracker" / "data" / "sample.jsonl.gz"
D = math.radians


# ---------------------------------------------------------------- flights

def fly(lat0, lon0, t_start, speed, heading_deg, alt, vertical=None, t_end=None):
    """Integrate a flight on the ellipsoid: arrays over the common time grid.

    ``speed``, ``heading_deg`` and ``alt`` are functions of time since start
    (vectorised); the object exists from ``t_start`` until ``t_end`` or until
    it reaches the ground. Returns a dict of arrays (deg, m, m/s ENU) and the
    mask of existence.
    """
    t = np.arange(0.0, DURATION_S + STEP_S / 2, STEP_S)
    age = t - t_start
    exists = age >= 0
    v = np.where(exists, speed(np.maximum(age, 0)), 0.0)
    hdg = np.radians(heading_deg(np.maximum(age, 0)))
    h = alt(np.maximum(age, 0))
    ve, vn = v * np.sin(hdg), v * np.cos(hdg)
    a, f = 6_378_137.0, 1 / 298.257223563
    e2 = f * (2 - f)
    lat = np.full_like(t, math.radians(lat0))
    lon = np.full_like(t, math.radians(lon0))
    for i in range(1, len(t)):              # radii of curvature change along the way
        s2 = math.sin(lat[i - 1]) ** 2
        m_radius = a * (1 - e2) / (1 - e2 * s2) ** 1.5 + h[i - 1]
        n_radius = a / math.sqrt(1 - e2 * s2) + h[i - 1]
        lat[i] = lat[i - 1] + vn[i - 1] * STEP_S / m_radius
        lon[i] = lon[i - 1] + ve[i - 1] * STEP_S / (n_radius * math.cos(lat[i - 1]))
    vu = np.gradient(h, STEP_S)
    if t_end is not None:
        exists &= t <= t_end
    return {"t": t, "lat": np.degrees(lat), "lon": np.degrees(lon), "alt": h,
            "ve": ve, "vn": vn, "vu": vu, "exists": exists}


def boost_then_cruise(cruise_m):
    """Rocket boost to 150 m in 8 s, then down to the cruise height by 20 s."""
    return lambda age: np.interp(age, [0, 8, 20, 1e9], [0.0, 150.0, cruise_m, cruise_m])


def flights():
    cm1 = fly(37.75, 50.95, 5.0, lambda a: np.interp(a, [0, 8, 1e9], [60, 250, 250]),
              lambda a: np.full_like(a, 215.0), boost_then_cruise(50.0))
    # cm-2 loses its engine at launch + 200 s, glides down and hits the ground.
    t_fail = 200.0
    cm2 = fly(37.65, 51.05, 20.0,
              lambda a: np.interp(a, [0, 8, t_fail, t_fail + 12], [60, 250, 250, 190]),
              lambda a: np.interp(a, [0, t_fail, t_fail + 12], [212.0, 212.0, 221.0]),
              lambda a: np.interp(a, [0, 8, 20, t_fail, t_fail + 12],
                                  [0.0, 150.0, 50.0, 50.0, -10.0]))
    impact = int(np.argmax((cm2["t"] > 20.0 + t_fail) & (cm2["alt"] <= 0.0)))
    cm2["exists"] &= np.arange(len(cm2["t"])) <= impact
    airliner = fly(37.05, 49.60, 0.0, lambda a: np.full_like(a, 240.0),
                   lambda a: np.full_like(a, 95.0), lambda a: np.full_like(a, 10_000.0))
    return ({"cm-1": ("cruise_missile", 0.5, cm1), "cm-2": ("cruise_missile", 0.5, cm2),
             "al-1": ("aircraft", 20.0, airliner)},
            {"cm-2": (20.0 + t_fail, impact)})


def state_at(flight, t):
    """Position and velocity at time t since T0 (nearest grid step), or None."""
    i = int(round(t / STEP_S))
    if not flight["exists"][i]:
        return None
    return {k: float(flight[k][i]) for k in ("lat", "lon", "alt", "ve", "vn", "vu")}


# ---------------------------------------------------------------- sensors

GROUND = Site(D(36.92), D(50.64), 20.0)
SECTOR_SITE = Site(D(37.47), D(49.46), 30.0)
GEO = Site(D(0.0), D(57.0), 35_786_000.0)
AEW_ORBIT = (36.30, 51.80, 9_000.0, 40_000.0, 160.0)   # centre lat, lon, alt, radius, speed


def header(los_box, pos_box) -> Header:
    def radar(sensor_id, site, sigma, period, range_max, clutter, el_span, rr_span):
        volume = range_max * 360.0 * el_span * (rr_span if rr_span else 1.0)
        sig = {"range": sigma[0], "az": D(sigma[1]), "el": D(sigma[2])}
        if rr_span:
            sig["rr"] = sigma[3]
        return Sensor(sensor_id, "radar", site, sig, pd=0.9,
                      clutter_density=clutter / volume * (180 / math.pi) ** 2,
                      range_max_m=range_max, period_s=period)

    (az0, az1), (el0, el1) = los_box
    sensors = [
        radar("gr-ramsar", GROUND, (60.0, 0.15, 0.3, 1.5), 10.0, 250e3, 2.0, 20.0, 800.0),
        radar("sr-anzali", SECTOR_SITE, (80.0, 0.2, 0.4), 8.0, 180e3, 1.6, 20.0, None),
        radar("aew-1", None, (100.0, 0.3, 0.5, 2.0), 10.0, 400e3, 3.0, 15.0, 1200.0),
        Sensor("sat-geo", "los", GEO, {"az": D(0.0004), "el": D(0.0004)}, pd=0.9,
               clutter_density=0.5 / ((az1 - az0) * (el1 - el0)) * (180 / math.pi) ** 2,
               period_s=2.0),
        Sensor("pos-geo", "position", None, {"h": 300.0, "v": 150.0}, pd=0.95,
               clutter_density=0.1 / pos_box[3], period_s=10.0),
    ]
    corridor = [[50.9, 37.9], [51.2, 37.8], [50.6, 36.9], [50.2, 37.0], [50.9, 37.9]]
    expect = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"role": "corridor", "name": "sample corridor"},
        "geometry": {"type": "Polygon", "coordinates": [corridor]}}]}
    return Header({s.id: s for s in sensors}, scenario={
        "name": "sample-caspian", "seed": SEED,
        "description": "five notional minutes over the southern Caspian coast"}, expect=expect)


def aew_site(t):
    lat0, lon0, alt, radius, speed = AEW_ORBIT
    w = speed / radius                        # counter-clockwise seen from above
    e, n = radius * math.cos(w * t), radius * math.sin(w * t)
    lat, lon, h = pm.enu2geodetic(e, n, 0.0, lat0, lon0, alt)
    ve, vn = -radius * w * math.sin(w * t), radius * w * math.cos(w * t)
    return Site(D(float(lat)), D(float(lon)), alt, np.array([ve, vn, 0.0]))


def horizon_m(h_sensor, h_target):
    return math.sqrt(2 * K_EARTH_M * max(h_sensor, 0.0)) + math.sqrt(2 * K_EARTH_M * max(h_target, 0.0))


def radar_measure(site: Site, s):
    """Slant range (m), azimuth, elevation (deg) and range-rate (m/s) of a target from a site."""
    lat0, lon0 = math.degrees(site.lat_rad), math.degrees(site.lon_rad)
    az, el, rng = pm.geodetic2aer(s["lat"], s["lon"], s["alt"], lat0, lon0, site.alt_m)
    target = np.array(pm.geodetic2ecef(s["lat"], s["lon"], s["alt"]))
    origin = np.array(pm.geodetic2ecef(lat0, lon0, site.alt_m))
    v_target = np.array(pm.enu2uvw(s["ve"], s["vn"], s["vu"], s["lat"], s["lon"]))
    v_site = np.zeros(3) if site.vel_enu is None else np.array(pm.enu2uvw(*site.vel_enu, lat0, lon0))
    los = (target - origin) / np.linalg.norm(target - origin)
    return float(rng), float(az), float(el), float(los @ (v_target - v_site))


def radar_pd(rng, rcs, range_max):
    snr = SNR_PD50 * rcs * (0.6 * range_max / max(rng, 1.0)) ** 4
    return PFA ** (1.0 / (1.0 + snr))


def in_sector(az, sector):
    lo, hi = sector
    return lo <= az <= hi if lo <= hi else az >= lo or az <= hi


def main(out: Path = DEFAULT_OUT) -> None:
    rng = np.random.default_rng(SEED)
    objects, impacts = flights()
    corners = [(la, lo) for la in (35.0, 39.0) for lo in (48.0, 54.0)]
    geo = (0.0, 57.0, GEO.alt_m)
    aer = [pm.geodetic2aer(la, lo, 0.0, *geo) for la, lo in corners]
    los_box = ((min(a[0] for a in aer), max(a[0] for a in aer)),
               (min(a[1] for a in aer), max(a[1] for a in aer)))
    pos_box = (35.5, 38.5, 48.5, 53.5)
    north = (pos_box[1] - pos_box[0]) * 111_000.0
    east = (pos_box[3] - pos_box[2]) * 111_000.0 * math.cos(math.radians(37.0))
    hdr = header(los_box, pos_box[:3] + (north * east * 12_000.0,))
    sensors = hdr.sensors
    records = []                              # (t, order, record)

    def add(t, record):
        records.append((t, len(records), record))

    def radar_scan(sensor_id, t, site, sector=None, el_span=20.0, rr_span=800.0):
        sensor = sensors[sensor_id]
        sig = sensor.sigma
        rows = []
        for kind, rcs, flight in objects.values():
            s = state_at(flight, t)
            if s is None:
                continue
            r, az, el, rr = radar_measure(site, s)
            if r > sensor.range_max_m or r > horizon_m(site.alt_m, s["alt"]):
                continue
            if sector is not None and not in_sector(az, sector):
                continue
            if rng.random() < radar_pd(r, rcs, sensor.range_max_m):
                rows.append([r + rng.normal(0, sig["range"]),
                             math.radians(az) + rng.normal(0, sig["az"]),
                             math.radians(el) + rng.normal(0, sig["el"]),
                             rr + rng.normal(0, sig.get("rr", 0.0))])
        width = 360.0 if sector is None else (sector[1] - sector[0]) % 360.0
        n_clutter = rng.poisson(sensor.clutter_density / (180 / math.pi) ** 2
                                * sensor.range_max_m * width * el_span * (rr_span or 1.0))
        lo_az = 0.0 if sector is None else sector[0]
        for _ in range(n_clutter):
            rows.append([rng.uniform(1e3, sensor.range_max_m),
                         math.radians((lo_az + rng.uniform(0, width)) % 360.0),
                         math.radians(rng.uniform(-5.0 if site.alt_m > 1e3 else 0.0, el_span)),
                         rng.uniform(-rr_span / 2, rr_span / 2) if rr_span else 0.0])
        det = np.array(rows).reshape(-1, 4)
        det[:, 1] %= 2 * math.pi
        det[:, 2] = np.clip(det[:, 2], -math.pi / 2, math.pi / 2)
        if "rr" not in sig:
            det = det[:, :3]
        order = rng.permutation(len(det))     # clutter must not come last
        sec = None if sector is None else Sector((D(sector[0]), D(sector[1])), (0.0, sensor.range_max_m))
        add(T0 + t, Scan(T0 + t, sensor_id, "radar", det[order],
                         site=site if sensor.moving else None, sector=sec))

    for k in range(30):
        t = 5.0 + 10.0 * k
        radar_scan("gr-ramsar", t, GROUND)
        radar_scan("aew-1", t + 3.0, aew_site(t + 3.0), el_span=15.0, rr_span=1200.0)
    for k in range(150):
        t = 1.0 + 2.0 * k
        start = (315.0 + 90.0 * k) % 360.0
        radar_scan("sr-anzali", t, SECTOR_SITE, sector=(start, (start + 90.0) % 360.0),
                   rr_span=None)

    flash = {oid: T0 + t for oid, (t, _) in impacts.items()}
    for k in range(150):                       # satellite: boosters and impact flashes
        t = 1.0 + 2.0 * k
        rows = []
        for oid, (kind, rcs, flight) in objects.items():
            s = state_at(flight, t)
            age = t - float(flight["t"][np.argmax(flight["exists"])])
            boosting = kind == "cruise_missile" and s is not None and 0.0 <= age <= 8.0
            hot = boosting or (oid in flash and 0 <= T0 + t - flash[oid] <= 3)
            if hot and rng.random() < 0.9:
                where = s or state_at(flight, flash[oid] - T0)
                az, el, _ = pm.geodetic2aer(where["lat"], where["lon"], where["alt"], *geo)
                rows.append([D(float(az)) + rng.normal(0, D(0.0004)), D(float(el)) + rng.normal(0, D(0.0004))])
        for _ in range(rng.poisson(0.5)):
            rows.append([D(rng.uniform(*los_box[0])), D(rng.uniform(*los_box[1]))])
        add(T0 + t, Scan(T0 + t, "sat-geo", "los", np.array(rows).reshape(-1, 2)))

    for k in range(30):                        # geolocated emissions of the airliner
        t = 8.0 + 10.0 * k
        rows = []
        s = state_at(objects["al-1"][2], t)
        if s is not None and rng.random() < 0.95:
            e, n, u = rng.normal(0, 300.0), rng.normal(0, 300.0), rng.normal(0, 150.0)
            lat, lon, alt = pm.enu2geodetic(e, n, u, s["lat"], s["lon"], s["alt"])
            rows.append([D(float(lat)), D(float(lon)), float(alt)])
        for _ in range(rng.poisson(0.1)):
            rows.append([D(rng.uniform(*pos_box[:2])), D(rng.uniform(*pos_box[2:])), rng.uniform(0, 12e3)])
        add(T0 + t, Scan(T0 + t, "pos-geo", "position", np.array(rows).reshape(-1, 3)))

    for oid, (kind, rcs, flight) in objects.items():      # truth, events
        first = int(np.argmax(flight["exists"]))
        last = len(flight["t"]) - 1 - int(np.argmax(flight["exists"][::-1]))
        launch = float(flight["t"][first])
        if kind == "cruise_missile":
            s = state_at(flight, launch)
            add(T0 + launch, Event(T0 + launch, oid, "launch", D(s["lat"]), D(s["lon"]), {"alt": s["alt"]}))
        if oid in impacts:
            t_fail, _ = impacts[oid]
            s = state_at(flight, t_fail)
            add(T0 + t_fail, Event(T0 + t_fail, oid, "failure", D(s["lat"]), D(s["lon"]),
                                   {"alt": s["alt"], "cause": "engine"}))
            t_hit = float(flight["t"][last])
            s = state_at(flight, t_hit)
            add(T0 + t_hit, Event(T0 + t_hit, oid, "impact", D(s["lat"]), D(s["lon"]), {"alt": 0.0}))
        for t in np.arange(0.0, DURATION_S + 1e-9, TRUTH_PERIOD_S):
            s = state_at(flight, float(t))
            if s is None:
                continue
            seen = []
            for sensor_id, site in (("gr-ramsar", GROUND), ("sr-anzali", SECTOR_SITE),
                                    ("aew-1", aew_site(float(t)))):
                r = radar_measure(site, s)[0]
                limit = sensors[sensor_id].range_max_m
                if r <= min(limit, horizon_m(site.alt_m, s["alt"])) and radar_pd(r, rcs, limit) >= 0.1:
                    seen.append(sensor_id)
            hot = 0.0 <= t - launch <= 8.0 and kind == "cruise_missile"
            if hot:
                seen.append("sat-geo")
            if kind == "aircraft":
                seen.append("pos-geo")
            add(T0 + float(t), Truth(T0 + float(t), oid, kind, D(s["lat"]), D(s["lon"]), s["alt"],
                                     (s["ve"], s["vn"], s["vu"]), tuple(seen)))

    records.sort(key=lambda item: (item[0], item[1]))
    out.parent.mkdir(parents=True, exist_ok=True)
    with RecordingWriter(out) as writer:
        writer.write_header(hdr)
        for _, _, record in records:
            writer.write(record)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT)
