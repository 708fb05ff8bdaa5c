//! The fuzz targets' bodies, one function per target (`fuzz_targets/*.rs` hand them the
//! fuzzer's input). Each panics, or aborts, only on a finding: a panic inside the code
//! under test, or a broken property named in an `assert!` message. Run with
//! `cargo xtask fuzz` (RELIABILITY.md, "Fuzzing").

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write as _;

use serde::Serialize;
use serde::de::DeserializeOwned;

pub mod builders;
pub mod simulator;

/// The largest single allocation a target may make (256 MiB). Larger ones fail, which
/// aborts with "memory allocation of N bytes failed": libFuzzer's `-malloc_limit_mb`
/// needs a sanitizer's allocator hooks, which a stable build does not have, so this
/// allocator stands in for it (`-rss_limit_mb` still bounds the total).
pub struct Capped;

/// The cap, in bytes.
pub const MAX_ALLOCATION: usize = 256 << 20;

// SAFETY: every call is forwarded to the system allocator unchanged, except allocations
// above the cap, which return null (an allocation failure, as `GlobalAlloc` allows).
unsafe impl GlobalAlloc for Capped {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() > MAX_ALLOCATION {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() > MAX_ALLOCATION {
            return std::ptr::null_mut();
        }
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > MAX_ALLOCATION {
            return std::ptr::null_mut();
        }
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Decodes `data` as `T`; a model that decodes must format with `Debug` and encode, and
/// its encoding must decode to the same model.
fn decode_one<T>(data: &[u8]) -> Option<T>
where
    T: DeserializeOwned + Serialize + std::fmt::Debug + PartialEq,
{
    let model: T = serde_json::from_slice(data).ok()?;
    let _ = write!(std::io::sink(), "{model:?}");
    let _ = write!(std::io::sink(), "{model:#?}");
    let encoded = serde_json::to_vec(&model).expect("a decoded model encodes");
    let again: T = serde_json::from_slice(&encoded).unwrap_or_else(|error| {
        panic!(
            "{}: its own encoding does not decode: {error}",
            std::any::type_name::<T>()
        )
    });
    assert!(
        again == model,
        "{}: decode(encode(model)) != model",
        std::any::type_name::<T>()
    );
    Some(model)
}

/// Target `decode`: every response model from the same bytes.
pub fn decode(data: &[u8]) {
    use klarna_payments::types::{
        CustomerToken, ErrorResponse, MerchantSession, Order, SessionRead,
    };
    decode_one::<SessionRead>(data);
    decode_one::<MerchantSession>(data);
    decode_one::<ErrorResponse>(data);
    decode_one::<Order>(data);
    decode_one::<CustomerToken>(data);
}

/// Target `validate`: the pre-send checks on every request model the input decodes to,
/// the order arithmetic on its lines, and the request builders fed from the same JSON.
pub fn validate(data: &[u8]) {
    use klarna_payments::types::{CustomerTokenCreate, OrderCreate, SessionCreate, SessionUpdate};
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if let Ok(body) = serde_json::from_value::<SessionCreate>(value.clone()) {
        check_model(&body);
        builders::arithmetic(&body.purchase_country, &body.order_lines);
        builders::rebuild::<_, SessionCreate>(
            klarna_payments::request::SessionCreateBuilder::from(body),
        );
    }
    if let Ok(body) = serde_json::from_value::<SessionUpdate>(value.clone()) {
        check_model(&body);
        builders::rebuild::<_, SessionUpdate>(
            klarna_payments::request::SessionUpdateBuilder::from(body),
        );
    }
    if let Ok(body) = serde_json::from_value::<OrderCreate>(value.clone()) {
        check_model(&body);
        builders::rebuild::<_, OrderCreate>(klarna_payments::request::OrderCreateBuilder::from(
            body,
        ));
    }
    if let Ok(body) = serde_json::from_value::<CustomerTokenCreate>(value.clone()) {
        check_model(&body);
        builders::rebuild::<_, CustomerTokenCreate>(
            klarna_payments::request::CustomerTokenCreateBuilder::from(body),
        );
    }
    if let Ok(read) = serde_json::from_value::<klarna_payments::types::SessionRead>(value.clone()) {
        builders::from_read(&read);
    }
    builders::from_json(&value);
}

/// The pre-send checks on `body`: every check, and the schema part alone, which must
/// report what the spec's validator reports for the body's JSON (the field walk is
/// generated code standing in for that validator).
fn check_model<T>(body: &T)
where
    T: klarna_payments::validation::RequestBody + std::fmt::Debug,
{
    use klarna_payments::validation::{Checks, ViolationKind, validate};
    let _ = write!(std::io::sink(), "{body:?}");
    let all = validate(body, Checks::default());
    let schema_only = validate(
        body,
        Checks {
            schema: true,
            arithmetic: false,
        },
    );
    let arithmetic_only = validate(
        body,
        Checks {
            schema: false,
            arithmetic: true,
        },
    );
    for violation in &all {
        let _ = write!(std::io::sink(), "{violation} {violation:?}");
    }
    let json = serde_json::to_value(body).expect("a decoded model encodes");
    let expected: Vec<(String, String)> = klarna_payments::spec::document()
        .validate(T::SCHEMA, &json)
        .into_iter()
        .map(|v| (v.path.to_string(), v.to_string()))
        .collect();
    let walked: Vec<(String, String)> = schema_only
        .iter()
        .filter(|v| matches!(v.kind, ViolationKind::Schema(_)))
        .map(|v| (v.field.clone(), v.message.clone()))
        .collect();
    assert_eq!(
        walked,
        expected,
        "{}: validate() and SchemaDocument::validate disagree on {json}",
        T::SCHEMA
    );
    assert_eq!(
        all.len(),
        schema_only.len() + arithmetic_only.len(),
        "{}: all checks != schema checks + arithmetic checks",
        T::SCHEMA
    );
}

/// Target `schema`: the spec's validator on arbitrary JSON, against every request
/// schema and every schema a request body refers to; its serde walk
/// (`validate_serialize`) must answer the same.
pub fn schema(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let document = klarna_payments::spec::document();
    for name in request_schemas() {
        let violations = document.validate(name, &value);
        for violation in &violations {
            let _ = write!(std::io::sink(), "{violation} {violation:?}");
        }
        let streamed = document
            .validate_serialize(name, &value)
            .expect("a serde_json::Value always has a JSON form");
        assert_eq!(
            streamed, violations,
            "{name}: validate_serialize and validate disagree on {value}"
        );
    }
}

/// The request bodies' schemas and every component schema reachable from them, once.
pub fn request_schemas() -> &'static [&'static str] {
    static NAMES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        let document = klarna_payments::spec::document().document();
        let mut names: Vec<&'static str> = Vec::new();
        let mut pending: Vec<&'static serde_json::Value> = Vec::new();
        if let Some(paths) = document.get("paths").and_then(|p| p.as_object()) {
            for operation in paths
                .values()
                .filter_map(|p| p.as_object())
                .flat_map(|p| p.values())
            {
                if let Some(body) = operation.get("requestBody") {
                    pending.push(body);
                }
            }
        }
        while let Some(node) = pending.pop() {
            match node {
                serde_json::Value::Object(map) => {
                    if let Some(name) = map
                        .get("$ref")
                        .and_then(|r| r.as_str())
                        .and_then(|r| r.strip_prefix("#/components/schemas/"))
                        && !names.contains(&name)
                    {
                        names.push(name);
                        if let Some(target) = klarna_payments::spec::document().schema(name) {
                            pending.push(target);
                        }
                    }
                    pending.extend(map.values());
                }
                serde_json::Value::Array(items) => pending.extend(items),
                _ => {}
            }
        }
        names.sort_unstable();
        names
    })
}
