//! Structural comparison of the generated OpenAPI document with the documented (vendor) one, so
//! that every divergence from the documented contract is either fixed or explicitly allowed.
//!
//! Everything the documented document states must hold in the generated one: a broken promise
//! is a *difference*. Everything the generated document adds that matters to a client (an extra
//! response, path, property, security requirement, a `required` the vendor never stated...) is an
//! *extension*, allowed only when an entry of the allow-list names its key. Mere annotations
//! (`format`, `title`, `minimum: 0` on an integer, descriptions and examples the vendor left
//! out, ...) are neither.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::{Map, Value};

/// The HTTP methods an OpenAPI path item may hold, in a stable order.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Schema keywords that constrain instances: compared when documented, an extension when only
/// the generated document has them. (`minimum` is here too, but `minimum: 0` on an integer is
/// just how utoipa annotates unsigned types and is ignored.)
const CONSTRAINT_KEYWORDS: [&str; 20] = [
    "enum",
    "const",
    "pattern",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minProperties",
    "maxProperties",
    "additionalProperties",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
];

/// Operation keywords whose presence in the generated document only is an extension.
const OPERATION_EXTENSIONS: [&str; 5] = ["tags", "security", "callbacks", "servers", "deprecated"];

/// Top-level keywords whose presence in the generated document only is an extension.
const TOP_LEVEL_EXTENSIONS: [&str; 4] = ["servers", "security", "tags", "webhooks"];

/// Prefix of the `$ref`s that name a component schema.
const SCHEMA_REF_PREFIX: &str = "#/components/schemas/";

/// One allow-list entry: a key (`*` matches any run of characters) and why it is allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AllowEntry {
    /// Extension key or glob, e.g. `paths./ccstore/v1/refresh.post.responses.401`.
    pub(crate) key: String,
    /// Why the generated document may differ from the documented one here.
    pub(crate) reason: String,
}

/// The allowed extensions, read from `openapi/extensions.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AllowList {
    /// Entries in file order.
    pub(crate) entries: Vec<AllowEntry>,
}

impl AllowList {
    /// Parses `{"extensions": [{"key": "...", "reason": "..."}, ...]}`; other top-level members
    /// (such as an `about` note) are ignored. Every entry needs a non-empty key and reason.
    pub(crate) fn from_json(text: &str) -> Result<Self, String> {
        let root: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let list = root
            .get("extensions")
            .and_then(Value::as_array)
            .ok_or("missing array `extensions`")?;
        let mut entries = Vec::with_capacity(list.len());
        for (i, item) in list.iter().enumerate() {
            let field = |name: &str| {
                item.get(name)
                    .and_then(Value::as_str)
                    .filter(|s| !s.trim().is_empty())
                    .map(str::to_owned)
                    .ok_or_else(|| format!("extensions[{i}]: missing non-empty string `{name}`"))
            };
            entries.push(AllowEntry {
                key: field("key")?,
                reason: field("reason")?,
            });
        }
        Ok(Self { entries })
    }
}

/// An extension that an allow-list entry covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AllowedExtension {
    /// The extension's key.
    pub(crate) key: String,
    /// The allow-list key (or glob) that matched it.
    pub(crate) allowed_by: String,
    /// The entry's reason.
    pub(crate) reason: String,
}

/// What [`diff`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Report {
    /// Documented facts the generated document breaks, one readable line each.
    pub(crate) differences: Vec<String>,
    /// Additions covered by the allow-list.
    pub(crate) allowed_extensions: Vec<AllowedExtension>,
    /// Additions no allow-list entry covers (keys to add to the allow-list, with a reason).
    pub(crate) unlisted_extensions: Vec<String>,
    /// Allow-list keys that matched no extension.
    pub(crate) stale_entries: Vec<String>,
}

impl Report {
    /// True when the generated document may ship: no difference and no unlisted extension.
    /// Stale allow-list entries are reported but do not fail.
    pub(crate) fn passes(&self) -> bool {
        self.differences.is_empty() && self.unlisted_extensions.is_empty()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.differences {
            writeln!(f, "difference: {d}")?;
        }
        for key in &self.unlisted_extensions {
            writeln!(f, "unlisted extension: {key}")?;
        }
        for a in &self.allowed_extensions {
            writeln!(
                f,
                "allowed extension: {} (by {:?}: {})",
                a.key, a.allowed_by, a.reason
            )?;
        }
        for key in &self.stale_entries {
            writeln!(f, "stale allow-list entry (matches nothing): {key}")?;
        }
        writeln!(
            f,
            "{} difference(s), {} unlisted extension(s), {} allowed extension(s), {} stale entr(y/ies)",
            self.differences.len(),
            self.unlisted_extensions.len(),
            self.allowed_extensions.len(),
            self.stale_entries.len()
        )
    }
}

/// Compares `generated` (utoipa's OpenAPI 3.1 output) with `documented`, structurally.
pub(crate) fn diff(generated: &Value, documented: &Value, allow: &AllowList) -> Report {
    let mut walk = Walk {
        gen_root: generated,
        doc_root: documented,
        differences: Vec::new(),
        extensions: BTreeSet::new(),
        visited: BTreeSet::new(),
    };
    walk.document();

    let mut report = Report {
        differences: walk.differences,
        ..Report::default()
    };
    let mut used = vec![false; allow.entries.len()];
    for key in walk.extensions {
        let hit = allow
            .entries
            .iter()
            .enumerate()
            .find(|(_, e)| glob_match(&e.key, &key));
        match hit {
            Some((i, entry)) => {
                if let Some(u) = used.get_mut(i) {
                    *u = true;
                }
                report.allowed_extensions.push(AllowedExtension {
                    key,
                    allowed_by: entry.key.clone(),
                    reason: entry.reason.clone(),
                });
            }
            None => report.unlisted_extensions.push(key),
        }
    }
    report.stale_entries = allow
        .entries
        .iter()
        .zip(used)
        .filter(|(_, u)| !u)
        .map(|(e, _)| e.key.clone())
        .collect();
    report
}

