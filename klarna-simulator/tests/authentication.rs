//! HTTP Basic as RFC 9110 has it (issue 21): the scheme's name in any case, the
//! credentials exactly.

mod support;

use std::time::Duration;

use base64::Engine as _;
use klarna_simulator::{Simulator, SimulatorHandle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// `GET /simulator/v1/faults` (a request that needs the credentials and nothing else)
/// with this `Authorization` header value, or none; the status.
async fn status_with(simulator: &SimulatorHandle, authorization: Option<&str>) -> u16 {
    let address = simulator.base_url().trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).await.expect("connect");
    let mut request =
        format!("GET /simulator/v1/faults HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    if let Some(value) = authorization {
        request.push_str(&format!("Authorization: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("an answer within 10 s")
        .expect("read");
    let line = String::from_utf8_lossy(&answer);
    line.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {line:?}"))
}

fn token(user: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

#[tokio::test]
async fn the_basic_scheme_is_matched_in_any_case_and_the_credentials_exactly() {
    let simulator = Simulator::start().await.unwrap();
    let right = token(simulator.username(), simulator.password());
    for scheme in ["Basic", "basic", "BASIC", "bAsIc"] {
        assert_eq!(
            status_with(&simulator, Some(&format!("{scheme} {right}"))).await,
            200,
            "scheme {scheme:?}"
        );
    }
    // RFC 9110: one or more spaces between the scheme and the credentials.
    assert_eq!(
        status_with(&simulator, Some(&format!("basic   {right}"))).await,
        200
    );

    let wrong_password = token(simulator.username(), "not-the-password");
    let flipped_case = right.to_ascii_lowercase();
    assert_ne!(flipped_case, right);
    for refused in [
        format!("basic {wrong_password}"),
        format!("basic {flipped_case}"),
        format!("Bearer {right}"),
        format!("Basicx {right}"),
        format!("Basic{right}"),
        format!("basic {right}="),
        "basic".to_string(),
        "basic ".to_string(),
        String::new(),
    ] {
        assert_eq!(
            status_with(&simulator, Some(&refused)).await,
            401,
            "{refused:?}"
        );
    }
    assert_eq!(status_with(&simulator, None).await, 401);
}
