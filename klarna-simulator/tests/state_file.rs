//! Sessions (with their authorizations and orders) survive a restart when a state file
//! is given: the binary is killed with SIGKILL (after a burst of changes, and in the
//! middle of a stream of concurrent writes), restarted on the same file, and every
//! acknowledged change is read back. The files must parse at every moment.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use klarna_simulator::Simulator;
use serde_json::{Value, json};
use support::{Binary, create_body, run_binary, start_binary};

const USER: &str = "u";
const PASSWORD: &str = "p";

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "klarna-simulator-state-{name}-{}",
        std::process::id()
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir.join("state.json")
}

/// Removes a test's scratch directory (left in place when the test fails).
fn clean(file: &Path) {
    if let Some(dir) = file.parent() {
        let _ = fs::remove_dir_all(dir);
    }
}

fn start(file: &Path) -> Binary {
    start_binary(&[
        "--state-file",
        file.to_str().unwrap(),
        "--username",
        USER,
        "--password",
        PASSWORD,
    ])
}

fn http() -> reqwest::Client {
    klarna_payments::http_client_builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// A request with the test's credentials and a JSON body.
fn post(client: &reqwest::Client, url: String, body: String) -> reqwest::RequestBuilder {
    client
        .post(url)
        .basic_auth(USER, Some(PASSWORD))
        .header("content-type", "application/json")
        .body(body)
}

async fn create(client: &reqwest::Client, base: &str, reference: &str) -> reqwest::Result<String> {
    let answer = post(
        client,
        format!("{base}/payments/v1/sessions"),
        create_body(reference),
    )
    .send()
    .await?
    .error_for_status()?;
    let body: Value = answer.json().await?;
    Ok(body["session_id"].as_str().unwrap_or_default().to_string())
}

async fn update(
    client: &reqwest::Client,
    base: &str,
    id: &str,
    value: &str,
) -> reqwest::Result<()> {
    post(
        client,
        format!("{base}/payments/v1/sessions/{id}"),
        json!({ "merchant_reference2": value }).to_string(),
    )
    .send()
    .await?
    .error_for_status()?;
    Ok(())
}

async fn read(client: &reqwest::Client, base: &str, id: &str) -> (u16, Value) {
    let answer = client
        .get(format!("{base}/payments/v1/sessions/{id}"))
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

/// Kills with SIGKILL (what `Child::kill` sends on Unix) and reaps.
fn kill_9(mut binary: Binary) {
    binary.child.kill().unwrap();
    binary.child.wait().unwrap();
}

#[tokio::test]
async fn every_acknowledged_change_survives_kill_9() {
    let file = scratch("burst");
    let client = http();
    let binary = start(&file);
    let base = binary.base_url.clone();
    let mut ids = Vec::new();
    for n in 0..20 {
        ids.push(create(&client, &base, &format!("R-{n}")).await.unwrap());
    }
    for (n, id) in ids.iter().enumerate().take(5) {
        update(&client, &base, id, &format!("updated-{n}"))
            .await
            .unwrap();
    }
    let completed = client
        .post(format!("{base}/simulator/v1/sessions/{}/complete", ids[5]))
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(completed.status().as_u16(), 204);
    let cancelled = client
        .delete(format!("{base}/payments/v1/sessions/{}", ids[6]))
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status().as_u16(), 204);
    // No pause: the kill follows the last acknowledgement at once.
    kill_9(binary);

    let binary = start(&file);
    assert!(
        binary
            .stdout
            .iter()
            .any(|l| l.starts_with("Sessions kept in") && l.ends_with("(19 loaded)")),
        "{:?}",
        binary.stdout
    );
    let base = binary.base_url.clone();
    for (n, id) in ids.iter().enumerate() {
        let (status, session) = read(&client, &base, id).await;
        if n == 6 {
            assert_eq!(status, 404, "a cancelled session stays cancelled");
            continue;
        }
        assert_eq!(status, 200, "session {n} was lost");
        assert_eq!(session["merchant_reference1"], format!("R-{n}"));
        assert_eq!(session["order_lines"][0]["name"], "Shoe");
        // The client token survives too: a JSON Web Token, as the browser library needs.
        assert_eq!(
            session["client_token"].as_str().unwrap().split('.').count(),
            3
        );
        let expected = if n < 5 {
            json!(format!("updated-{n}"))
        } else {
            Value::Null
        };
        assert_eq!(session["merchant_reference2"], expected, "session {n}");
        let status = if n == 5 { "complete" } else { "incomplete" };
        assert_eq!(session["status"], status, "session {n}");
    }
    drop(binary);
    clean(&file);
}

/// What one writer knows about one of its sessions.
struct Known {
    id: String,
    /// The last `merchant_reference2` acknowledged.
    acknowledged: Option<String>,
    /// A value sent whose answer never came (the kill hit it).
    in_flight: Option<String>,
}

async fn writer(client: reqwest::Client, base: String, task: usize) -> Vec<Known> {
    let mut known: Vec<Known> = Vec::new();
    for step in 0..100_000 {
        if step % 3 == 0 {
            match create(&client, &base, &format!("t{task}-s{step}")).await {
                Ok(id) => known.push(Known {
                    id,
                    acknowledged: None,
                    in_flight: None,
                }),
                Err(_) => break,
            }
        } else if let Some(session) = known.last_mut() {
            let value = format!("t{task}-v{step}");
            session.in_flight = Some(value.clone());
            match update(&client, &base, &session.id, &value).await {
                Ok(()) => {
                    session.acknowledged = session.in_flight.take();
                }
                Err(_) => break,
            }
        }
    }
    known
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_in_a_stream_of_writes_loses_nothing_acknowledged_and_never_tears_the_file() {
    let file = scratch("stream");
    let binary = start(&file);
    let base = binary.base_url.clone();

    // Reads the file as fast as it can while the writes run: it must always parse.
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (stop, file) = (Arc::clone(&stop), file.clone());
        std::thread::spawn(move || {
            let mut parsed = 0u64;
            let deadline = Instant::now() + Duration::from_secs(60);
            while !stop.load(Ordering::Acquire) && Instant::now() < deadline {
                let bytes = fs::read(&file).expect("the state file exists from the start");
                let state: Value = serde_json::from_slice(&bytes)
                    .unwrap_or_else(|e| panic!("torn state file ({} bytes): {e}", bytes.len()));
                assert_eq!(state["klarna_simulator_state"], 1);
                parsed += 1;
            }
            parsed
        })
    };

    let writers: Vec<_> = (0..6)
        .map(|task| tokio::spawn(writer(http(), base.clone(), task)))
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    kill_9(binary);
    let mut known = Vec::new();
    for handle in writers {
        known.extend(handle.await.unwrap());
    }
    stop.store(true, Ordering::Release);
    let parsed = watcher.join().expect("the state file always parsed");
    assert!(parsed > 10, "the watcher read the file only {parsed} times");
    assert!(
        known.len() > 10,
        "only {} sessions were created",
        known.len()
    );

    let binary = start(&file);
    let client = http();
    let mut updates = 0;
    let mut in_flight = 0;
    for session in &known {
        let (status, read) = read(&client, &binary.base_url, &session.id).await;
        assert_eq!(status, 200, "acknowledged session {} was lost", session.id);
        let stored = read["merchant_reference2"].as_str().map(str::to_string);
        let allowed = stored == session.acknowledged
            || (session.in_flight.is_some() && stored == session.in_flight);
        assert!(
            allowed,
            "session {}: stored {stored:?}, acknowledged {:?}, in flight {:?}",
            session.id, session.acknowledged, session.in_flight
        );
        updates += usize::from(session.acknowledged.is_some());
        in_flight += usize::from(session.in_flight.is_some());
    }
    println!(
        "kill -9 mid-stream: {} acknowledged sessions ({updates} with acknowledged updates, \
         {in_flight} writes in flight at the kill) all read back; the file parsed {parsed} times",
        known.len()
    );
    drop(binary);
    clean(&file);
}

/// The shopper's approval of `id` through the control endpoint; the token.
async fn approve(client: &reqwest::Client, base: &str, id: &str) -> String {
    let answer: Value = client
        .post(format!("{base}/simulator/v1/sessions/{id}/authorize"))
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["authorization_token"].as_str().unwrap().to_owned()
}

/// What an order call answers: the status and the body.
async fn order(client: &reqwest::Client, base: &str, token: &str) -> (u16, Value) {
    let answer = post(
        client,
        format!("{base}/payments/v1/authorizations/{token}/order"),
        create_body("R"),
    )
    .send()
    .await
    .unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

/// Authorizations, orders and released tokens are kept like sessions: after `kill -9`
/// an open token still places its order, a used or released one is still dead, and a
/// completed session still reads `complete`.
#[tokio::test]
async fn authorizations_and_orders_survive_kill_9() {
    let file = scratch("orders");
    let binary = start(&file);
    let client = http();
    let base = binary.base_url.clone();
    let (open, ordered, released) = (
        create(&client, &base, "open").await.unwrap(),
        create(&client, &base, "ordered").await.unwrap(),
        create(&client, &base, "released").await.unwrap(),
    );
    let open_token = approve(&client, &base, &open).await;
    let ordered_token = approve(&client, &base, &ordered).await;
    let released_token = approve(&client, &base, &released).await;
    let (status, placed) = order(&client, &base, &ordered_token).await;
    assert_eq!(status, 200, "{placed}");
    let cancelled = client
        .delete(format!(
            "{base}/payments/v1/authorizations/{released_token}"
        ))
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), 204);
    kill_9(binary);

    let binary = start(&file);
    let base = binary.base_url.clone();
    let (_, read_open) = read(&client, &base, &open).await;
    assert_eq!(
        read_open["authorization_token"].as_str(),
        Some(open_token.as_str())
    );
    let (_, read_ordered) = read(&client, &base, &ordered).await;
    assert_eq!(read_ordered["status"], "complete");
    assert_eq!(order(&client, &base, &ordered_token).await.0, 404, "used");
    assert_eq!(
        order(&client, &base, &released_token).await.0,
        404,
        "released"
    );
    let (status, placed) = order(&client, &base, &open_token).await;
    assert_eq!(status, 200, "{placed}");
    drop(binary);
    clean(&file);
}

