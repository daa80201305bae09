//! Derives an OpenAPI 3.0.3 document from utoipa's 3.1 output, because API gateways (AWS API
//! Gateway, Apigee) still import 3.0 only and utoipa will not emit it.
//!
//! The document is walked by its structure, so schema rules apply only where a value *is* a
//! schema: a property named `const` or `examples` is a name in a `properties` map and is left
//! alone, and a media type's `examples` map (valid in 3.0) is kept.

use serde_json::{Map, Value, json};

/// Keywords of JSON Schema 2020-12 that the OpenAPI 3.0 Schema Object does not allow and that
/// have no 3.0 equivalent: dropped.
const DROPPED_SCHEMA_KEYWORDS: &str = "$schema $id $anchor $dynamicRef $dynamicAnchor $defs $comment \
    $vocabulary propertyNames unevaluatedProperties unevaluatedItems patternProperties dependentRequired \
    dependentSchemas if then else contains minContains maxContains contentSchema";

/// Keys whose values are maps of names (paths, statuses, media types, components...).
const NAME_MAPS: &str = "paths responses content headers callbacks examples links encoding parameters \
    requestBodies securitySchemes variables";

/// Converts a 3.1 document to 3.0.3. The input is not modified.
pub(crate) fn to_openapi30(doc: &Value) -> Value {
    let mut out = doc.clone();
    let Value::Object(root) = &mut out else {
        return out;
    };
    root.insert("openapi".into(), json!("3.0.3"));
    for key in ["webhooks", "jsonSchemaDialect", "$schema"] {
        root.remove(key);
    }
    root.entry("paths").or_insert(json!({}));
    if let Some(Value::Object(info)) = root.get_mut("info") {
        info.remove("summary");
        if let Some(Value::Object(license)) = info.get_mut("license")
            && let Some(Value::String(id)) = license.remove("identifier")
        {
            let url = format!("https://spdx.org/licenses/{id}.html");
            license.entry("url").or_insert(url.into());
        }
    }
    // Path items in components are 3.1 only.
    if let Some(Value::Object(components)) = root.get_mut("components") {
        components.remove("pathItems");
    }
    walk(doc, &mut out, false);
    out
}

/// Walks the non-schema part of the document: converts every schema it finds (a `schema`, the
/// members of `components.schemas`) and makes every Reference Object a bare `$ref` (3.1 allows
/// `summary`/`description` beside it). Keys of name maps (`in_map`) are names, not keywords,
/// and examples' payloads are left alone. `doc` is the 3.1 document, for the types of `$ref`s.
fn walk(doc: &Value, value: &mut Value, in_map: bool) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(|item| walk(doc, item, false)),
        Value::Object(obj) if !in_map && obj.contains_key("$ref") => obj.retain(|k, _| k == "$ref"),
        Value::Object(obj) => {
            for (key, child) in obj {
                match key.as_str() {
                    _ if in_map => walk(doc, child, false),
                    "schema" => schema(doc, child),
                    "schemas" => members(child).for_each(|s| schema(doc, s)),
                    "example" | "value" => {}
                    _ => walk(doc, child, NAME_MAPS.split_whitespace().any(|m| m == key)),
                }
            }
        }
        _ => {}
    }
}

/// The values of a map or the members of a list.
fn members(value: &mut Value) -> Box<dyn Iterator<Item = &mut Value> + '_> {
    match value {
        Value::Object(map) => Box::new(map.values_mut()),
        Value::Array(list) => Box::new(list.iter_mut()),
        _ => Box::new(std::iter::empty()),
    }
}

