//! `cargo xtask diff`: holds the spec generated from the code to the vendor's page. Everything
//! `openapi/documented.json` states must hold in the generated spec, or it is a *difference*;
//! whatever the generated spec adds that a client can notice (a path, response, property,
//! `required`, constraint, security, `x-*`...) is an *extension*, allowed only when an entry of
//! `openapi/extensions.json` names its key. Annotations the page leaves out (description,
//! example, title, format, type, `minimum: 0` on an integer) are neither.
//!
//! Both documents are first put in one form (parameters keyed by `in.name`, a `type` as a sorted
//! list, `required` on each property); then one recursive walk checks documented ⊆ generated,
//! key by key, with `$ref`s resolved (a documented `$ref` to a component must stay a `$ref` to
//! that name, compared once under it).

use std::collections::BTreeSet;
use std::fmt;

use serde_json::{Map, Value, json};

use super::is_name_map;

/// Keys the generated spec may add without listing them.
const ANNOTATIONS: &str = "description summary title format example examples operationId type";
const SCHEMAS: &str = "#/components/schemas/";

fn listed(list: &str, key: &str) -> bool {
    list.split(' ').any(|k| k == key)
}

/// What [`diff`] found: documented facts the generated spec breaks, extensions no allow-list
/// entry covers, allowed ones (each with the entry that allows it), and allow-list entries that
/// matched nothing (reported, not failed).
#[derive(Debug, Default)]
pub(crate) struct Report {
    differences: Vec<String>,
    unlisted: Vec<String>,
    allowed: Vec<String>,
    stale: Vec<String>,
}

impl Report {
    /// True when the spec may ship: no difference and no unlisted extension.
    pub(crate) fn passes(&self) -> bool {
        self.differences.is_empty() && self.unlisted.is_empty()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unlisted = "unlisted extension (allow it in openapi/extensions.json, with a reason)";
        let sections = [
            ("allowed extension", &self.allowed),
            ("difference", &self.differences),
            (unlisted, &self.unlisted),
            ("stale allow-list entry (matches nothing)", &self.stale),
        ];
        for (what, lines) in sections {
            for line in lines {
                writeln!(f, "{what}: {line}")?;
            }
        }
        let [allowed, differences, unlisted, stale] = sections.map(|(_, lines)| lines.len());
        write!(
            f,
            "{differences} difference(s), {unlisted} unlisted extension(s), {allowed} allowed, {stale} stale"
        )
    }
}

/// The allow-list: `{"extensions": [{"key": "glob", "reason": "..."}]}`, both non-empty.
pub(crate) fn allow_list(text: &str) -> Result<Vec<(String, String)>, String> {
    let root: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let list = root["extensions"]
        .as_array()
        .ok_or("no array `extensions`")?;
    let field = |i: usize, item: &Value, name: &str| match item[name].as_str() {
        Some(text) if !text.trim().is_empty() => Ok(text.to_owned()),
        _ => Err(format!("extensions[{i}]: no non-empty `{name}`")),
    };
    let entry = |(i, item)| Ok((field(i, item, "key")?, field(i, item, "reason")?));
    list.iter().enumerate().map(entry).collect()
}

/// Compares `generated` with `documented` and sorts its extensions by `allow`.
pub(crate) fn diff(generated: &Value, documented: &Value, allow: &[(String, String)]) -> Report {
    let (g, d) = (one_form(generated), one_form(documented));
    let mut walk = Walk {
        gen_root: g.clone(),
        doc_root: d.clone(),
        ..Walk::default()
    };
    walk.node(&g, &d, "", false);
    for name in walk.unused.iter().filter(|name| !walk.used.contains(*name)) {
        walk.extensions.insert(format!("components.schemas.{name}"));
    }
    let mut report = Report {
        differences: walk.differences,
        ..Report::default()
    };
    let mut hit = BTreeSet::new();
    for key in walk.extensions {
        match allow.iter().position(|(glob, _)| glob_match(glob, &key)) {
            Some(i) => {
                hit.insert(i);
                let (glob, reason) = &allow[i];
                report
                    .allowed
                    .push(format!("{key} (by {glob:?}: {reason})"));
            }
            None => report.unlisted.push(key),
        }
    }
    let stale = allow.iter().enumerate().filter(|(i, _)| !hit.contains(i));
    report.stale = stale.map(|(_, (glob, _))| glob.clone()).collect();
    report
}

