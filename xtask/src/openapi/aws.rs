//! Derives from the 3.0.3 document the variant AWS API Gateway imports as a REST API: OpenAPI 3.0
//! with the exceptions of AWS's "important notes for REST APIs", any of which rolls back an
//! import with `failOnWarnings`. The vendor's schema names (`refresh_request`) stay in the 3.1
//! and 3.0.3 documents, which `cargo xtask diff` holds to the documented contract; what AWS
//! documents, and what is done about it here:
//! - model names are alphanumeric: a component whose name is not is renamed like those that are
//!   (`refresh_request` → `refreshRequest`, as `errorModel`), with every `$ref` and security
//!   requirement naming it;
//! - a security scheme is of type `apiKey`: HTTP bearer becomes the `Authorization` header it
//!   travels in; the OAuth 2.0 login schemes (for Swagger UI) are left out with the requirements
//!   naming them (a gateway puts its own authorizer there);
//! - neither `example` nor the `int32`/`int64` formats are supported: both are left out (the wire
//!   format does not change); a method response is keyed by its status: `default` is left out.
//!
//! `.ci/aws-gateway` checks the result against those rules and imports it into moto's API Gateway.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::is_name_map;

/// What the AWS variant says about itself, after the document's own description.
const AWS_NOTE: &str = "\n\nThis is the variant for AWS API Gateway (REST API import): model \
     names are alphanumeric, the Bearer token is declared as the `apiKey` header \
     `Authorization`, examples and `default` responses are left out. The wire format is the \
     same as in `/openapi.json`.";

/// The AWS API Gateway variant of a 3.0.3 document. Two components that would get the same
/// name stop the task: the variant would silently merge them.
pub(crate) fn to_aws(doc: &Value) -> Value {
    let mut doc = doc.clone();
    let kinds = doc.get_mut("components").and_then(Value::as_object_mut);
    for (kind, components) in kinds.into_iter().flatten() {
        let Value::Object(components) = components else {
            continue;
        };
        let mut taken = BTreeMap::new();
        for (name, component) in std::mem::take(components) {
            let new = model_name(&name);
            assert!(
                !new.is_empty(),
                "components.{kind}.{name}: no alphanumeric name"
            );
            if let Some(other) = taken.insert(new.clone(), name.clone()) {
                panic!("components.{kind}: {other} and {name} would both be named {new}");
            }
            components.insert(new, component);
        }
    }
    // The OAuth 2.0 schemes are left out, the bearer one becomes an apiKey.
    let mut oauth = Vec::new();
    if let Some(Value::Object(schemes)) = doc.pointer_mut("/components/securitySchemes") {
        for (name, scheme) in schemes.iter_mut() {
            bearer_as_api_key(scheme);
            if scheme["type"] == "oauth2" {
                oauth.push(name.clone());
            }
        }
        schemes.retain(|name, _| !oauth.contains(name));
    }
    adapt(&mut doc, &oauth, false);
    if let Some(Value::String(description)) = doc.pointer_mut("/info/description") {
        description.push_str(AWS_NOTE);
    }
    doc
}

/// An alphanumeric model name: the name's alphanumeric runs, each after the first capitalised
/// (`refresh_request` → `refreshRequest`); an alphanumeric name (`errorModel`) is kept.
fn model_name(name: &str) -> String {
    let mut runs = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|run| !run.is_empty());
    let first = runs.next().unwrap_or_default().to_owned();
    runs.fold(first, |out, run| {
        out + &run[..1].to_ascii_uppercase() + &run[1..]
    })
}

/// An HTTP bearer scheme → the `apiKey` header it is sent in.
fn bearer_as_api_key(scheme: &mut Value) {
    let kind = scheme["scheme"].as_str().unwrap_or_default();
    if scheme["type"] == "http" && kind.eq_ignore_ascii_case("bearer") {
        let description = scheme["description"]
            .as_str()
            .unwrap_or("The access token.");
        let description = format!("`Bearer ` and then the JWT. {description}");
        *scheme = json!({
            "type": "apiKey", "in": "header", "name": "Authorization", "description": description
        });
    }
}

