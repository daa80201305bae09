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
const DROPPED_SCHEMA_KEYWORDS: [&str; 20] = [
    "$schema",
    "$id",
    "$anchor",
    "$dynamicRef",
    "$dynamicAnchor",
    "$defs",
    "$comment",
    "$vocabulary",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
    "patternProperties",
    "dependentRequired",
    "dependentSchemas",
    "if",
    "then",
    "else",
    "contains",
    "minContains",
    "maxContains",
];

/// Keywords whose value is one schema.
const SUBSCHEMA_KEYWORDS: [&str; 3] = ["items", "additionalProperties", "not"];

/// Keywords whose value is a list of schemas.
const SUBSCHEMA_LIST_KEYWORDS: [&str; 4] = ["allOf", "anyOf", "oneOf", "prefixItems"];

/// The operation keys of a path item.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The single non-null `type` of each component schema that has one, by component name.
type Types = BTreeMap<String, String>;

fn component_types(doc: &Value) -> Types {
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object);
    let mut out = Types::new();
    for (name, s) in schemas.into_iter().flatten() {
        let ty = match s.get("type") {
            Some(Value::String(t)) if t != "null" => Some(t.clone()),
            Some(Value::Array(types)) => {
                let mut non_null = types
                    .iter()
                    .filter_map(Value::as_str)
                    .filter(|t| *t != "null");
                match (non_null.next(), non_null.next()) {
                    (Some(t), None) => Some(t.to_owned()),
                    _ => None,
                }
            }
            _ => None,
        };
        if let Some(ty) = ty {
            out.insert(name.clone(), ty);
        }
    }
    out
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
    for item in values_mut(root.get_mut("paths")) {
        path_item(cx, item);
    }
    if let Some(components) = root.get_mut("components").and_then(Value::as_object_mut) {
        // Path items in components are 3.1 only.
        components.remove("pathItems");
        for s in values_mut(components.get_mut("schemas")) {
            schema(cx, s);
        }
        for r in values_mut(components.get_mut("responses")) {
            response(cx, r);
        }
        for p in values_mut(components.get_mut("parameters")) {
            parameter(cx, p);
        }
        for b in values_mut(components.get_mut("requestBodies")) {
            request_body(cx, b);
        }
        for h in values_mut(components.get_mut("headers")) {
            parameter(cx, h);
        }
        for c in values_mut(components.get_mut("callbacks")) {
            callback(cx, c);
        }
        for e in values_mut(components.get_mut("examples")) {
            reference(e);
        }
        for l in values_mut(components.get_mut("links")) {
            reference(l);
        }
        for s in values_mut(components.get_mut("securitySchemes")) {
            reference(s);
        }
    }
    doc
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

/// A 3.0 Reference Object is `$ref` alone (3.1 allows `summary`/`description` beside it).
/// Returns true when `value` is a reference, which then needs no further conversion.
fn reference(value: &mut Value) -> bool {
    let Some(obj) = value.as_object_mut() else {
        return false;
    };
    if !obj.contains_key("$ref") {
        return false;
    }
    obj.retain(|k, _| k == "$ref");
    true
}

fn path_item(cx: &Types, item: &mut Value) {
    if reference(item) {
        return;
    }
    let Some(obj) = item.as_object_mut() else {
        return;
    };
    for p in members_mut(obj.get_mut("parameters")) {
        parameter(cx, p);
    }
    for method in METHODS {
        if let Some(op) = obj.get_mut(method) {
            operation(cx, op);
        }
    }
}

fn operation(cx: &Types, op: &mut Value) {
    let Some(obj) = op.as_object_mut() else {
        return;
    };
    for p in members_mut(obj.get_mut("parameters")) {
        parameter(cx, p);
    }
    if let Some(body) = obj.get_mut("requestBody") {
        request_body(cx, body);
    }
    for r in values_mut(obj.get_mut("responses")) {
        response(cx, r);
    }
    for c in values_mut(obj.get_mut("callbacks")) {
        callback(cx, c);
    }
}

fn callback(cx: &Types, cb: &mut Value) {
    if reference(cb) {
        return;
    }
    for item in values_mut(Some(cb)) {
        path_item(cx, item);
    }
}