/// Whole-string match where `*` stands for any run of characters.
fn glob_match(glob: &str, text: &str) -> bool {
    let Some((head, tail)) = glob.split_once('*') else {
        return glob == text;
    };
    let Some(rest) = text.strip_prefix(head) else {
        return false;
    };
    (0..=rest.len()).any(|i| rest.is_char_boundary(i) && glob_match(tail, &rest[i..]))
}

/// A copy without `info` and `openapi`, whose parameters are maps keyed `in.name` in each
/// operation (path-level ones copied in, operation-level ones winning), made [`comparable`].
fn one_form(doc: &Value) -> Value {
    let mut out = doc.clone();
    if let Value::Object(root) = &mut out {
        root.remove("info");
        root.remove("openapi");
    }
    let items = out.get_mut("paths").and_then(Value::as_object_mut);
    for item in items.into_iter().flat_map(|paths| paths.values_mut()) {
        let Value::Object(item) = item else { continue };
        let shared = item.remove("parameters").unwrap_or_default();
        for op in item.values_mut().filter_map(Value::as_object_mut) {
            let own = op.remove("parameters").unwrap_or_default();
            let mut keyed = Map::new();
            for p in [&shared, &own].into_iter().flat_map(as_list) {
                let p = resolve(doc, p, &mut BTreeSet::new()).unwrap_or_else(|_| p.clone());
                let key = [&p["in"], &p["name"]].map(|v| v.as_str().unwrap_or("?"));
                keyed.insert(key.join("."), p);
            }
            if !keyed.is_empty() {
                op.insert("parameters".into(), Value::Object(keyed));
            }
        }
    }
    comparable(&mut out, false);
    out
}

/// Makes facts comparable key by key: a `type` becomes a sorted list, and a `required` list
/// becomes `required: true` or `false` on each property. Examples' payloads are left alone.
fn comparable(value: &mut Value, is_map: bool) {
    let obj = match value {
        Value::Array(items) => return items.iter_mut().for_each(|v| comparable(v, false)),
        Value::Object(obj) => obj,
        _ => return,
    };
    if !is_map && let Some(ty) = obj.get_mut("type") {
        let mut names = match ty.take() {
            Value::Array(names) => names,
            one => vec![one],
        };
        names.sort_by_key(ToString::to_string);
        *ty = names.into();
    }
    if !is_map && obj.get("required").is_some_and(Value::is_array) {
        let names = obj.remove("required").unwrap_or_default();
        let properties = obj.get_mut("properties").and_then(Value::as_object_mut);
        for (name, property) in properties.into_iter().flatten() {
            if let Some(property) = property.as_object_mut() {
                property.insert(
                    "required".into(),
                    json!(as_list(&names).contains(&json!(name))),
                );
            }
        }
    }
    for (key, child) in obj.iter_mut() {
        if is_map || !matches!(key.as_str(), "example" | "examples") {
            comparable(child, !is_map && is_name_map(key));
        }
    }
}

#[derive(Default)]
struct Walk {
    gen_root: Value,
    doc_root: Value,
    differences: Vec<String>,
    extensions: BTreeSet<String>,
    /// Documented components already compared.
    visited: BTreeSet<String>,
    /// Generated components a compared part of the spec refers to.
    used: BTreeSet<String>,
    /// Generated components the documented spec does not name: extensions unless used.
    unused: Vec<String>,
}

/// A value a missing key means anyway: `null`, `false`, `[]`.
fn is_default(key: &str, value: &Value) -> bool {
    match value {
        Value::Bool(b) => !b && key != "additionalProperties",
        Value::Array(items) => items.is_empty(),
        other => other.is_null(),
    }
}

impl Walk {
    fn differ(&mut self, line: String) {
        self.differences.push(line);
    }

