"""Check that the default htmx URL and integrity hash name the same file.

Downloads the npm package of the version in ``HTMX_URL`` (the default of
``SECRET_KEYS_HTMX_URL``) and compares its ``dist/htmx.min.js`` with ``HTMX_INTEGRITY``.
"""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from flask_secret_keys.settings import HTMX_INTEGRITY, HTMX_URL

url = HTMX_URL
match = re.search(r"htmx\.org@([0-9.]+)/dist/htmx\.min\.js$", url)
if match is None:
    sys.exit(f"cannot read the htmx version from {url}")
with tempfile.TemporaryDirectory() as tmp:
    subprocess.run(
        ["npm", "pack", "--silent", f"htmx.org@{match.group(1)}"],
        cwd=tmp,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    (tarball,) = Path(tmp).glob("htmx.org-*.tgz")
    with tarfile.open(tarball) as archive:
        member = archive.extractfile("package/dist/htmx.min.js")
        assert member is not None
        digest = hashlib.sha384(member.read()).digest()
expected = "sha384-" + base64.b64encode(digest).decode()
if expected != HTMX_INTEGRITY:
    sys.exit(f"HTMX_INTEGRITY in flask_secret_keys/settings.py should be {expected} for {url}")
print(f"htmx {match.group(1)}: integrity {expected} matches")
