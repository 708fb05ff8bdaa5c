//! The project's rules for the hand-maintained spec. Each finding names the rule, the
//! JSON pointer of the offending node and how to fix it. ARCHITECTURE.md states them.

use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::path::Path;

use klarna_schema::SchemaDocument;
use serde_json::Value;

use crate::generate;
use crate::spec::{self, deref, operations, push};

/// The vendor extension that lists the known values of a string Klarna extends.
const EXTENSION: &str = generate::codegen::EXTENSION;

/// Keywords that make a generated response model strict; forbidden on the response side.
const STRICT_KEYWORDS: [&str; 9] = [
    "enum",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
    "uniqueItems",
];

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Short rule name, e.g. `unresolved-ref`.
    pub rule: &'static str,
    /// JSON pointer into the spec (`""` for the whole document).
    pub pointer: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub fix: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(
            f,
            "error[{}] at {at}: {}\n  fix: {}",
            self.rule, self.message, self.fix
        )
    }
}

fn finding(
    rule: &'static str,
    pointer: impl Into<String>,
    message: impl Into<String>,
    fix: impl Into<String>,
) -> Finding {
    Finding {
        rule,
        pointer: pointer.into(),
        message: message.into(),
        fix: fix.into(),
    }
}

/// Loads and checks a spec file.
pub fn validate_file(path: &Path) -> Vec<Finding> {
    match spec::load(path) {
        Ok(value) => validate(&value),
        Err(message) => vec![finding(
            "yaml",
            "",
            message,
            "fix the YAML syntax at the position given",
        )],
    }
}

/// Every rule, in order; progenitor generation runs last and only on an otherwise clean spec.
pub fn validate(spec: &Value) -> Vec<Finding> {
    let mut findings = Vec::new();
    check_version(spec, &mut findings);
    check_structure(spec, &mut findings);
    check_refs(spec, "", spec, &mut findings);
    check_operations(spec, &mut findings);
    check_request_read_only(spec, &mut findings);
    check_response_leniency(spec, &mut findings);
    check_extensible_enums("", spec, &mut findings);
    check_examples(spec, &mut findings);
    if findings.is_empty()
        && let Err(message) = generate::render(spec)
    {
        findings.push(finding(
            "progenitor",
            "",
            format!("the Rust client cannot be generated from this spec: {message}"),
            "change the construct progenitor/typify refuses (see the message); \
                 `not` must hold an inline schema, not a $ref, and one operation's error \
                 responses must share one schema",
        ));
    }
    findings
}

fn check_version(spec: &Value, findings: &mut Vec<Finding>) {
    let version = spec.get("openapi").and_then(Value::as_str).unwrap_or("");
    let parts: Vec<&str> = version.split('.').collect();
    if !(parts.len() == 3 && parts[0] == "3" && parts[1] == "0") {
        findings.push(finding(
            "openapi-version",
            "/openapi",
            format!("version {version:?} is not OpenAPI 3.0.x"),
            "set `openapi: 3.0.3`; progenitor reads only 3.0.x documents",
        ));
    }
}

fn check_structure(spec: &Value, findings: &mut Vec<Finding>) {
    if let Err(error) = serde_json::from_value::<openapiv3::OpenAPI>(spec.clone()) {
        findings.push(finding(
            "openapi-structure",
            "",
            format!("the document is not a well-formed OpenAPI 3.0 description: {error}"),
            "compare the named field with the OpenAPI 3.0.3 specification",
        ));
    }
}