    /// Compares the value at `loc`; `is_map` when its keys are names.
    fn node(&mut self, generated: &Value, documented: &Value, loc: &str, is_map: bool) {
        let mut loc = loc.to_owned();
        let component = |v: &Value| v["$ref"].as_str()?.strip_prefix(SCHEMAS).map(str::to_owned);
        if let Some(name) = component(documented) {
            match component(generated) {
                Some(found) if found == name => {}
                Some(found) => self.differ(format!("{loc}: $ref {found}, documented $ref {name}")),
                None => self.differ(format!("{loc}: inline, documented $ref {name}")),
            }
            if !self.visited.insert(name.clone()) {
                return;
            }
            loc = name;
        }
        let g = resolve(&self.gen_root, generated, &mut self.used);
        let (schema, d) = match (g, resolve(&self.doc_root, documented, &mut BTreeSet::new())) {
            (Err(e), _) => return self.differ(format!("{loc}: generated {e}")),
            (_, Err(e)) => return self.differ(format!("{loc}: documented {e}")),
            (Ok(g), Ok(d)) if g.is_object() && d.is_object() => (g, d),
            (Ok(g), Ok(d)) if g != d => return self.differ(format!("{loc}: {g}, documented {d}")),
            _ => return,
        };
        if !is_map {
            self.examples(&schema, &d, &loc);
        }
        let (generated, documented) = (as_map(&schema), as_map(&d));
        let example = |key: &str| !is_map && matches!(key, "example" | "examples");
        let join = |key: &str| format!("{loc}.{key}").trim_start_matches('.').to_owned();
        let components = loc == "components.schemas";
        for (key, d) in documented.iter().filter(|(k, _)| !example(k)) {
            if components && !self.visited.insert(key.clone()) {
                continue;
            }
            let child = if components { key.clone() } else { join(key) };
            match generated.get(key) {
                None if is_default(key, d) || d == &json!({}) => {}
                None if is_map || d.is_object() => self.differ(format!("{}: missing", join(key))),
                None => self.differ(format!("{loc}: {key} missing, documented {d}")),
                Some(g) if is_map || (g.is_object() && d.is_object()) => {
                    self.node(g, d, &child, !is_map && is_name_map(key));
                }
                Some(g) if g != d => self.differ(format!("{loc}: {key} {g}, documented {d}")),
                Some(_) => {}
            }
        }
        for (key, g) in generated
            .iter()
            .filter(|(k, _)| !documented.contains_key(*k))
        {
            // `minimum: 0` on an integer is how utoipa marks unsigned Rust types.
            let unsigned = key == "minimum"
                && g.as_f64() == Some(0.0)
                && as_list(&schema["type"]).contains(&json!("integer"));
            // Reusable parts (parameters, responses...) are compared where they are used.
            let reusable = loc == "components" && key != "securitySchemes";
            let annotation = is_default(key, g) || listed(ANNOTATIONS, key);
            if components {
                self.unused.push(key.clone());
            } else if !is_map && (annotation || unsigned || reusable) {
                // An annotation, or an example (compared by meaning).
            } else if let Some(names) = g.as_object().filter(|_| !is_map && is_name_map(key)) {
                let names = names.keys().map(|name| join(&format!("{key}.{name}")));
                self.extensions.extend(names);
            } else {
                self.extensions.insert(join(key));
            }
        }
    }

    /// Every documented example must be among the generated ones (a media type's include its
    /// schema's).
    fn examples(&mut self, generated: &Value, documented: &Value, loc: &str) {
        let mut found = examples(&self.gen_root, generated);
        if let Ok(schema) = resolve(&self.gen_root, &generated["schema"], &mut BTreeSet::new()) {
            found.extend(examples(&self.gen_root, &schema));
        }
        let first = found
            .first()
            .map_or("missing".to_owned(), ToString::to_string);
        for example in examples(&self.doc_root, documented) {
            if !found.contains(&example) {
                self.differ(format!("{loc}: example {first}, documented {example}"));
            }
        }
    }
}

/// A list's members, or none.
fn as_list(value: &Value) -> &[Value] {
    value.as_array().map_or(&[], Vec::as_slice)
}

