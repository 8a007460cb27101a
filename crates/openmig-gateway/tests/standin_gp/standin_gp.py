#!/usr/bin/env python3
"""A stand-in GP system: another supplier's GP Connect Access Record Structured provider
(FHIR STU3, GP Connect 1.6) that serves *recorded* structured record Bundles over mutual
TLS. It is not openmig and shares no code with it: the gateway federates to it as it
would to any GP system, at whatever FHIR base the directory names.

Usage:
  standin_gp.py --listen HOST:PORT --cert FILE --key FILE --client-ca FILE
                --bundles DIR --base PATH --asid ASID

  --listen     where to listen (IPv4 host or address; port 0 picks a free port)
  --cert/--key the server's certificate chain and private key (PEM)
  --client-ca  the CA (PEM) that client certificates must chain to; a client without
               such a certificate fails the TLS handshake
  --bundles    the recordings: one Bundle per patient, DIR/<NHS number>.json
  --base       the FHIR base path served, e.g. /standin/Y12345/gpc/fhir
  --asid       this system's own ASID (requests must name it in Ssp-To)

Once listening it prints exactly one line, `listening on https://<address>:<port><base>`,
and serves until killed (SIGTERM and SIGINT exit cleanly, status 0).

Routes under the base:
  GET  {base}/metadata                          the CapabilityStatement
  POST {base}/Patient/$gpc.getstructuredrecord  the recorded Bundle of the patient named
                                                by `patientNHSNumber`

The structured record call is checked as a GP Connect provider checks it: the Spine
headers (Ssp-TraceID a UUID, Ssp-From, Ssp-To this ASID, Ssp-InteractionID the
getstructuredrecord interaction), the bearer JWT (three base64url parts whose claims ask
for `patient/*.read`; unsigned, as GP Connect's consumer JWT is), and a `Parameters`
body naming a valid NHS number. The other parameters are not interpreted: a recording is
the answer to the request it was recorded for (see README.md). Errors are
GPConnect-OperationOutcome-1 resources with the Spine error codes.

A recording carries no Bundle.id: GP Connect sets Bundle.id to the request's Ssp-TraceID,
so the served body is the file's bytes with `"id": "<Ssp-TraceID>"` inserted as the
Bundle's first element, and nothing else changed.

Logging (stderr): the method, the route (never the request path as sent, which could
carry anything) and the status. No header values, no body, no NHS number.

Standard library only (Python 3.11).
"""

import argparse
import base64
import binascii
import json
import re
import signal
import socket
import ssl
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

GET_STRUCTURED_RECORD = "urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1"
SPINE_CODES = "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1"
OPERATION_OUTCOME_PROFILE = "https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-OperationOutcome-1"
NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
FHIR_JSON = "application/fhir+json;charset=utf-8"
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
MAX_BODY = 64 * 1024
HANDSHAKE_TIMEOUT_SECONDS = 10
IDLE_TIMEOUT_SECONDS = 60

# Spine error code -> (HTTP status, FHIR issue type, display), from GP Connect's error
# handling guidance (development_fhir_error_handling_guidance.md) and the displays of
# the CodeSystem Spine-ErrorOrWarningCode-1.
ERRORS = {
    "BAD_REQUEST": (400, "invalid", "Bad request"),
    "INVALID_NHS_NUMBER": (400, "value", "Invalid NHS number"),
    "INVALID_IDENTIFIER_SYSTEM": (400, "value", "Invalid identifier system"),
    "INVALID_PARAMETER": (422, "invalid", "Invalid parameter"),
    "INVALID_RESOURCE": (422, "invalid", "Invalid validation of resource"),
    "PATIENT_NOT_FOUND": (404, "not-found", "Patient not found"),
    "NO_RECORD_FOUND": (404, "not-found", "No record found"),
    "NOT_IMPLEMENTED": (501, "not-supported", "Not implemented"),
    "INTERNAL_SERVER_ERROR": (500, "processing", "Unexpected internal server error"),
}

