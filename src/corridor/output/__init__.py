"""What a run produced: result tables, and the run folder on disk."""
