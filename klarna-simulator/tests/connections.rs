//! Stalled connections are closed, and a cap on connections cannot be held by them for
//! long (issue 21): raw TCP on 127.0.0.1. Every wait is bounded.

mod support;

use std::time::{Duration, Instant};

use klarna_simulator::{Simulator, SimulatorBuilder, SimulatorHandle};
use support::{End, exchange, start_binary};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Slack for a loaded machine (2 shared cores) on top of a timeout being tested.
const SLACK: Duration = Duration::from_secs(3);

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// A simulator with these connection limits.
fn limited(header_read: Duration, idle: Duration, max_connections: usize) -> SimulatorBuilder {
    Simulator::builder()
        .header_read_timeout(header_read)
        .idle_timeout(idle)
        .max_connections(max_connections)
}

fn address(simulator: &SimulatorHandle) -> String {
    simulator
        .base_url()
        .trim_start_matches("http://")
        .to_string()
}

fn authorization(simulator: &SimulatorHandle) -> String {
    use base64::Engine as _;
    let token = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        simulator.username(),
        simulator.password()
    ));
    format!("Basic {token}")
}

/// Reads until the server ends the connection, at most `limit`: the bytes, and how
/// long that took (`None` if the connection was still open at `limit`).
async fn until_closed(stream: &mut TcpStream, limit: Duration) -> (Vec<u8>, Option<Duration>) {
    let started = Instant::now();
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let left = limit.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (bytes, Some(started.elapsed())),
            Ok(Ok(n)) => bytes.extend_from_slice(&chunk[..n]),
            Err(_) => return (bytes, None),
        }
    }
}

/// Reads one answer whose body has a `Content-Length` (at most 10 s); its status.
async fn read_answer(stream: &mut TcpStream) -> u16 {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&bytes[..end]).to_string();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .unwrap_or(0);
            if bytes.len() >= end + 4 + length {
                return head.split(' ').nth(1).unwrap().parse().unwrap();
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut chunk)).await {
            Ok(Ok(0)) => panic!("closed before the answer was whole: {bytes:?}"),
            Ok(Ok(n)) => bytes.extend_from_slice(&chunk[..n]),
            Ok(Err(error)) => panic!("read failed: {error}"),
            Err(_) => panic!("no whole answer within 10 s: {bytes:?}"),
        }
    }
}

/// `GET /simulator/v1/faults` on a kept-alive connection.
fn keep_alive_request(simulator: &SimulatorHandle) -> String {
    format!(
        "GET /simulator/v1/faults HTTP/1.1\r\nHost: {}\r\nAuthorization: {}\r\n\r\n",
        address(simulator),
        authorization(simulator)
    )
}

#[tokio::test]
async fn a_silent_connection_is_closed_within_the_header_read_timeout() {
    let simulator = limited(secs(1.0), secs(30.0), 64).start().await.unwrap();
    let mut stream = TcpStream::connect(address(&simulator)).await.unwrap();
    let (bytes, closed) = until_closed(&mut stream, secs(1.0) + SLACK).await;
    let closed = closed.expect("the silent connection is closed");
    assert!(bytes.is_empty(), "no answer to nothing: {bytes:?}");
    assert!(closed >= secs(0.8), "not before the timeout: {closed:?}");
}

#[tokio::test]
async fn a_half_sent_request_head_is_closed_within_the_header_read_timeout() {
    let simulator = limited(secs(1.0), secs(30.0), 64).start().await.unwrap();
    let mut stream = TcpStream::connect(address(&simulator)).await.unwrap();
    stream
        .write_all(b"POST /payments/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Ty")
        .await
        .unwrap();
    let (bytes, closed) = until_closed(&mut stream, secs(1.0) + SLACK).await;
    assert!(closed.is_some(), "the half-sent head is given up on");
    assert!(
        bytes.is_empty(),
        "no answer: {:?}",
        String::from_utf8_lossy(&bytes)
    );
}

