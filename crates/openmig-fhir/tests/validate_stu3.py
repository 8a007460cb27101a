#!/usr/bin/env python3
"""Validate FHIR STU3 JSON resources with the third-party `fhir.resources` models.

Usage: validate_stu3.py [--expect=Type,Type,...] FILE...

Each file holds one resource; the model class is picked from its `resourceType`
(`fhir.resources.STU3.<resourcetype>.<ResourceType>`). Every failure is printed and the
script exits non-zero if any file fails. It exits with status 2 when `fhir.resources` is
not installed, so the calling test can say how to install it (./scripts/test does).
With `--expect`, it also fails unless every listed resourceType (Patient, Condition,
Immunization, ReferralRequest, Observation, ...) was among the validated files, so a
resource type dropped from the fixtures cannot silently go unvalidated. Resources inside
a Bundle or a List's `contained` are validated as part of their container.
"""

import importlib
import json
import sys


def main(args):
    expected = set()
    paths = []
    for arg in args:
        if arg.startswith("--expect="):
            expected.update(kind for kind in arg[len("--expect="):].split(",") if kind)
        else:
            paths.append(arg)
    seen = set()
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
            seen.add(kind)
            module = importlib.import_module(f"fhir.resources.STU3.{kind.lower()}")
            getattr(module, kind).model_validate(resource)
        except Exception as error:  # report every failure, not just the first
            failures += 1
            print(f"FAIL {path}: {error}", file=sys.stderr)
    for kind in sorted(expected - seen):
        failures += 1
        print(f"FAIL no {kind} resource was validated", file=sys.stderr)
    print(f"validated {len(paths)} resource(s) of {len(seen)} type(s), {failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
