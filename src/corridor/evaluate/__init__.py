"""How a run compares with what was observed: Flee's ARD and point observations."""
