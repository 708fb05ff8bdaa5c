//! Every fault kind, seen from a raw TCP client: exactly which bytes reached the wire
//! and how the connection ended. Also the control endpoints over HTTP, the request log,
//! and the binary's `--fault` option.

mod support;

use std::time::Duration;

use klarna_simulator::{Close, Fault, Operation, Outcome, Simulator, SimulatorHandle};
use serde_json::{Value, json};
use support::{End, Exchange, create_body, exchange, run_binary, start_binary};

fn auth(simulator: &SimulatorHandle) -> Option<(&str, &str)> {
    Some((simulator.username(), simulator.password()))
}

async fn create(simulator: &SimulatorHandle) -> String {
    let answer = exchange(
        simulator.base_url(),
        "POST",
        "/payments/v1/sessions",
        auth(simulator),
        Some("application/json"),
        &create_body("R-1"),
    )
    .await;
    assert_eq!(answer.status(), Some(200), "{:?}", answer.json());
    answer.json()["session_id"].as_str().unwrap().to_string()
}

async fn read(simulator: &SimulatorHandle, id: &str) -> Exchange {
    exchange(
        simulator.base_url(),
        "GET",
        &format!("/payments/v1/sessions/{id}"),
        auth(simulator),
        None,
        "",
    )
    .await
}

#[tokio::test]
async fn a_status_fault_answers_a_klarna_error_with_retry_after_count_times() {
    let simulator = Simulator::start().await.unwrap();
    let id = create(&simulator).await;
    let fault = simulator
        .add_fault(
            Fault::new()
                .operation(Operation::ReadCreditSession)
                .status(503)
                .retry_after(Duration::from_secs(1))
                .count(2),
        )
        .unwrap();
    for _ in 0..2 {
        let answer = read(&simulator, &id).await;
        assert_eq!(answer.status(), Some(503));
        assert_eq!(answer.header("retry-after").as_deref(), Some("1"));
        assert_eq!(answer.end, End::Closed);
        let body = answer.json();
        assert_eq!(body["error_code"], "SERVICE_UNAVAILABLE");
        assert_eq!(
            body["error_messages"],
            json!(["Service Unavailable (simulated fault)"])
        );
        assert_eq!(
            body["correlation_id"].as_str(),
            answer.header("klarna-correlation-id").as_deref()
        );
    }
    let answer = read(&simulator, &id).await;
    assert_eq!(answer.status(), Some(200), "the fault is spent after two");
    assert_eq!(answer.header("retry-after"), None);

    let held = simulator.faults();
    assert_eq!(
        (held[0].id, held[0].fired, held[0].remaining),
        (fault.id, 2, Some(0))
    );
    let log = simulator.requests();
    let reads: Vec<(Option<u16>, Option<u64>)> = log
        .iter()
        .filter(|r| r.operation == Some(Operation::ReadCreditSession))
        .map(|r| (r.status, r.fault))
        .collect();
    assert_eq!(
        reads,
        [
            (Some(503), Some(fault.id)),
            (Some(503), Some(fault.id)),
            (Some(200), None)
        ]
    );
    let last = log.last().unwrap();
    assert_eq!(last.path, "/payments/v1/sessions/{session_id}");
    assert_eq!(last.session_id.as_deref(), Some(id.as_str()));
    assert_eq!(last.method, "GET");
    assert_eq!(
        Some(last.correlation_id.as_str()),
        answer.header("klarna-correlation-id").as_deref()
    );
}

#[tokio::test]
async fn a_custom_error_code_and_messages_are_sent_as_given() {
    let simulator = Simulator::builder()
        .fault(
            Fault::new()
                .operation(Operation::CreateCreditSession)
                .status(403)
                .error_code("MERCHANT_INACTIVE")
                .error_message("The merchant account is not active."),
        )
        .start()
        .await
        .unwrap();
    let answer = exchange(
        simulator.base_url(),
        "POST",
        "/payments/v1/sessions",
        auth(&simulator),
        Some("application/json"),
        &create_body("R"),
    )
    .await;
    assert_eq!(answer.status(), Some(403));
    assert_eq!(answer.json()["error_code"], "MERCHANT_INACTIVE");
    assert_eq!(
        answer.json()["error_messages"],
        json!(["The merchant account is not active."])
    );
    assert_eq!(
        simulator.session_count(),
        0,
        "a status fault carries nothing out"
    );
}

