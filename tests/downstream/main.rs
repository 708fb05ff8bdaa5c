//! A user's application: its own `reqwest::Client::new()` beside klarna-payments, then
//! the quickstart's calls against the simulator.

use klarna_payments::arithmetic::line_amounts;
use klarna_payments::request::{OrderLineBuilder, SessionCreateBuilder, SessionUpdateBuilder};
use klarna_payments::types::OrderLineType;
use klarna_payments::{Client, Credentials, Environment, ErrorCode, Region};

#[tokio::main]
async fn main() {
    let feature = std::env::args().nth(1).unwrap_or_default();
    let simulator = klarna_simulator::Simulator::start()
        .await
        .expect("the simulator starts");

    // The application's own client, built the plain way, must work with any feature.
    let own = reqwest::Client::new();
    let status = own
        .get(format!("{}/payments/v1/sessions/x", simulator.base_url()))
        .send()
        .await
        .expect("the application's own client reaches the simulator")
        .status();
    assert_eq!(status.as_u16(), 401);
    let https = reqwest::Client::builder()
        .build()
        .expect("an HTTPS-capable client builds");
    assert!(https.get("https://127.0.0.1:9/").send().await.is_err());

    // A production client (HTTPS) can be configured.
    Client::builder()
        .region(Region::Europe)
        .environment(Environment::Playground)
        .credentials(Credentials::new("PK1_demo", "secret"))
        .build()
        .expect("an HTTPS client builds with a TLS feature");

    let client = Client::builder()
        .base_url(simulator.base_url())
        .credentials(Credentials::new(simulator.username(), simulator.password()))
        .build()
        .expect("a client for the simulator");
    let amounts = line_amounts(12_900, 2, 0, 2500).expect("small amounts");
    // The builder derives the line's and the order's totals.
    let line = OrderLineBuilder::new()
        .type_(OrderLineType::Physical)
        .name("Trail shoe")
        .quantity(2)
        .unit_price(12_900)
        .tax_rate(2500);
    let created = client
        .create_session(
            SessionCreateBuilder::new()
                .purchase_country("SE")
                .purchase_currency("SEK")
                .locale("sv-SE")
                .order_lines([line]),
        )
        .await
        .expect("create");
    let read = client.read_session(&created.session_id).await.expect("read");
    assert_eq!(read.order_amount, Some(amounts.total_amount));
    assert_eq!(read.order_tax_amount, Some(amounts.total_tax_amount));
    client
        .update_session(
            &created.session_id,
            SessionUpdateBuilder::new().merchant_reference1("ORDER-7"),
        )
        .await
        .expect("update");
    client
        .cancel_session(&created.session_id)
        .await
        .expect("cancel");
    let gone = client.read_session(&created.session_id).await.unwrap_err();
    assert_eq!(gone.as_api().and_then(|a| a.code.clone()), Some(ErrorCode::NotFound));
    println!("downstream app OK with feature {feature}");
}