# The profiles this system's recordings use, at the versions GP Connect 1.6.2's example
# Access Record Structured CapabilityStatement lists
# (accessrecord_structured_get_the_fhir_capability_statement.md).
PROFILES = [
    "CareConnect-GPC-Patient-1/_history/1.8",
    "CareConnect-GPC-Organization-1/_history/1.4",
    "CareConnect-GPC-Practitioner-1/_history/1.3",
    "CareConnect-GPC-PractitionerRole-1/_history/1.2",
    "CareConnect-GPC-AllergyIntolerance-1/_history/1.7",
    "CareConnect-GPC-Medication-1/_history/1.2",
    "CareConnect-GPC-MedicationStatement-1/_history/1.7",
    "CareConnect-GPC-MedicationRequest-1/_history/1.6",
    "CareConnect-GPC-List-1/_history/1.7",
    "GPConnect-StructuredRecord-Bundle-1/_history/1.3",
    "GPConnect-OperationOutcome-1/_history/1.2",
]

CAPABILITY_STATEMENT = {
    "resourceType": "CapabilityStatement",
    "version": "1.6.2",
    "name": "GP Connect API - Access Record Structured",
    "status": "active",
    "date": "2026-12-07",
    "publisher": "Stand-in GP system (openmig test tree)",
    "description": "This server implements the GP Connect API - Access Record Structured version 1.6.2 "
    "for recorded records only (a test stand-in, not a GP system).",
    "kind": "capability",
    "software": {"name": "standin_gp.py", "version": "1"},
    "fhirVersion": "3.0.1",
    "acceptUnknown": "both",
    "format": ["application/fhir+json"],
    "profile": [{"reference": f"https://fhir.nhs.uk/STU3/StructureDefinition/{p}"} for p in PROFILES],
    "rest": [
        {
            "mode": "server",
            "operation": [
                {
                    "name": "gpc.getstructuredrecord",
                    "definition": {
                        "reference": "https://fhir.nhs.uk/STU3/OperationDefinition/"
                        "GPConnect-GetStructuredRecord-Operation-1/_history/1.16"
                    },
                }
            ],
        }
    ],
}


class Refusal(Exception):
    """A request refused with a Spine error code; `diagnostics` never holds patient data."""

    def __init__(self, code, diagnostics):
        super().__init__(diagnostics)
        self.code = code
        self.diagnostics = diagnostics


def operation_outcome(code, diagnostics):
    """A GPConnect-OperationOutcome-1 for the Spine error `code`."""
    _, issue_type, display = ERRORS[code]
    issue = {
        "severity": "error",
        "code": issue_type,
        "details": {"coding": [{"system": SPINE_CODES, "code": code, "display": display}]},
    }
    if diagnostics:
        issue["diagnostics"] = diagnostics
    return {"resourceType": "OperationOutcome", "meta": {"profile": [OPERATION_OUTCOME_PROFILE]}, "issue": [issue]}


def valid_nhs_number(text):
    """Ten digits whose last is the Modulus 11 check digit of the first nine."""
    if not isinstance(text, str) or not re.fullmatch(r"[0-9]{10}", text):
        return False
    total = sum(int(digit) * weight for digit, weight in zip(text[:9], range(10, 1, -1)))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(text[9])


