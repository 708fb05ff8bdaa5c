//! Let the helpers do Klarna's order arithmetic, and see a mistake caught before
//! sending. Run: `cargo run -p klarna-payments --example arithmetic`

use klarna_payments::arithmetic::{line_amounts, order_amounts};
use klarna_payments::types::{OrderLine, OrderLineType, SessionCreate};
use klarna_payments::validation::{Checks, validate};

fn line(
    kind: OrderLineType,
    name: &str,
    unit_price: i64,
    quantity: i64,
    discount: i64,
    rate: i64,
) -> OrderLine {
    let amounts = line_amounts(unit_price, quantity, discount, rate).expect("amounts fit in i64");
    OrderLine::builder()
        .type_(kind)
        .name(name)
        .unit_price(unit_price)
        .quantity(quantity)
        .total_discount_amount(discount)
        .tax_rate(rate)
        .total_amount(amounts.total_amount)
        .total_tax_amount(amounts.total_tax_amount)
        .try_into()
        .expect("a valid line")
}

fn main() {
    let lines = vec![
        line(
            OrderLineType::Physical,
            "Trail shoe",
            129_900,
            1,
            10_000,
            2500,
        ),
        line(
            OrderLineType::Physical,
            "Socks (3-pack)",
            14_900,
            2,
            0,
            2500,
        ),
        line(OrderLineType::ShippingFee, "Express", 4_900, 1, 0, 2500),
    ];
    let totals = order_amounts("SE", &lines).expect("totals fit in i64");
    println!(
        "order_amount {} order_tax_amount {}",
        totals.order_amount, totals.order_tax_amount
    );

    let body: SessionCreate = SessionCreate::builder()
        .purchase_country("SE")
        .purchase_currency("SEK")
        .order_amount(totals.order_amount)
        .order_tax_amount(totals.order_tax_amount)
        .order_lines(lines.clone())
        .try_into()
        .expect("a valid body");
    println!(
        "violations in the computed order: {}",
        validate(&body, Checks::default()).len()
    );

    // A typical mistake: tax computed on the price without tax.
    let mut wrong = body;
    wrong.order_lines[0].total_tax_amount = Some(119_900 * 2500 / 10_000);
    for violation in validate(&wrong, Checks::default()) {
        println!("caught before sending: {violation}");
    }
}