#[tokio::test]
async fn a_delay_holds_the_answer_back_and_the_operation_still_happens() {
    let simulator = Simulator::start().await.unwrap();
    simulator
        .add_fault(
            Fault::new()
                .operation(Operation::CreateCreditSession)
                .delay(Duration::from_millis(400))
                .count(1),
        )
        .unwrap();
    let answer = exchange(
        simulator.base_url(),
        "POST",
        "/payments/v1/sessions",
        auth(&simulator),
        Some("application/json"),
        &create_body("R"),
    )
    .await;
    assert_eq!(answer.status(), Some(200));
    assert!(
        answer.elapsed >= Duration::from_millis(400),
        "{:?}",
        answer.elapsed
    );
    assert_eq!(simulator.session_count(), 1);
    assert!(simulator.requests()[0].duration_ms >= 400);
}

#[tokio::test]
async fn closed_before_the_headers_sends_not_a_single_byte() {
    let simulator = Simulator::start().await.unwrap();
    let id = create(&simulator).await;
    let fault = simulator
        .add_fault(
            Fault::new()
                .session_id(id.clone())
                .close(Close::BeforeHeaders)
                .count(1),
        )
        .unwrap();
    let answer = read(&simulator, &id).await;
    assert!(
        answer.bytes.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&answer.bytes)
    );
    assert!(
        answer.elapsed < Duration::from_secs(2),
        "{:?}",
        answer.elapsed
    );
    let last = simulator.requests().pop().unwrap();
    assert_eq!(
        (last.status, last.outcome, last.fault),
        (None, Outcome::ClosedBeforeHeaders, Some(fault.id))
    );
    assert_eq!(read(&simulator, &id).await.status(), Some(200));
}

#[tokio::test]
async fn a_create_cut_before_the_headers_is_still_carried_out() {
    let simulator = Simulator::start().await.unwrap();
    simulator
        .add_fault(
            Fault::new()
                .operation(Operation::CreateCreditSession)
                .close(Close::BeforeHeaders),
        )
        .unwrap();
    let answer = exchange(
        simulator.base_url(),
        "POST",
        "/payments/v1/sessions",
        auth(&simulator),
        Some("application/json"),
        &create_body("R"),
    )
    .await;
    assert!(answer.bytes.is_empty());
    assert_eq!(
        simulator.session_count(),
        1,
        "the session exists though its answer was lost"
    );
}

#[tokio::test]
async fn closed_after_the_headers_sends_the_head_and_half_the_body() {
    let simulator = Simulator::start().await.unwrap();
    let id = create(&simulator).await;
    simulator
        .add_fault(
            Fault::new()
                .operation(Operation::ReadCreditSession)
                .close(Close::AfterHeaders)
                .count(1),
        )
        .unwrap();
    let answer = read(&simulator, &id).await;
    assert_eq!(answer.status(), Some(200));
    let announced: usize = answer.header("content-length").unwrap().parse().unwrap();
    assert!(announced > 100, "{announced}");
    assert_eq!(
        answer.body().len(),
        announced / 2,
        "half the body, then the end"
    );
    assert_eq!(answer.json(), Value::Null, "the body is cut short");
    assert!(answer.header("klarna-correlation-id").is_some());
    assert_eq!(
        simulator.requests().pop().unwrap().outcome,
        Outcome::ClosedAfterHeaders
    );

    // With a status: that error's head, then half its body.
    simulator
        .add_fault(Fault::new().status(500).close(Close::AfterHeaders).count(1))
        .unwrap();
    let answer = read(&simulator, &id).await;
    assert_eq!(answer.status(), Some(500));
    let announced: usize = answer.header("content-length").unwrap().parse().unwrap();
    assert_eq!(answer.body().len(), announced / 2);
    assert!(answer.body().starts_with(b"{\"") && !answer.body().ends_with(b"}"));
}