def b64url_json(part):
    """A base64url JWT part (padding optional) decoded as JSON."""
    padded = part + "=" * (-len(part) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


def check_headers(headers, asid):
    """The Spine headers and the JWT, as GP Connect's SSP and providers check them."""
    for name in ("Ssp-TraceID", "Ssp-From", "Ssp-To", "Ssp-InteractionID", "Authorization"):
        if not (headers.get(name) or "").strip():
            raise Refusal("BAD_REQUEST", f"The {name} header is missing.")
    if not UUID.match(headers["Ssp-TraceID"].strip()):
        raise Refusal("BAD_REQUEST", "The Ssp-TraceID header is not a UUID.")
    if headers["Ssp-To"].strip() != asid:
        raise Refusal("BAD_REQUEST", "The Ssp-To header is not this system's ASID.")
    if headers["Ssp-InteractionID"].strip() != GET_STRUCTURED_RECORD:
        raise Refusal("BAD_REQUEST", "The Ssp-InteractionID header does not match the operation invoked.")
    scheme, _, token = headers["Authorization"].strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Refusal("BAD_REQUEST", "The Authorization header is not a bearer token.")
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise Refusal("BAD_REQUEST", "The bearer token is not a JWT (three dot-separated parts).")
    try:
        header, claims = b64url_json(parts[0]), b64url_json(parts[1])
        if parts[2]:
            base64.urlsafe_b64decode((parts[2] + "=" * (-len(parts[2]) % 4)).encode("ascii"))
    except (ValueError, binascii.Error, UnicodeError):
        raise Refusal("BAD_REQUEST", "The JWT is not base64url-encoded JSON.") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise Refusal("BAD_REQUEST", "The JWT header or claims are not JSON objects.")
    if claims.get("requested_scope") != "patient/*.read":
        raise Refusal("BAD_REQUEST", "The JWT requested_scope claim is not patient/*.read.")


def nhs_number_of(body):
    """The NHS number the `Parameters` body asks for."""
    try:
        parameters = json.loads(body)
    except (ValueError, UnicodeError):
        raise Refusal("INVALID_RESOURCE", "The request body is not a JSON Parameters resource.") from None
    if not isinstance(parameters, dict) or parameters.get("resourceType") != "Parameters":
        raise Refusal("INVALID_RESOURCE", "The request body is not a Parameters resource.")
    parameter = parameters.get("parameter")
    if not isinstance(parameter, list):
        raise Refusal("INVALID_RESOURCE", "The Parameters resource has no parameter list.")
    named = [p for p in parameter if isinstance(p, dict) and p.get("name") == "patientNHSNumber"]
    if not named:
        raise Refusal("INVALID_PARAMETER", "The patientNHSNumber parameter is missing.")
    if len(named) > 1:
        raise Refusal("INVALID_PARAMETER", "The patientNHSNumber parameter is given more than once.")
    identifier = named[0].get("valueIdentifier")
    if not isinstance(identifier, dict):
        raise Refusal("INVALID_PARAMETER", "The patientNHSNumber parameter is not a valueIdentifier.")
    if identifier.get("system") != NHS_NUMBER_SYSTEM:
        raise Refusal("INVALID_IDENTIFIER_SYSTEM", f"The patientNHSNumber system is not {NHS_NUMBER_SYSTEM}.")
    value = identifier.get("value")
    if not valid_nhs_number(value):
        raise Refusal("INVALID_NHS_NUMBER", "The patientNHSNumber value is not a valid NHS number.")
    return value


def with_bundle_id(recording, trace_id):
    """The recorded Bundle's bytes with Bundle.id set to the trace id (see the module docs)."""
    try:
        bundle = json.loads(recording)
    except (ValueError, UnicodeError):
        raise Refusal("INTERNAL_SERVER_ERROR", "A recorded Bundle is not JSON.") from None
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle" or "id" in bundle:
        raise Refusal("INTERNAL_SERVER_ERROR", "A recorded Bundle is not a Bundle without an id.")
    start = recording.index(b"{") + 1
    return recording[:start] + b'"id":' + json.dumps(trace_id).encode("ascii") + b"," + recording[start:]


class Handler(BaseHTTPRequestHandler):
    """One connection; the routes are in the module docs."""

    protocol_version = "HTTP/1.1"
    server_version = "standin-gp/1"
    sys_version = ""
    timeout = IDLE_TIMEOUT_SECONDS
    route_template = "(no such route)"

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_PUT(self):
        self.route("PUT")

    def do_DELETE(self):
        self.route("DELETE")

    def do_PATCH(self):
        self.route("PATCH")

    def route(self, method):
        config = self.server.config
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        metadata = config.base + "/metadata"
        structured = config.base + "/Patient/$gpc.getstructuredrecord"
        template = {metadata: "{base}/metadata", structured: "{base}/Patient/$gpc.getstructuredrecord"}.get(path)
        self.route_template = template or "(no such route)"
        try:
            body = self.read_body()
            if template is None:
                raise Refusal("NO_RECORD_FOUND", "No such resource or operation at this FHIR base.")
            if path == metadata and method == "GET":
                self.answer(200, json.dumps(CAPABILITY_STATEMENT, indent=2).encode("utf-8"))
            elif path == structured and method == "POST":
                self.structured_record(body)
            else:
                raise Refusal("BAD_REQUEST", f"{method} is not supported here.")
        except Refusal as refusal:
            status = ERRORS[refusal.code][0]
            self.answer(status, json.dumps(operation_outcome(refusal.code, refusal.diagnostics)).encode("utf-8"))

    def read_body(self):
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            raise Refusal("BAD_REQUEST", "Chunked request bodies are not supported; send Content-Length.")
        length = self.headers.get("Content-Length") or "0"
        if not length.isdigit() or int(length) > MAX_BODY:
            self.close_connection = True
            raise Refusal("BAD_REQUEST", "The Content-Length header is not a size this system accepts.")
        return self.rfile.read(int(length))

    def structured_record(self, body):
        config = self.server.config
        check_headers(self.headers, config.asid)
        nhs_number = nhs_number_of(body)
        recording = config.bundles / f"{nhs_number}.json"
        try:
            data = recording.read_bytes()
        except FileNotFoundError:
            raise Refusal("PATIENT_NOT_FOUND", "") from None
        except OSError:
            raise Refusal("INTERNAL_SERVER_ERROR", "A recorded Bundle could not be read.") from None
        self.answer(200, with_bundle_id(data, self.headers["Ssp-TraceID"].strip()))

    def answer(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", FHIR_JSON)
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        print(f"{self.command} {self.route_template} {status}", file=sys.stderr, flush=True)

    def send_error(self, code, message=None, explain=None):
        """HTTP-level failures (malformed request line, unknown method) as OperationOutcomes
        too, never echoing the request."""
        self.close_connection = True
        spine = "NOT_IMPLEMENTED" if code == 501 else "BAD_REQUEST"
        outcome = operation_outcome(spine, "The HTTP request could not be handled.")
        self.answer(code, json.dumps(outcome).encode("utf-8"))

    def log_message(self, format, *args):
        """Silenced: the default log lines carry the request path as sent."""

    def log_error(self, format, *args):
        """Malformed requests are logged without their request line."""
        print("(malformed request)", file=sys.stderr, flush=True)


class Config:
    """What the command line configured."""

    def __init__(self, base, bundles, asid):
        self.base = base
        self.bundles = bundles
        self.asid = asid


class TlsServer(ThreadingHTTPServer):
    """HTTPS with client certificates required; the handshake runs on the connection's
    own thread, so a slow or failing client never holds up accepting others."""

    daemon_threads = True

    def __init__(self, address, context, config):
        self.context = context
        self.config = config
        super().__init__(address, Handler)

    def get_request(self):
        sock, address = self.socket.accept()
        sock.settimeout(HANDSHAKE_TIMEOUT_SECONDS)
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address

    def finish_request(self, request, client_address):
        try:
            request.do_handshake()
        except (ssl.SSLError, OSError) as error:
            reason = getattr(error, "reason", None) or type(error).__name__
            print(f"TLS handshake refused: {reason}", file=sys.stderr, flush=True)
            return
        request.settimeout(IDLE_TIMEOUT_SECONDS)
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        print(f"connection error: {type(sys.exc_info()[1]).__name__}", file=sys.stderr, flush=True)


def tls_context(cert, key, client_ca):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile=cert, keyfile=key)
    context.load_verify_locations(cafile=client_ca)
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def listen_address(text):
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT")
    return host, int(port)


def base_path(text):
    path = "/" + text.strip().strip("/")
    if path == "/" or any(c in path for c in "?#"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a FHIR base path such as /standin/Y12345/gpc/fhir")
    return path


def stop(signum, frame):
    """SIGTERM and SIGINT: leave serve_forever, close the socket, exit 0."""
    raise SystemExit(0)


def main(argv):
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    parser = argparse.ArgumentParser(description="A stand-in GP Connect provider serving recorded Bundles.")
    parser.add_argument("--listen", required=True, type=listen_address, metavar="HOST:PORT")
    parser.add_argument("--cert", required=True, metavar="FILE", help="server certificate chain (PEM)")
    parser.add_argument("--key", required=True, metavar="FILE", help="server private key (PEM)")
    parser.add_argument("--client-ca", required=True, metavar="FILE", help="CA client certificates must chain to (PEM)")
    parser.add_argument("--bundles", required=True, type=Path, metavar="DIR", help="recorded Bundles, <NHS number>.json")
    parser.add_argument("--base", required=True, type=base_path, metavar="PATH", help="the FHIR base path served")
    parser.add_argument("--asid", required=True, metavar="ASID", help="this system's ASID")
    args = parser.parse_args(argv)
    if not args.bundles.is_dir():
        parser.error(f"--bundles {args.bundles} is not a directory")
    if not args.asid.strip():
        parser.error("--asid is empty")

    context = tls_context(args.cert, args.key, args.client_ca)
    try:
        server = TlsServer(args.listen, context, Config(args.base, args.bundles, args.asid.strip()))
    except (OSError, socket.gaierror) as error:
        print(f"cannot listen on {args.listen[0]}:{args.listen[1]}: {error}", file=sys.stderr)
        return 1

    host, port = server.server_address[:2]
    print(f"listening on https://{host}:{port}{args.base}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
