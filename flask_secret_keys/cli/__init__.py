"""The ``secret-keys`` command group: manage keys from the command line.

``flask secret-keys create --user admin@example.com --title CI`` prints the
new key alone on the last line of its output, so a script can capture it with
``| tail -n 1``; so does ``roll``. Durations are written ``90s``, ``15m``,
``24h`` or ``30d``. A mistake is a one-line error with a non-zero exit status,
and changes nothing. Changes are recorded in the key's events with the actor
``command line``, or the operator named with ``--actor``. Users are named as
the ``user_name`` given to ``SecretKeys`` names them, and every name or title
is printed with the characters a terminal would act on (a newline, an ANSI
escape) written out as escapes.
"""

from __future__ import annotations

from . import keys, oversight
from .base import group

#: The modules whose commands join ``group`` as they are imported.
COMMANDS = (keys, oversight)

__all__ = ["COMMANDS", "group"]