#[tokio::test]
async fn an_in_process_simulator_reloads_its_file_and_persists_completion() {
    let file = scratch("in-process");
    let simulator = Simulator::builder()
        .credentials(USER, PASSWORD)
        .state_file(&file)
        .start()
        .await
        .unwrap();
    assert_eq!(simulator.state_file(), Some(file.as_path()));
    let client = http();
    let id = create(&client, simulator.base_url(), "R").await.unwrap();
    assert!(simulator.complete_session(&id));
    // Dropped without a shutdown: nothing more is written on the way out.
    drop(simulator);

    let simulator = Simulator::builder()
        .credentials(USER, PASSWORD)
        .state_file(&file)
        .start()
        .await
        .unwrap();
    assert_eq!(simulator.session_count(), 1);
    let (status, session) = read(&client, simulator.base_url(), &id).await;
    assert_eq!(
        (status, session["status"].as_str()),
        (200, Some("complete"))
    );
    simulator.shutdown().await;
    clean(&file);
}

#[tokio::test]
async fn a_damaged_state_file_stops_the_start_instead_of_being_overwritten() {
    let file = scratch("damaged");
    fs::write(&file, "{\"klarna_simulator_state\": 1, \"sessions\": [{").unwrap();
    let error = Simulator::builder()
        .state_file(&file)
        .start()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidData);
    let (code, stderr) = run_binary(&["--port", "0", "--state-file", file.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("is not valid"), "{stderr}");
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        "{\"klarna_simulator_state\": 1, \"sessions\": [{",
        "left as it was, for a person to look at"
    );
    clean(&file);
}

