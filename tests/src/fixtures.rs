//! Request bodies the tests share, built with the crate's arithmetic helpers so that
//! they satisfy Klarna's order rules.

use klarna_payments::arithmetic::line_amounts;
use klarna_payments::types::{OrderLine, OrderLineType};

/// A physical order line of `quantity` × `unit_price` at `tax_rate`, with the totals
/// Klarna expects.
pub fn order_line(name: &str, unit_price: i64, quantity: i64, tax_rate: i64) -> OrderLine {
    let amounts = line_amounts(unit_price, quantity, 0, tax_rate).expect("test amounts are small");
    OrderLine::builder()
        .type_(OrderLineType::Physical)
        .name(name)
        .quantity(quantity)
        .unit_price(unit_price)
        .tax_rate(tax_rate)
        .total_amount(amounts.total_amount)
        .total_tax_amount(amounts.total_tax_amount)
        .try_into()
        .expect("a valid order line")
}