/// A Parameter or Header Object: a `schema`, or a `content` map.
fn parameter(cx: &Types, p: &mut Value) {
    if reference(p) {
        return;
    }
    if let Some(s) = p.get_mut("schema") {
        schema(cx, s);
    }
    content(cx, p.get_mut("content"));
    for e in values_mut(p.get_mut("examples")) {
        reference(e);
    }
}

fn request_body(cx: &Types, body: &mut Value) {
    if reference(body) {
        return;
    }
    content(cx, body.get_mut("content"));
}

fn response(cx: &Types, r: &mut Value) {
    if reference(r) {
        return;
    }
    for h in values_mut(r.get_mut("headers")) {
        parameter(cx, h);
    }
    content(cx, r.get_mut("content"));
    for l in values_mut(r.get_mut("links")) {
        reference(l);
    }
}

/// A `content` map of Media Type Objects; their `examples` maps stay (valid in 3.0).
fn content(cx: &Types, map: Option<&mut Value>) {
    for media in values_mut(map) {
        if let Some(s) = media.get_mut("schema") {
            schema(cx, s);
        }
        for e in values_mut(media.get_mut("examples")) {
            reference(e);
        }
        for enc in values_mut(media.get_mut("encoding")) {
            for h in values_mut(enc.get_mut("headers")) {
                parameter(cx, h);
            }
        }
    }
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

    for key in DROPPED_SCHEMA_KEYWORDS {
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

    /// Converts `s` as the schema of a component.
    fn conv_schema(s: &Value) -> Value {
        let doc = json!({"openapi": "3.1.0", "paths": {}, "components": {"schemas": {"S": s}}});
        to_openapi30(&doc)["components"]["schemas"]["S"].clone()
    }

    #[test]
    fn version_and_top_level_keywords() {
        let doc = json!({
            "openapi": "3.1.0",
            "$schema": "https://spec.openapis.org/oas/3.1/schema-base/2022-10-07",
            "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
            "info": {"title": "t", "version": "1", "summary": "s",
                     "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"}},
            "webhooks": {"w": {}},
            "components": {"pathItems": {"p": {}}}
        });
        assert_eq!(
            to_openapi30(&doc),
            json!({
                "openapi": "3.0.3",
                "info": {"title": "t", "version": "1",
                         "license": {"name": "Apache-2.0",
                                     "url": "https://spdx.org/licenses/Apache-2.0.html"}},
                "paths": {},
                "components": {}
            })
        );
    }

    #[test]
    fn license_url_is_kept_when_present() {
        let doc = json!({"openapi": "3.1.0", "paths": {}, "info": {"license": {
            "name": "MIT", "identifier": "MIT", "url": "https://example.invalid/l"}}});
        assert_eq!(
            to_openapi30(&doc)["info"]["license"],
            json!({"name": "MIT", "url": "https://example.invalid/l"})
        );
    }

    #[test]
    fn nullable_type_array() {
        assert_eq!(
            conv_schema(&json!({"type": ["string", "null"], "description": "d"})),
            json!({"type": "string", "nullable": true, "description": "d"})
        );
        assert_eq!(
            conv_schema(&json!({"type": ["integer"]})),
            json!({"type": "integer"})
        );
        assert_eq!(
            conv_schema(&json!({"type": ["string", "integer", "null"]})),
            json!({"anyOf": [{"type": "string"}, {"type": "integer"}], "nullable": true})
        );
        for only_null in [json!({"type": "null"}), json!({"type": ["null"]})] {
            assert_eq!(
                conv_schema(&only_null),
                json!({"enum": [null], "nullable": true})
            );
        }
    }

    #[test]
    fn one_of_with_null_member() {
        // utoipa's `Option<T>` where T is a component.
        assert_eq!(
            conv_schema(
                &json!({"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/T"}],
                                "description": "d"})
            ),
            json!({"allOf": [{"$ref": "#/components/schemas/T"}], "nullable": true,
                   "description": "d"})
        );
        assert_eq!(
            conv_schema(&json!({"anyOf": [{"type": "string"}, {"type": "null"}]})),
            json!({"type": "string", "nullable": true})
        );
        assert_eq!(
            conv_schema(
                &json!({"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]})
            ),
            json!({"oneOf": [{"type": "string"}, {"type": "integer"}], "nullable": true})
        );
        // No null member: untouched.
        let plain = json!({"oneOf": [{"type": "string"}, {"type": "integer"}]});
        assert_eq!(conv_schema(&plain), plain);
    }

    #[test]
    fn schema_examples_become_example() {
        assert_eq!(
            conv_schema(&json!({"type": "string", "examples": ["a", "b"]})),
            json!({"type": "string", "example": "a"})
        );
        assert_eq!(
            conv_schema(&json!({"type": "string", "example": "x", "examples": ["a"]})),
            json!({"type": "string", "example": "x"})
        );
    }

    #[test]
    fn exclusive_bounds_become_boolean_form() {
        assert_eq!(
            conv_schema(
                &json!({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 10.5})
            ),
            json!({"type": "number", "minimum": 0, "exclusiveMinimum": true,
                   "maximum": 10.5, "exclusiveMaximum": true})
        );
        // An inclusive bound that is already tighter wins.
        assert_eq!(
            conv_schema(&json!({"type": "integer", "minimum": 5, "exclusiveMinimum": 0})),
            json!({"type": "integer", "minimum": 5})
        );
        assert_eq!(
            conv_schema(&json!({"type": "integer", "minimum": 0, "exclusiveMinimum": 0})),
            json!({"type": "integer", "minimum": 0, "exclusiveMinimum": true})
        );
    }

    #[test]
    fn const_becomes_enum() {
        assert_eq!(
            conv_schema(&json!({"type": "string", "const": "bearer"})),
            json!({"type": "string", "enum": ["bearer"]})
        );
    }

    #[test]
    fn dropped_keywords() {
        assert_eq!(
            conv_schema(&json!({
                "type": "object", "$schema": "x", "$id": "y", "$defs": {}, "$comment": "c",
                "propertyNames": {"pattern": "^a"}, "unevaluatedProperties": false,
                "patternProperties": {"^a": {}}, "dependentRequired": {}, "if": {}, "then": {},
                "else": {}
            })),
            json!({"type": "object"})
        );
        assert_eq!(
            conv_schema(
                &json!({"type": "array", "items": {}, "contains": {}, "minContains": 1,
                                "unevaluatedItems": false})
            ),
            json!({"type": "array", "items": {}})
        );
    }

    #[test]
    fn content_keywords_become_format() {
        assert_eq!(
            conv_schema(&json!({"type": "string", "contentEncoding": "base64"})),
            json!({"type": "string", "format": "byte"})
        );
        assert_eq!(
            conv_schema(&json!({"type": "string", "contentMediaType": "application/octet-stream"})),
            json!({"type": "string", "format": "binary"})
        );
        assert_eq!(
            conv_schema(&json!({"type": "string", "format": "binary",
                                "contentMediaType": "image/png"})),
            json!({"type": "string", "format": "binary"})
        );
    }

    #[test]
    fn ref_with_siblings_is_wrapped_in_all_of() {
        assert_eq!(
            conv_schema(&json!({"$ref": "#/components/schemas/T", "description": "d"})),
            json!({"allOf": [{"$ref": "#/components/schemas/T"}], "description": "d"})
        );
        let bare = json!({"$ref": "#/components/schemas/T"});
        assert_eq!(conv_schema(&bare), bare);
    }

    #[test]
    fn boolean_schemas() {
        assert_eq!(
            conv_schema(&json!({"type": "array", "items": true})),
            json!({"type": "array", "items": {}})
        );
        assert_eq!(
            conv_schema(&json!({"not": false})),
            json!({"not": {"not": {}}})
        );
        // additionalProperties may stay boolean.
        assert_eq!(
            conv_schema(&json!({"type": "object", "additionalProperties": false})),
            json!({"type": "object", "additionalProperties": false})
        );
    }

    #[test]
    fn prefix_items_become_items() {
        assert_eq!(
            conv_schema(
                &json!({"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}],
                                "items": false})
            ),
            json!({"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                   "minItems": 2, "maxItems": 2})
        );
        assert_eq!(
            conv_schema(
                &json!({"type": "array", "prefixItems": [{"type": "string"}, {"type": "string"}]})
            ),
            json!({"type": "array", "items": {"type": "string"}, "minItems": 2})
        );
    }

    #[test]
    fn nested_schemas_are_converted() {
        assert_eq!(
            conv_schema(&json!({"type": "object", "properties": {
                "a": {"type": ["string", "null"]},
                "b": {"type": "array", "items": {"type": ["integer", "null"], "examples": [1]}},
                "c": {"allOf": [{"const": 1}]},
                "d": {"additionalProperties": {"type": ["string", "null"]}}
            }})),
            json!({"type": "object", "properties": {
                "a": {"type": "string", "nullable": true},
                "b": {"type": "array", "items": {"type": "integer", "nullable": true, "example": 1}},
                "c": {"allOf": [{"enum": [1]}]},
                "d": {"additionalProperties": {"type": "string", "nullable": true}}
            }})
        );
    }

    #[test]
    fn property_names_are_not_keywords() {
        let s = json!({"type": "object", "properties": {
            "const": {"type": "string"},
            "examples": {"type": "array", "items": {"type": "string"}},
            "$ref": {"type": "string"},
            "type": {"type": "string"}
        }});
        assert_eq!(conv_schema(&s), s);
    }

    #[test]
    fn schemas_everywhere_in_the_document_are_converted() {
        let nullable = json!({"type": ["string", "null"]});
        let converted = json!({"type": "string", "nullable": true});
        let doc = json!({
            "openapi": "3.1.0",
            "paths": {"/x/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": nullable}],
                "post": {
                    "parameters": [{"name": "q", "in": "query", "schema": nullable}],
                    "requestBody": {"content": {"application/json": {"schema": nullable}}},
                    "responses": {"200": {
                        "description": "ok",
                        "headers": {"X-H": {"schema": nullable}},
                        "content": {"application/json": {"schema": nullable}}
                    }},
                    "callbacks": {"cb": {"{$request.body#/url}": {"post": {"responses": {
                        "200": {"description": "ok",
                                "content": {"application/json": {"schema": nullable}}}}}}}}
                }
            }},
            "components": {
                "responses": {"R": {"description": "r",
                                    "content": {"application/json": {"schema": nullable}}}},
                "parameters": {"P": {"name": "p", "in": "query", "schema": nullable}},
                "headers": {"H": {"schema": nullable}},
                "requestBodies": {"B": {"content": {"application/json": {"schema": nullable}}}}
            }
        });
        let out = to_openapi30(&doc);
        for pointer in [
            "/paths/~1x~1{id}/parameters/0/schema",
            "/paths/~1x~1{id}/post/parameters/0/schema",
            "/paths/~1x~1{id}/post/requestBody/content/application~1json/schema",
            "/paths/~1x~1{id}/post/responses/200/headers/X-H/schema",
            "/paths/~1x~1{id}/post/responses/200/content/application~1json/schema",
            "/paths/~1x~1{id}/post/callbacks/cb/{$request.body#~1url}/post/responses/200/content/application~1json/schema",
            "/components/responses/R/content/application~1json/schema",
            "/components/parameters/P/schema",
            "/components/headers/H/schema",
            "/components/requestBodies/B/content/application~1json/schema",
        ] {
            assert_eq!(out.pointer(pointer), Some(&converted), "{pointer}");
        }
    }

    #[test]
    fn media_type_examples_map_is_kept_and_refs_lose_siblings() {
        let doc = json!({
            "openapi": "3.1.0",
            "paths": {"/x": {"get": {"responses": {
                "200": {"description": "ok", "content": {"application/json": {
                    "schema": {"type": "string"},
                    "examples": {"one": {"summary": "s", "value": "a"},
                                 "two": {"$ref": "#/components/examples/E", "summary": "s"}}
                }}},
                "401": {"$ref": "#/components/responses/Unauthorized", "description": "d"}
            }}}}
        });
        let out = to_openapi30(&doc);
        assert_eq!(
            out["paths"]["/x"]["get"]["responses"],
            json!({
                "200": {"description": "ok", "content": {"application/json": {
                    "schema": {"type": "string"},
                    "examples": {"one": {"summary": "s", "value": "a"},
                                 "two": {"$ref": "#/components/examples/E"}}
                }}},
                "401": {"$ref": "#/components/responses/Unauthorized"}
            })
        );
    }

    #[test]
    fn documented_contract_converts_to_plain_30() {
        let doc: Value =
            serde_json::from_str(include_str!("../../openapi/documented.json")).unwrap();
        let out = to_openapi30(&doc);
        let mut expected = doc.clone();
        expected["openapi"] = json!("3.0.3");
        assert_eq!(out, expected);
    }

    #[test]
    fn input_is_not_modified() {
        let doc = json!({"openapi": "3.1.0", "paths": {}});
        let before = doc.clone();
        let _ = to_openapi30(&doc);
        assert_eq!(doc, before);
    }
}