/// Creates per second with and without a state file, for the docs:
/// `cargo test -p klarna-simulator --test state_file -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a check"]
async fn measure_the_cost_of_persisting() {
    for (label, state) in [
        ("no state file", None),
        ("state file", Some(scratch("measure"))),
    ] {
        for preload in [0usize, 5000] {
            let mut builder = Simulator::builder().credentials(USER, PASSWORD);
            if let Some(file) = &state {
                let _ = fs::remove_file(file);
                builder = builder.state_file(file);
            }
            let simulator = builder.start().await.unwrap();
            let base = simulator.base_url().to_string();
            let client = http();
            let loaders: Vec<_> = (0..16)
                .map(|t| {
                    let (client, base) = (client.clone(), base.clone());
                    tokio::spawn(async move {
                        for n in 0..preload / 16 {
                            create(&client, &base, &format!("pre-{t}-{n}"))
                                .await
                                .unwrap();
                        }
                    })
                })
                .collect();
            for loader in loaders {
                loader.await.unwrap();
            }
            for tasks in [1usize, 16] {
                let per_task = 400 / tasks;
                let started = Instant::now();
                let handles: Vec<_> = (0..tasks)
                    .map(|t| {
                        let (client, base) = (client.clone(), base.clone());
                        tokio::spawn(async move {
                            for n in 0..per_task {
                                create(&client, &base, &format!("m{t}-{n}")).await.unwrap();
                            }
                        })
                    })
                    .collect();
                for handle in handles {
                    handle.await.unwrap();
                }
                let took = started.elapsed();
                let size = state
                    .as_ref()
                    .and_then(|f| fs::metadata(f).ok())
                    .map_or(0, |m| m.len());
                println!(
                    "{label}, {preload} sessions before, {tasks} concurrent: {} creates in {took:?} = {:.0}/s (file {size} bytes)",
                    tasks * per_task,
                    (tasks * per_task) as f64 / took.as_secs_f64()
                );
            }
            simulator.shutdown().await;
        }
        if let Some(file) = &state {
            clean(file);
        }
    }
}
