"""Signals other modules listen to (overlap detection reacts to saved projects)."""

from blinker import Namespace

_signals = Namespace()

# sender: the Project; kwargs: user, created (bool), changes (dict of field -> [old, new])
project_saved = _signals.signal("project-saved")