fn check_refs(spec: &Value, pointer: &str, node: &Value, findings: &mut Vec<Finding>) {
    match node {
        Value::Object(map) => {
            for (key, child) in map {
                let child_pointer = push(pointer, key);
                if key == "$ref" {
                    let reference = child.as_str().unwrap_or("");
                    let resolves = spec::ref_pointer(reference)
                        .and_then(|p| spec.pointer(p))
                        .is_some();
                    if !resolves {
                        findings.push(finding(
                            "unresolved-ref",
                            child_pointer,
                            format!("`{reference}` points nowhere"),
                            "point it at an existing component (local `#/components/...` refs only) or add that component",
                        ));
                    }
                } else {
                    check_refs(spec, &child_pointer, child, findings);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                check_refs(spec, &push(pointer, &i.to_string()), child, findings);
            }
        }
        _ => {}
    }
}

fn is_error_status(status: &str) -> bool {
    status == "default" || status.starts_with('4') || status.starts_with('5')
}

fn check_operations(spec: &Value, findings: &mut Vec<Finding>) {
    for (pointer, path, method, operation) in operations(spec) {
        let label = format!("{} {path}", method.to_uppercase());
        if operation
            .get("operationId")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            findings.push(finding("operation-id", &pointer, format!("{label} has no operationId"),
                "add `operationId`, keeping Klarna's name so every generator produces the same method names"));
        }
        if operation
            .get("summary")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            findings.push(finding(
                "operation-summary",
                &pointer,
                format!("{label} has no summary"),
                "add a one-line `summary` in our own words",
            ));
        }
        if operation
            .get("tags")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty)
        {
            findings.push(finding(
                "operation-tag",
                &pointer,
                format!("{label} has no tag"),
                "add `tags: [sessions]` (a tag declared under the top-level `tags`)",
            ));
        }
        let responses_pointer = push(&pointer, "responses");
        let Some(responses) = operation.get("responses").and_then(Value::as_object) else {
            findings.push(finding(
                "operation-error-response",
                &pointer,
                format!("{label} has no responses"),
                "document the success response and every error status Klarna returns",
            ));
            continue;
        };
        let mut error_schemas: BTreeSet<String> = BTreeSet::new();
        let mut has_error = false;
        for (status, response) in responses.iter().filter(|(s, _)| is_error_status(s)) {
            has_error = true;
            let response_pointer = push(&responses_pointer, status);
            let schema_key = deref(spec, response_pointer.clone(), response)
                .and_then(|(p, r)| {
                    let content = r.get("content")?.as_object()?;
                    let (media, media_type) = content.iter().next()?;
                    let schema = media_type.get("schema")?;
                    Some(match schema.get("$ref").and_then(Value::as_str) {
                        Some(reference) => reference.to_string(),
                        None => format!(
                            "inline schema at {}",
                            push(&push(&push(&p, "content"), media), "schema")
                        ),
                    })
                })
                .unwrap_or_else(|| "no body".to_string());
            error_schemas.insert(schema_key);
        }
        if !has_error {
            findings.push(finding("operation-error-response", &responses_pointer,
                format!("{label} documents no error response"),
                "document each error status Klarna returns (see KLARNA-FACTS) with the error_response schema"));
        }
        if error_schemas.len() > 1 {
            let listed: Vec<String> = error_schemas.into_iter().collect();
            findings.push(finding("one-error-schema", &responses_pointer,
                format!("{label}'s error responses use {} different schemas: {}", listed.len(), listed.join(", ")),
                "give every 4xx/5xx response of the operation the same body schema (`#/components/schemas/error_response`); progenitor refuses mixed error types"));
        }
    }
}

/// Media-type schemas of request bodies (`true`) or responses (`false`), by pointer.
fn body_schemas(spec: &Value, requests: bool) -> Vec<(String, &Value)> {
    let mut roots = Vec::new();
    for (pointer, _, _, operation) in operations(spec) {
        let containers: Vec<(String, &Value)> = if requests {
            operation
                .get("requestBody")
                .map(|b| (push(&pointer, "requestBody"), b))
                .into_iter()
                .collect()
        } else {
            operation
                .get("responses")
                .and_then(Value::as_object)
                .map(|r| {
                    r.iter()
                        .map(|(s, v)| (push(&push(&pointer, "responses"), s), v))
                        .collect()
                })
                .unwrap_or_default()
        };
        for (container_pointer, container) in containers {
            let Some((p, resolved)) = deref(spec, container_pointer, container) else {
                continue;
            };
            if let Some(content) = resolved.get("content").and_then(Value::as_object) {
                for (media, media_type) in content {
                    if let Some(schema) = media_type.get("schema") {
                        roots.push((push(&push(&push(&p, "content"), media), "schema"), schema));
                    }
                }
            }
        }
    }
    roots
}

