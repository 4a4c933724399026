"""Training dynamics: checkpoint series evaluated after the fact, phase transitions (breaks)
and the SAS paper's phases, compared across runs (``bertology dynamics``).

>>> from bertology.dynamics import detect_breaks
>>> b = detect_breaks(steps, uas)            # doctest: +SKIP
>>> b.onset, b.plateau                       # doctest: +SKIP
"""

from bertology.dynamics.breaks import Breaks, detect_breaks
from bertology.dynamics.series import Checkpoint, Series, find_series

__all__ = ["Breaks", "Checkpoint", "Series", "detect_breaks", "find_series"]
