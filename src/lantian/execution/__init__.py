"""Execution checks of the emergency and heating-season measures (seed tasks 37–39 and 41): what
enterprises actually did (electricity use or production share per line, gate records of freight,
the fleet's emission standards) against what the reduction list in force and the staggered rules
required of them on each warning day."""