/// Converts one Schema Object (and, first, its subschemas) in place.
fn schema(doc: &Value, value: &mut Value) {
    // Boolean schemas are 3.1 only.
    if let Value::Bool(b) = *value {
        *value = if b { json!({}) } else { json!({"not": {}}) };
    }
    let Value::Object(obj) = value else {
        return;
    };
    for key in DROPPED_SCHEMA_KEYWORDS.split_whitespace() {
        obj.remove(key);
    }
    for (key, child) in obj.iter_mut() {
        match key.as_str() {
            // `additionalProperties: true/false` is valid in 3.0.
            "additionalProperties" if child.is_boolean() => {}
            "items" | "additionalProperties" | "not" => schema(doc, child),
            // `properties` is a map of names to schemas: only its values are schemas.
            "properties" | "allOf" | "anyOf" | "oneOf" | "prefixItems" => {
                members(child).for_each(|s| schema(doc, s));
            }
            _ => {}
        }
    }
    prefix_items(obj);
    if let Some(v) = obj.remove("const") {
        obj.insert("enum".into(), json!([v]));
    }
    if let Some(Value::Array(examples)) = obj.remove("examples")
        && let Some(first) = examples.into_iter().next()
    {
        obj.entry("example").or_insert(first);
    }
    exclusive_bounds(obj);
    // `contentEncoding: base64` → `format: byte`; a `contentMediaType` alone → `format: binary`.
    let (encoding, media_type) = (
        obj.remove("contentEncoding"),
        obj.remove("contentMediaType"),
    );
    let format = match (encoding.as_ref().and_then(Value::as_str), media_type) {
        (Some("base64" | "base64url"), _) => Some("byte"),
        (None, Some(_)) => Some("binary"),
        _ => None,
    };
    if let Some(format) = format {
        obj.entry("format").or_insert(format.into());
    }
    type_array(obj);
    null_alternatives(doc, obj, "oneOf");
    null_alternatives(doc, obj, "anyOf");
    // A `$ref` replaces its whole object in 3.0, so siblings (description, nullable, ...) would
    // be ignored: move it into `allOf` beside them.
    if obj.len() > 1
        && let Some(reference) = obj.remove("$ref")
    {
        let wrapped = json!({ "$ref": reference });
        match obj.get_mut("allOf") {
            Some(Value::Array(all)) => all.insert(0, wrapped),
            _ => drop(obj.insert("allOf".into(), json!([wrapped]))),
        }
    }
}

/// `prefixItems` (tuples) → `items` of the members (one schema, or `anyOf` of them) with the
/// length fixed by `minItems`/`maxItems`.
fn prefix_items(obj: &mut Map<String, Value>) {
    let Some(Value::Array(members)) = obj.remove("prefixItems") else {
        return;
    };
    let len = members.len();
    let closed = obj.get("items") == Some(&json!({"not": {}}));
    let mut distinct: Vec<Value> = Vec::new();
    for m in members {
        if !distinct.contains(&m) {
            distinct.push(m);
        }
    }
    let items = match distinct.len() {
        1 => distinct.remove(0),
        _ => json!({ "anyOf": distinct }),
    };
    obj.insert("items".into(), items);
    obj.entry("minItems").or_insert(len.into());
    if closed {
        obj.entry("maxItems").or_insert(len.into());
    }
}

/// 3.1's numeric `exclusiveMinimum: n` → 3.0's `minimum: n, exclusiveMinimum: true` when it is
/// tighter than an existing `minimum` (and the same for the maximum).
fn exclusive_bounds(obj: &mut Map<String, Value>) {
    for (exclusive, inclusive, up) in [
        ("exclusiveMinimum", "minimum", 1.0),
        ("exclusiveMaximum", "maximum", -1.0),
    ] {
        let Some(bound) = obj.get(exclusive).filter(|v| v.is_number()).cloned() else {
            continue;
        };
        obj.remove(exclusive);
        let new = bound.as_f64().unwrap_or_default();
        let old = obj.get(inclusive).and_then(Value::as_f64);
        if old.is_none_or(|old| up * new >= up * old) {
            obj.insert(inclusive.into(), bound);
            obj.insert(exclusive.into(), json!(true));
        }
    }
}

