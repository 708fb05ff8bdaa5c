//! One broken-spec fixture per rule: each must produce exactly that rule's finding,
//! at the right JSON pointer, with a fix hint.

use std::path::PathBuf;

use serde_json::json;
use xtask::rules::{Finding, validate_file};

fn findings(fixture: &str) -> Vec<Finding> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(fixture);
    validate_file(&path)
}

/// Asserts the fixture breaks exactly one rule, and returns that finding.
fn single(fixture: &str, rule: &str, pointer: &str, message_part: &str) -> Finding {
    let found = findings(fixture);
    assert_eq!(
        found.len(),
        1,
        "{fixture}: expected one finding, got {found:#?}"
    );
    let finding = found.into_iter().next().unwrap();
    assert_eq!(finding.rule, rule, "{fixture}");
    assert_eq!(finding.pointer, pointer, "{fixture}");
    assert!(
        finding.message.contains(message_part),
        "{fixture}: message was {:?}",
        finding.message
    );
    assert!(
        !finding.fix.is_empty(),
        "{fixture}: a finding must say how to fix it"
    );
    finding
}

/// The valid fixture, as JSON, for cases built in memory.
fn valid_spec() -> serde_json::Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid.yaml");
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The rule and pointer of the one finding `spec` must have.
fn only_finding(spec: &serde_json::Value) -> (&'static str, String) {
    let found = xtask::rules::validate(spec);
    assert_eq!(found.len(), 1, "{found:#?}");
    (found[0].rule, found[0].pointer.clone())
}

#[test]
fn the_valid_fixture_and_the_real_spec_pass() {
    assert_eq!(findings("valid.yaml"), vec![]);
    let spec = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../openapi/klarna-payments.yaml");
    assert_eq!(validate_file(&spec), vec![]);
}

#[test]
fn yaml_syntax() {
    single("not-yaml.yaml", "yaml", "", "is not valid YAML");
}

#[test]
fn openapi_version() {
    single(
        "openapi-version.yaml",
        "openapi-version",
        "/openapi",
        "\"3.1.0\" is not OpenAPI 3.0.x",
    );
}

#[test]
fn openapi_structure() {
    single("openapi-structure.yaml", "openapi-structure", "", "version");
}

#[test]
fn unresolved_ref() {
    single(
        "unresolved-ref.yaml",
        "unresolved-ref",
        "/paths/~1things/post/responses/200/content/application~1json/schema/$ref",
        "`#/components/schemas/thing_gone` points nowhere",
    );
}

#[test]
fn operation_needs_id_summary_and_tag() {
    single(
        "operation-id.yaml",
        "operation-id",
        "/paths/~1things/post",
        "has no operationId",
    );
    single(
        "operation-summary.yaml",
        "operation-summary",
        "/paths/~1things/post",
        "has no summary",
    );
    single(
        "operation-tag.yaml",
        "operation-tag",
        "/paths/~1things/post",
        "has no tag",
    );
}

#[test]
fn operation_needs_an_error_response() {
    single(
        "operation-error-response.yaml",
        "operation-error-response",
        "/paths/~1things/post/responses",
        "documents no error response",
    );
}

#[test]
fn one_error_schema_per_operation() {
    single(
        "one-error-schema.yaml",
        "one-error-schema",
        "/paths/~1things/post/responses",
        "use 2 different schemas",
    );
}

#[test]
fn no_read_only_field_in_a_request() {
    single(
        "read-only-in-request.yaml",
        "read-only-in-request",
        "/components/schemas/thing_create/properties/token/readOnly",
        "readOnly field is reachable from a request body",
    );
}

#[test]
fn responses_stay_lenient() {
    single(
        "strict-response.yaml",
        "strict-response",
        "/components/schemas/thing_read/properties/name/maxLength",
        "`maxLength` in a schema reachable from a response",
    );
}

#[test]
fn extensible_enums_make_distinct_rust_variants() {
    single(
        "extensible-enum.yaml",
        "extensible-enum",
        "/components/schemas/open_status/x-extensible-enum",
        "make the same Rust variant `InStore`",
    );
}

#[test]
fn extensible_enums_are_named_plain_strings() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/extensible-enum.yaml");
    let fixture: serde_json::Value =
        serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let fixed = |change: &dyn Fn(&mut serde_json::Value)| {
        let mut spec = fixture.clone();
        spec["components"]["schemas"]["open_status"]["x-extensible-enum"] = json!(["in_store"]);
        change(&mut spec);
        xtask::rules::validate(&spec)
    };
    assert_eq!(fixed(&|_| {}), vec![], "one spelling per value passes");
    type Change<'a> = &'a dyn Fn(&mut serde_json::Value);
    let cases: [(&str, Change, &str); 4] = [
        (
            "beside a closed `enum`",
            &|s| s["components"]["schemas"]["open_status"]["enum"] = json!(["in_store"]),
            "/components/schemas/open_status/x-extensible-enum",
        ),
        (
            "not `type: string`",
            &|s| s["components"]["schemas"]["open_status"]["type"] = json!("integer"),
            "/components/schemas/open_status/x-extensible-enum",
        ),
        (
            "non-empty list",
            &|s| s["components"]["schemas"]["open_status"]["x-extensible-enum"] = json!([]),
            "/components/schemas/open_status/x-extensible-enum",
        ),
        (
            "inline schema",
            &|s| {
                s["components"]["schemas"]["thing_read"]["properties"]["name"]["x-extensible-enum"] =
                    json!(["a"])
            },
            "/components/schemas/thing_read/properties/name/x-extensible-enum",
        ),
    ];
    for (expected, change, pointer) in cases {
        let found = fixed(change);
        let hit = found.iter().find(|f| f.rule == "extensible-enum");
        assert!(
            hit.is_some_and(|f| f.message.contains(expected) && f.pointer == pointer),
            "{expected}: {found:#?}"
        );
    }
}

