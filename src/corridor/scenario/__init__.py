"""Scenarios: the typed model of every input, its two file formats, and its named parameters."""

from .load import load_scenario
from .model import Scenario

__all__ = ["Scenario", "load_scenario"]
