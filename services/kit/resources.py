"""Where the top-level folders the code reads (templates/, events/) are found."""

import os
import sys
from pathlib import Path


def shared_folder(name: str) -> Path:
    """Beside the sources (a checkout, an editable install), else installed under
    <prefix>/share/perche (a plain `pip install .`); PERCHE_<NAME>_DIR overrides both."""
    override = os.environ.get(f"PERCHE_{name.upper()}_DIR")
    if override:
        return Path(override)
    beside = Path(__file__).resolve().parents[2] / name
    if beside.is_dir():
        return beside
    return Path(sys.prefix) / "share" / "perche" / name