/// The schema nodes directly inside `schema` (not following `$ref`).
fn children<'a>(pointer: &str, schema: &'a Value, include_not: bool) -> Vec<(String, &'a Value)> {
    let mut found = Vec::new();
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        let base = push(pointer, "properties");
        found.extend(properties.iter().map(|(k, v)| (push(&base, k), v)));
    }
    for key in ["items", "additionalProperties"] {
        if let Some(child @ Value::Object(_)) = schema.get(key) {
            found.push((push(pointer, key), child));
        }
    }
    if include_not && let Some(child) = schema.get("not") {
        found.push((push(pointer, "not"), child));
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(branches) = schema.get(key).and_then(Value::as_array) {
            let base = push(pointer, key);
            found.extend(
                branches
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (push(&base, &i.to_string()), v)),
            );
        }
    }
    found
}

fn check_request_read_only(spec: &Value, findings: &mut Vec<Finding>) {
    let mut seen = HashSet::new();
    let mut stack = body_schemas(spec, true);
    while let Some((pointer, node)) = stack.pop() {
        let Some((pointer, node)) = deref(spec, pointer, node) else {
            continue;
        };
        if !seen.insert(pointer.clone()) {
            continue;
        }
        check_sensitive_fields(&pointer, node, findings);
        if node.get("readOnly").and_then(Value::as_bool) == Some(true) {
            findings.push(finding("read-only-in-request", push(&pointer, "readOnly"),
                "a readOnly field is reachable from a request body; progenitor ignores readOnly, so clients would send it",
                "remove the field from the request schema and keep it only in the response schema (e.g. session_read)"));
        }
        stack.extend(children(&pointer, node, true));
    }
}

fn check_response_leniency(spec: &Value, findings: &mut Vec<Finding>) {
    let mut seen = HashSet::new();
    let mut stack = body_schemas(spec, false);
    while let Some((pointer, node)) = stack.pop() {
        let Some((pointer, node)) = deref(spec, pointer, node) else {
            continue;
        };
        if !seen.insert(pointer.clone()) {
            continue;
        }
        check_generator_leniency(spec, &pointer, node, findings);
        check_sensitive_fields(&pointer, node, findings);
        // The `{enum: [null]}` branch of a nullable reference lets only `null` through,
        // beside a branch that takes the object: it limits nothing Klarna sends.
        let null_branch = is_null_branch(node) && is_union_branch(&pointer);
        for keyword in STRICT_KEYWORDS {
            if node.get(keyword).is_some() && !(keyword == "enum" && null_branch) {
                findings.push(finding("strict-response", push(&pointer, keyword),
                    format!("`{keyword}` in a schema reachable from a response makes the generated model reject what Klarna may send"),
                    "keep the limit in the request schema and use a lenient `*_read` schema for responses; \
                     for a list of values Klarna may extend use `type: string` with the values in `x-extensible-enum`"));
            }
        }
        stack.extend(children(&pointer, node, false));
    }
}

/// Request and response properties whose names say they hold a token or a shopper's
/// personal data.
/// A safety net: such a property must be a string marked `format: secret` or
/// `format: personal-data`, which the Rust client prints as `<redacted>`.
const SENSITIVE_NAMES: [&str; 16] = [
    "client_token",
    "authorization_token",
    "email",
    "phone",
    "given_name",
    "family_name",
    "street_address",
    "street_address2",
    "postal_code",
    "city",
    "attention",
    "date_of_birth",
    "national_identification_number",
    "last_four_ssn",
    "vat_id",
    "organization_registration_id",
];

fn check_sensitive_fields(pointer: &str, node: &Value, findings: &mut Vec<Finding>) {
    let Some(properties) = node.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (name, property) in properties {
        let format = property.get("format").and_then(Value::as_str);
        let redacted = matches!(format, Some("secret" | "personal-data"));
        let string = property.get("type").and_then(Value::as_str) == Some("string");
        let here = push(&push(pointer, "properties"), name);
        if redacted && !string {
            findings.push(finding(
                "sensitive-field",
                here,
                format!(
                    "`{name}` has `format: {}` but is not `type: string`",
                    format.unwrap_or_default()
                ),
                "only plain strings can be marked; mark the string properties inside instead",
            ));
        } else if SENSITIVE_NAMES.contains(&name.as_str()) && !redacted {
            findings.push(finding(
                "sensitive-field",
                here,
                format!("`{name}` holds a token or personal data but is not marked"),
                "add `format: secret` (tokens) or `format: personal-data` (the shopper's data), so the Rust client never prints it",
            ));
        }
    }
}

