//! The client sends its calls without the generated builders (see `client.rs`), from
//! one table of operations (`operations.rs`), so what that table says of each operation
//! must be what the spec, and therefore the generated code, says: the method and path,
//! and the one documented success status (any other 2xx or 3xx is an unexpected answer,
//! every 4xx/5xx an API error). Only the operations that take no body may be replayed
//! after they may have reached Klarna.

use serde_json::Value;

#[test]
fn the_client_sends_each_operation_as_the_spec_describes_it() {
    let spec = klarna_payments::spec::document().document();
    let paths = spec["paths"].as_object().expect("the spec has paths");
    let table = klarna_payments::operations::table();
    let mut seen = 0;
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let Some(id) = operation.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            let Some((_, expected_method, expected_path, success, replay_safe)) =
                table.iter().find(|(known, ..)| *known == id)
            else {
                panic!("the client does not know operation {id}: add it to operations.rs");
            };
            let success = success.to_string();
            let success = success.as_str();
            seen += 1;
            assert_eq!(
                (path.as_str(), method.to_ascii_uppercase().as_str()),
                (expected_path.as_str(), *expected_method),
                "{id}"
            );
            let creates = method == "post" && !path.ends_with('}');
            assert_eq!(
                *replay_safe, !creates,
                "{id}: only an operation that creates something is never replayed"
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
    assert_eq!(seen, table.len());
}