/// Whole-string match where `*` stands for any run of characters (dots and slashes included).
fn glob_match(pattern: &str, text: &str) -> bool {
    let Some((first, rest)) = pattern.split_once('*') else {
        return pattern == text;
    };
    let Some(mut remaining) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = rest.split('*').collect();
    let Some((last, middle)) = parts.split_last() else {
        return true;
    };
    for part in middle {
        match remaining.find(part) {
            Some(at) => remaining = &remaining[at + part.len()..],
            None => return false,
        }
    }
    remaining.ends_with(last)
}

/// The state of one comparison.
struct Walk<'a> {
    gen_root: &'a Value,
    doc_root: &'a Value,
    differences: Vec<String>,
    extensions: BTreeSet<String>,
    /// Documented component schemas already compared (also stops recursion on cyclic schemas).
    visited: BTreeSet<String>,
}

impl Walk<'_> {
    fn differ(&mut self, line: String) {
        self.differences.push(line);
    }

    fn extend(&mut self, key: String) {
        self.extensions.insert(key);
    }

    fn document(&mut self) {
        let (gen_root, doc_root) = (self.gen_root, self.doc_root);
        for kw in TOP_LEVEL_EXTENSIONS {
            if is_present(gen_root.get(kw)) && !is_present(doc_root.get(kw)) {
                self.extend(kw.to_owned());
            }
        }

        let gen_paths = object(gen_root.get("paths"));
        let doc_paths = object(doc_root.get("paths"));
        for (path, doc_item) in doc_paths {
            let loc = format!("paths.{path}");
            match gen_paths.get(path) {
                None => self.differ(format!("{loc}: missing")),
                Some(gen_item) => self.path_item(&loc, gen_item, doc_item),
            }
        }
        for path in gen_paths.keys().filter(|p| !doc_paths.contains_key(*p)) {
            self.extend(format!("paths.{path}"));
        }

        let doc_schemas = object(doc_root.pointer("/components/schemas"));
        let gen_schemas = object(gen_root.pointer("/components/schemas"));
        for (name, doc_schema) in doc_schemas {
            if self.visited.contains(name) {
                continue;
            }
            match gen_schemas.get(name) {
                None => self.differ(format!("components.schemas.{name}: missing")),
                Some(gen_schema) => {
                    self.visited.insert(name.clone());
                    self.schema(name, gen_schema, doc_schema);
                }
            }
        }
        // A generated component that a documented schema uses (as `ErrorItem` for
        // `errorModel.errors.items`) is part of the documented shape, not an extension.
        let mut used = BTreeSet::new();
        for name in doc_schemas.keys() {
            components_used_by(gen_schemas, name, &mut used);
        }
        for name in gen_schemas.keys().filter(|name| !used.contains(*name)) {
            self.extend(format!("components.schemas.{name}"));
        }
        let doc_security = object(doc_root.pointer("/components/securitySchemes"));
        for name in object(gen_root.pointer("/components/securitySchemes")).keys() {
            if !doc_security.contains_key(name) {
                self.extend(format!("components.securitySchemes.{name}"));
            }
        }
    }

    fn path_item(&mut self, loc: &str, gen_item: &Value, doc_item: &Value) {
        let gen_item = deref(self.gen_root, gen_item);
        let doc_item = deref(self.doc_root, doc_item);
        for method in METHODS {
            let op_loc = format!("{loc}.{method}");
            match (gen_item.get(method), doc_item.get(method)) {
                (None, Some(_)) => self.differ(format!("{op_loc}: missing")),
                (Some(_), None) => self.extend(op_loc),
                (Some(gen_op), Some(doc_op)) => {
                    let gen_params = Self::parameters(self.gen_root, &gen_item, gen_op);
                    let doc_params = Self::parameters(self.doc_root, &doc_item, doc_op);
                    self.operation(&op_loc, gen_op, doc_op);
                    self.compare_parameters(&op_loc, &gen_params, &doc_params);
                }
                (None, None) => {}
            }
        }
    }

    fn operation(&mut self, loc: &str, gen_op: &Value, doc_op: &Value) {
        for field in ["operationId", "summary", "description"] {
            self.text(loc, field, gen_op.get(field), doc_op.get(field));
        }
        for kw in OPERATION_EXTENSIONS {
            let present = |v: Option<&Value>| is_present(v) && v != Some(&Value::Bool(false));
            if present(gen_op.get(kw)) && !present(doc_op.get(kw)) {
                self.extend(format!("{loc}.{kw}"));
            }
        }

        let body_loc = format!("{loc}.requestBody");
        match (gen_op.get("requestBody"), doc_op.get("requestBody")) {
            (None, Some(_)) => self.differ(format!("{body_loc}: missing")),
            (Some(_), None) => self.extend(body_loc),
            (Some(gen_body), Some(doc_body)) => {
                let gen_body = deref(self.gen_root, gen_body);
                let doc_body = deref(self.doc_root, doc_body);
                self.text(
                    &body_loc,
                    "description",
                    gen_body.get("description"),
                    doc_body.get("description"),
                );
                let gen_required = gen_body.get("required") == Some(&Value::Bool(true));
                match doc_body.get("required").and_then(Value::as_bool) {
                    Some(doc_required) if doc_required != gen_required => self.differ(format!(
                        "{body_loc}: {}, documented {}",
                        required_word(gen_required),
                        required_word(doc_required)
                    )),
                    None if gen_required => self.extend(format!("{body_loc}.required")),
                    _ => {}
                }
                self.content(&body_loc, &gen_body, &doc_body);
            }
            (None, None) => {}
        }

        let gen_responses = object(gen_op.get("responses"));
        let doc_responses = object(doc_op.get("responses"));
        for (code, doc_response) in doc_responses {
            let resp_loc = format!("{loc}.responses.{code}");
            match gen_responses.get(code) {
                None => self.differ(format!("{resp_loc}: missing")),
                Some(gen_response) => self.response(&resp_loc, gen_response, doc_response),
            }
        }
        for code in gen_responses
            .keys()
            .filter(|c| !doc_responses.contains_key(*c))
        {
            self.extend(format!("{loc}.responses.{code}"));
        }
    }

    fn response(&mut self, loc: &str, gen_response: &Value, doc_response: &Value) {
        let gen_response = deref(self.gen_root, gen_response);
        let doc_response = deref(self.doc_root, doc_response);
        self.text(
            loc,
            "description",
            gen_response.get("description"),
            doc_response.get("description"),
        );
        let doc_headers = object(doc_response.get("headers"));
        for name in object(gen_response.get("headers")).keys() {
            if !doc_headers.contains_key(name) {
                self.extend(format!("{loc}.headers.{name}"));
            }
        }
        if is_present(gen_response.get("links")) && !is_present(doc_response.get("links")) {
            self.extend(format!("{loc}.links"));
        }
        self.content(loc, &gen_response, &doc_response);
    }

    /// Compares the `content` maps of a request body or response at `loc`.
    fn content(&mut self, loc: &str, gen_owner: &Value, doc_owner: &Value) {
        let gen_content = object(gen_owner.get("content"));
        let doc_content = object(doc_owner.get("content"));
        for (media, doc_media) in doc_content {
            let media_loc = format!("{loc}.content.{media}");
            let Some(gen_media) = gen_content.get(media) else {
                self.differ(format!("{media_loc}: missing"));
                continue;
            };
            match (gen_media.get("schema"), doc_media.get("schema")) {
                (None, Some(_)) => self.differ(format!("{media_loc}.schema: missing")),
                (Some(gen_schema), Some(doc_schema)) => {
                    self.schema_ref_name(&media_loc, gen_schema, doc_schema);
                    self.schema_or_component(
                        &format!("{media_loc}.schema"),
                        gen_schema,
                        doc_schema,
                    );
                }
                _ => {}
            }
            self.media_examples(&media_loc, gen_media, doc_media);
        }
        for media in gen_content.keys().filter(|m| !doc_content.contains_key(*m)) {
            self.extend(format!("{loc}.content.{media}"));
        }
    }

    /// A documented `$ref` to a named component must be a `$ref` to that name.
    fn schema_ref_name(&mut self, loc: &str, gen_schema: &Value, doc_schema: &Value) {
        let Some(doc_name) = component_name(doc_schema) else {
            return;
        };
        match component_name(gen_schema) {
            Some(gen_name) if gen_name == doc_name => {}
            Some(gen_name) => self.differ(format!(
                "{loc}: schema $ref {gen_name}, documented $ref {doc_name}"
            )),
            None => self.differ(format!("{loc}: schema inline, documented $ref {doc_name}")),
        }
    }

    /// Every documented example of a media type must be among the generated examples (on the
    /// media type's `example`/`examples`, or on its schema).
    fn media_examples(&mut self, loc: &str, gen_media: &Value, doc_media: &Value) {
        let documented = media_example_values(self.doc_root, doc_media);
        if documented.is_empty() {
            return;
        }
        let mut generated = media_example_values(self.gen_root, gen_media);
        if let Some(schema) = gen_media.get("schema")
            && let Ok(schema) = resolve(self.gen_root, schema)
        {
            generated.extend(schema_example_values(&schema));
        }
        for doc_example in documented {
            if !generated.contains(&doc_example) {
                let found = generated
                    .first()
                    .map_or_else(|| "missing".to_owned(), ToString::to_string);
                self.differ(format!("{loc}: example {found}, documented {doc_example}"));
            }
        }
    }

    /// Path-level parameters overridden by operation-level ones, keyed by `in.name`.
    fn parameters(root: &Value, item: &Value, op: &Value) -> BTreeMap<String, Value> {
        let mut out = BTreeMap::new();
        for list in [item.get("parameters"), op.get("parameters")] {
            for param in list.and_then(Value::as_array).into_iter().flatten() {
                let param = deref(root, param);
                let key = format!(
                    "{}.{}",
                    param.get("in").and_then(Value::as_str).unwrap_or("?"),
                    param.get("name").and_then(Value::as_str).unwrap_or("?")
                );
                out.insert(key, param.into_owned());
            }
        }
        out
    }

    fn compare_parameters(
        &mut self,
        loc: &str,
        gen_params: &BTreeMap<String, Value>,
        doc_params: &BTreeMap<String, Value>,
    ) {
        for (key, doc_param) in doc_params {
            let param_loc = format!("{loc}.parameters.{key}");
            let Some(gen_param) = gen_params.get(key) else {
                self.differ(format!("{param_loc}: missing"));
                continue;
            };
            self.text(
                &param_loc,
                "description",
                gen_param.get("description"),
                doc_param.get("description"),
            );
            let required = |p: &Value| p.get("required") == Some(&Value::Bool(true));
            if required(gen_param) != required(doc_param) {
                self.differ(format!(
                    "{param_loc}: {}, documented {}",
                    required_word(required(gen_param)),
                    required_word(required(doc_param))
                ));
            }
            match (gen_param.get("schema"), doc_param.get("schema")) {
                (None, Some(_)) => self.differ(format!("{param_loc}.schema: missing")),
                (Some(g), Some(d)) => {
                    self.schema_or_component(&format!("{param_loc}.schema"), g, d);
                }
                _ => {}
            }
        }
        for key in gen_params.keys().filter(|k| !doc_params.contains_key(*k)) {
            self.extend(format!("{loc}.parameters.{key}"));
        }
    }

    /// A documented string field (`summary`, `description`, ...) must be identical.
    fn text(
        &mut self,
        loc: &str,
        field: &str,
        gen_value: Option<&Value>,
        doc_value: Option<&Value>,
    ) {
        let Some(doc_value) = doc_value else {
            return;
        };
        match gen_value {
            Some(g) if g == doc_value => {}
            Some(g) => self.differ(format!("{loc}: {field} {g}, documented {doc_value}")),
            None => self.differ(format!("{loc}: {field} missing, documented {doc_value}")),
        }
    }

    /// Compares two schemas; a documented `$ref` to a component is compared once, under the
    /// component's name, wherever it is used.
    fn schema_or_component(&mut self, inline_label: &str, gen_schema: &Value, doc_schema: &Value) {
        match component_name(doc_schema) {
            Some(name) => {
                if self.visited.insert(name.to_owned()) {
                    self.schema(name, gen_schema, doc_schema);
                }
            }
            None => self.schema(inline_label, gen_schema, doc_schema),
        }
    }

    fn schema(&mut self, label: &str, gen_schema: &Value, doc_schema: &Value) {
        let gen_schema = match resolve(self.gen_root, gen_schema) {
            Ok(s) => s,
            Err(e) => return self.differ(format!("{label}: generated {e}")),
        };
        let doc_schema = match resolve(self.doc_root, doc_schema) {
            Ok(s) => s,
            Err(e) => return self.differ(format!("{label}: documented {e}")),
        };

        if let Some(doc_type) = doc_schema.get("type") {
            let gen_type = gen_schema.get("type");
            if type_set(gen_type) != type_set(Some(doc_type)) {
                self.differ(format!(
                    "{label}: type {}, documented {}",
                    type_text(gen_type),
                    type_text(Some(doc_type))
                ));
            }
        }
        self.text(
            label,
            "description",
            gen_schema.get("description"),
            doc_schema.get("description"),
        );
        let doc_examples = schema_example_values(&doc_schema);
        if !doc_examples.is_empty() {
            let gen_examples = schema_example_values(&gen_schema);
            if gen_examples != doc_examples {
                let found = gen_examples
                    .first()
                    .map_or_else(|| "missing".to_owned(), ToString::to_string);
                let documented = doc_examples
                    .first()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                self.differ(format!("{label}: example {found}, documented {documented}"));
            }
        }
        self.constraints(label, &gen_schema, &doc_schema);
        self.properties(label, &gen_schema, &doc_schema);

        let items_loc = format!("{label}.items");
        match (gen_schema.get("items"), doc_schema.get("items")) {
            (None, Some(_)) => self.differ(format!("{items_loc}: missing")),
            (Some(g), Some(d)) => self.schema_or_component(&items_loc, g, d),
            (Some(_), None) => self.extend(items_loc),
            (None, None) => {}
        }
    }

    fn constraints(&mut self, label: &str, gen_schema: &Value, doc_schema: &Value) {
        for kw in CONSTRAINT_KEYWORDS {
            match (gen_schema.get(kw), doc_schema.get(kw)) {
                (Some(g), Some(d)) if g != d => {
                    self.differ(format!("{label}: {kw} {g}, documented {d}"));
                }
                (None, Some(d)) => self.differ(format!("{label}: {kw} missing, documented {d}")),
                (Some(g), None) if !is_unsigned_annotation(kw, g, gen_schema) => {
                    self.extend(format!("{label}.{kw}"));
                }
                _ => {}
            }
        }
    }

    fn properties(&mut self, label: &str, gen_schema: &Value, doc_schema: &Value) {
        let gen_props = object(gen_schema.get("properties"));
        let doc_props = object(doc_schema.get("properties"));
        let doc_required = doc_schema.get("required").and_then(Value::as_array);
        let gen_required: BTreeSet<&str> = gen_schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        for (name, doc_prop) in doc_props {
            let prop_loc = format!("{label}.properties.{name}");
            let Some(gen_prop) = gen_props.get(name) else {
                self.differ(format!("{prop_loc}: missing"));
                continue;
            };
            let gen_req = gen_required.contains(name.as_str());
            match doc_required {
                Some(list) => {
                    let doc_req = list.iter().any(|v| v.as_str() == Some(name));
                    if gen_req != doc_req {
                        self.differ(format!(
                            "{prop_loc}: {}, documented {}",
                            required_word(gen_req),
                            required_word(doc_req)
                        ));
                    }
                }
                None if gen_req => self.extend(format!("{prop_loc}.required")),
                None => {}
            }
            self.schema_or_component(&prop_loc, gen_prop, doc_prop);
        }
        for name in gen_props.keys().filter(|n| !doc_props.contains_key(*n)) {
            self.extend(format!("{label}.properties.{name}"));
        }
    }
}