#[tokio::test]
async fn an_answer_without_a_body_cut_after_the_headers_is_sent_whole_and_closed() {
    let simulator = Simulator::start().await.unwrap();
    let id = create(&simulator).await;
    simulator
        .add_fault(
            Fault::new()
                .operation(Operation::UpdateCreditSession)
                .close(Close::AfterHeaders),
        )
        .unwrap();
    let answer = exchange(
        simulator.base_url(),
        "POST",
        &format!("/payments/v1/sessions/{id}"),
        auth(&simulator),
        Some("application/json"),
        r#"{"merchant_reference2":"x"}"#,
    )
    .await;
    assert_eq!(answer.status(), Some(204));
    assert_eq!(answer.header("connection").as_deref(), Some("close"));
}

#[tokio::test]
async fn faults_match_only_their_operation_and_session() {
    let simulator = Simulator::start().await.unwrap();
    let first = create(&simulator).await;
    let second = create(&simulator).await;
    simulator
        .add_fault(Fault::new().session_id(first.clone()).status(500))
        .unwrap();
    simulator
        .add_fault(
            Fault::new()
                .operation(Operation::CancelCreditSession)
                .status(502),
        )
        .unwrap();
    assert_eq!(read(&simulator, &first).await.status(), Some(500));
    assert_eq!(read(&simulator, &second).await.status(), Some(200));
    let cancel = exchange(
        simulator.base_url(),
        "DELETE",
        &format!("/payments/v1/sessions/{second}"),
        auth(&simulator),
        None,
        "",
    )
    .await;
    assert_eq!(cancel.status(), Some(502));
    assert_eq!(create(&simulator).await.len(), 36, "creates are untouched");
    // Unauthenticated requests and unknown paths never use up a fault.
    let stranger = exchange(
        simulator.base_url(),
        "GET",
        &format!("/payments/v1/sessions/{first}"),
        None,
        None,
        "",
    )
    .await;
    assert_eq!(stranger.status(), Some(401));
    let fired: Vec<u64> = simulator.faults().iter().map(|f| f.fired).collect();
    assert_eq!(fired, [1, 1]);
}

