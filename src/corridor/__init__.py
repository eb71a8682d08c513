"""corridor: a simulator of forced-migration corridors and the border asylum systems at their end."""
__version__ = "0.1.0"
