"""Shared fixtures: the bundled scenario, simulated once per test session, shortened."""
import pytest

#: scenario seconds simulated for the whole-scenario tests: launch, climb-out, the Caspian
#: crossing and the coast (the full run belongs to `airtrack simulate` and the benchmarks)
SHORT_SCENARIO_S = 2400.0


@pytest.fixture(scope="session")
def caspian_recording(tmp_path_factory):
    """The first SHORT_SCENARIO_S seconds of caspian-2015 as a recording file (.jsonl.gz)."""
    from tracker.cli import main

    path = tmp_path_factory.mktemp("caspian") / "caspian.jsonl.gz"
    assert main(["simulate", "caspian-2015", "--out", str(path),
                 "--duration", str(SHORT_SCENARIO_S), "--quiet"]) == 0
    return path
