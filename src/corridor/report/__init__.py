"""The offline HTML report of a run folder, and the comparison of two."""
