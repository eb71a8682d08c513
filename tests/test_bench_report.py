"""bench/run_all.py turns scale runs into docs/benchmarks.md; this checks the arithmetic of that page
(not any timing: runs are faked)."""

import importlib.util
from pathlib import Path

spec = importlib.util.spec_from_file_location("run_all", Path(__file__).parents[1] / "bench" / "run_all.py")
run_all = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_all)


def fake_run(extra, **_):
    a, p = int(extra[extra.index("--agents") + 1]), int(extra[extra.index("--places") + 1])
    wall = a / 1e6 * (1.5 if p > 5000 else 1.0)  # linear in agents, half as slow again with 10x the places
    return {
        "agents": a,
        "places": p + 2,  # the generator rounds places up to its grid, as the real one does
        "links": p,
        "days": 300,
        "wall_s": wall,
        "agent_days": a * 300,
        "agent_days_per_s": a * 300 / wall,
        "ns_per_agent_day": wall / (a * 300) * 1e9,
        "peak_rss_bytes": 1,
        "bytes_per_agent": 20.0 + 1e7 / a,
        "agent_column_bytes_per_agent": 20,
        "record_bytes": 1,
        "phase_s": {"move": wall},
    }


def test_scale_section_states_how_time_and_memory_grow(monkeypatch):
    monkeypatch.setattr(run_all, "scale_run", fake_run)
    args = run_all.parse_args(["--agents", "1M,10M", "--places", "1k,10k"])
    lines: list[str] = []
    run_all.part_scale(args, lines)
    text = "\n".join(lines)
    # 30 B an agent at 1M (20 + 10 of shared tables), 21 B at 10M
    assert (
        "- 1,002 places, from 1,000,000 agents: 10x the agents: 10.00x the time, 1.00x per agent-day, "
        "0.70x the bytes per agent" in text
    )
    assert "- 1,000,000 agents, from 1,002 places: 10x the places: 1.50x per agent-day, 1.00x the bytes" in text