async fn control(
    simulator: &SimulatorHandle,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Exchange {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    exchange(
        simulator.base_url(),
        method,
        path,
        auth(simulator),
        (!body.is_empty()).then_some("application/json"),
        &body,
    )
    .await
}

#[tokio::test]
async fn the_control_endpoints_set_list_count_and_remove_faults() {
    let simulator = Simulator::start().await.unwrap();
    let id = create(&simulator).await;
    let added = control(
        &simulator,
        "POST",
        "/simulator/v1/faults",
        Some(
            json!({"operation": "readCreditSession", "status": 429, "retry_after": 2, "count": 1}),
        ),
    )
    .await;
    assert_eq!(added.status(), Some(201));
    assert_eq!(
        added.json(),
        json!({"id": 1, "operation": "readCreditSession", "status": 429, "retry_after": 2,
               "count": 1, "fired": 0, "remaining": 1})
    );
    let answer = read(&simulator, &id).await;
    assert_eq!(
        (answer.status(), answer.header("retry-after").as_deref()),
        (Some(429), Some("2"))
    );
    assert_eq!(answer.json()["error_code"], "TOO_MANY_REQUESTS");

    let unlimited = control(
        &simulator,
        "POST",
        "/simulator/v1/faults",
        Some(json!({"session_id": id, "delay_ms": 10})),
    )
    .await;
    assert_eq!(unlimited.status(), Some(201));
    let listed = control(&simulator, "GET", "/simulator/v1/faults", None).await;
    assert_eq!(listed.status(), Some(200));
    let faults = listed.json()["faults"].clone();
    assert_eq!(faults[0]["fired"], 1);
    assert_eq!(faults[0]["remaining"], 0);
    assert_eq!(faults[1]["remaining"], Value::Null);

    for (body, field) in [
        (json!({"status": 200}), "status"),
        (json!({"status": 503, "count": 0}), "count"),
        (json!({"operation": "readCreditSession"}), "status"),
        (
            json!({"close": "before_headers", "error_code": "X"}),
            "error_code",
        ),
        (json!({"delay_ms": 999_999_999}), "delay_ms"),
    ] {
        let refused = control(
            &simulator,
            "POST",
            "/simulator/v1/faults",
            Some(body.clone()),
        )
        .await;
        assert_eq!(refused.status(), Some(400), "{body}");
        assert_eq!(refused.json()["error_code"], "BAD_VALUE");
        assert_eq!(
            refused.json()["error_messages"][0],
            format!("Bad value: {field}"),
            "{body}"
        );
        assert!(refused.json()["correlation_id"].is_string());
    }
    for body in [
        json!({"stauts": 503}),
        json!({"operation": "listSessions", "status": 500}),
    ] {
        let refused = control(
            &simulator,
            "POST",
            "/simulator/v1/faults",
            Some(body.clone()),
        )
        .await;
        assert_eq!(
            (refused.status(), refused.json()["error_code"].as_str()),
            (Some(400), Some("BAD_REQUEST")),
            "{body}"
        );
    }
    let not_json = exchange(
        simulator.base_url(),
        "POST",
        "/simulator/v1/faults",
        auth(&simulator),
        None,
        "status=503",
    )
    .await;
    assert_eq!(not_json.status(), Some(400));

    let removed = control(&simulator, "DELETE", "/simulator/v1/faults/2", None).await;
    assert_eq!(removed.status(), Some(204));
    let again = control(&simulator, "DELETE", "/simulator/v1/faults/2", None).await;
    assert_eq!(again.status(), Some(404));
    let nonsense = control(&simulator, "DELETE", "/simulator/v1/faults/abc", None).await;
    assert_eq!(nonsense.status(), Some(404));
    let cleared = control(&simulator, "DELETE", "/simulator/v1/faults", None).await;
    assert_eq!(cleared.status(), Some(204));
    assert!(simulator.faults().is_empty());
}

#[tokio::test]
async fn the_control_endpoints_need_the_credentials_and_say_how() {
    let simulator = Simulator::start().await.unwrap();
    for (method, path) in [
        ("GET", "/simulator/v1/faults"),
        ("POST", "/simulator/v1/faults"),
        ("DELETE", "/simulator/v1/faults"),
        ("GET", "/simulator/v1/requests"),
        ("POST", "/simulator/v1/sessions/x/complete"),
        ("GET", "/payments/v1/sessions/x"),
    ] {
        let answer = exchange(
            simulator.base_url(),
            method,
            path,
            Some(("simulator", "wrong")),
            Some("application/json"),
            r#"{"status":503}"#,
        )
        .await;
        assert_eq!(answer.status(), Some(401), "{method} {path}");
        assert_eq!(
            answer.header("www-authenticate").as_deref(),
            Some("Basic realm=\"Klarna simulator\"")
        );
        assert_eq!(answer.json()["error_code"], "UNAUTHORIZED");
    }
    assert!(simulator.faults().is_empty());
}

#[tokio::test]
async fn the_request_log_holds_no_bodies_or_credentials_and_is_bounded() {
    let simulator = Simulator::builder().request_log(5).start().await.unwrap();
    let id = create(&simulator).await;
    let marker = "PRIVATE-REFERENCE-4711";
    let _ = exchange(
        simulator.base_url(),
        "POST",
        &format!("/payments/v1/sessions/{id}?token=QUERY-SECRET"),
        auth(&simulator),
        Some("application/json"),
        &json!({"merchant_reference2": marker}).to_string(),
    )
    .await;
    let _ = exchange(simulator.base_url(), "GET", "/nowhere/else", None, None, "").await;
    let log = control(&simulator, "GET", "/simulator/v1/requests", None).await;
    assert_eq!(log.status(), Some(200));
    let text = String::from_utf8_lossy(log.body()).into_owned();
    for secret in [marker, "QUERY-SECRET", simulator.password(), "c2ltdWxhdG9y"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    let entries = log.json()["requests"].as_array().unwrap().clone();
    assert_eq!(log.json()["capacity"], 5);
    let summary: Vec<(Value, Value, Value)> = entries
        .iter()
        .map(|e| {
            (
                e["operation"].clone(),
                e["path"].clone(),
                e["status"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                json!("createCreditSession"),
                json!("/payments/v1/sessions"),
                json!(200)
            ),
            (
                json!("updateCreditSession"),
                json!("/payments/v1/sessions/{session_id}"),
                json!(204)
            ),
            (Value::Null, json!("/nowhere/else"), json!(401)),
        ],
        "control requests are not logged"
    );
    let since = entries[1]["seq"].as_u64().unwrap();
    let later = control(
        &simulator,
        "GET",
        &format!("/simulator/v1/requests?since={since}"),
        None,
    )
    .await;
    assert_eq!(later.json()["requests"].as_array().unwrap().len(), 1);
    for _ in 0..12 {
        let _ = read(&simulator, &id).await;
    }
    let kept = simulator.requests();
    assert_eq!(kept.len(), 5);
    assert!(kept.windows(2).all(|w| w[0].seq + 1 == w[1].seq));
    let cleared = control(&simulator, "DELETE", "/simulator/v1/requests", None).await;
    assert_eq!(cleared.status(), Some(204));
    assert!(simulator.requests().is_empty());
}

#[tokio::test]
async fn the_binary_takes_faults_on_the_command_line() {
    let binary = start_binary(&[
        "--fault",
        "operation=createCreditSession,status=503,count=2,retry-after=1",
        "--username",
        "u",
        "--password",
        "p",
    ]);
    assert!(
        binary.stdout.iter().any(|l| l
            == "Fault 1: operation=createCreditSession,status=503,retry-after=1,count=2"),
        "{:?}",
        binary.stdout
    );
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let answer = exchange(
            &binary.base_url,
            "POST",
            "/payments/v1/sessions",
            Some(("u", "p")),
            Some("application/json"),
            &create_body("R"),
        )
        .await;
        statuses.push((answer.status(), answer.header("retry-after")));
    }
    assert_eq!(
        statuses,
        [
            (Some(503), Some("1".into())),
            (Some(503), Some("1".into())),
            (Some(200), None)
        ]
    );
    let listed = exchange(
        &binary.base_url,
        "GET",
        "/simulator/v1/faults",
        Some(("u", "p")),
        None,
        "",
    )
    .await;
    assert_eq!(listed.json()["faults"][0]["fired"], 2);

    let (code, stderr) = run_binary(&["--fault", "operation=createCreditSession,stauts=503"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("unknown key \"stauts\""), "{stderr}");
}

#[tokio::test]
async fn a_request_whose_client_gives_up_is_logged_at_once_and_marked() {
    use tokio::io::AsyncWriteExt;
    let simulator = Simulator::start().await.unwrap();
    let id = create(&simulator).await;
    let fault = simulator
        .add_fault(
            Fault::new()
                .operation(Operation::ReadCreditSession)
                .delay(Duration::from_secs(3)),
        )
        .unwrap();
    let address = simulator
        .base_url()
        .trim_start_matches("http://")
        .to_string();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let token = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("{}:{}", simulator.username(), simulator.password()),
    );
    stream
        .write_all(
            format!(
                "GET /payments/v1/sessions/{id} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Basic {token}\r\n\r\n"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let line = simulator.requests().pop().unwrap();
    assert_eq!(
        (line.operation, line.status, line.outcome),
        (
            Some(Operation::ReadCreditSession),
            None,
            Outcome::InProgress
        ),
        "logged on arrival"
    );
    drop(stream);
    let mut outcome = Outcome::InProgress;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let line = simulator.requests().pop().unwrap();
        outcome = line.outcome;
        if outcome != Outcome::InProgress {
            assert_eq!(line.fault, Some(fault.id));
            break;
        }
    }
    // hyper drops a request's future when its client goes away; the line says so.
    assert_eq!(outcome, Outcome::ClientClosed);
}
