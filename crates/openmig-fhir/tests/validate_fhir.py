#!/usr/bin/env python3
"""Validate openmig's FHIR JSON resources with the third-party `fhir.resources` models.

Usage: validate_fhir.py --release=STU3|R4B [--expect=Type,Type,...] FILE...

Each FILE holds one resource; it is parsed with the model of its resourceType
(`fhir.resources.<release>.<resourcetype>.<ResourceType>`). Resources inside a Bundle or
a List's `contained` are validated as part of their container. Every failure is printed
and the script exits non-zero if any file fails. It exits with status 2 when
`fhir.resources` (with that release's models) is not installed, so the calling test can
say how to install it (./scripts/test does). With `--expect`, it also fails unless every
listed resourceType was among the validated files, so a resource type dropped from the
fixtures cannot silently go unvalidated.

STU3 is GP Connect's release. R4B stands in for R4 (UK Core): `fhir.resources` 8 (the
version ./scripts/test installs) ships models for R5 (its default), R4B (4.3.0) and STU3,
but no longer for R4 (4.0.1). R4B is a minor release of R4 whose changes are almost all
in resources openmig does not emit (the medicinal product definitions, Subscription,
Evidence, Citation...). Every element openmig fills is an R4 element (R4's element
tables, hl7.org/fhir/R4) with the same type in R4B, so a resource that passes here is
R4-shaped. No R4/R4B difference has forced a choice so far; if one does, emit the shape
valid in both and say so in the Rust module that builds it.
"""

import importlib
import json
import sys

RELEASES = ("STU3", "R4B")


def main(args):
    release = None
    expected = set()
    paths = []
    for arg in args:
        if arg.startswith("--release="):
            release = arg[len("--release="):]
        elif arg.startswith("--expect="):
            expected.update(kind for kind in arg[len("--expect="):].split(",") if kind)
        else:
            paths.append(arg)
    if release not in RELEASES:
        print(f"--release must be one of {', '.join(RELEASES)}", file=sys.stderr)
        return 1
    try:
        importlib.import_module(f"fhir.resources.{release}")
    except ImportError as error:
        print(f"fhir.resources is not installed ({error}); run ./scripts/test, which installs it", file=sys.stderr)
        return 2
    seen = set()
    failures = 0
    for path in paths:
        try:
            with open(path, encoding="utf-8") as handle:
                resource = json.load(handle)
            kind = resource["resourceType"]
            seen.add(kind)
            module = importlib.import_module(f"fhir.resources.{release}.{kind.lower()}")
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