/// What other teams' generators need of a response schema to decode every answer Klarna
/// may send: Go's client refuses unknown fields in (and under) an object with `required`
/// properties unless it allows additional properties; and a property that refers to an
/// object schema lets a `null` through, written `oneOf: [{$ref: ...}, {enum: [null]}]`, so
/// that a `null` Klarna sends is valid for clients that follow the spec. (A `$ref` cannot
/// carry `nullable` in OpenAPI 3.0, and `type: object, nullable: true, allOf: [{$ref: ...}]`
/// does not let `null` past the referenced schema: since 3.0.3 `nullable` only widens the
/// `type` beside it, and openapi-python-client reads it that way.)
fn check_generator_leniency(
    spec: &Value,
    pointer: &str,
    node: &Value,
    findings: &mut Vec<Finding>,
) {
    let has_required = node
        .get("required")
        .and_then(Value::as_array)
        .is_some_and(|r| !r.is_empty());
    if has_required && node.get("additionalProperties") != Some(&Value::Bool(true)) {
        findings.push(finding(
            "generator-leniency",
            pointer,
            "a response object with `required` properties does not allow additional properties: \
             the Go client generated from it refuses any field Klarna adds, here and in every object below",
            "add `additionalProperties: true` to the schema",
        ));
    }
    let Some(properties) = node.get("properties").and_then(Value::as_object) else {
        return;
    };
    let refers_to_object = |schema: &Value| {
        schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(spec::ref_pointer)
            .and_then(|p| spec.pointer(p))
            .and_then(|target| target.get("type"))
            .and_then(Value::as_str)
            == Some("object")
    };
    for (name, property) in properties {
        let branches = |key: &str| {
            property
                .get(key)
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
        };
        let refers = refers_to_object(property)
            || ["allOf", "oneOf", "anyOf"]
                .into_iter()
                .any(|key| branches(key).iter().any(refers_to_object));
        // Exactly the reference and the null branch, side by side in one `oneOf`/`anyOf`
        // (split across combinators, the pair accepts neither an object nor `null`).
        let nullable_reference = property.get("$ref").is_none()
            && branches("allOf").is_empty()
            && ["oneOf", "anyOf"].into_iter().any(|key| {
                let pair = branches(key);
                pair.len() == 2
                    && pair.iter().any(refers_to_object)
                    && pair.iter().any(is_null_branch)
            });
        if refers && !nullable_reference {
            findings.push(finding(
                "generator-leniency",
                push(&push(pointer, "properties"), name),
                format!("`{name}` refers to an object schema but does not let a `null` through: a client that follows the spec refuses a `null` here"),
                "write it as `oneOf: [{$ref: ...}, {enum: [null]}]` (a `$ref` cannot carry `nullable` in OpenAPI 3.0, \
                 and `nullable: true` beside `allOf: [{$ref: ...}]` widens only its own `type`: the referenced schema still refuses `null`)",
            ));
        }
    }
}

/// `{enum: [null]}` without `type`: a schema only `null` matches (OpenAPI 3.0 has no
/// `type: "null"`). Beside a `$ref` in `oneOf`, every generator here reads the pair as the
/// referenced model or null (progenitor/typify: `Option<T>`).
fn is_null_branch(schema: &Value) -> bool {
    schema.get("type").is_none()
        && schema
            .get("enum")
            .and_then(Value::as_array)
            .is_some_and(|values| matches!(values.as_slice(), [Value::Null]))
}

/// Whether `pointer` names a branch of a `oneOf` or `anyOf`.
fn is_union_branch(pointer: &str) -> bool {
    let mut segments = pointer.rsplit('/');
    segments.next();
    matches!(segments.next(), Some("oneOf" | "anyOf"))
}