/// `type: [T, "null"]` → `type: T, nullable: true`; several non-null types → `anyOf` of them;
/// `null` alone (no such type in 3.0) → `enum: [null], nullable: true`.
fn type_array(obj: &mut Map<String, Value>) {
    let mut types = match obj.get("type") {
        Some(Value::Array(types)) => types.clone(),
        Some(null) if null == "null" => vec![null.clone()],
        _ => return,
    };
    obj.remove("type");
    let nullable = types.iter().any(|t| t == "null");
    types.retain(|t| t != "null");
    match types.len() {
        0 => obj.insert("enum".into(), json!([null])),
        1 => obj.insert("type".into(), types.remove(0)),
        _ => obj.insert(
            "anyOf".into(),
            types.into_iter().map(|t| json!({ "type": t })).collect(),
        ),
    };
    if nullable {
        obj.insert("nullable".into(), json!(true));
    }
}

/// A `{"type": "null"}` member of `oneOf`/`anyOf` (utoipa's `Option<Ref>`) → `nullable: true`;
/// a single remaining member is folded into the schema (a `$ref` then moves to `allOf`).
fn null_alternatives(doc: &Value, obj: &mut Map<String, Value>, key: &str) {
    let Some(Value::Array(members)) = obj.get_mut(key) else {
        return;
    };
    // After conversion a `{"type": "null"}` member reads `{"enum": [null], "nullable": true}`.
    let before = members.len();
    members.retain(|m| {
        *m != json!({"type": "null"}) && *m != json!({"enum": [null], "nullable": true})
    });
    if members.len() == before {
        return;
    }
    obj.insert("nullable".into(), json!(true));
    let Some([Value::Object(only)]) = obj.get(key).and_then(Value::as_array).map(Vec::as_slice)
    else {
        return;
    };
    let only = only.clone();
    obj.remove(key);
    // 3.0 tools reject `nullable` without a `type`: a `$ref` takes its target's.
    if let Some(ty) = target_type(doc, only.get("$ref")) {
        obj.entry("type").or_insert(ty);
    }
    for (k, v) in only {
        obj.entry(k).or_insert(v);
    }
}