#[test]
fn response_objects_stay_readable_for_other_generators() {
    single(
        "generator-leniency.yaml",
        "generator-leniency",
        "/components/schemas/thing_read",
        "does not allow additional properties",
    );
    // An object reached through a plain `$ref` property cannot be null for some clients.
    let mut spec = valid_spec();
    spec["components"]["schemas"]["part_read"] =
        json!({"type": "object", "properties": {"n": {"type": "string"}}});
    spec["components"]["schemas"]["thing_read"]["properties"]["part"] =
        json!({"$ref": "#/components/schemas/part_read"});
    let found = xtask::rules::validate(&spec);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(
        found[0].pointer,
        "/components/schemas/thing_read/properties/part"
    );
    // Nor through `nullable` beside a single-`$ref` `allOf`: since OpenAPI 3.0.3 it widens
    // only that schema's own `type`, and the referenced schema still refuses `null`.
    spec["components"]["schemas"]["thing_read"]["properties"]["part"] = json!({
        "type": "object", "nullable": true,
        "allOf": [{"$ref": "#/components/schemas/part_read"}]
    });
    assert_eq!(
        only_finding(&spec),
        (
            "generator-leniency",
            "/components/schemas/thing_read/properties/part".to_string()
        )
    );
    // Nor with the reference and the null branch in different combinators: that pair
    // accepts neither an object nor `null`.
    spec["components"]["schemas"]["thing_read"]["properties"]["part"] = json!({
        "allOf": [{"$ref": "#/components/schemas/part_read"}],
        "oneOf": [{"enum": [null]}]
    });
    assert_eq!(
        only_finding(&spec),
        (
            "generator-leniency",
            "/components/schemas/thing_read/properties/part".to_string()
        )
    );
    // A `oneOf` of the reference and a null-only branch lets it through; that branch's
    // `enum: [null]` is no strict limit.
    let nullable = json!({"oneOf": [{"$ref": "#/components/schemas/part_read"}, {"enum": [null]}]});
    spec["components"]["schemas"]["thing_read"]["properties"]["part"] = nullable.clone();
    assert_eq!(xtask::rules::validate(&spec), vec![]);
    // Any other `enum` there still is.
    spec["components"]["schemas"]["thing_read"]["properties"]["part"] =
        json!({"oneOf": [{"$ref": "#/components/schemas/part_read"}, {"enum": [null, "none"]}]});
    let found = xtask::rules::validate(&spec);
    assert!(
        found.iter().any(|f| f.rule == "strict-response"
            && f.pointer == "/components/schemas/thing_read/properties/part/oneOf/1/enum"),
        "{found:#?}"
    );
    // And a property that can only be null is no nullable reference.
    spec["components"]["schemas"]["thing_read"]["properties"]["part"] = nullable;
    spec["components"]["schemas"]["thing_read"]["properties"]["gone"] = json!({"enum": [null]});
    assert_eq!(
        only_finding(&spec),
        (
            "strict-response",
            "/components/schemas/thing_read/properties/gone/enum".to_string()
        )
    );
}

#[test]
fn tokens_and_personal_data_in_requests_and_responses_are_marked() {
    single(
        "sensitive-field.yaml",
        "sensitive-field",
        "/components/schemas/thing_read/properties/email",
        "holds a token or personal data",
    );
    // The same in a request body: the Rust client prints request models too.
    let mut spec = valid_spec();
    spec["components"]["schemas"]["thing_create"]["properties"]["phone"] =
        json!({"type": "string", "maxLength": 20});
    assert_eq!(
        only_finding(&spec),
        (
            "sensitive-field",
            "/components/schemas/thing_create/properties/phone".to_string()
        )
    );
    // Marked, it passes.
    spec["components"]["schemas"]["thing_create"]["properties"]["phone"]["format"] =
        json!("personal-data");
    assert_eq!(xtask::rules::validate(&spec), Vec::new());
}

#[test]
fn examples_fit_their_schemas() {
    single(
        "example.yaml",
        "example",
        "/components/schemas/thing_create/properties/name/example",
        "is longer than 10 characters",
    );
}

#[test]
fn patterns_are_ecma_regexes() {
    single(
        "pattern.yaml",
        "pattern",
        "",
        "/components/schemas/thing_create/properties/name/pattern",
    );
}

#[test]
fn progenitor_panics_become_findings() {
    let finding = single("progenitor.yaml", "progenitor", "", "progenitor panicked");
    assert!(
        finding
            .to_string()
            .starts_with("error[progenitor] at /: the Rust client cannot be generated")
    );
}
