//! Request bodies the tests share, built with the crate's arithmetic helpers so that
//! they satisfy Klarna's order rules.

use klarna_payments::arithmetic::line_amounts;
use klarna_payments::request;
use klarna_payments::types::{OrderLine, OrderLineType, SessionCreate};

/// A physical order line of `quantity` × `unit_price` at `tax_rate`, with the totals
/// Klarna expects.
pub fn order_line(name: &str, unit_price: i64, quantity: i64, tax_rate: i64) -> OrderLine {
    let amounts = line_amounts(unit_price, quantity, 0, tax_rate).expect("test amounts are small");
    request::OrderLineBuilder::new()
        .type_(OrderLineType::Physical)
        .name(name)
        .quantity(quantity)
        .unit_price(unit_price)
        .tax_rate(tax_rate)
        .total_amount(amounts.total_amount)
        .total_tax_amount(amounts.total_tax_amount)
        .build()
        .expect("a valid order line")
}

/// A Swedish session builder for `lines`, with the order totals they add up to.
pub fn session_for(lines: Vec<OrderLine>) -> request::SessionCreateBuilder {
    let totals =
        klarna_payments::arithmetic::order_amounts("SE", &lines).expect("test amounts are small");
    request::SessionCreateBuilder::new()
        .purchase_country("SE")
        .purchase_currency("SEK")
        .order_amount(totals.order_amount)
        .order_tax_amount(totals.order_tax_amount)
        .order_lines(lines)
}

/// A Swedish session with one line of two shoes at 50.00 and 25% tax, totals included.
pub fn create_body() -> SessionCreate {
    session_for(vec![order_line("Shoe", 5000, 2, 2500)])
        .build()
        .expect("a valid session")
}
