//! Derives an OpenAPI 3.0.3 document from utoipa's 3.1 output, because API gateways (AWS API
//! Gateway, Apigee) still import 3.0 only and utoipa will not emit it.
//!
//! It converts the 3.1 constructs our spec contains (`type: [T, "null"]`, a schema's `examples`
//! list, the license's `identifier`) and refuses, naming the keyword and where it is, every
//! other construct 3.0 lacks: a schema may hold only the keywords of the 3.0 Schema Object, so
//! nothing unconverted can reach the 3.0 file. A new construct needs its conversion here.
//!
//! The document is walked by its structure, so schema rules apply only where a value *is* a
//! schema: a property named `const` or `examples` is a name in a `properties` map, and a media
//! type's `examples` map (valid in 3.0) is kept.

use serde_json::{Value, json};

use super::is_name_map;

/// The keywords of the OpenAPI 3.0 Schema Object (and `x-*` extensions): nothing else passes.
const SCHEMA_KEYWORDS: &str = "title multipleOf maximum exclusiveMaximum minimum exclusiveMinimum \
    maxLength minLength pattern maxItems minItems uniqueItems maxProperties minProperties required \
    enum type allOf oneOf anyOf not items properties additionalProperties description format default \
    nullable discriminator readOnly writeOnly xml externalDocs example deprecated $ref";

/// Fields outside schemas that 3.1 added.
const ONLY_31: &str = "/webhooks /jsonSchemaDialect /$schema /info/summary /components/pathItems";

/// Stops the task: `what` at `loc` is not OpenAPI 3.0 and has no conversion here.
fn refuse(loc: &str, what: &str) -> ! {
    panic!("{loc}: {what} is not OpenAPI 3.0; convert it in xtask/src/openapi/v30.rs")
}

/// Converts a 3.1 document to 3.0.3. The input is not modified.
pub(crate) fn to_openapi30(doc: &Value) -> Value {
    let mut out = doc.clone();
    for pointer in ONLY_31.split(' ') {
        if out.pointer(pointer).is_some() {
            refuse(&pointer[1..].replace('/', "."), "this field");
        }
    }
    if out.get("paths").is_none() {
        refuse("paths", "a document without `paths`");
    }
    out["openapi"] = json!("3.0.3");
    if let Some(Value::Object(license)) = out.pointer_mut("/info/license")
        && let Some(Value::String(id)) = license.remove("identifier")
    {
        let url = format!("https://spdx.org/licenses/{id}.html");
        license.entry("url").or_insert(url.into());
    }
    walk(&mut out, "", false);
    out
}

/// Walks the part of the document that is not a schema, converting every schema it reaches (a
/// `schema`, the members of `components.schemas`). Keys of name maps (`in_map`) are names, not
/// keywords, and examples' payloads are left alone.
fn walk(value: &mut Value, loc: &str, in_map: bool) {
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                walk(item, &format!("{loc}.{i}"), false);
            }
        }
        Value::Object(obj) => {
            if !in_map && obj.contains_key("$ref") && obj.len() > 1 {
                refuse(loc, "a `$ref` with siblings");
            }
            if !in_map && obj.get("type") == Some(&json!("mutualTLS")) {
                refuse(loc, "the security scheme type `mutualTLS`");
            }
            for (key, child) in obj {
                let loc = format!("{loc}.{key}").trim_start_matches('.').to_owned();
                match key.as_str() {
                    _ if in_map => walk(child, &loc, false),
                    "schema" => schema(child, &loc),
                    "schemas" => each(child, &loc, schema),
                    "example" | "value" => {}
                    _ => walk(child, &loc, is_name_map(key)),
                }
            }
        }
        _ => {}
    }
}

/// Applies `f` to the members of a map or a list, with their locations.
fn each(value: &mut Value, loc: &str, f: fn(&mut Value, &str)) {
    let members: Vec<(String, &mut Value)> = match value {
        Value::Object(map) => map.iter_mut().map(|(k, v)| (k.clone(), v)).collect(),
        Value::Array(list) => (list.iter_mut().enumerate())
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
        _ => refuse(loc, "a value that is neither a map nor a list"),
    };
    for (key, member) in members {
        f(member, &format!("{loc}.{key}"));
    }
}

