//! The five-minute tour: `cargo run --example quickstart`
//!
//! Starts a local Klarna simulator in-process (no credentials, no network), unless
//! `KLARNA_USERNAME` and `KLARNA_PASSWORD` are set, in which case it talks to Klarna's
//! playground (`KLARNA_REGION` picks the region). It creates a session from a cart,
//! reads it, updates it after a cart change, and shows a mistake caught before sending
//! and a rejection by the server with its correlation id.

use klarna_payments::request::{OrderLine, SessionCreate, SessionUpdate};
use klarna_payments::{Client, Error};
use klarna_simulator::Simulator;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. A client: the real playground if credentials are set, else a local simulator.
    let simulator = match std::env::var_os("KLARNA_USERNAME") {
        Some(_) => None,
        None => Some(Simulator::start().await?),
    };
    let client = match &simulator {
        None => Client::from_env()?,
        Some(simulator) => simulator.client_builder().build()?,
    };
    println!("Klarna at {}", client.base_url());

    // 2. Open a session from the cart: every amount Klarna checks is derived.
    let shoe = OrderLine::new()
        .name("Trail running shoe")
        .quantity(1)
        .unit_price(129_900)
        .tax_rate(2500);
    let socks = OrderLine::new()
        .name("Merino socks")
        .quantity(2)
        .unit_price(14_900)
        .tax_rate(2500);
    let cart = SessionCreate::new()
        .purchase_country("SE")
        .purchase_currency("SEK")
        .locale("sv-SE")
        .merchant_reference1("ORDER-42")
        .order_lines([shoe.clone(), socks.clone()]);
    let created = client.create_session(cart.clone()).await?;
    println!(
        "[create] session {} ({:?})",
        created.session_id,
        created.correlation_id()
    );

    // 3. Read it back; then the shopper adds express delivery.
    let session = client.read_session(&created.session_id).await?;
    println!(
        "[read]   status {:?}, order {:?}",
        session.status, session.order_amount
    );
    let express = OrderLine::new()
        .type_("shipping_fee")
        .name("Express")
        .quantity(1)
        .unit_price(9_900)
        .tax_rate(2500);
    let change = SessionUpdate::from(session.value()).order_lines([shoe, socks, express]);
    let updated = client.update_session(&created.session_id, change).await?;
    println!("[update] HTTP {}", updated.http_status());

    // 4. A mistake caught before anything is sent: a hand-typed total that does not fit.
    let wrong = cart.clone().order_amount(1);
    if let Err(Error::InvalidRequest(invalid)) = client.create_session(wrong).await {
        println!("[check]  not sent: {invalid}");
    }

    // 5. Something only the server knows: Sweden does not pay in US dollars.
    if let Err(error) = client.create_session(cart.purchase_currency("USD")).await {
        println!("[server] {error}");
    }
    Ok(())
}
