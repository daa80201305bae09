//! Derives an OpenAPI 3.0.3 document from utoipa's 3.1 output, because API gateways (AWS API
//! Gateway, Apigee) still import 3.0 only and utoipa will not emit it.
//!
//! The document is walked by its structure, so schema rules apply only where a value *is* a
//! schema: a property named `const` or `examples` is a name in a `properties` map and is left
//! alone, and a media type's `examples` map (valid in 3.0) is kept.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

/// Keywords of JSON Schema 2020-12 that the OpenAPI 3.0 Schema Object does not allow and that
/// have no 3.0 equivalent: dropped.
const DROPPED_SCHEMA_KEYWORDS: &str = "$schema $id $anchor $dynamicRef $dynamicAnchor $defs $comment \
    $vocabulary propertyNames unevaluatedProperties unevaluatedItems patternProperties dependentRequired \
    dependentSchemas if then else contains minContains maxContains";

/// Keywords whose value is one schema.
const SUBSCHEMA_KEYWORDS: [&str; 3] = ["items", "additionalProperties", "not"];

/// Keywords whose value is a list of schemas.
const SUBSCHEMA_LIST_KEYWORDS: [&str; 4] = ["allOf", "anyOf", "oneOf", "prefixItems"];

/// Keys whose values are maps of names (paths, statuses, media types, components...).
const NAME_MAPS: &str = "paths responses content headers callbacks examples links encoding parameters \
    requestBodies securitySchemes variables";

/// The single non-null `type` of each component schema that has one, by component name.
type Types = BTreeMap<String, String>;

fn component_types(doc: &Value) -> Types {
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object);
    let single = |s: &Value| {
        let types: Vec<&str> = match &s["type"] {
            Value::Array(types) => types.iter().filter_map(Value::as_str).collect(),
            other => other.as_str().into_iter().collect(),
        };
        match types.iter().filter(|t| **t != "null").collect::<Vec<_>>()[..] {
            [one] => Some((*one).to_owned()),
            _ => None,
        }
    };
    schemas
        .into_iter()
        .flatten()
        .filter_map(|(name, s)| Some((name.clone(), single(s)?)))
        .collect()
}

/// Converts a 3.1 document to 3.0.3. The input is not modified.
pub(crate) fn to_openapi30(doc: &Value) -> Value {
    let types = component_types(doc);
    let cx = &types;
    let mut doc = doc.clone();
    let Some(root) = doc.as_object_mut() else {
        return doc;
    };
    root.insert("openapi".into(), json!("3.0.3"));
    for key in ["webhooks", "jsonSchemaDialect", "$schema"] {
        root.remove(key);
    }
    if !root.contains_key("paths") {
        root.insert("paths".into(), json!({}));
    }
    if let Some(info) = root.get_mut("info").and_then(Value::as_object_mut) {
        info.remove("summary");
        if let Some(license) = info.get_mut("license").and_then(Value::as_object_mut)
            && let Some(id) = license.remove("identifier")
            && !license.contains_key("url")
            && let Some(id) = id.as_str()
        {
            license.insert(
                "url".into(),
                json!(format!("https://spdx.org/licenses/{id}.html")),
            );
        }
    }
    // Path items in components are 3.1 only.
    root.get_mut("components")
        .and_then(Value::as_object_mut)
        .map(|c| c.remove("pathItems"));
    walk(cx, &mut doc, false);
    doc
}

/// Walks the non-schema part of the document: converts every schema it finds (a `schema`, the
/// members of `components.schemas`) and makes every Reference Object a bare `$ref` (3.1 allows
/// `summary`/`description` beside it). Keys of name maps (`in_map`) are names, not keywords,
/// and examples' payloads are left alone.
fn walk(cx: &Types, value: &mut Value, in_map: bool) {
    if let Value::Array(items) = value {
        for item in items {
            walk(cx, item, false);
        }
    }
    let Some(obj) = value.as_object_mut() else {
        return;
    };
    if !in_map && obj.contains_key("$ref") {
        obj.retain(|k, _| k == "$ref");
        return;
    }
    for (key, child) in obj.iter_mut() {
        match key.as_str() {
            _ if in_map => walk(cx, child, false),
            "schema" => schema(cx, child),
            "schemas" => values_mut(Some(child)).for_each(|s| schema(cx, s)),
            "example" | "value" => {}
            _ => walk(
                cx,
                child,
                NAME_MAPS.split_whitespace().any(|name| name == key),
            ),
        }
    }
}