fn required_word(required: bool) -> &'static str {
    if required { "required" } else { "optional" }
}

/// `minimum: 0` on an integer is how utoipa marks unsigned Rust types: an annotation.
fn is_unsigned_annotation(kw: &str, value: &Value, schema: &Value) -> bool {
    kw == "minimum"
        && value.as_f64() == Some(0.0)
        && type_set(schema.get("type")).contains("integer")
}

/// An empty object or array, or `null`, counts as absent.
fn is_present(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(_) => true,
    }
}

fn object(value: Option<&Value>) -> &Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    value
        .and_then(Value::as_object)
        .unwrap_or_else(|| EMPTY.get_or_init(Map::new))
}

/// `Some("errorModel")` for `{"$ref": "#/components/schemas/errorModel"}`.
fn component_name(schema: &Value) -> Option<&str> {
    schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix(SCHEMA_REF_PREFIX))
}

fn type_set(ty: Option<&Value>) -> BTreeSet<&str> {
    match ty {
        Some(Value::String(s)) => BTreeSet::from([s.as_str()]),
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => BTreeSet::new(),
    }
}

fn type_text(ty: Option<&Value>) -> String {
    match ty {
        None => "missing".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => {
            let names: Vec<String> = a
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .collect();
            format!("[{}]", names.join(", "))
        }
        Some(other) => other.to_string(),
    }
}

