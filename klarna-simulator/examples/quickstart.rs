//! The five-minute tour: `cargo run --example quickstart`
//!
//! Starts a local Klarna simulator in-process (no credentials, no network), unless
//! `KLARNA_USERNAME` and `KLARNA_PASSWORD` are set, in which case it talks to Klarna's
//! playground (`KLARNA_REGION` picks the region). It creates a session, reads it,
//! updates the cart, reads it again, and shows an arithmetic mistake caught before
//! sending and a rejection by the server with its correlation id.

use klarna_payments::arithmetic::{line_amounts, order_amounts};
use klarna_payments::types::{OrderLine, OrderLineType, SessionCreate, SessionUpdate};
use klarna_payments::{Client, Credentials, Error};
use klarna_simulator::Simulator;

fn line(
    kind: OrderLineType,
    name: &str,
    unit_price: i64,
    quantity: i64,
    tax_rate: i64,
) -> OrderLine {
    let amounts = line_amounts(unit_price, quantity, 0, tax_rate).expect("small amounts");
    OrderLine::builder()
        .type_(kind)
        .name(name)
        .quantity(quantity)
        .unit_price(unit_price)
        .tax_rate(tax_rate)
        .total_amount(amounts.total_amount)
        .total_tax_amount(amounts.total_tax_amount)
        .try_into()
        .expect("a valid order line")
}

fn money(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, (minor % 100).abs())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. A client: the real playground if credentials are set, else a local simulator.
    let (client, _simulator) = if std::env::var_os("KLARNA_USERNAME").is_some() {
        let client = Client::from_env()?;
        println!(
            "Using Klarna at {} (credentials from KLARNA_*)",
            client.base_url()
        );
        (client, None)
    } else {
        let simulator = Simulator::start().await?;
        let client = Client::builder()
            .base_url(simulator.base_url())
            .credentials(Credentials::new(simulator.username(), simulator.password()))
            .application("quickstart", env!("CARGO_PKG_VERSION"))
            .build()?;
        println!(
            "Started a local Klarna simulator at {}",
            simulator.base_url()
        );
        (client, Some(simulator))
    };

    // 2. Create a session; the helpers compute every amount Klarna checks.
    let mut cart = vec![
        line(
            OrderLineType::Physical,
            "Trail running shoe",
            129_900,
            1,
            2500,
        ),
        line(OrderLineType::Physical, "Merino socks", 14_900, 2, 2500),
    ];
    let totals = order_amounts("SE", &cart).expect("small amounts");
    let created = client
        .create_session(
            SessionCreate::builder()
                .purchase_country("SE")
                .purchase_currency("SEK")
                .locale(klarna_payments::Text("sv-SE"))
                .order_amount(totals.order_amount)
                .order_tax_amount(totals.order_tax_amount)
                .order_lines(cart.clone()),
        )
        .await?;
    let categories: Vec<String> = created
        .payment_method_categories
        .iter()
        .flatten()
        .filter_map(|c| c.identifier.as_ref().map(ToString::to_string))
        .collect();
    println!("\n[create] session {}", created.session_id);
    println!(
        "         order SEK {} (tax {})",
        money(totals.order_amount),
        money(totals.order_tax_amount)
    );
    println!(
        "         payment method categories: {}",
        categories.join(", ")
    );
    println!(
        "         correlation id {}",
        created.correlation_id().unwrap_or("-")
    );

    // 3. Read it back.
    let session = client.read_session(&created.session_id).await?;
    println!(
        "\n[read]   status {}, expires at {}",
        session
            .status
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        session
            .expires_at
            .map(|t| t.to_rfc3339())
            .unwrap_or_default()
    );

    // 4. The shopper adds express delivery: update the cart.
    cart.push(line(
        OrderLineType::ShippingFee,
        "Express delivery",
        9_900,
        1,
        2500,
    ));
    let totals = order_amounts("SE", &cart).expect("small amounts");
    let updated = client
        .update_session(
            &created.session_id,
            SessionUpdate::builder()
                .order_amount(totals.order_amount)
                .order_tax_amount(totals.order_tax_amount)
                .order_lines(cart.clone()),
        )
        .await?;
    println!(
        "\n[update] {} (correlation id {})",
        updated.http_status(),
        updated.correlation_id().unwrap_or("-")
    );

    // 5. Read again: the new cart is there.
    let session = client.read_session(&created.session_id).await?;
    println!(
        "\n[read]   {} lines, order SEK {}",
        session.order_lines.as_deref().unwrap_or_default().len(),
        money(session.order_amount.unwrap_or_default())
    );

    // 6. A classic mistake, caught before anything is sent: tax computed on the net price.
    let mut wrong = cart.clone();
    wrong[0].total_tax_amount = Some(wrong[0].total_amount * 2500 / 10_000);
    let refused = client
        .update_session(
            &created.session_id,
            SessionUpdate::builder()
                .order_amount(totals.order_amount)
                .order_tax_amount(totals.order_tax_amount)
                .order_lines(wrong),
        )
        .await;
    if let Err(Error::InvalidRequest(invalid)) = refused {
        println!(
            "\n[check]  not sent, {} problem(s):",
            invalid.violations.len()
        );
        for violation in &invalid.violations {
            println!("         - {violation}");
        }
    }

    // 7. Something only the server knows: Sweden does not pay in US dollars.
    let rejected = client
        .create_session(
            SessionCreate::builder()
                .purchase_country("SE")
                .purchase_currency("USD")
                .order_amount(totals.order_amount)
                .order_tax_amount(totals.order_tax_amount)
                .order_lines(cart),
        )
        .await;
    match rejected {
        Err(Error::Api(api)) => {
            println!(
                "\n[server] rejected: {} {}",
                api.status,
                api.code.as_ref().map(|c| c.as_str()).unwrap_or("-")
            );
            println!("         messages: {}", api.messages.join("; "));
            println!(
                "         correlation id {} (quote it to Klarna support)",
                api.correlation_id.as_deref().unwrap_or("-")
            );
        }
        other => println!("\n[server] unexpected: {other:?}"),
    }
    println!("\nDone.");
    Ok(())
}
