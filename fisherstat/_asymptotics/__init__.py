"""Internals of :mod:`fisherstat.asymptotics`: statistics, report and figures, checkpoints.

:mod:`fisherstat.asymptotics` is the driver (simulate, fit, assess) and the public entry;
the modules here import only downward (never the driver, never :mod:`fisherstat.plot`).
"""
