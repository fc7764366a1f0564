"""Static files for the reverse proxy: every folder the app serves under a URL, copied to one directory."""

from __future__ import annotations

import shutil
from pathlib import Path

from flask import Flask


def static_folders(app: Flask) -> dict[str, Path]:
    """URL prefix (without the leading slash) -> folder, for the app's and every blueprint's static files."""
    folders: dict[str, Path] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static" and not rule.endpoint.endswith(".static"):
            continue
        owner = app if rule.endpoint == "static" else app.blueprints[rule.endpoint.rsplit(".", 1)[0]]
        if owner.static_folder and Path(owner.static_folder).is_dir():
            folders[rule.rule.split("/<", 1)[0].strip("/")] = Path(owner.static_folder)
    return folders


def collect_static(app: Flask, directory: str | Path) -> int:
    """Copy the static folders into `directory` (directory/static/..., directory/bootstrap/static/...);
    returns the number of files."""
    target = Path(directory)
    count = 0
    for prefix, folder in static_folders(app).items():
        shutil.copytree(folder, target / prefix, dirs_exist_ok=True)
        count += sum(1 for path in folder.rglob("*") if path.is_file())
    return count