#[tokio::test]
async fn a_half_sent_request_body_is_closed_within_the_header_read_timeout() {
    let simulator = limited(secs(1.0), secs(30.0), 64).start().await.unwrap();
    let mut stream = TcpStream::connect(address(&simulator)).await.unwrap();
    let head = format!(
        "POST /payments/v1/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\n\
         Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{{\"purchase_country\":",
        authorization(&simulator)
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let (bytes, closed) = until_closed(&mut stream, secs(1.0) + SLACK).await;
    assert!(closed.is_some(), "the half-sent body is given up on");
    assert!(
        bytes.is_empty(),
        "no answer: {:?}",
        String::from_utf8_lossy(&bytes)
    );
    assert_eq!(simulator.session_count(), 0);
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_after_the_idle_timeout() {
    // The idle timeout (1 s) is well below the header-read timeout (8 s).
    let simulator = limited(secs(8.0), secs(1.0), 64).start().await.unwrap();
    let mut stream = TcpStream::connect(address(&simulator)).await.unwrap();
    let request = keep_alive_request(&simulator);
    stream.write_all(request.as_bytes()).await.unwrap();
    assert_eq!(read_answer(&mut stream).await, 200);
    // Within the idle timeout, the next request is served on the same connection.
    tokio::time::sleep(secs(0.3)).await;
    stream.write_all(request.as_bytes()).await.unwrap();
    assert_eq!(read_answer(&mut stream).await, 200);
    let (bytes, closed) = until_closed(&mut stream, secs(1.0) + SLACK).await;
    let closed = closed.expect("the idle connection is closed");
    assert!(bytes.is_empty(), "{bytes:?}");
    assert!(
        closed >= secs(0.8),
        "not before the idle timeout: {closed:?}"
    );
}

#[tokio::test]
async fn a_next_request_that_has_begun_gets_the_header_read_timeout_not_the_idle_one() {
    let simulator = limited(secs(4.0), secs(1.0), 64).start().await.unwrap();
    let mut stream = TcpStream::connect(address(&simulator)).await.unwrap();
    let request = keep_alive_request(&simulator);
    stream.write_all(request.as_bytes()).await.unwrap();
    assert_eq!(read_answer(&mut stream).await, 200);
    let answered = Instant::now();
    tokio::time::sleep(secs(0.3)).await;
    // Part of the next head, then nothing: past the idle timeout the connection is
    // still open (a request is arriving), and it is closed by the header-read timeout.
    stream.write_all(&request.as_bytes()[..10]).await.unwrap();
    let (bytes, closed) = until_closed(&mut stream, secs(2.0)).await;
    assert_eq!(closed, None, "still open 2.3 s after the answer: {bytes:?}");
    let (_, closed) = until_closed(&mut stream, secs(4.0) + SLACK).await;
    assert!(closed.is_some(), "closed by the header-read timeout");
    let total = answered.elapsed();
    assert!(total >= secs(3.5), "the head had its 4 s: {total:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_connections_at_the_cap_give_way_to_a_well_behaved_client() {
    let cap = 8;
    let simulator = limited(secs(1.5), secs(30.0), cap).start().await.unwrap();
    let mut stalled = Vec::new();
    for n in 0..cap {
        let mut stream = TcpStream::connect(address(&simulator)).await.unwrap();
        if n % 2 == 1 {
            stream.write_all(b"GET /payments/v1/sess").await.unwrap();
        }
        stalled.push(stream);
    }
    // Let the server take them all up.
    tokio::time::sleep(secs(0.3)).await;
    let started = Instant::now();
    let answer = exchange(
        simulator.base_url(),
        "GET",
        "/simulator/v1/faults",
        Some((simulator.username(), simulator.password())),
        None,
        "",
    )
    .await;
    let waited = started.elapsed();
    assert_eq!(answer.status(), Some(200), "{answer:?}");
    assert_eq!(answer.end, End::Closed);
    // It waited for a place: the cap held, until the stalled ones timed out.
    assert!(
        waited >= secs(0.8),
        "served at once, past the cap: {waited:?}"
    );
    assert!(waited <= secs(1.5) + SLACK, "{waited:?}");
    for mut stream in stalled {
        let (_, closed) = until_closed(&mut stream, SLACK).await;
        assert!(closed.is_some(), "every stalled connection was closed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_cap_idle_kept_alive_connections_make_room_for_a_new_one() {
    let simulator = limited(secs(30.0), secs(30.0), 2).start().await.unwrap();
    let request = keep_alive_request(&simulator);
    let mut idle = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(address(&simulator)).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        assert_eq!(read_answer(&mut stream).await, 200);
        idle.push(stream);
    }
    let started = Instant::now();
    let answer = exchange(
        simulator.base_url(),
        "GET",
        "/simulator/v1/faults",
        Some((simulator.username(), simulator.password())),
        None,
        "",
    )
    .await;
    assert_eq!(answer.status(), Some(200));
    assert!(
        started.elapsed() <= SLACK,
        "served without waiting for the 30 s idle timeout: {:?}",
        started.elapsed()
    );
    // At least one idle connection was closed to make room.
    let mut closed = 0;
    for mut stream in idle {
        if until_closed(&mut stream, secs(0.5)).await.1.is_some() {
            closed += 1;
        }
    }
    assert!(closed >= 1, "an idle connection gave up its place");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_stalled_connections_neither_stop_answers_nor_stay_open() {
    // The case: a few hundred connections that send half a request or nothing.
    let simulator = Simulator::builder()
        .header_read_timeout(secs(1.0))
        .start()
        .await
        .unwrap();
    let mut stalled = Vec::new();
    for n in 0..300 {
        let mut stream = TcpStream::connect(address(&simulator)).await.unwrap();
        if n % 2 == 1 {
            stream
                .write_all(b"POST /payments/v1/sessions HTTP/1.1\r\nHost: x\r\n")
                .await
                .unwrap();
        }
        stalled.push(stream);
    }
    let started = Instant::now();
    let answer = exchange(
        simulator.base_url(),
        "GET",
        "/simulator/v1/faults",
        Some((simulator.username(), simulator.password())),
        None,
        "",
    )
    .await;
    assert_eq!(answer.status(), Some(200));
    assert!(started.elapsed() < secs(1.0), "{:?}", started.elapsed());
    for mut stream in stalled {
        let (_, closed) = until_closed(&mut stream, secs(1.0) + SLACK).await;
        assert!(closed.is_some(), "every stalled connection was closed");
    }
}

#[tokio::test]
async fn shutdown_is_not_held_up_by_a_stalled_connection() {
    let simulator = limited(secs(1.0), secs(30.0), 64).start().await.unwrap();
    let mut stream = TcpStream::connect(address(&simulator)).await.unwrap();
    stream.write_all(b"GET /payments/v1/sess").await.unwrap();
    tokio::time::sleep(secs(0.2)).await;
    tokio::time::timeout(secs(1.0) + SLACK, simulator.shutdown())
        .await
        .expect("shutdown finished within the header-read timeout");
}

#[tokio::test]
async fn shutdown_closes_silent_and_idle_connections_at_once() {
    let simulator = limited(secs(5.0), secs(30.0), 64).start().await.unwrap();
    let mut silent = TcpStream::connect(address(&simulator)).await.unwrap();
    let mut idle = TcpStream::connect(address(&simulator)).await.unwrap();
    idle.write_all(keep_alive_request(&simulator).as_bytes())
        .await
        .unwrap();
    assert_eq!(read_answer(&mut idle).await, 200);
    tokio::time::sleep(secs(0.2)).await;
    let started = Instant::now();
    tokio::time::timeout(secs(5.0), simulator.shutdown())
        .await
        .expect("shutdown finished");
    assert!(
        started.elapsed() < secs(2.0),
        "not held up until the 5 s timeout: {:?}",
        started.elapsed()
    );
    for stream in [&mut silent, &mut idle] {
        assert!(until_closed(stream, secs(1.0)).await.1.is_some());
    }
}

#[tokio::test]
async fn the_binary_takes_the_connection_options() {
    let binary = start_binary(&[
        "--header-read-timeout",
        "1",
        "--idle-timeout",
        "0.5",
        "--max-connections",
        "16",
    ]);
    let address = binary.base_url.trim_start_matches("http://").to_string();
    let mut stream = TcpStream::connect(&address).await.unwrap();
    let (_, closed) = until_closed(&mut stream, secs(1.0) + SLACK).await;
    let closed = closed.expect("the silent connection is closed");
    assert!(closed >= secs(0.8), "{closed:?}");
}