/// An object's members, or none.
fn as_map(value: &Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

/// `example`, the members of an `examples` list, and the `value`s of an `examples` map.
fn examples(root: &Value, node: &Value) -> Vec<Value> {
    let mut out: Vec<Value> = node.get("example").cloned().into_iter().collect();
    out.extend(as_list(&node["examples"]).iter().cloned());
    for example in as_map(&node["examples"]).values() {
        let example = resolve(root, example, &mut BTreeSet::new()).unwrap_or_default();
        out.extend(example.get("value").cloned());
    }
    out
}

/// Follows `$ref`s (siblings win over the target's keywords, as 3.1 allows) and unwraps a lone
/// `allOf: [X]` that only decorates `X`; records the component schemas it passes in `used`.
fn resolve(root: &Value, value: &Value, used: &mut BTreeSet<String>) -> Result<Value, String> {
    let mut current = value.clone();
    for _ in 0..32 {
        let Value::Object(mut rest) = current else {
            return Ok(current);
        };
        let lone = matches!(rest.get("allOf"), Some(Value::Array(all)) if all.len() == 1);
        let inner = if let Some(Value::String(r)) = rest.remove("$ref") {
            used.extend(r.strip_prefix(SCHEMAS).map(str::to_owned));
            let target = r.strip_prefix('#').and_then(|p| root.pointer(p));
            target.ok_or(format!("$ref {r} does not resolve"))?.clone()
        } else if lone && !rest.contains_key("properties") && !rest.contains_key("type") {
            rest.remove("allOf").unwrap_or_default()[0].take()
        } else {
            return Ok(Value::Object(rest));
        };
        let Value::Object(mut target) = inner else {
            return Ok(inner);
        };
        target.extend(rest);
        current = Value::Object(target);
    }
    Err("$ref chain too deep (cyclic?)".to_owned())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::openapi::documented;

    /// One case a paragraph: `gen|doc POINTER JSON` sets a value in the generated spec or the
    /// documented one (both start as `openapi/documented.json`; `-` removes the key), `allow KEY
    /// REASON` adds an allow-list entry, and the expected findings, alone or after ` => `:
    /// `= difference`, `+ unlisted extension`, `~ allowed extension` and `! stale entry`. `$OP`,
    /// `$MEDIA`, `$ERR` and `$RESP` abbreviate pointers, `$EX` the documented example of the 200.
    const CASES: &str = r##"
# The documented spec itself: no finding.

gen /paths {} => = paths./ccstore/v1/refresh: missing

gen /paths/~1ccstore~1v1~1refresh {} => = paths./ccstore/v1/refresh.post: missing

gen $OP/summary "Refresh a token" => = paths./ccstore/v1/refresh.post: summary "Refresh a token", documented "Refresh"
gen $OP/operationId - => = paths./ccstore/v1/refresh.post: operationId missing, documented "refresh"

gen $OP/responses/200 - => = paths./ccstore/v1/refresh.post.responses.200: missing
gen $OP/responses/default/description "Error" => = paths./ccstore/v1/refresh.post.responses.default: description "Error", documented "The error response"

gen $OP/requestBody/content {} => = paths./ccstore/v1/refresh.post.requestBody.content.application/json: missing

gen $OP/requestBody - => = paths./ccstore/v1/refresh.post.requestBody: missing

gen $OP/requestBody/content/application~1json/schema {"$ref": "#/components/schemas/errorModel"} => = paths./ccstore/v1/refresh.post.requestBody.content.application/json.schema: $ref errorModel, documented $ref refresh_request

gen $MEDIA/schema {"type": "object"} => = paths./ccstore/v1/refresh.post.responses.200.content.application/json.schema: inline, documented $ref refresh_response

gen $ERR/status {"type": "integer", "format": "int32", "minimum": 0, "description": "The HTTP status code"} => = errorModel.properties.status: type ["integer"], documented ["string"]

gen $ERR/message/type ["string", "null"] => = errorModel.properties.message: type ["null","string"], documented ["string"]

gen $ERR/message/type ["string"]
gen $ERR/status/type ["null", "string"]
doc $ERR/status/type ["string", "null"]

gen $RESP/properties/token_type - => = refresh_response.properties.token_type: missing
gen $RESP/properties/expires_in/description "Seconds left." => = refresh_response.properties.expires_in: description "Seconds left.", documented "Time in seconds until token expires."

gen $ERR/errors/items/properties/o:errorPath/type "integer" => = errorModel.properties.errors.items.properties.o:errorPath: type ["integer"], documented ["string"]

gen $ERR/errors/items - => = errorModel.properties.errors.items: missing

gen $ERR/status {"$ref": "#/components/schemas/Nope"} => = errorModel.properties.status: generated $ref #/components/schemas/Nope does not resolve

doc /components/schemas/unused {"type": "string"} => = components.schemas.unused: missing

gen $RESP/required ["access_token", "token_type"]
doc $RESP/required ["expires_in"]
= refresh_response.properties.access_token: required true, documented false
= refresh_response.properties.expires_in: required false, documented true
= refresh_response.properties.token_type: required true, documented false

gen $OP/requestBody/required true
doc $OP/requestBody/required false => = paths./ccstore/v1/refresh.post.requestBody: required true, documented false

doc /paths/~1ccstore~1v1~1refresh/parameters [{"in": "header", "name": "Authorization", "required": true, "description": "Bearer token.", "schema": {"type": "string"}}, {"in": "query", "name": "locale"}]
gen $OP/parameters [{"$ref": "#/components/parameters/Auth"}]
gen /components/parameters {"Auth": {"in": "header", "name": "Authorization", "description": "Token.", "schema": {"type": "integer"}}}
= paths./ccstore/v1/refresh.post.parameters.header.Authorization: description "Token.", documented "Bearer token."
= paths./ccstore/v1/refresh.post.parameters.header.Authorization: required missing, documented true
= paths./ccstore/v1/refresh.post.parameters.header.Authorization.schema: type ["integer"], documented ["string"]
= paths./ccstore/v1/refresh.post.parameters.query.locale: missing

# A documented example may be on the media type, on its schema or in an `examples` map.
gen $MEDIA/example -
gen $RESP/example $EX

gen $MEDIA/example -
gen $MEDIA/examples {"ok": {"value": $EX}}

gen $MEDIA/example - => = paths./ccstore/v1/refresh.post.responses.200.content.application/json: example missing, documented $EX

doc $MEDIA/example {"expires_in": 300} => = paths./ccstore/v1/refresh.post.responses.200.content.application/json: example $EX, documented {"expires_in":300}

gen $RESP/properties/token_type/examples ["Bearer"]
doc $RESP/properties/token_type/example "bearer" => = refresh_response.properties.token_type: example "Bearer", documented "bearer"

# `$ref`s, with siblings or in a lone `allOf`, are followed; what they reach is not an extension.
doc $ERR/errors/items {"type": "object", "properties": {"status": {"type": "string"}}}
gen $ERR/errors/items {"$ref": "#/components/schemas/ErrorItem"}
gen /components/schemas/ErrorItem {"type": "object", "properties": {"status": {"type": "string", "description": "s"}}}

gen $ERR/status {"allOf": [{"$ref": "#/components/schemas/S"}], "description": "The HTTP status code"}
gen /components/schemas/S {"type": "string", "description": "other"}

# Annotations are neither differences nor extensions.
gen $RESP/type "object"
gen $RESP/title "t"
gen $RESP/properties/expires_in/format "int64"
gen $RESP/properties/expires_in/minimum 0
gen $RESP/properties/expires_in/example 930
gen $OP/deprecated false

# Additions are extensions.
gen /servers [{"url": "/"}] => + servers
gen /tags [{"name": "auth"}] => + tags
gen /components/securitySchemes {"bearer": {"type": "http", "scheme": "bearer"}} => + components.securitySchemes.bearer
gen /components/schemas/verify_response {"type": "object"} => + components.schemas.verify_response
gen /paths/~1ccstore~1v1~1login {"post": {}} => + paths./ccstore/v1/login
gen /paths/~1ccstore~1v1~1refresh/get {} => + paths./ccstore/v1/refresh.get
gen $OP/security [{"bearer": []}] => + paths./ccstore/v1/refresh.post.security
gen $OP/x-amazon-apigateway-integration {"type": "http_proxy"} => + paths./ccstore/v1/refresh.post.x-amazon-apigateway-integration
gen $OP/responses/401 {"description": "Unauthorized"} => + paths./ccstore/v1/refresh.post.responses.401
gen $OP/responses/200/headers {"Cache-Control": {"schema": {"type": "string"}}} => + paths./ccstore/v1/refresh.post.responses.200.headers.Cache-Control
gen $OP/responses/200/content/text~1plain {} => + paths./ccstore/v1/refresh.post.responses.200.content.text/plain
gen $OP/requestBody/required true => + paths./ccstore/v1/refresh.post.requestBody.required
gen $OP/parameters [{"in": "header", "name": "Authorization", "schema": {"type": "string"}}] => + paths./ccstore/v1/refresh.post.parameters.header.Authorization
gen $ERR/extra {"type": "string"} => + errorModel.properties.extra
gen $ERR/status/pattern "^[0-9]{3}$" => + errorModel.properties.status.pattern
gen $ERR/status/minimum 100 => + errorModel.properties.status.minimum
gen /components/schemas/errorModel/additionalProperties false => + errorModel.additionalProperties
gen $RESP/required ["access_token"] => + refresh_response.properties.access_token.required

# An extension an allow-list entry names is allowed; an entry that names nothing is stale.
gen $OP/responses/401 {"description": "Unauthorized"} => ~ paths./ccstore/v1/refresh.post.responses.401 (by "paths./ccstore/v1/refresh.post.responses.4*": errors)
gen $OP/responses/415 {"description": "Unsupported"} => ~ paths./ccstore/v1/refresh.post.responses.415 (by "paths./ccstore/v1/refresh.post.responses.4*": errors)
gen /servers [{"url": "/"}] => + servers
allow paths./ccstore/v1/refresh.post.responses.4* errors
allow webhooks none yet => ! webhooks

gen /servers [{"url": "/"}] => ~ servers (by "servers": relative)
allow servers relative
"##;

    /// Sets (or with `None` removes) the value at a JSON pointer whose parent exists.
    fn edit(doc: &mut Value, pointer: &str, value: Option<Value>) {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let parent = doc.pointer_mut(parent).expect(pointer);
        let key = key.replace("~1", "/");
        match value {
            Some(v) => parent[key.as_str()] = v,
            None => drop(parent.as_object_mut().unwrap().remove(&key)),
        }
    }

    #[test]
    fn every_documented_fact_holds_and_every_addition_is_an_extension_unless_allowed() {
        let op = "/paths/~1ccstore~1v1~1refresh/post";
        let media = format!("{op}/responses/200/content/application~1json");
        let doc = documented();
        let example = doc.pointer(&format!("{media}/example")).unwrap();
        let cases = CASES
            .replace("$OP", op)
            .replace("$MEDIA", &media)
            .replace("$ERR", "/components/schemas/errorModel/properties")
            .replace("$RESP", "/components/schemas/refresh_response")
            .replace("$EX", &example.to_string());
        for case in cases.split("\n\n") {
            let (mut g, mut d) = (documented(), documented());
            g["info"] = json!({"title": "ccstore", "version": "0.1.0"});
            let (mut allow, mut expected) = (Vec::new(), <[Vec<String>; 4]>::default());
            let lines = case.trim().lines().filter(|l| !l.starts_with('#'));
            for part in lines.flat_map(|line| line.split(" => ")) {
                let (kind, rest) = part.split_once(' ').unwrap();
                let (first, second) = rest.split_once(' ').unwrap_or((rest, "-"));
                let value = || (second != "-").then(|| serde_json::from_str(second).unwrap());
                match kind {
                    "gen" => edit(&mut g, first, value()),
                    "doc" => edit(&mut d, first, value()),
                    "allow" => allow.push(json!({"key": first, "reason": second})),
                    _ => expected["=+~!".find(kind).unwrap()].push(rest.to_owned()),
                }
            }
            let allow = allow_list(&json!({ "extensions": allow }).to_string()).unwrap();
            let report = diff(&g, &d, &allow);
            assert_eq!(report.passes(), expected[..2].iter().all(Vec::is_empty));
            let Report {
                differences,
                unlisted,
                allowed,
                stale,
            } = report;
            let mut found = [differences, unlisted, allowed, stale];
            found
                .iter_mut()
                .chain(&mut expected)
                .for_each(|kind| kind.sort());
            assert_eq!(found, expected, "{case}");
        }
    }

    #[test]
    fn an_allow_list_entry_needs_a_key_and_a_reason() {
        let cases = r#"{"extensions": [{"key": "servers", "reason": " "}]} => extensions[0]: no non-empty `reason`
{"extensions": [{"reason": "r"}]} => extensions[0]: no non-empty `key`
{"extension": []} => no array `extensions`
{"extensions": [ => not JSON: EOF while parsing a list at line 1 column 16"#;
        for (text, error) in cases.lines().filter_map(|l| l.split_once(" => ")) {
            assert_eq!(allow_list(text), Err(error.to_owned()), "{text}");
        }
    }

    #[test]
    fn globs_match_whole_keys() {
        let cases = "servers servers 1|servers servers.x 0|paths.*.responses.401 paths./a/b.post.responses.401 1|\
                     paths.*.responses.401 paths./a/b.post.responses.4011 0|a* a 1|*.required x.properties.y.required 1|\
                     a*b*c abc 1|a*b*c acb 0|ab*ba aba 0";
        for case in cases.split('|') {
            let [glob, text, matches] = case.split(' ').collect::<Vec<_>>()[..] else {
                panic!("{case}")
            };
            assert_eq!(glob_match(glob, text), matches == "1", "{case}");
        }
    }
}