/// The values of a JSON object (a map), or nothing.
fn values_mut(value: Option<&mut Value>) -> impl Iterator<Item = &mut Value> {
    value
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(Map::values_mut)
}

/// The members of a JSON array, or nothing.
fn members_mut(value: Option<&mut Value>) -> impl Iterator<Item = &mut Value> {
    value
        .and_then(Value::as_array_mut)
        .into_iter()
        .flat_map(|a| a.iter_mut())
}

/// Converts one Schema Object (and, first, its subschemas) in place.
fn schema(cx: &Types, value: &mut Value) {
    // Boolean schemas are 3.1 only.
    if let Value::Bool(b) = *value {
        *value = if b { json!({}) } else { json!({"not": {}}) };
        return;
    }
    let Some(obj) = value.as_object_mut() else {
        return;
    };

    for key in DROPPED_SCHEMA_KEYWORDS.split_whitespace() {
        obj.remove(key);
    }
    // Subschemas first. `properties` is a map of names to schemas: only its values are schemas.
    for s in values_mut(obj.get_mut("properties")) {
        schema(cx, s);
    }
    for key in SUBSCHEMA_KEYWORDS {
        match obj.get_mut(key) {
            // `additionalProperties: true/false` is valid in 3.0.
            Some(Value::Bool(_)) if key == "additionalProperties" => {}
            Some(s) => schema(cx, s),
            None => {}
        }
    }
    for key in SUBSCHEMA_LIST_KEYWORDS {
        for s in members_mut(obj.get_mut(key)) {
            schema(cx, s);
        }
    }

    prefix_items(obj);
    if let Some(v) = obj.remove("const") {
        obj.insert("enum".into(), json!([v]));
    }
    if let Some(examples) = obj.remove("examples")
        && let Some(first) = examples.as_array().and_then(|a| a.first())
        && !obj.contains_key("example")
    {
        obj.insert("example".into(), first.clone());
    }
    exclusive_bound(obj, "exclusiveMinimum", "minimum", |new, old| new >= old);
    exclusive_bound(obj, "exclusiveMaximum", "maximum", |new, old| new <= old);
    content_keywords(obj);
    type_array(obj);
    null_alternatives(cx, obj, "oneOf");
    null_alternatives(cx, obj, "anyOf");
    ref_siblings(obj);
}

/// `prefixItems` (tuples) → `items` of the members (one schema, or `anyOf` of them) with the
/// length fixed by `minItems`/`maxItems`.
fn prefix_items(obj: &mut Map<String, Value>) {
    let Some(Value::Array(members)) = obj.remove("prefixItems") else {
        return;
    };
    let len = members.len();
    let extra_items_allowed = !matches!(obj.get("items"), Some(v) if v == &json!({"not": {}}));
    let mut distinct: Vec<Value> = Vec::new();
    for m in members {
        if !distinct.contains(&m) {
            distinct.push(m);
        }
    }
    let items = match <[Value; 1]>::try_from(distinct) {
        Ok([one]) => one,
        Err(many) => json!({ "anyOf": many }),
    };
    obj.insert("items".into(), items);
    obj.entry("minItems").or_insert(json!(len));
    if !extra_items_allowed {
        obj.entry("maxItems").or_insert(json!(len));
    }
}

/// 3.1's numeric `exclusiveMinimum: n` → 3.0's `minimum: n, exclusiveMinimum: true` (same for
/// maximum). `tighter(new, old)` says whether the exclusive bound beats an existing inclusive one.
fn exclusive_bound(
    obj: &mut Map<String, Value>,
    exclusive: &str,
    inclusive: &str,
    tighter: fn(f64, f64) -> bool,
) {
    let Some(bound) = obj.get(exclusive).filter(|v| v.is_number()).cloned() else {
        return;
    };
    obj.remove(exclusive);
    let old = obj.get(inclusive).and_then(Value::as_f64);
    let new = bound.as_f64().unwrap_or_default();
    if old.is_none_or(|old| tighter(new, old)) {
        obj.insert(inclusive.into(), bound);
        obj.insert(exclusive.into(), json!(true));
    }
}

