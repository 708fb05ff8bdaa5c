//! Ways to configure a client. Run: `cargo run -p klarna-payments --example configuration`

use std::time::Duration;

use klarna_payments::validation::Checks;
use klarna_payments::{Client, Credentials, Environment, Region, RetryPolicy};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A region and environment; credentials are valid for exactly one of each.
    let eu_playground = Client::builder()
        .region(Region::Europe)
        .environment(Environment::Playground)
        .credentials(Credentials::new("PK12345_abcdef", "shared-secret"))
        .application("my-shop", "3.4.1") // appended to the User-Agent
        .build()?;
    println!("EU playground: {}", eu_playground.base_url());

    // A newer API key, North America production, tuned timeouts and retries.
    let na_production = Client::builder()
        .region(Region::NorthAmerica)
        .environment(Environment::Production)
        .credentials(Credentials::api_key("klarna_live_api_example"))
        .connect_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(15))
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(4)
                .max_elapsed(Duration::from_secs(20)),
        )
        .build()?;
    println!("NA production: {}", na_production.base_url());

    // A local simulator (plain http is allowed for loopback only), no retries, and the
    // pre-send checks switched off to see what the server itself says.
    let local = Client::builder()
        .base_url("http://127.0.0.1:8080")
        .credentials(Credentials::new("test", "test"))
        .retry_policy(RetryPolicy::none())
        .checks(Checks::NONE)
        .build()?;
    println!("local: {}", local.base_url());

    // Debug output never shows a secret.
    println!("{local:?}");

    // From KLARNA_USERNAME, KLARNA_PASSWORD, KLARNA_REGION / KLARNA_ENVIRONMENT or KLARNA_BASE_URL.
    match Client::from_env() {
        Ok(client) => println!("from the environment: {}", client.base_url()),
        Err(error) => println!("from the environment: {error}"),
    }
    Ok(())
}
