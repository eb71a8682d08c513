"""Same scenario and seed, same result files; another seed, other results; any thread count."""

import hashlib

import numba
import numpy as np
import pytest

import corridor

from conftest import flee_path

RESULT_FILES = ("places.parquet", "places.csv", "out.csv", "validation.csv")


def digest(folder):
    return {f: hashlib.sha256((folder / f).read_bytes()).hexdigest() for f in RESULT_FILES}


@pytest.fixture(scope="module")
def mali():
    return corridor.load(flee_path("mali2012"))


def test_same_seed_gives_byte_identical_result_files(mali, tmp_path):
    a = mali.run(seed=7).save(tmp_path / "a")
    b = mali.run(seed=7).save(tmp_path / "b")
    assert digest(a) == digest(b)


def test_another_seed_gives_other_results(mali, tmp_path):
    a = mali.run(seed=7).save(tmp_path / "a")
    c = mali.run(seed=8).save(tmp_path / "c")
    assert digest(a)["places.csv"] != digest(c)["places.csv"]


def test_results_do_not_depend_on_thread_count():
    sim = corridor.load(flee_path("burundi"))
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = sim.run(seed=11, days=120)
        numba.set_num_threads(max(2, before))
        many = sim.run(seed=11, days=120)
    finally:
        numba.set_num_threads(before)
    for col in ("population", "arrivals", "departures", "in_transit", "spawned"):
        assert np.array_equal(getattr(one.record, col), getattr(many.record, col)), col