/// `x-extensible-enum` lists the known values of a string Klarna extends. Every
/// generator reads such a schema as a plain string; `klarna-payments` turns each one into
/// a Rust enum with an `Unknown(text)` variant, which needs a named component schema of
/// `type: string`, without a closed `enum` beside it, whose values make distinct Rust
/// variant names.
fn check_extensible_enums(pointer: &str, node: &Value, findings: &mut Vec<Finding>) {
    match node {
        Value::Object(map) => {
            if let Some(list) = map.get(EXTENSION) {
                let here = push(pointer, EXTENSION);
                let named = pointer
                    .strip_prefix("/components/schemas/")
                    .filter(|name| !name.contains('/'));
                let problem = if named.is_none() {
                    Some("`x-extensible-enum` on an inline schema: only named component schemas become Rust types".to_string())
                } else if map.get("type").and_then(Value::as_str) != Some("string") {
                    Some("`x-extensible-enum` on a schema that is not `type: string`".to_string())
                } else if map.contains_key("enum") {
                    Some("`x-extensible-enum` beside a closed `enum`: generated clients would refuse new values".to_string())
                } else if list.as_array().is_none_or(Vec::is_empty) {
                    Some("`x-extensible-enum` must be a non-empty list of strings".to_string())
                } else {
                    let mut single = serde_json::Map::new();
                    single.insert(named.unwrap_or_default().to_string(), node.clone());
                    let wrapped = serde_json::json!({"components": {"schemas": single}});
                    generate::codegen::extensible_enums(&wrapped).err()
                };
                if let Some(message) = problem {
                    findings.push(finding(
                        "extensible-enum",
                        here,
                        message,
                        "declare the value list once, as a component schema `{type: string, x-extensible-enum: [...]}` \
                         with distinct values, and `$ref` it wherever the value is used",
                    ));
                }
            }
            for (key, child) in map {
                if key != EXTENSION {
                    check_extensible_enums(&push(pointer, key), child, findings);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                check_extensible_enums(&push(pointer, &i.to_string()), child, findings);
            }
        }
        _ => {}
    }
}

fn check_examples(spec: &Value, findings: &mut Vec<Finding>) {
    let document = match SchemaDocument::from_json(spec.clone()) {
        Ok(document) => document,
        Err(error) => {
            findings.push(finding(
                "pattern",
                "",
                error.to_string(),
                "write the pattern as an ECMA 262 regular expression",
            ));
            return;
        }
    };
    let mut stack: Vec<(String, &Value)> = vec![(String::new(), spec)];
    while let Some((pointer, node)) = stack.pop() {
        match node {
            Value::Object(map) => {
                let schema_like = [
                    "type",
                    "properties",
                    "oneOf",
                    "anyOf",
                    "allOf",
                    "enum",
                    "items",
                ]
                .iter()
                .any(|k| map.contains_key(*k));
                let mut examples: Vec<(String, &Value)> = Vec::new();
                if let Some(example) = map.get("example") {
                    examples.push((push(&pointer, "example"), example));
                }
                if let Some(named) = map.get("examples").and_then(Value::as_object) {
                    for (name, entry) in named {
                        if let Some(value) = entry.get("value") {
                            examples.push((
                                push(&push(&push(&pointer, "examples"), name), "value"),
                                value,
                            ));
                        }
                    }
                }
                let schema = map
                    .get("schema")
                    .or(if schema_like { Some(node) } else { None });
                if let Some(schema) = schema {
                    for (example_pointer, example) in examples {
                        for violation in document.validate_against(schema, example) {
                            let what = if violation.path.is_root() {
                                format!("the example {}", violation.message)
                            } else {
                                format!("the example's `{}` {}", violation.path, violation.message)
                            };
                            findings.push(finding("example", &example_pointer,
                                format!("{what}, which its schema does not allow"),
                                "correct the example (or the schema, if the example is what Klarna really sends)"));
                        }
                    }
                }
                for (key, child) in map {
                    if key != "example" && key != "examples" {
                        stack.push((push(&pointer, key), child));
                    }
                }
            }
            Value::Array(items) => {
                stack.extend(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (push(&pointer, &i.to_string()), v)),
                );
            }
            _ => {}
        }
    }
}
