#!/usr/bin/env python3
"""Validate FHIR STU3 JSON resources with the third-party `fhir.resources` models.

Usage: validate_stu3.py FILE...

Each file holds one resource; the model class is picked from its `resourceType`
(`fhir.resources.STU3.<resourcetype>.<ResourceType>`). Every failure is printed and the
script exits non-zero if any file fails. It exits with status 2 when `fhir.resources` is
not installed, so the calling test can say how to install it (./scripts/test does).
"""

import importlib
import json
import sys


def main(paths):
    try:
        importlib.import_module("fhir.resources.STU3")
    except ImportError as error:
        print(f"fhir.resources is not installed ({error}); run ./scripts/test, which installs it", file=sys.stderr)
        return 2
    failures = 0
    for path in paths:
        try:
            with open(path, encoding="utf-8") as handle:
                resource = json.load(handle)
            kind = resource["resourceType"]
            module = importlib.import_module(f"fhir.resources.STU3.{kind.lower()}")
            getattr(module, kind).model_validate(resource)
        except Exception as error:  # report every failure, not just the first
            failures += 1
            print(f"FAIL {path}: {error}", file=sys.stderr)
    print(f"validated {len(paths)} resource(s), {failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