/// A schema's examples: `example`, then the members of `examples`.
fn schema_example_values(schema: &Value) -> Vec<Value> {
    let mut out: Vec<Value> = schema.get("example").cloned().into_iter().collect();
    if let Some(list) = schema.get("examples").and_then(Value::as_array) {
        out.extend(list.iter().cloned());
    }
    out
}

/// A media type's examples: `example`, then the `value` of each Example object in `examples`.
fn media_example_values(root: &Value, media: &Value) -> Vec<Value> {
    let mut out: Vec<Value> = media.get("example").cloned().into_iter().collect();
    for example in object(media.get("examples")).values() {
        if let Some(value) = deref(root, example).get("value") {
            out.push(value.clone());
        }
    }
    out
}

/// Follows a non-schema `$ref` (response, parameter, ...) within the same document; an object
/// that is not a reference, or a reference that does not resolve, is returned as it is.
fn deref<'v>(root: &'v Value, value: &'v Value) -> Cow<'v, Value> {
    let mut current = value;
    for _ in 0..32 {
        let Some(target) = current
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|pointer| root.pointer(pointer))
        else {
            break;
        };
        current = target;
    }
    Cow::Borrowed(current)
}

/// Resolves a schema for comparison: follows `$ref` (siblings of the `$ref` win over the
/// target's keywords, as 3.1 allows) and unwraps a lone `allOf: [X]` that only decorates `X`.
fn resolve<'v>(root: &'v Value, schema: &'v Value) -> Result<Cow<'v, Value>, String> {
    let mut current: Cow<'v, Value> = Cow::Borrowed(schema);
    for _ in 0..32 {
        let Some(obj) = current.as_object() else {
            return Ok(current);
        };
        let (inner, rest) = if let Some(reference) = obj.get("$ref").and_then(Value::as_str) {
            let target = reference
                .strip_prefix('#')
                .and_then(|pointer| root.pointer(pointer))
                .ok_or_else(|| format!("$ref {reference} does not resolve"))?;
            (target.clone(), without(obj, "$ref"))
        } else if let Some([only]) = obj
            .get("allOf")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            && !obj.contains_key("properties")
            && !obj.contains_key("type")
        {
            (only.clone(), without(obj, "allOf"))
        } else {
            return Ok(current);
        };
        let mut merged = match inner {
            Value::Object(m) => m,
            other => return Ok(Cow::Owned(other)),
        };
        merged.extend(rest);
        current = Cow::Owned(Value::Object(merged));
    }
    Err("$ref chain too deep (cyclic?)".to_owned())
}

