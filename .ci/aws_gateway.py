"""Checks an OpenAPI document against what AWS API Gateway documents for REST API import, then
imports it into moto's API Gateway with failOnWarnings=True and asserts that every documented
path and method (and its responses) arrived. Run by .ci/aws-gateway, in a venv with moto."""

import json
import os
import re
import sys

# The exceptions AWS lists in "Amazon API Gateway important notes for REST APIs" (OpenAPI import).
PATH_SEGMENT = re.compile(r"^(?:[A-Za-z0-9.,-]+|\{[A-Za-z0-9_.-]+\+?\})$")
ALPHANUMERIC = re.compile(r"^[A-Za-z0-9]+$")
UNSUPPORTED_SCHEMA_KEYWORDS = {
    "discriminator": "the discriminator keyword is not supported in any schema object",
    "example": "the example tag is not supported",
    "examples": "the example tag is not supported",
    "exclusiveMinimum": "exclusiveMinimum is not supported",
    "readOnly": "the readOnly field is not supported",
    "oneOf": "oneOf is not supported",
    "anyOf": "anyOf is not supported in models",
    "allOf": "allOf is not supported in models",
    "additionalProperties": "additionalProperties is not supported in models",
}
PARAMETER_FIELDS = {"name", "in", "required", "schema", "description"}
METHODS = ["get", "put", "post", "delete", "options", "head", "patch"]
STATUS_CODE = re.compile(r"^[1-5][0-9][0-9]$")


def walk(value, where, found):
    """Every unsupported keyword or number format under `value`; `properties` maps hold names."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            walk(item, f"{where}[{i}]", found)
        return
    if not isinstance(value, dict):
        return
    for key, child in value.items():
        here = f"{where}.{key}"
        if where.endswith(".properties") or where.endswith(".schemas"):
            walk(child, here, found)
            continue
        if key in UNSUPPORTED_SCHEMA_KEYWORDS:
            found.append(f"{here}: {UNSUPPORTED_SCHEMA_KEYWORDS[key]}")
        if key == "format" and child in ("int32", "int64", "decimal"):
            found.append(f"{here}: numbers of the {child} format are not supported")
        if key == "deprecated":
            found.append(f"{here}: the deprecated field is not supported")
        walk(child, here, found)


def rule_violations(doc):
    found = []
    if not str(doc.get("openapi", "")).startswith("3.0."):
        found.append("openapi: AWS imports OpenAPI 2.0 and 3.0 only; this variant must be 3.0.x")
    for kind, components in doc.get("components", {}).items():
        for name in components:
            if not ALPHANUMERIC.match(name):
                found.append(f"components.{kind}.{name}: model names must be alphanumeric")
    for name, scheme in doc.get("components", {}).get("securitySchemes", {}).items():
        if scheme.get("type") != "apiKey":
            found.append(f"securitySchemes.{name}: the type, if used, must be apiKey")
    for path, item in doc.get("paths", {}).items():
        for segment in path.strip("/").split("/"):
            if segment and not PATH_SEGMENT.match(segment):
                found.append(f"paths.{path}: segment {segment!r} has characters AWS does not take")
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            for p in op.get("parameters", []) + item.get("parameters", []):
                extra = set(p) - PARAMETER_FIELDS
                if extra:
                    found.append(f"paths.{path}.{method}: parameter fields {sorted(extra)} are ignored")
            for code, response in op.get("responses", {}).items():
                if not STATUS_CODE.match(code):
                    found.append(f"paths.{path}.{method}.responses.{code}: not a status code")
                if "$ref" in response:
                    found.append(f"paths.{path}.{method}.responses.{code}: a $ref response is not supported")
    walk(doc, "$", found)
    refs = []
    collect_refs(doc, refs)
    for ref in refs:
        if not ref.startswith("#/components/") or resolve(doc, ref) is None:
            found.append(f"$ref {ref}: must point into this document's components")
    return found


def collect_refs(value, out):
    if isinstance(value, dict):
        if isinstance(value.get("$ref"), str):
            out.append(value["$ref"])
        for child in value.values():
            collect_refs(child, out)
    elif isinstance(value, list):
        for child in value:
            collect_refs(child, out)


def resolve(doc, ref):
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def import_with_moto(text, doc):
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    import boto3
    import moto
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("apigateway", region_name="us-east-1")
        api = client.import_rest_api(body=text.encode(), failOnWarnings=True)
        warnings = api.get("warnings", [])
        if warnings:
            sys.exit(f"aws-gateway: the import warned: {warnings}")
        items = client.get_resources(restApiId=api["id"], embed=["methods"], limit=500)["items"]
        imported = {}
        for resource in items:
            for method in resource.get("resourceMethods", {}):
                got = client.get_method(restApiId=api["id"], resourceId=resource["id"], httpMethod=method)
                imported[(resource["path"], method)] = sorted(got.get("methodResponses", {}))
        expected = {}
        for path, item in doc["paths"].items():
            for method in METHODS:
                if method in item:
                    expected[(path, method.upper())] = sorted(item[method].get("responses", {}))
        if imported != expected:
            missing = sorted(set(expected) - set(imported))
            extra = sorted(set(imported) - set(expected))
            wrong = sorted(k for k in expected if k in imported and imported[k] != expected[k])
            sys.exit(f"aws-gateway: imported API differs: missing {missing}, extra {extra}, "
                     f"responses differ on {wrong}")
        print(f"aws-gateway: moto {moto.__version__} imported REST API {api['name']!r} "
              f"with failOnWarnings=True, 0 warnings; {len(imported)} operations:")
        for (path, method), codes in sorted(imported.items()):
            print(f"  {method:5} {path}  responses {' '.join(codes)}")


def main():
    path = sys.argv[1]
    text = open(path, encoding="utf-8").read()
    doc = json.loads(text)
    found = rule_violations(doc)
    if found:
        print(f"aws-gateway: {path} breaks {len(found)} of AWS's documented import rules:")
        for line in found:
            print(f"  {line}")
        sys.exit(1)
    print(f"aws-gateway: {path} follows AWS's documented REST API import rules "
          "(alphanumeric model names, apiKey security scheme, path segments, no example, "
          "discriminator, readOnly, oneOf/anyOf/allOf, additionalProperties, exclusiveMinimum, "
          "int32/int64 formats, deprecated, $ref responses; every $ref internal and resolving)")
    import_with_moto(text, doc)


if __name__ == "__main__":
    main()
