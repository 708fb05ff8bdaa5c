//! Load: many tasks create, read and update sessions through the real client against
//! the simulator; afterwards every session must read back exactly as last written and
//! the simulator must hold no more sessions than were created. Bounded: `LOAD_TASKS`
//! tasks × `LOAD_REQUESTS` requests (defaults 16 × 250; the full run is 64 × 2000).

use std::time::Instant;

use klarna_payments::arithmetic::order_amounts;
use klarna_payments::request;
use klarna_payments::types::{OrderLine, SessionCreate};
use klarna_payments::{Client, Credentials};
use klarna_simulator::Simulator;
use serde_json::Value;
use tests::fixtures::order_line;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn lines(seed: u64) -> Vec<OrderLine> {
    (0..1 + seed % 4)
        .map(|i| {
            let unit_price = 100 + (seed.wrapping_mul(31).wrapping_add(i * 17) % 50_000) as i64;
            order_line(
                &format!("item-{seed}-{i}"),
                unit_price,
                1 + (i as i64 % 3),
                2500,
            )
        })
        .collect()
}

/// What a session should hold: the create body with every update applied.
struct Expected {
    id: String,
    body: SessionCreate,
}

fn written_fields_match(expected: &SessionCreate, read: &Value) -> bool {
    let written = serde_json::to_value(expected).unwrap();
    written
        .as_object()
        .unwrap()
        .iter()
        .all(|(key, value)| read.get(key) == Some(value))
}

async fn worker(client: Client, task: u64, requests: usize) -> (Vec<Expected>, usize) {
    // Deterministic, one sequence per task.
    let mut rng = fastrand::Rng::with_seed(0x9E37_79B9_7F4A_7C15 ^ (task + 1));
    let mut sessions: Vec<Expected> = Vec::new();
    let mut checked_reads = 0;
    for step in 0..requests {
        let roll = rng.usize(0..10);
        if sessions.is_empty() || roll < 2 {
            let lines = lines(rng.u64(..));
            let totals = order_amounts("SE", &lines).unwrap();
            let body: SessionCreate = request::SessionCreateBuilder::new()
                .purchase_country("SE")
                .purchase_currency("SEK")
                .merchant_reference1(format!("t{task}-s{step}"))
                .order_amount(totals.order_amount)
                .order_tax_amount(totals.order_tax_amount)
                .order_lines(lines)
                .build()
                .unwrap();
            let created = client.create_session(body.clone()).await.unwrap();
            sessions.push(Expected {
                id: created.into_value().session_id,
                body,
            });
        } else if roll < 6 {
            let expected = &sessions[rng.usize(0..sessions.len())];
            let read = client.read_session(&expected.id).await.unwrap();
            let read = serde_json::to_value(read.value()).unwrap();
            assert!(
                written_fields_match(&expected.body, &read),
                "session {} corrupted",
                expected.id
            );
            checked_reads += 1;
        } else {
            let index = rng.usize(0..sessions.len());
            let lines = lines(rng.u64(..));
            let totals = order_amounts("SE", &lines).unwrap();
            let reference = format!("t{task}-u{step}");
            let update = request::SessionUpdateBuilder::new()
                .merchant_reference1(reference.as_str())
                .order_amount(totals.order_amount)
                .order_tax_amount(totals.order_tax_amount)
                .order_lines(lines.clone());
            client
                .update_session(&sessions[index].id, update)
                .await
                .unwrap();
            let body = &mut sessions[index].body;
            body.merchant_reference1 = Some(reference.parse().unwrap());
            body.order_amount = totals.order_amount;
            body.order_tax_amount = Some(totals.order_tax_amount);
            body.order_lines = lines;
        }
    }
    (sessions, checked_reads)
}

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sessions_are_never_lost_or_corrupted() {
    let tasks = env_or("LOAD_TASKS", 16);
    let requests = env_or("LOAD_REQUESTS", 250);
    let max_sessions = tasks * requests;
    let simulator = Simulator::builder()
        .max_sessions(max_sessions)
        .start()
        .await
        .unwrap();
    let client = Client::builder()
        .base_url(simulator.base_url())
        .credentials(Credentials::new(simulator.username(), simulator.password()))
        .build()
        .unwrap();
    let rss_before = rss_kib();
    let started = Instant::now();
    let handles: Vec<_> = (0..tasks as u64)
        .map(|t| tokio::spawn(worker(client.clone(), t, requests)))
        .collect();
    let mut all = Vec::new();
    let mut checked_reads = 0;
    for handle in handles {
        let (sessions, reads) = handle.await.unwrap();
        all.extend(sessions);
        checked_reads += reads;
    }
    let elapsed = started.elapsed();

    for expected in &all {
        let read = client.read_session(&expected.id).await.unwrap();
        let read = serde_json::to_value(read.value()).unwrap();
        assert!(
            written_fields_match(&expected.body, &read),
            "session {} lost its last write",
            expected.id
        );
    }
    assert_eq!(
        simulator.session_count(),
        all.len(),
        "every created session is held, no more"
    );
    assert!(simulator.session_count() <= max_sessions);
    let total = tasks * requests;
    eprintln!(
        "load: {tasks} tasks x {requests} requests = {total} in {:.2?} ({:.0} requests/s); {} sessions created and verified, {checked_reads} reads checked in flight; RSS {:?} -> {:?} KiB",
        elapsed,
        total as f64 / elapsed.as_secs_f64(),
        all.len(),
        rss_before,
        rss_kib(),
    );
}
