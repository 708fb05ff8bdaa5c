//! The forward-compatibility corpus (`tests/corpus/`): Klarna-shaped answers with
//! unknown fields at every level, unknown values in every enum, nulls, absent fields and
//! values beyond the request constraints. Every file must decode, and re-encoding must
//! give back every known field unchanged (so unknown enum values stay readable): nothing
//! Klarna sends is lost. Unknown fields are named `future_*` by convention.

use std::path::{Path, PathBuf};

use klarna_payments::types::{
    CustomerToken, ErrorResponse, FraudStatus, MerchantSession, Order, SessionRead,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn corpus(folder: &str) -> Vec<PathBuf> {
    corpus_in(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus"),
        folder,
    )
}

/// The files of `folder` under `root`.
fn corpus_in(root: &Path, folder: &str) -> Vec<PathBuf> {
    let dir = root.join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 5,
        "{folder}: the corpus must not shrink unnoticed"
    );
    files
}

/// The value without `null`s and without `future_*` fields, which a typed model drops.
fn known_part(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(key, value)| !key.starts_with("future_") && !value.is_null())
                .map(|(key, value)| (key.clone(), known_part(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(known_part).collect()),
        other => other.clone(),
    }
}

fn check<T: DeserializeOwned + Serialize>(folder: &str) -> usize {
    check_files::<T>(corpus(folder))
}

fn check_files<T: DeserializeOwned + Serialize>(files: Vec<PathBuf>) -> usize {
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let original: Value = serde_json::from_str(&text).unwrap();
        let parsed: T =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let again = serde_json::to_value(&parsed).unwrap();
        assert_eq!(
            again,
            known_part(&original),
            "{}: a known field was lost or changed",
            path.display()
        );
    }
    files.len()
}

#[test]
fn every_create_answer_decodes_without_loss() {
    check::<MerchantSession>("create");
}

#[test]
fn every_read_answer_decodes_without_loss() {
    check::<SessionRead>("read");
    // And the unknown enum values read back as Klarna sent them.
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/read/unknown-value-in-every-enum.json"),
    )
    .unwrap();
    let session: SessionRead = serde_json::from_str(&text).unwrap();
    assert_eq!(session.status.unwrap().to_string(), "archived");
    assert_eq!(
        session.intent.unwrap().to_string(),
        "buy_and_default_tokenize"
    );
    assert_eq!(session.acquiring_channel.unwrap().to_string(), "KIOSK");
    let line = &session.order_lines.unwrap()[0];
    assert!(!line.type_.as_ref().unwrap().is_known());
    assert_eq!(line.type_.as_ref().unwrap().to_string(), "voucher");
}

#[test]
fn every_error_body_decodes_without_loss() {
    check::<ErrorResponse>("error");
}

/// The order and customer-token answers other language teams' clients decode
/// (`generators/corpus/`, see generators/README.md) decode here too, without loss.
#[test]
fn every_order_and_customer_token_answer_decodes_without_loss() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../generators/corpus");
    check_files::<Order>(corpus_in(&shared, "order"));
    check_files::<CustomerToken>(corpus_in(&shared, "customer-token"));
    let unknown = std::fs::read_dir(shared.join("order"))
        .unwrap()
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .filter_map(|text| serde_json::from_str::<Order>(&text).ok())
        .filter_map(|order| order.fraud_status)
        .find(|status| !status.is_known())
        .expect("the corpus has an order with a fraud status this crate does not know");
    assert_ne!(unknown, FraudStatus::Accepted);
    assert!(!unknown.as_str().is_empty());
}
