"""Gridline: the ``gridline`` command and the demo that ties terminal and hub together."""
__version__ = "0.1.0"
