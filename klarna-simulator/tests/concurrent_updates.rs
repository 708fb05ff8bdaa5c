//! Concurrent updates of one session (issue 21): rounds of 32 connections at once, each
//! sending an update of one top-level field (12 fields, so two or three tasks share
//! each); after each round, every field must hold a value that one of that round's
//! `204` updates of it set, not an older one written back by a concurrent update of
//! another field (the lost update of a read-merge-write outside the store's lock).

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use klarna_simulator::{Simulator, SimulatorHandle};
use serde_json::{Value, json};
use support::{create_body, exchange};

/// Updates (connections) at once.
const TASKS: usize = 32;
/// Rounds: in each, every task sends one update (on its own connection), all at once.
const ROUNDS: usize = 24;

/// The top-level fields of `session_update` the tasks change. An update replaces a
/// top-level field whole (nested objects included), so two fields of one object
/// (`billing_address.given_name`, `billing_address.city`) are not independent: the
/// tasks change top-level fields. The cart (`order_lines` with its totals) is one field:
/// the three travel together to keep the order arithmetic valid.
const FIELDS: [&str; 12] = [
    "merchant_reference1",
    "merchant_reference2",
    "merchant_data",
    "design",
    "billing_address",
    "shipping_address",
    "customer",
    "attachment",
    "merchant_urls",
    "options",
    "custom_payment_method_ids",
    "cart",
];

/// What a read must show after an update: `(key, value)` pairs.
type Shown = Vec<(String, Value)>;
/// The updates of one round that answered 204, by field: the task and what it set.
type Landed = BTreeMap<&'static str, Vec<(usize, Shown)>>;

/// The update body that sets field `field` to a value naming `tag`; and the part of the
/// session a read must then show (`(key, value)` pairs).
fn update_for(field: &str, tag: &str, round: usize) -> (Value, Shown) {
    let body = match field {
        "merchant_reference1" | "merchant_reference2" | "merchant_data" | "design" => {
            json!({ field: tag })
        }
        "billing_address" | "shipping_address" => {
            json!({ field: {"given_name": tag, "country": "SE"} })
        }
        "customer" => json!({ field: {"title": tag} }),
        "attachment" => {
            json!({ field: {"content_type": "application/vnd.klarna.internal.emd-v2+json", "body": tag} })
        }
        "merchant_urls" => {
            json!({ field: {"confirmation": format!("https://shop.example/confirm/{tag}")} })
        }
        "options" => json!({ field: {"radius_border": tag} }),
        "custom_payment_method_ids" => json!({ field: [tag] }),
        "cart" => {
            // A valid cart whose quantity and name change each round: 25% tax included.
            let quantity = round as i64 + 1;
            let total = 10_000 * quantity;
            let tax = total / 5;
            json!({
                "order_amount": total,
                "order_tax_amount": tax,
                "order_lines": [{
                    "type": "physical",
                    "name": tag,
                    "quantity": quantity,
                    "unit_price": 10_000,
                    "tax_rate": 2500,
                    "total_amount": total,
                    "total_tax_amount": tax,
                }],
            })
        }
        other => panic!("no update for {other}"),
    };
    let shown = body
        .as_object()
        .expect("an object")
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (body, shown)
}

fn auth(simulator: &SimulatorHandle) -> Option<(&str, &str)> {
    Some((simulator.username(), simulator.password()))
}

/// Sends one update over a new connection; its status (0 if none arrived).
async fn send(simulator: Arc<SimulatorHandle>, session: Arc<String>, body: Value) -> u16 {
    exchange(
        simulator.base_url(),
        "POST",
        &format!("/payments/v1/sessions/{session}"),
        auth(&simulator),
        Some("application/json"),
        &body.to_string(),
    )
    .await
    .status()
    .unwrap_or(0)
}

async fn read(simulator: &SimulatorHandle, session: &str) -> Value {
    let read = exchange(
        simulator.base_url(),
        "GET",
        &format!("/payments/v1/sessions/{session}"),
        auth(simulator),
        None,
        "",
    )
    .await;
    assert_eq!(read.status(), Some(200));
    read.json()
}

/// The fields whose value in `session` is none of the values `updates` set (each
/// update that answered 204, by field): an update lost to a concurrent one leaves the
/// value of an earlier round instead.
fn lost_fields(session: &Value, updates: &Landed) -> Vec<String> {
    let mut lost = Vec::new();
    for (field, candidates) in updates {
        let shown = candidates.iter().any(|(_, pairs)| {
            pairs
                .iter()
                .all(|(key, value)| session.get(key) == Some(value))
        });
        if !shown {
            let keys: Vec<&String> = candidates[0].1.iter().map(|(k, _)| k).collect();
            let held: Vec<Option<&Value>> = keys.iter().map(|k| session.get(k.as_str())).collect();
            lost.push(format!(
                "{field}: holds {held:?}, set by none of tasks {:?}",
                candidates.iter().map(|(t, _)| *t).collect::<Vec<_>>()
            ));
        }
    }
    lost
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_updates_of_different_fields_all_land() {
    let simulator = Arc::new(Simulator::start().await.unwrap());
    let created = exchange(
        simulator.base_url(),
        "POST",
        "/payments/v1/sessions",
        auth(&simulator),
        Some("application/json"),
        &create_body("R-0"),
    )
    .await;
    assert_eq!(created.status(), Some(200), "{:?}", created.json());
    let session = Arc::new(created.json()["session_id"].as_str().unwrap().to_string());

    // Bounded: every exchange gives up after 10 s; the whole run after 120 s.
    tokio::time::timeout(Duration::from_secs(120), async {
        let mut failures = Vec::new();
        for round in 0..ROUNDS {
            // All tasks' updates of this round at once, each on its own connection.
            let sent: Vec<_> = (0..TASKS)
                .map(|t| {
                    let field = FIELDS[t % FIELDS.len()];
                    let (body, shown) = update_for(field, &format!("t{t}-r{round}"), round);
                    let answer =
                        tokio::spawn(send(Arc::clone(&simulator), Arc::clone(&session), body));
                    (t, field, shown, answer)
                })
                .collect();
            let mut landed = Landed::new();
            for (t, field, shown, answer) in sent {
                let status = answer.await.expect("the update ran");
                // Every update is valid, and valid merged with any other: all answer 204.
                assert_eq!(status, 204, "round {round}, task {t} ({field})");
                landed.entry(field).or_default().push((t, shown));
            }
            // Each field now holds this round's value from one of the tasks that
            // changed it (the last one applied), whatever the order.
            let now = read(&simulator, &session).await;
            failures.extend(
                lost_fields(&now, &landed)
                    .into_iter()
                    .map(|lost| format!("round {round}: {lost}")),
            );
            // The session as a whole is still what was created, with the updates merged.
            assert_eq!(now["purchase_country"], "SE");
            assert_eq!(now["status"], "incomplete");
        }
        assert!(
            failures.is_empty(),
            "{} times a field held none of its round's updates answered 204 ({} rounds of {TASKS} updates over {} fields):\n{}",
            failures.len(),
            ROUNDS,
            FIELDS.len(),
            failures.join("\n")
        );
    })
    .await
    .expect("the updates finished within 120 s");
}
