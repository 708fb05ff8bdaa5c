//! An example shop with Klarna's checkout, offline: `cargo run -p klarna-simulator --example shop`
//!
//! Starts a Klarna simulator in-process and the shop (`app.rs`) beside it, both on
//! 127.0.0.1, and prints the shop's URL: open it in a browser, press Pay and approve
//! (or decline) in the simulator's dialog. `{shop}/?multistep=1` is the multi-step
//! checkout (approve, then confirm). The page loads the simulator's drop-in for Klarna's
//! JavaScript SDK, `{simulator}/kp/lib/v1/api.js`; the backend uses `klarna-payments`.
//! Ctrl-C stops both.

// The shop's inspection methods (`orders`, `sessions`) are for the browser tests.
#[allow(dead_code)]
mod app;

use std::time::Duration;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let simulator = klarna_simulator::Simulator::start().await?;
    let client = simulator.client_builder().build()?;
    let sdk_url = format!("{}/kp/lib/v1/api.js", simulator.base_url());
    // If the tab is closed after the approval, Klarna's authorization callback still
    // reaches the shop, which places the order after giving the page this long.
    let shop = app::start(client, sdk_url, Duration::from_secs(10)).await?;
    println!("Klarna simulator at {}", simulator.base_url());
    println!(
        "Shop at {}/  (multi-step checkout: {}/?multistep=1)",
        shop.url(),
        shop.url()
    );
    tokio::signal::ctrl_c().await?;
    simulator.shutdown().await;
    Ok(())
}
