//! Matching on the one error type. Run: `cargo run -p klarna-payments --example error_handling`
//! (it talks to a closed local port, so it shows a transport error; against Klarna or
//! the simulator the other arms apply).

use std::time::Duration;

use klarna_payments::{Client, Credentials, Error, ErrorCode, RetryPolicy};

async fn describe(client: &Client, session_id: &str) {
    match client.read_session(session_id).await {
        Ok(session) => println!(
            "status {:?}, correlation id {:?}",
            session.status,
            session.correlation_id()
        ),
        Err(Error::Api(api)) if api.code == Some(ErrorCode::NotFound) => {
            println!(
                "no such session (expired?); correlation id {:?}",
                api.correlation_id
            )
        }
        Err(Error::Api(api)) if api.status.as_u16() == 401 => {
            println!("check the credentials: {api}")
        }
        Err(Error::InvalidRequest(invalid)) => {
            for violation in &invalid.violations {
                println!("fix {}: {}", violation.field, violation.message);
            }
        }
        Err(error) if error.is_retryable() => println!("try again later ({error})"),
        Err(error) => println!(
            "giving up: {error} (correlation id {:?})",
            error.correlation_id()
        ),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let client = Client::builder()
        .base_url(format!("http://{closed_port}"))
        .credentials(Credentials::new("user", "secret"))
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(2)
                .initial_backoff(Duration::from_millis(50)),
        )
        .build()?;
    describe(&client, "0b1d9815-165e-42e2-8867-35bc03789e00").await;
    Ok(())
}
