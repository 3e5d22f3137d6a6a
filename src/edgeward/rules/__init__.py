"""Rule modules, one per area. Importing this package registers every implemented rule.

Each module reads facts from the project (units, parsed configs, source IR, lockfiles) and yields `Hit`s;
no module opens a file or parses text itself.
"""

from edgeward.rules import isolation, observability, platform, secrets, supply_chain  # noqa: F401

MODULES = ("secrets", "isolation", "supply_chain", "observability", "platform")
