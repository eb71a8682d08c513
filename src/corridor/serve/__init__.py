"""`corridor serve`: a what-if page and a JSON API over the scenario folders it is given."""