fn without(obj: &Map<String, Value>, key: &str) -> Map<String, Value> {
    obj.iter()
        .filter(|(k, _)| k.as_str() != key)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Adds `name` and every component schema it references, transitively, to `used`.
fn components_used_by(schemas: &Map<String, Value>, name: &str, used: &mut BTreeSet<String>) {
    if !used.insert(name.to_owned()) {
        return;
    }
    let mut references = Vec::new();
    collect_references(schemas.get(name).unwrap_or(&Value::Null), &mut references);
    for reference in references {
        components_used_by(schemas, &reference, used);
    }
}

fn collect_references(value: &Value, references: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                match (key.as_str(), item.as_str()) {
                    ("$ref", Some(target)) => {
                        if let Some(name) = target.strip_prefix("#/components/schemas/") {
                            references.push(name.to_owned());
                        }
                    }
                    _ => collect_references(item, references),
                }
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| collect_references(item, references)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn documented() -> Value {
        serde_json::from_str(include_str!("../../openapi/documented.json")).unwrap()
    }

    /// A generated document shaped like utoipa's output that matches the documented contract.
    fn generated() -> Value {
        let mut g = documented();
        g["info"] = json!({"title": "ccstore", "version": "0.1.0"});
        g
    }

    fn no_allow() -> AllowList {
        AllowList::default()
    }

    fn differences(g: &Value) -> Vec<String> {
        diff(g, &documented(), &no_allow()).differences
    }

    fn unlisted(g: &Value) -> Vec<String> {
        diff(g, &documented(), &no_allow()).unlisted_extensions
    }

    const OP: &str = "/paths/~1ccstore~1v1~1refresh/post";

    fn at<'v>(v: &'v mut Value, pointer: &str) -> &'v mut Value {
        v.pointer_mut(pointer).unwrap()
    }

    #[test]
    fn identical_document_gives_no_findings() {
        let report = diff(&generated(), &documented(), &no_allow());
        assert_eq!(report, Report::default());
        assert!(report.passes());
    }

    #[test]
    fn missing_path_and_operation() {
        let mut g = generated();
        g["paths"] = json!({});
        assert_eq!(differences(&g), ["paths./ccstore/v1/refresh: missing"]);

        let mut g = generated();
        g["paths"]["/ccstore/v1/refresh"] = json!({});
        assert_eq!(differences(&g), ["paths./ccstore/v1/refresh.post: missing"]);
    }

    #[test]
    fn operation_fields_must_match() {
        let mut g = generated();
        let op = at(&mut g, OP);
        op["summary"] = json!("Refresh a token");
        op.as_object_mut().unwrap().remove("operationId");
        assert_eq!(
            differences(&g),
            [
                r#"paths./ccstore/v1/refresh.post: operationId missing, documented "refresh""#,
                r#"paths./ccstore/v1/refresh.post: summary "Refresh a token", documented "Refresh""#,
            ]
        );
    }

    #[test]
    fn missing_response_and_different_description() {
        let mut g = generated();
        let responses = at(&mut g, &format!("{OP}/responses"));
        responses.as_object_mut().unwrap().remove("200");
        responses["default"]["description"] = json!("Error");
        assert_eq!(
            differences(&g),
            [
                "paths./ccstore/v1/refresh.post.responses.200: missing",
                r#"paths./ccstore/v1/refresh.post.responses.default: description "Error", documented "The error response""#,
            ]
        );
    }

    #[test]
    fn request_body_media_type_and_schema_ref() {
        let mut g = generated();
        at(&mut g, &format!("{OP}/requestBody/content"))
            .as_object_mut()
            .unwrap()
            .clear();
        assert_eq!(
            differences(&g),
            ["paths./ccstore/v1/refresh.post.requestBody.content.application/json: missing"]
        );

        let mut g = generated();
        at(
            &mut g,
            &format!("{OP}/requestBody/content/application~1json/schema"),
        )["$ref"] = json!("#/components/schemas/RefreshRequest");
        g["components"]["schemas"]["RefreshRequest"] = json!({"type": "object"});
        assert_eq!(
            differences(&g),
            [
                "paths./ccstore/v1/refresh.post.requestBody.content.application/json: schema $ref RefreshRequest, documented $ref refresh_request"
            ]
        );

        let mut g = generated();
        *at(&mut g, &format!("{OP}/requestBody")) = json!({});
        assert_eq!(
            differences(&g),
            ["paths./ccstore/v1/refresh.post.requestBody.content.application/json: missing"]
        );
        let mut g = generated();
        at(&mut g, OP)
            .as_object_mut()
            .unwrap()
            .remove("requestBody");
        assert_eq!(
            differences(&g),
            ["paths./ccstore/v1/refresh.post.requestBody: missing"]
        );
    }

    #[test]
    fn inline_schema_where_a_ref_is_documented() {
        let mut g = generated();
        let inline = g["components"]["schemas"]["refresh_response"].clone();
        *at(
            &mut g,
            &format!("{OP}/responses/200/content/application~1json/schema"),
        ) = inline;
        assert_eq!(
            differences(&g),
            [
                "paths./ccstore/v1/refresh.post.responses.200.content.application/json: schema inline, documented $ref refresh_response"
            ]
        );
    }

    #[test]
    fn property_type_difference_through_refs() {
        let mut g = generated();
        g["components"]["schemas"]["errorModel"]["properties"]["status"] = json!({"type": "integer", "format": "int32", "minimum": 0, "description": "The HTTP status code"});
        assert_eq!(
            differences(&g),
            ["errorModel.properties.status: type integer, documented string"]
        );
    }

    #[test]
    fn nullable_type_is_a_difference() {
        let mut g = generated();
        g["components"]["schemas"]["errorModel"]["properties"]["message"]["type"] =
            json!(["string", "null"]);
        assert_eq!(
            differences(&g),
            ["errorModel.properties.message: type [string, null], documented string"]
        );
    }

    #[test]
    fn missing_property_and_description_difference() {
        let mut g = generated();
        let props = &mut g["components"]["schemas"]["refresh_response"]["properties"];
        props.as_object_mut().unwrap().remove("token_type");
        props["expires_in"]["description"] = json!("Seconds left.");
        assert_eq!(
            differences(&g),
            [
                r#"refresh_response.properties.expires_in: description "Seconds left.", documented "Time in seconds until token expires.""#,
                "refresh_response.properties.token_type: missing",
            ]
        );
    }

    #[test]
    fn nested_items_properties_are_compared() {
        let mut g = generated();
        let items = &mut g["components"]["schemas"]["errorModel"]["properties"]["errors"]["items"];
        items["properties"]["o:errorPath"]["type"] = json!("integer");
        assert_eq!(
            differences(&g),
            [
                "errorModel.properties.errors.items.properties.o:errorPath: type integer, documented string"
            ]
        );
        let mut g = generated();
        g["components"]["schemas"]["errorModel"]["properties"]["errors"]
            .as_object_mut()
            .unwrap()
            .remove("items");
        assert_eq!(
            differences(&g),
            ["errorModel.properties.errors.items: missing"]
        );
    }

    #[test]
    fn items_given_as_refs_on_the_generated_side_are_resolved() {
        let mut g = generated();
        let errors = &mut g["components"]["schemas"]["errorModel"]["properties"]["errors"];
        let item = errors["items"].take();
        errors["items"] = json!({"$ref": "#/components/schemas/ErrorItem"});
        g["components"]["schemas"]["ErrorItem"] = item;
        assert_eq!(diff(&g, &documented(), &no_allow()), Report::default());
    }

    #[test]
    fn property_ref_with_description_sibling_and_allof_wrapper() {
        let doc = json!({"paths": {}, "components": {"schemas": {
            "a": {"type": "object", "properties": {"b": {"type": "string", "description": "B."}}}}}});
        let r#gen = json!({"paths": {}, "components": {"schemas": {
            "a": {"type": "object", "properties": {
                "b": {"allOf": [{"$ref": "#/components/schemas/B"}], "description": "B."}}},
            "B": {"type": "string", "description": "other"}}}});
        assert_eq!(diff(&r#gen, &doc, &no_allow()), Report::default());
    }

    #[test]
    fn dangling_ref_is_a_difference() {
        let mut g = generated();
        g["components"]["schemas"]["errorModel"]["properties"]["status"] =
            json!({"$ref": "#/components/schemas/Nope"});
        assert_eq!(
            differences(&g),
            [
                "errorModel.properties.status: generated $ref #/components/schemas/Nope does not resolve"
            ]
        );
    }

    #[test]
    fn parameters_are_matched_by_location_and_name() {
        let mut doc = documented();
        doc["paths"]["/ccstore/v1/refresh"]["parameters"] = json!([
            {"in": "header", "name": "Authorization", "required": true,
             "description": "Bearer token.", "schema": {"type": "string"}},
            {"in": "query", "name": "locale", "schema": {"type": "string"}}
        ]);
        let mut g = generated();
        at(&mut g, OP)["parameters"] = json!([
            {"$ref": "#/components/parameters/Auth"}
        ]);
        g["components"]["parameters"] = json!({"Auth": {"in": "header", "name": "Authorization",
            "description": "Token.", "schema": {"type": "integer"}}});
        assert_eq!(
            diff(&g, &doc, &no_allow()).differences,
            [
                r#"paths./ccstore/v1/refresh.post.parameters.header.Authorization: description "Token.", documented "Bearer token.""#,
                "paths./ccstore/v1/refresh.post.parameters.header.Authorization: optional, documented required",
                "paths./ccstore/v1/refresh.post.parameters.header.Authorization.schema: type integer, documented string",
                "paths./ccstore/v1/refresh.post.parameters.query.locale: missing",
            ]
        );
    }

    #[test]
    fn request_body_required_ness() {
        let mut g = generated();
        at(&mut g, &format!("{OP}/requestBody"))["required"] = json!(true);
        assert_eq!(differences(&g), Vec::<String>::new());
        assert_eq!(
            unlisted(&g),
            ["paths./ccstore/v1/refresh.post.requestBody.required"]
        );
        let mut doc = documented();
        at(&mut doc, &format!("{OP}/requestBody"))["required"] = json!(false);
        assert_eq!(
            diff(&g, &doc, &no_allow()).differences,
            ["paths./ccstore/v1/refresh.post.requestBody: required, documented optional"]
        );
    }

    #[test]
    fn missing_component_schema() {
        let mut doc = documented();
        doc["components"]["schemas"]["unused"] = json!({"type": "string"});
        assert_eq!(
            diff(&generated(), &doc, &no_allow()).differences,
            ["components.schemas.unused: missing"]
        );
    }

    #[test]
    fn an_extra_component_schema_is_an_extension_unless_a_documented_one_uses_it() {
        let mut g = generated();
        g["components"]["schemas"]["verify_response"] = json!({"type": "object"});
        g["components"]["schemas"]["Nested"] = json!({"type": "string"});
        g["components"]["schemas"]["errorModel"]["properties"]["message"] =
            json!({"$ref": "#/components/schemas/Nested"});
        let report = diff(&g, &documented(), &no_allow());
        assert_eq!(
            report.unlisted_extensions,
            ["components.schemas.verify_response"]
        );
    }

    #[test]
    fn required_ness() {
        // The page lists no required properties: a generated `required` is an extension.
        let mut g = generated();
        g["components"]["schemas"]["refresh_response"]["required"] =
            json!(["access_token", "token_type"]);
        assert_eq!(differences(&g), Vec::<String>::new());
        assert_eq!(
            unlisted(&g),
            [
                "refresh_response.properties.access_token.required",
                "refresh_response.properties.token_type.required",
            ]
        );
        // Where the documented schema does list `required`, a mismatch is a difference.
        let mut doc = documented();
        doc["components"]["schemas"]["refresh_response"]["required"] = json!(["expires_in"]);
        let report = diff(&g, &doc, &no_allow());
        assert_eq!(
            report.differences,
            [
                "refresh_response.properties.access_token: required, documented optional",
                "refresh_response.properties.expires_in: optional, documented required",
                "refresh_response.properties.token_type: required, documented optional",
            ]
        );
    }

    #[test]
    fn example_on_media_type_schema_or_examples_map() {
        let ex_ptr = format!("{OP}/responses/200/content/application~1json");
        let example = documented()
            .pointer(&format!("{ex_ptr}/example"))
            .unwrap()
            .clone();

        // Moved to the schema: still found.
        let mut g = generated();
        at(&mut g, &ex_ptr)
            .as_object_mut()
            .unwrap()
            .remove("example");
        g["components"]["schemas"]["refresh_response"]["example"] = example.clone();
        assert_eq!(differences(&g), Vec::<String>::new());

        // In a media-type `examples` map: still found.
        let mut g = generated();
        let media = at(&mut g, &ex_ptr).as_object_mut().unwrap();
        media.remove("example");
        media.insert("examples".into(), json!({"ok": {"value": example}}));
        assert_eq!(differences(&g), Vec::<String>::new());

        // Missing, then different.
        let mut g = generated();
        at(&mut g, &ex_ptr)
            .as_object_mut()
            .unwrap()
            .remove("example");
        let expected = format!(
            "paths./ccstore/v1/refresh.post.responses.200.content.application/json: example missing, documented {example}"
        );
        assert_eq!(differences(&g), [expected]);

        let mut g = generated();
        at(&mut g, &ex_ptr)["example"]["expires_in"] = json!(300);
        let mut changed = example.clone();
        changed["expires_in"] = json!(300);
        let expected = format!(
            "paths./ccstore/v1/refresh.post.responses.200.content.application/json: example {changed}, documented {example}"
        );
        assert_eq!(differences(&g), [expected]);
    }

    #[test]
    fn schema_level_example_difference() {
        let mut doc = documented();
        doc["components"]["schemas"]["refresh_response"]["properties"]["token_type"]["example"] =
            json!("bearer");
        let mut g = generated();
        g["components"]["schemas"]["refresh_response"]["properties"]["token_type"]["examples"] =
            json!(["Bearer"]);
        assert_eq!(
            diff(&g, &doc, &no_allow()).differences,
            [r#"refresh_response.properties.token_type: example "Bearer", documented "bearer""#]
        );
    }

    #[test]
    fn annotations_are_neither_differences_nor_extensions() {
        let mut g = generated();
        g["components"]["schemas"]["refresh_response"]["type"] = json!("object");
        let expires =
            &mut g["components"]["schemas"]["refresh_response"]["properties"]["expires_in"];
        expires["format"] = json!("int64");
        expires["minimum"] = json!(0);
        expires["example"] = json!(930);
        g["components"]["schemas"]["refresh_request"]["description"] = json!("Empty.");
        g["components"]["schemas"]["refresh_request"]["title"] = json!("refresh_request");
        assert_eq!(diff(&g, &documented(), &no_allow()), Report::default());
    }

    #[test]
    fn additions_are_extensions() {
        let mut g = generated();
        g["servers"] = json!([{"url": "/"}]);
        g["tags"] = json!([{"name": "auth"}]);
        g["components"]["securitySchemes"] =
            json!({"bearer": {"type": "http", "scheme": "bearer"}});
        g["paths"]["/ccstore/v1/login"] = json!({"post": {}});
        g["paths"]["/ccstore/v1/refresh"]["get"] = json!({});
        let op = at(&mut g, OP);
        op["security"] = json!([{"bearer": []}]);
        op["tags"] = json!(["auth"]);
        op["responses"]["401"] = json!({"description": "Unauthorized"});
        op["responses"]["200"]["headers"] =
            json!({"Cache-Control": {"schema": {"type": "string"}}});
        op["responses"]["200"]["content"]["text/plain"] = json!({});
        op["parameters"] =
            json!([{"in": "header", "name": "Authorization", "schema": {"type": "string"}}]);
        let err = &mut g["components"]["schemas"]["errorModel"];
        err["properties"]["extra"] = json!({"type": "string"});
        err["additionalProperties"] = json!(false);
        err["properties"]["status"]["pattern"] = json!("^[0-9]{3}$");
        err["properties"]["status"]["minimum"] = json!(100);
        let report = diff(&g, &documented(), &no_allow());
        assert_eq!(report.differences, Vec::<String>::new());
        assert_eq!(
            report.unlisted_extensions,
            [
                "components.securitySchemes.bearer",
                "errorModel.additionalProperties",
                "errorModel.properties.extra",
                "errorModel.properties.status.minimum",
                "errorModel.properties.status.pattern",
                "paths./ccstore/v1/login",
                "paths./ccstore/v1/refresh.get",
                "paths./ccstore/v1/refresh.post.parameters.header.Authorization",
                "paths./ccstore/v1/refresh.post.responses.200.content.text/plain",
                "paths./ccstore/v1/refresh.post.responses.200.headers.Cache-Control",
                "paths./ccstore/v1/refresh.post.responses.401",
                "paths./ccstore/v1/refresh.post.security",
                "paths./ccstore/v1/refresh.post.tags",
                "servers",
                "tags",
            ]
        );
        assert!(!report.passes());
    }

    #[test]
    fn allow_list_allows_listed_extensions_and_reports_stale_entries() {
        let mut g = generated();
        at(&mut g, OP)["responses"]["401"] = json!({"description": "Unauthorized"});
        at(&mut g, OP)["responses"]["415"] = json!({"description": "Unsupported"});
        g["servers"] = json!([{"url": "/"}]);
        let allow = AllowList::from_json(
            r#"{"about": "test", "extensions": [
                {"key": "paths./ccstore/v1/refresh.post.responses.4*", "reason": "error statuses"},
                {"key": "webhooks", "reason": "none yet"}
            ]}"#,
        )
        .unwrap();
        let report = diff(&g, &documented(), &allow);
        assert_eq!(report.differences, Vec::<String>::new());
        assert_eq!(report.unlisted_extensions, ["servers"]);
        assert_eq!(
            report.allowed_extensions,
            ["401", "415"].map(|code| AllowedExtension {
                key: format!("paths./ccstore/v1/refresh.post.responses.{code}"),
                allowed_by: "paths./ccstore/v1/refresh.post.responses.4*".into(),
                reason: "error statuses".into(),
            })
        );
        assert_eq!(report.stale_entries, ["webhooks"]);
        assert!(!report.passes());

        let allow = AllowList::from_json(
            r#"{"extensions": [
                {"key": "paths./ccstore/v1/refresh.post.responses.4*", "reason": "error statuses"},
                {"key": "servers", "reason": "relative server"}
            ]}"#,
        )
        .unwrap();
        assert!(diff(&g, &documented(), &allow).passes());
    }

    #[test]
    fn allow_list_entries_need_key_and_reason() {
        assert_eq!(
            AllowList::from_json(r#"{"extensions": [{"key": "servers", "reason": " "}]}"#),
            Err("extensions[0]: missing non-empty string `reason`".to_owned())
        );
        assert_eq!(
            AllowList::from_json(r#"{"extension": []}"#),
            Err("missing array `extensions`".to_owned())
        );
    }

    #[test]
    fn committed_allow_list_parses() {
        AllowList::from_json(include_str!("../../openapi/extensions.json")).unwrap();
    }

    #[test]
    fn glob() {
        assert!(glob_match("servers", "servers"));
        assert!(!glob_match("servers", "servers.x"));
        assert!(glob_match(
            "paths.*.responses.401",
            "paths./a/b.post.responses.401"
        ));
        assert!(!glob_match(
            "paths.*.responses.401",
            "paths./a/b.post.responses.4011"
        ));
        assert!(glob_match("a*", "a"));
        assert!(glob_match("*.required", "x.properties.y.required"));
        assert!(glob_match("a*b*c", "abc"));
        assert!(!glob_match("a*b*c", "acb"));
        assert!(!glob_match("ab*ba", "aba"));
    }

    #[test]
    fn display_lists_every_finding() {
        let report = Report {
            differences: vec!["x: missing".into()],
            allowed_extensions: vec![AllowedExtension {
                key: "servers".into(),
                allowed_by: "servers".into(),
                reason: "why".into(),
            }],
            unlisted_extensions: vec!["tags".into()],
            stale_entries: vec!["webhooks".into()],
        };
        assert_eq!(
            report.to_string(),
            "difference: x: missing\n\
             unlisted extension: tags\n\
             allowed extension: servers (by \"servers\": why)\n\
             stale allow-list entry (matches nothing): webhooks\n\
             1 difference(s), 1 unlisted extension(s), 1 allowed extension(s), 1 stale entr(y/ies)\n"
        );
    }
}
