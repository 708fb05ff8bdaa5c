//! The client sends its four calls without the generated builders (see `client.rs`),
//! so what it assumes about each operation must be what the spec, and therefore the
//! generated code, says: the method and path, and the one documented success status
//! (any other 2xx or 3xx is an unexpected answer, every 4xx/5xx an API error).

use serde_json::Value;

/// (operationId, path, method, the success status the client expects)
const OPERATIONS: &[(&str, &str, &str, &str)] = &[
    (
        "createCreditSession",
        "/payments/v1/sessions",
        "post",
        "200",
    ),
    (
        "readCreditSession",
        "/payments/v1/sessions/{session_id}",
        "get",
        "200",
    ),
    (
        "updateCreditSession",
        "/payments/v1/sessions/{session_id}",
        "post",
        "204",
    ),
    (
        "cancelCreditSession",
        "/payments/v1/sessions/{session_id}",
        "delete",
        "204",
    ),
];

#[test]
fn the_client_sends_each_operation_as_the_spec_describes_it() {
    let spec = klarna_payments::spec::document().document();
    let paths = spec["paths"].as_object().expect("the spec has paths");
    let mut seen = 0;
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let Some(id) = operation.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            let Some(&(_, expected_path, expected_method, success)) =
                OPERATIONS.iter().find(|(known, ..)| *known == id)
            else {
                panic!("the client does not know operation {id}: add it to client.rs");
            };
            seen += 1;
            assert_eq!(
                (path.as_str(), method.as_str()),
                (expected_path, expected_method),
                "{id}"
            );
            let responses: Vec<&str> = operation["responses"]
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            let successes: Vec<&str> = responses
                .iter()
                .copied()
                .filter(|code| {
                    code.starts_with('2') || code.starts_with('1') || code.starts_with('3')
                })
                .collect();
            assert_eq!(successes, [success], "{id}: documented non-error statuses");
            for code in responses {
                assert!(
                    code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit()),
                    "{id}: response {code:?} (a range or default) is not handled by client.rs"
                );
            }
            let content = &operation["responses"][success]["content"];
            assert_eq!(
                content.is_object(),
                success == "200",
                "{id}: a 200 carries a body, a 204 none"
            );
        }
    }
    assert_eq!(seen, OPERATIONS.len());
}
