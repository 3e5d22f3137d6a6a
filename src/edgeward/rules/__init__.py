"""Rule modules. Importing this package registers every implemented rule.

Modules are named by area (`secrets`, `isolation`, `request`, `supply_chain`, `observability`, `platform`),
optionally with a topic (`secrets_artifacts`, `request_jwt`...). Every module in this package is imported,
in name order. A module reads facts from the project and yields `Hit`s; it never opens or parses files.
"""

import importlib
import pkgutil

MODULES = tuple(
    sorted(
        m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_") and m.name != "registry"
    )
)
for _name in MODULES:
    importlib.import_module(f"{__name__}.{_name}")