/// Converts one Schema Object and its subschemas in place, refusing any keyword or value the
/// 3.0 Schema Object does not have.
fn schema(value: &mut Value, loc: &str) {
    let Value::Object(obj) = value else {
        refuse(loc, "a schema that is not an object");
    };
    // utoipa's `Option<T>`.
    if let Some(Value::Array(types)) = obj.get("type") {
        let ty = match types.as_slice() {
            [ty, null] if null == "null" => ty.clone(),
            _ => refuse(&format!("{loc}.type"), "a list of types but [T, \"null\"]"),
        };
        obj.insert("type".into(), ty);
        obj.insert("nullable".into(), json!(true));
    }
    if let Some(examples) = obj.remove("examples") {
        let Some(first) = examples.as_array().and_then(|list| list.first()) else {
            refuse(&format!("{loc}.examples"), "an empty `examples`");
        };
        if obj.insert("example".into(), first.clone()).is_some() {
            refuse(&format!("{loc}.examples"), "`examples` beside `example`");
        }
    }
    if obj.contains_key("$ref") && obj.len() > 1 {
        refuse(loc, "a `$ref` with siblings");
    }
    for (key, child) in obj {
        let loc = format!("{loc}.{key}");
        match key.as_str() {
            "properties" | "allOf" | "anyOf" | "oneOf" => each(child, &loc, schema),
            "items" | "not" => schema(child, &loc),
            "additionalProperties" if !child.is_boolean() => schema(child, &loc),
            "type" if *child == "null" => refuse(&loc, "the type `null`"),
            "exclusiveMinimum" | "exclusiveMaximum" if !child.is_boolean() => {
                refuse(&loc, "a numeric bound");
            }
            _ if key.starts_with("x-") || SCHEMA_KEYWORDS.split_whitespace().any(|k| k == key) => {}
            _ => refuse(&loc, &format!("the keyword `{key}`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::panic::catch_unwind;

    use super::*;
    use crate::openapi::{documented, parse};

    /// One case a line: `schema IN => OUT` converts IN as a component schema, `doc IN => OUT` a
    /// whole document; `=> ! TEXT` expects the task to stop with TEXT. `$N` stands for a 3.1
    /// nullable string, `$C` for its 3.0 form.
    const CASES: &str = r##"
schema {"type": ["string", "null"], "description": "d"} => {"type": "string", "nullable": true, "description": "d"}
schema {"type": "string", "examples": ["a", "b"]} => {"type": "string", "example": "a"}
schema {"$ref": "#/components/schemas/T"} => {"$ref": "#/components/schemas/T"}
schema {"type": "object", "additionalProperties": false, "x-tag": 1} => {"type": "object", "additionalProperties": false, "x-tag": 1}
schema {"type": "object", "properties": {"a": $N, "b": {"type": "array", "items": {"type": ["integer", "null"], "examples": [1]}}, "c": {"allOf": [{"anyOf": [{"oneOf": [{"not": $N}]}]}]}, "d": {"additionalProperties": $N}}} => {"type": "object", "properties": {"a": $C, "b": {"type": "array", "items": {"type": "integer", "nullable": true, "example": 1}}, "c": {"allOf": [{"anyOf": [{"oneOf": [{"not": $C}]}]}]}, "d": {"additionalProperties": $C}}}
schema {"type": "object", "properties": {"const": {"type": "string"}, "examples": {"type": "array", "items": {"type": "string"}}, "$ref": {"type": "string"}, "type": {"type": "string"}}} => {"type": "object", "properties": {"const": {"type": "string"}, "examples": {"type": "array", "items": {"type": "string"}}, "$ref": {"type": "string"}, "type": {"type": "string"}}}
doc {"openapi": "3.1.0", "info": {"title": "t", "version": "1", "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"}}, "paths": {}} => {"openapi": "3.0.3", "info": {"title": "t", "version": "1", "license": {"name": "Apache-2.0", "url": "https://spdx.org/licenses/Apache-2.0.html"}}, "paths": {}}
doc {"openapi": "3.1.0", "paths": {}, "info": {"license": {"name": "MIT", "identifier": "MIT", "url": "https://example.invalid/l"}}} => {"openapi": "3.0.3", "paths": {}, "info": {"license": {"name": "MIT", "url": "https://example.invalid/l"}}}
doc {"openapi": "3.1.0", "paths": {"/x/{id}": {"parameters": [{"name": "id", "in": "path", "required": true, "schema": $N}], "post": {"parameters": [{"name": "q", "in": "query", "schema": $N}], "requestBody": {"content": {"application/json": {"schema": $N}}}, "responses": {"200": {"description": "ok", "headers": {"X-H": {"schema": $N}}, "content": {"application/json": {"schema": $N}}}}, "callbacks": {"cb": {"{$request.body#/url}": {"post": {"responses": {"200": {"description": "ok", "content": {"application/json": {"schema": $N}}}}}}}}}}}, "components": {"responses": {"R": {"description": "r", "content": {"application/json": {"schema": $N}}}}, "parameters": {"P": {"name": "p", "in": "query", "schema": $N}}, "headers": {"H": {"schema": $N}}, "requestBodies": {"B": {"content": {"application/json": {"schema": $N}}}}}} => {"openapi": "3.0.3", "paths": {"/x/{id}": {"parameters": [{"name": "id", "in": "path", "required": true, "schema": $C}], "post": {"parameters": [{"name": "q", "in": "query", "schema": $C}], "requestBody": {"content": {"application/json": {"schema": $C}}}, "responses": {"200": {"description": "ok", "headers": {"X-H": {"schema": $C}}, "content": {"application/json": {"schema": $C}}}}, "callbacks": {"cb": {"{$request.body#/url}": {"post": {"responses": {"200": {"description": "ok", "content": {"application/json": {"schema": $C}}}}}}}}}}}, "components": {"responses": {"R": {"description": "r", "content": {"application/json": {"schema": $C}}}}, "parameters": {"P": {"name": "p", "in": "query", "schema": $C}}, "headers": {"H": {"schema": $C}}, "requestBodies": {"B": {"content": {"application/json": {"schema": $C}}}}}}
doc {"openapi": "3.1.0", "paths": {"/x": {"get": {"responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "string"}, "example": {"type": ["a", "null"], "$ref": 1, "const": 2}, "examples": {"one": {"summary": "s", "value": {"examples": [], "$ref": "x", "prefixItems": []}}}}}}}}}}} => {"openapi": "3.0.3", "paths": {"/x": {"get": {"responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "string"}, "example": {"type": ["a", "null"], "$ref": 1, "const": 2}, "examples": {"one": {"summary": "s", "value": {"examples": [], "$ref": "x", "prefixItems": []}}}}}}}}}}}
schema {"type": "string", "const": "bearer"} => ! S.const: the keyword `const` is not OpenAPI 3.0; convert it in xtask/src/openapi/v30.rs
schema {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/T"}]} => ! S.oneOf.0.type: the type `null`
schema {"type": ["string", "integer"]} => ! S.type: a list of types but [T, "null"]
schema {"type": ["string", "integer", "null"]} => ! S.type: a list of types but [T, "null"]
schema {"type": "array", "items": true} => ! S.items: a schema that is not an object
schema {"type": "number", "exclusiveMinimum": 0} => ! S.exclusiveMinimum: a numeric bound
schema {"$ref": "#/components/schemas/T", "description": "d"} => ! S: a `$ref` with siblings
schema {"type": "array", "prefixItems": [{"type": "string"}]} => ! S.prefixItems: the keyword `prefixItems`
schema {"type": "object", "properties": {"a": {"$defs": {}}}} => ! S.properties.a.$defs: the keyword `$defs`
schema {"type": "string", "contentEncoding": "base64"} => ! S.contentEncoding: the keyword `contentEncoding`
schema {"type": "string", "example": "x", "examples": ["a"]} => ! S.examples: `examples` beside `example`
doc {"openapi": "3.1.0", "paths": {}, "webhooks": {"w": {}}} => ! webhooks: this field
doc {"openapi": "3.1.0", "paths": {}, "info": {"title": "t", "summary": "s"}} => ! info.summary: this field
doc {"openapi": "3.1.0", "paths": {}, "components": {"pathItems": {}}} => ! components.pathItems: this field
doc {"openapi": "3.1.0"} => ! paths: a document without `paths`
doc {"openapi": "3.1.0", "paths": {"/x": {"get": {"responses": {"401": {"$ref": "#/components/responses/U", "description": "d"}}}}}} => ! paths./x.get.responses.401: a `$ref` with siblings
doc {"openapi": "3.1.0", "paths": {}, "components": {"securitySchemes": {"m": {"type": "mutualTLS"}}}} => ! components.securitySchemes.m: the security scheme type `mutualTLS`
"##;

    #[test]
    fn our_31_constructs_are_converted_and_any_other_stops_the_task() {
        let cases = CASES
            .replace("$N", r#"{"type": ["string", "null"]}"#)
            .replace("$C", r#"{"type": "string", "nullable": true}"#)
            .replace("! S", "! components.schemas.S");
        for line in cases.lines().filter(|line| !line.is_empty()) {
            let (kind, case) = line.split_once(' ').unwrap();
            let (input, expected) = case.split_once(" => ").unwrap();
            let (input, at) = match kind {
                "schema" => (
                    json!({"paths": {}, "components": {"schemas": {"S": parse(input)}}}),
                    "/components/schemas/S",
                ),
                _ => (parse(input), ""),
            };
            let convert = || to_openapi30(&input).pointer(at).cloned().unwrap();
            if let Some(refusal) = expected.strip_prefix("! ") {
                let panic = catch_unwind(convert).expect_err(line);
                let message = panic.downcast_ref::<String>().unwrap();
                assert!(message.starts_with(refusal), "{line}: {message}");
            } else {
                assert_eq!(convert(), parse(expected), "{line}");
            }
        }
    }

    #[test]
    fn the_documented_contract_is_plain_30_already() {
        let doc = documented();
        let mut expected = doc.clone();
        expected["openapi"] = json!("3.0.3");
        assert_eq!(to_openapi30(&doc), expected);
    }
}
