//! The five-minute tour: `cargo run --example quickstart`
//!
//! Starts a local Klarna simulator in-process (no credentials, no network), unless
//! `KLARNA_USERNAME` and `KLARNA_PASSWORD` are set, in which case it talks to Klarna's
//! playground (`KLARNA_REGION` picks the region). It runs a whole checkout: creates a
//! session from a cart, reads it, updates it after a cart change (a discount code),
//! lets the shopper approve (the simulator stands in for Klarna's widget), places the
//! order with the authorization token, and reads the session again (`complete`). It
//! also shows a mistake caught before sending and a rejection by the server with its
//! correlation id.

use klarna_payments::request::{
    OrderCreateBuilder, OrderLineBuilder, SessionCreateBuilder, SessionUpdateBuilder,
};
use klarna_payments::{Client, Error};
use klarna_simulator::{Approval, Authorized, Simulator};

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
    let shoe = OrderLineBuilder::new()
        .name("Trail running shoe")
        .quantity(1)
        .unit_price(129_900)
        .tax_rate(2500);
    let socks = OrderLineBuilder::new()
        .name("Merino socks")
        .quantity(2)
        .unit_price(14_900)
        .tax_rate(2500);
    let cart = SessionCreateBuilder::new()
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

    // 3. Read it back; then the shopper adds express delivery and a discount code.
    let session = client.read_session(&created.session_id).await?;
    println!(
        "[read]   status {:?}, order {:?}",
        session.status, session.order_amount
    );
    let express = OrderLineBuilder::new()
        .type_("shipping_fee")
        .name("Express")
        .quantity(1)
        .unit_price(9_900)
        .tax_rate(2500);
    // A discount is a line of its own with a negative price (tax included).
    let discount = OrderLineBuilder::new()
        .type_("discount")
        .name("10% off shoes")
        .quantity(1)
        .unit_price(-12_990)
        .tax_rate(2500);
    let change =
        SessionUpdateBuilder::from(session.value()).order_lines([shoe, socks, express, discount]);
    let updated = client.update_session(&created.session_id, change).await?;
    println!("[update] HTTP {}", updated.http_status());

    // 4. The shopper approves in Klarna's widget, which hands the page an authorization
    //    token. Against Klarna that takes a browser; the simulator approves on request.
    let Some(simulator) = &simulator else {
        println!("[order]  skipped: approving a purchase takes a shopper in Klarna's widget");
        return Ok(());
    };
    let Authorized::Approved {
        authorization_token,
    } = simulator.authorize(&created.session_id, Approval::default())?
    else {
        return Err("the simulator declined the purchase".into());
    };
    println!("[widget] approved; the page sends the authorization token to the backend");

    // 5. Place the order: the session as approved, plus the merchant's own details.
    let session = client.read_session(&created.session_id).await?;
    let order = OrderCreateBuilder::from(session.value())
        .merchant_reference1("ORDER-42")
        .merchant_urls(
            klarna_payments::request::MerchantUrlsBuilder::new()
                .confirmation("https://shop.example/thanks?order={order.id}"),
        );
    let placed = client.create_order(&authorization_token, order).await?;
    println!(
        "[order]  order {} placed, fraud status {:?}, shopper goes to {:?}",
        placed.order_id,
        placed.fraud_status.as_ref().map(|s| s.as_str()),
        placed.redirect_url
    );
    let session = client.read_session(&created.session_id).await?;
    println!("[read]   status {:?}", session.status);

    // 6. A mistake caught before anything is sent: a hand-typed total that does not fit.
    let wrong = cart.clone().order_amount(1);
    if let Err(Error::InvalidRequest(invalid)) = client.create_session(wrong).await {
        println!("[check]  not sent: {invalid}");
    }

    // 7. Something only the server knows: Sweden does not pay in US dollars.
    if let Err(error) = client.create_session(cart.purchase_currency("USD")).await {
        println!("[server] {error}");
    }
    Ok(())
}