/// `contentEncoding: base64` → `format: byte`; a string with a `contentMediaType` only →
/// `format: binary`; both keywords are 3.1 only.
fn content_keywords(obj: &mut Map<String, Value>) {
    let encoding = obj.remove("contentEncoding");
    let media_type = obj.remove("contentMediaType");
    obj.remove("contentSchema");
    let format = match (encoding.as_ref().and_then(Value::as_str), media_type) {
        (Some("base64" | "base64url"), _) => "byte",
        (None, Some(_)) => "binary",
        _ => return,
    };
    obj.entry("format").or_insert(json!(format));
}

/// `type: [T, "null"]` → `type: T, nullable: true`; several non-null types → `anyOf` of them;
/// `null` alone (no such type in 3.0) → `enum: [null], nullable: true`.
fn type_array(obj: &mut Map<String, Value>) {
    if obj.get("type") == Some(&json!("null")) {
        obj.insert("type".into(), json!(["null"]));
    }
    let Some(Value::Array(types)) = obj.get("type") else {
        return;
    };
    let null = json!("null");
    let nullable = types.contains(&null);
    let rest: Vec<Value> = types.iter().filter(|t| **t != null).cloned().collect();
    obj.remove("type");
    match <[Value; 1]>::try_from(rest) {
        Ok([one]) => {
            obj.insert("type".into(), one);
        }
        Err(rest) if rest.is_empty() => {
            // Only `null`: 3.0 has no null type.
            obj.insert("enum".into(), json!([null]));
        }
        Err(rest) => {
            let alternatives: Vec<Value> = rest.into_iter().map(|t| json!({ "type": t })).collect();
            obj.insert("anyOf".into(), Value::Array(alternatives));
        }
    }
    if nullable {
        obj.insert("nullable".into(), json!(true));
    }
}

/// A `{"type": "null"}` member of `oneOf`/`anyOf` (utoipa's `Option<Ref>`) → `nullable: true`;
/// a single remaining member is folded into the schema (a `$ref` via `allOf`).
fn null_alternatives(cx: &Types, obj: &mut Map<String, Value>, key: &str) {
    let Some(Value::Array(members)) = obj.get_mut(key) else {
        return;
    };
    // After conversion a `{"type": "null"}` member reads `{"enum": [null], "nullable": true}`.
    let is_null = |m: &Value| {
        m == &json!({"type": "null"}) || m == &json!({"enum": [null], "nullable": true})
    };
    let before = members.len();
    members.retain(|m| !is_null(m));
    if members.len() == before {
        return;
    }
    obj.insert("nullable".into(), json!(true));
    let Some(Value::Array(members)) = obj.remove(key) else {
        return;
    };
    match <[Value; 1]>::try_from(members) {
        Ok([Value::Object(only)]) if only.contains_key("$ref") => {
            // 3.0 tools reject `nullable` without a `type`: take the target's.
            if let Some(ty) = only
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
                .and_then(|name| cx.get(name))
            {
                obj.entry("type").or_insert(json!(ty));
            }
            obj.insert("allOf".into(), json!([only]));
        }
        Ok([Value::Object(only)]) => {
            for (k, v) in only {
                obj.entry(k).or_insert(v);
            }
        }
        Ok([other]) => {
            obj.insert(key.into(), json!([other]));
        }
        Err(members) => {
            obj.insert(key.into(), Value::Array(members));
        }
    }
}

/// In 3.0 a `$ref` replaces its whole object, so siblings (description, nullable, ...) would be
/// ignored: move the `$ref` into `allOf` beside them.
fn ref_siblings(obj: &mut Map<String, Value>) {
    if obj.len() < 2 {
        return;
    }
    let Some(reference) = obj.remove("$ref") else {
        return;
    };
    let wrapped = json!({ "$ref": reference });
    match obj.get_mut("allOf") {
        Some(Value::Array(all)) => all.insert(0, wrapped),
        _ => {
            obj.insert("allOf".into(), json!([wrapped]));
        }
    }
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