/// The 3.0 `type` of the component schema `reference` points to, if it is a single one.
fn target_type(doc: &Value, reference: Option<&Value>) -> Option<Value> {
    let name = reference?.as_str()?.strip_prefix("#/components/schemas/")?;
    let ty = doc["components"]["schemas"][name].get("type")?.clone();
    let mut target = Map::from_iter([("type".to_owned(), ty)]);
    type_array(&mut target);
    target.remove("type").filter(Value::is_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One case a line: `schema IN => OUT` converts IN as a component schema, `doc IN => OUT` a
    /// whole document. `$N` stands for a 3.1 nullable string, `$C` for its 3.0 form.
    const CASES: &str = r##"
schema {"type": ["string", "null"], "description": "d"} => {"type": "string", "nullable": true, "description": "d"}
schema {"type": ["integer"]} => {"type": "integer"}
schema {"type": ["string", "integer", "null"]} => {"anyOf": [{"type": "string"}, {"type": "integer"}], "nullable": true}
schema {"type": "null"} => {"enum": [null], "nullable": true}
schema {"type": ["null"]} => {"enum": [null], "nullable": true}
schema {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/T"}], "description": "d"} => {"allOf": [{"$ref": "#/components/schemas/T"}], "nullable": true, "description": "d"}
schema {"anyOf": [{"type": "string"}, {"type": "null"}]} => {"type": "string", "nullable": true}
schema {"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]} => {"oneOf": [{"type": "string"}, {"type": "integer"}], "nullable": true}
schema {"oneOf": [{"type": "string"}, {"type": "integer"}]} => {"oneOf": [{"type": "string"}, {"type": "integer"}]}
schema {"type": "string", "examples": ["a", "b"]} => {"type": "string", "example": "a"}
schema {"type": "string", "example": "x", "examples": ["a"]} => {"type": "string", "example": "x"}
schema {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 10.5} => {"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 10.5, "exclusiveMaximum": true}
schema {"type": "integer", "minimum": 5, "exclusiveMinimum": 0} => {"type": "integer", "minimum": 5}
schema {"type": "integer", "minimum": 0, "exclusiveMinimum": 0} => {"type": "integer", "minimum": 0, "exclusiveMinimum": true}
schema {"type": "string", "const": "bearer"} => {"type": "string", "enum": ["bearer"]}
schema {"type": "object", "$schema": "x", "$id": "y", "$defs": {}, "$comment": "c", "propertyNames": {"pattern": "^a"}, "unevaluatedProperties": false, "patternProperties": {"^a": {}}, "dependentRequired": {}, "if": {}, "then": {}, "else": {}} => {"type": "object"}
schema {"type": "array", "items": {}, "contains": {}, "minContains": 1, "unevaluatedItems": false} => {"type": "array", "items": {}}
schema {"type": "string", "contentEncoding": "base64"} => {"type": "string", "format": "byte"}
schema {"type": "string", "contentMediaType": "application/octet-stream"} => {"type": "string", "format": "binary"}
schema {"type": "string", "format": "binary", "contentMediaType": "image/png"} => {"type": "string", "format": "binary"}
schema {"$ref": "#/components/schemas/T", "description": "d"} => {"allOf": [{"$ref": "#/components/schemas/T"}], "description": "d"}
schema {"$ref": "#/components/schemas/T"} => {"$ref": "#/components/schemas/T"}
schema {"type": "array", "items": true} => {"type": "array", "items": {}}
schema {"not": false} => {"not": {"not": {}}}
schema {"type": "object", "additionalProperties": false} => {"type": "object", "additionalProperties": false}
schema {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "items": false} => {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}, "minItems": 2, "maxItems": 2}
schema {"type": "array", "prefixItems": [{"type": "string"}, {"type": "string"}]} => {"type": "array", "items": {"type": "string"}, "minItems": 2}
schema {"type": "object", "properties": {"a": $N, "b": {"type": "array", "items": {"type": ["integer", "null"], "examples": [1]}}, "c": {"allOf": [{"const": 1}]}, "d": {"additionalProperties": $N}}} => {"type": "object", "properties": {"a": $C, "b": {"type": "array", "items": {"type": "integer", "nullable": true, "example": 1}}, "c": {"allOf": [{"enum": [1]}]}, "d": {"additionalProperties": $C}}}
schema {"type": "object", "properties": {"const": {"type": "string"}, "examples": {"type": "array", "items": {"type": "string"}}, "$ref": {"type": "string"}, "type": {"type": "string"}}} => {"type": "object", "properties": {"const": {"type": "string"}, "examples": {"type": "array", "items": {"type": "string"}}, "$ref": {"type": "string"}, "type": {"type": "string"}}}
doc {"openapi": "3.1.0", "$schema": "https://spec.openapis.org/oas/3.1/schema-base/2022-10-07", "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base", "info": {"title": "t", "version": "1", "summary": "s", "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"}}, "webhooks": {"w": {}}, "components": {"pathItems": {"p": {}}}} => {"openapi": "3.0.3", "info": {"title": "t", "version": "1", "license": {"name": "Apache-2.0", "url": "https://spdx.org/licenses/Apache-2.0.html"}}, "paths": {}, "components": {}}
doc {"openapi": "3.1.0", "paths": {}, "info": {"license": {"name": "MIT", "identifier": "MIT", "url": "https://example.invalid/l"}}} => {"openapi": "3.0.3", "paths": {}, "info": {"license": {"name": "MIT", "url": "https://example.invalid/l"}}}
doc {"openapi": "3.1.0", "paths": {}, "components": {"schemas": {"T": {"type": "object"}, "S": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/T"}]}}}} => {"openapi": "3.0.3", "paths": {}, "components": {"schemas": {"T": {"type": "object"}, "S": {"type": "object", "nullable": true, "allOf": [{"$ref": "#/components/schemas/T"}]}}}}
doc {"openapi": "3.1.0", "paths": {"/x/{id}": {"parameters": [{"name": "id", "in": "path", "required": true, "schema": $N}], "post": {"parameters": [{"name": "q", "in": "query", "schema": $N}], "requestBody": {"content": {"application/json": {"schema": $N}}}, "responses": {"200": {"description": "ok", "headers": {"X-H": {"schema": $N}}, "content": {"application/json": {"schema": $N}}}}, "callbacks": {"cb": {"{$request.body#/url}": {"post": {"responses": {"200": {"description": "ok", "content": {"application/json": {"schema": $N}}}}}}}}}}}, "components": {"responses": {"R": {"description": "r", "content": {"application/json": {"schema": $N}}}}, "parameters": {"P": {"name": "p", "in": "query", "schema": $N}}, "headers": {"H": {"schema": $N}}, "requestBodies": {"B": {"content": {"application/json": {"schema": $N}}}}}} => {"openapi": "3.0.3", "paths": {"/x/{id}": {"parameters": [{"name": "id", "in": "path", "required": true, "schema": $C}], "post": {"parameters": [{"name": "q", "in": "query", "schema": $C}], "requestBody": {"content": {"application/json": {"schema": $C}}}, "responses": {"200": {"description": "ok", "headers": {"X-H": {"schema": $C}}, "content": {"application/json": {"schema": $C}}}}, "callbacks": {"cb": {"{$request.body#/url}": {"post": {"responses": {"200": {"description": "ok", "content": {"application/json": {"schema": $C}}}}}}}}}}}, "components": {"responses": {"R": {"description": "r", "content": {"application/json": {"schema": $C}}}}, "parameters": {"P": {"name": "p", "in": "query", "schema": $C}}, "headers": {"H": {"schema": $C}}, "requestBodies": {"B": {"content": {"application/json": {"schema": $C}}}}}}
doc {"openapi": "3.1.0", "paths": {"/x": {"get": {"responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "string"}, "examples": {"one": {"summary": "s", "value": "a"}, "two": {"$ref": "#/components/examples/E", "summary": "s"}}}}}, "401": {"$ref": "#/components/responses/Unauthorized", "description": "d"}}}}}} => {"openapi": "3.0.3", "paths": {"/x": {"get": {"responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "string"}, "examples": {"one": {"summary": "s", "value": "a"}, "two": {"$ref": "#/components/examples/E"}}}}}, "401": {"$ref": "#/components/responses/Unauthorized"}}}}}}
"##;

    #[test]
    fn every_31_construct_has_its_30_form() {
        let cases = CASES
            .replace("$N", r#"{"type": ["string", "null"]}"#)
            .replace("$C", r#"{"type": "string", "nullable": true}"#);
        for line in cases.lines().filter(|line| !line.is_empty()) {
            let (kind, case) = line.split_once(' ').unwrap();
            let (input, expected) = case.split_once(" => ").unwrap();
            let parse = |text: &str| {
                serde_json::from_str::<Value>(text).unwrap_or_else(|e| panic!("{e}: {text}"))
            };
            let (input, expected) = (parse(input), parse(expected));
            let output = match kind {
                "schema" => to_openapi30(&json!({"openapi": "3.1.0", "paths": {}, "components": {"schemas": {"S": input}}}))["components"]["schemas"]["S"].take(),
                _ => to_openapi30(&input),
            };
            assert_eq!(output, expected, "{line}");
        }
    }

    #[test]
    fn the_documented_contract_is_plain_30_already() {
        let doc: Value =
            serde_json::from_str(include_str!("../../../openapi/documented.json")).unwrap();
        let mut expected = doc.clone();
        expected["openapi"] = json!("3.0.3");
        assert_eq!(to_openapi30(&doc), expected);
    }
}
