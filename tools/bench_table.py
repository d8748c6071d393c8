"""Turn a pytest-benchmark JSON file into README's Markdown benchmark table.

    pytest tests/benchmarks --benchmark-enable --benchmark-json=bench.json
    python tools/bench_table.py bench.json

One row per (group, implementation): the median time of one call, the time
per track, and how many times slower than the compiled kernel it is.
"""
import json
import platform
import re
import sys


def main(path: str) -> None:
    with open(path) as f:
        runs = json.load(f)
    rows, whole_runs = {}, []
    for b in runs["benchmarks"]:
        m = re.match(r"(.*?) ?N=(\d+)$", b["group"] or "")
        if not m:
            whole_runs.append((b["group"] or b["name"], b["stats"]["median"]))
            continue
        key = (m.group(1), int(m.group(2)))            # (what, N tracks)
        impl = b["params"].get("impl", "filterpy loop") if b["params"] else "filterpy loop"
        rows.setdefault(key, {})[impl] = b["stats"]["median"]
    info = runs["machine_info"]
    print(f"Machine: {info['cpu'].get('brand_raw', platform.processor())}, "
          f"{info['cpu'].get('count', '?')} cores, Python {info['python_version']}, "
          f"one core (no threads), {runs['datetime'][:10]}.\n")
    print("| kernels | N tracks | implementation | median per call | per track | vs compiled |")
    print("| --- | ---: | --- | ---: | ---: | ---: |")
    for what, N in sorted(rows, key=lambda k: (k[0] != "predict+update", k)):
        times = rows[(what, N)]
        base = times.get("compiled")
        for impl in ("compiled", "compiled (portable)", "numpy", "filterpy loop"):
            if impl not in times:
                continue
            t = times[impl]
            ratio = f"{t / base:.1f}x" if base else ""
            print(f"| {what} | {N:,} | {impl} | {t * 1e3:.2f} ms | {t / N * 1e9:.0f} ns | {ratio} |")
    if whole_runs:
        print("\n| whole run | time |")
        print("| --- | ---: |")
        for name, t in whole_runs:
            print(f"| {name} | {t:.1f} s |")


if __name__ == "__main__":
    main(sys.argv[1])