/// Renames the component in every `$ref` and the schemes of security requirements as the
/// components were (leaving out a requirement that names only OAuth schemes), and leaves out
/// what AWS does not take: `example`/`examples`, the `int32`/`int64` formats and `default`
/// responses. Keys of name maps (`in_map`: a property called `example`) are names, not keywords.
fn adapt(value: &mut Value, oauth: &[String], in_map: bool) {
    let obj = match value {
        Value::Array(items) => return items.iter_mut().for_each(|v| adapt(v, oauth, false)),
        Value::Object(obj) => obj,
        _ => return,
    };
    if !in_map {
        obj.remove("example");
        obj.remove("examples");
        if let Some("int32" | "int64") = obj.get("format").and_then(Value::as_str) {
            obj.remove("format");
        }
        if let Some(Value::String(reference)) = obj.get_mut("$ref") {
            let mut parts: Vec<String> = reference.split('/').map(str::to_owned).collect();
            if parts.len() > 3 && parts[..2] == ["#", "components"] {
                parts[3] = model_name(&parts[3]);
                *reference = parts.join("/");
            }
        }
        if let Some(Value::Array(requirements)) = obj.get_mut("security") {
            for requirement in requirements.iter_mut().filter_map(Value::as_object_mut) {
                let schemes = std::mem::take(requirement).into_iter();
                *requirement = schemes.map(|(name, s)| (model_name(&name), s)).collect();
            }
            requirements.retain(|r| {
                r.as_object()
                    .is_none_or(|r| r.is_empty() || r.keys().any(|name| !oauth.contains(name)))
            });
        }
        if let Some(Value::Object(responses)) = obj.get_mut("responses") {
            responses.remove("default");
        }
    }
    for (key, child) in obj {
        adapt(child, oauth, !in_map && is_name_map(key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openapi::parse;

    /// One case a line: `IN => OUT`, whole documents.
    const CASES: &str = r##"
{"paths": {"/x": {"post": {"security": [{"bearer_auth": []}], "requestBody": {"$ref": "#/components/requestBodies/the_body"}, "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/x_out"}}}}}}}}, "security": [{"bearer_auth": []}], "components": {"schemas": {"x_out": {"type": "object", "properties": {"inner": {"$ref": "#/components/schemas/x_inner"}}}, "x_inner": {"type": "string"}}, "requestBodies": {"the_body": {"content": {}}}, "securitySchemes": {"bearer_auth": {"type": "apiKey", "in": "header", "name": "X"}}}} => {"paths": {"/x": {"post": {"security": [{"bearerAuth": []}], "requestBody": {"$ref": "#/components/requestBodies/theBody"}, "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/xOut"}}}}}}}}, "security": [{"bearerAuth": []}], "components": {"schemas": {"xOut": {"type": "object", "properties": {"inner": {"$ref": "#/components/schemas/xInner"}}}, "xInner": {"type": "string"}}, "requestBodies": {"theBody": {"content": {}}}, "securitySchemes": {"bearerAuth": {"type": "apiKey", "in": "header", "name": "X"}}}}
{"components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "The token."}, "other": {"type": "apiKey", "in": "header", "name": "X-Key"}}}} => {"components": {"securitySchemes": {"bearerAuth": {"type": "apiKey", "in": "header", "name": "Authorization", "description": "`Bearer ` and then the JWT. The token."}, "other": {"type": "apiKey", "in": "header", "name": "X-Key"}}}}
{"paths": {"/a": {"post": {"security": [{"bearerAuth": []}, {"storeLogin": []}]}}, "/l": {"post": {"security": [{}, {"bearerAuth": []}, {"storeLogin": []}]}}}, "components": {"securitySchemes": {"bearerAuth": {"type": "apiKey", "in": "header", "name": "Authorization"}, "storeLogin": {"type": "oauth2", "flows": {"password": {"tokenUrl": "/l", "scopes": {}}}}}}} => {"paths": {"/a": {"post": {"security": [{"bearerAuth": []}]}}, "/l": {"post": {"security": [{}, {"bearerAuth": []}]}}}, "components": {"securitySchemes": {"bearerAuth": {"type": "apiKey", "in": "header", "name": "Authorization"}}}}
{"info": {"title": "t", "description": "D."}, "paths": {"/x": {"get": {"responses": {"200": {"description": "ok", "headers": {"Retry-After": {"schema": {"type": "integer", "format": "int32"}, "example": 1}}, "content": {"application/json": {"schema": {"type": "object", "properties": {"example": {"type": "string", "example": "x"}, "n": {"type": "integer", "format": "int64", "minimum": 0}, "d": {"type": "string", "format": "date-time"}}}, "example": {"example": "x"}, "examples": {"one": {"value": {}}}}}}, "default": {"description": "error"}}}}}} => {"info": {"title": "t", "description": "D.$NOTE"}, "paths": {"/x": {"get": {"responses": {"200": {"description": "ok", "headers": {"Retry-After": {"schema": {"type": "integer"}}}, "content": {"application/json": {"schema": {"type": "object", "properties": {"example": {"type": "string"}, "n": {"type": "integer", "minimum": 0}, "d": {"type": "string", "format": "date-time"}}}}}}}}}}}
{"components": {"schemas": {"refresh_request": {}, "errorModel": {}, "_a.b-c  d_": {}, "Already1": {}}}} => {"components": {"schemas": {"refreshRequest": {}, "errorModel": {}, "aBCD": {}, "Already1": {}}}}
"##;

    #[test]
    fn names_references_schemes_and_unsupported_keywords_follow_aws_rules() {
        let cases = CASES.replace("$NOTE", &AWS_NOTE.replace('\n', "\\n"));
        for line in cases.lines().filter(|l| !l.is_empty()) {
            let (input, expected) = line.split_once(" => ").unwrap();
            assert_eq!(to_aws(&parse(input)), parse(expected), "{line}");
        }
    }

    #[test]
    #[should_panic(expected = "aB and a_b would both be named aB")]
    fn two_components_with_one_alphanumeric_name_stop_the_task() {
        let _ = to_aws(&serde_json::json!({"components": {"schemas": {"a_b": {}, "aB": {}}}}));
    }
}
