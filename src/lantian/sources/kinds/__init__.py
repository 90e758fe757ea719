"""One module per kind of register; each ends with ``KIND = RegisterKind(...)``.

Importing this package imports every kind's table (``lantian.db.models`` does, for Alembic).
"""

import importlib as _importlib
import pkgutil as _pkgutil

for _module in _pkgutil.iter_modules(__path__):
    _importlib.import_module(f"{__name__}.{_module.name}")
