"""The simulation: the scenario compiled to arrays, agent columns, and the components of the day."""
