//! Klarna's order arithmetic, derived by the request builders, and a mistake caught
//! before sending. Run: `cargo run -p klarna-payments --example arithmetic`

use klarna_payments::request::{OrderLineBuilder, SessionCreateBuilder};
use klarna_payments::validation::{Checks, validate};

fn main() {
    let body = SessionCreateBuilder::new()
        .purchase_country("SE")
        .purchase_currency("SEK")
        .order_lines([
            OrderLineBuilder::new()
                .name("Trail shoe")
                .quantity(1)
                .unit_price(129_900)
                .total_discount_amount(10_000)
                .tax_rate(2500),
            OrderLineBuilder::new()
                .name("Socks (3-pack)")
                .quantity(2)
                .unit_price(14_900)
                .tax_rate(2500),
            OrderLineBuilder::new()
                .type_("shipping_fee")
                .name("Express")
                .quantity(1)
                .unit_price(4_900)
                .tax_rate(2500),
        ])
        .build()
        .expect("a valid body");
    println!(
        "order_amount {} order_tax_amount {:?}; violations: {}",
        body.order_amount,
        body.order_tax_amount,
        validate(&body, Checks::default()).len()
    );

    // A typical mistake: tax computed on the price without tax.
    let mut wrong = body;
    wrong.order_lines[0].total_tax_amount = Some(119_900 * 2500 / 10_000);
    for violation in validate(&wrong, Checks::default()) {
        println!("caught before sending: {violation}");
    }
}
