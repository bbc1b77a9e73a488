"""Strategy maps as code: the ``scorecard/v1`` YAML format (docs/format.md).

- :func:`import_map` reads a document, validates all of it (structure, types, references, then every model
  rule inside a transaction) and writes it whole, or reports every error and writes nothing.
- :func:`export_map` writes units as deterministic YAML: export, import into an empty database and export
  again gives the same text.
"""

from scorecard.mapfile.dump import UnknownUnitError, export_map
from scorecard.mapfile.load import ImportResult, import_map
from scorecard.mapfile.schema import FORMAT, MapError

__all__ = ["FORMAT", "ImportResult", "MapError", "UnknownUnitError", "export_map", "import_map"]
