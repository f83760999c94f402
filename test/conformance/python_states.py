#!/usr/bin/python3
"""Runs the Python controller over every conformance case (fixtures/case-*.json) up to each
step at which the fixture saved a TS state, and prints the states Python saves there as JSON:
``{"<case>": [{"afterStep": k, "state": {...}}, ...]}``. conformance.test.ts restores them in
TS and continues.

Run: PYTHONPATH=sdk/python /usr/bin/python3 test/conformance/python_states.py
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))

from conformance_support import load_fixtures, replay  # noqa: E402

out = {}
for fixture in load_fixtures():
    out[fixture["name"]] = replay(fixture)["states"]
json.dump(out, sys.stdout, allow_nan=False)
