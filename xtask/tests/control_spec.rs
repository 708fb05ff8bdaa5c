//! The simulator's control spec lists Klarna's operations by `operationId` (which
//! requests a fault matches, which operation a logged request was for): those lists
//! must be the main spec's operations, no more and no fewer. (The simulator's own
//! `Operation` is held against the main spec by its unit tests.)

use serde_json::Value;

fn load(path: &str) -> Value {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/");
    let text = std::fs::read_to_string(format!("{root}{path}")).expect("the spec is readable");
    serde_yaml::from_str(&text).expect("the spec is YAML")
}

#[test]
fn the_control_spec_names_exactly_the_operations_of_klarnas_spec() {
    let main = load("klarna-payments.yaml");
    let mut ids: Vec<String> = main["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|op| op.get("operationId").and_then(Value::as_str))
        .map(str::to_owned)
        .collect();
    ids.sort();
    let control = load("simulator-control.yaml");
    for pointer in [
        "/components/schemas/operation/enum",
        "/components/schemas/request_record/properties/operation/enum",
    ] {
        let mut listed: Vec<String> = control
            .pointer(pointer)
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("{pointer} is a list"))
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
        listed.sort();
        assert_eq!(listed, ids, "{pointer}");
    }
}
