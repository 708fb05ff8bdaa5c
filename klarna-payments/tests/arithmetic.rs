//! Klarna's order arithmetic: every valid case from Klarna's rules passes, and each
//! rule, when broken, is reported with its field path, expected and actual values.

use klarna_payments::arithmetic::{
    ArithmeticRule, ArithmeticViolation, OrderView, check_order, line_amounts, order_amounts,
};
use klarna_payments::types::{OrderLine, OrderLineType};

fn line(
    kind: OrderLineType,
    quantity: i64,
    unit_price: i64,
    discount: i64,
    rate: i64,
    total: i64,
    tax: i64,
) -> OrderLine {
    // Decoded rather than built: the request builder would refuse the values the
    // overflow test needs (a negative discount, a quantity past the spec's range).
    serde_json::from_value(serde_json::json!({
        "type": kind,
        "name": "item",
        "quantity": quantity,
        "unit_price": unit_price,
        "total_discount_amount": discount,
        "tax_rate": rate,
        "total_amount": total,
        "total_tax_amount": tax,
    }))
    .unwrap()
}

fn check(country: &str, amount: i64, tax: i64, lines: &[OrderLine]) -> Vec<ArithmeticViolation> {
    check_order(&OrderView {
        purchase_country: Some(country),
        order_amount: Some(amount),
        order_tax_amount: Some(tax),
        order_lines: Some(lines),
    })
}

use OrderLineType::*;

#[test]
fn klarnas_worked_examples_pass() {
    // total 59500 at 20% -> 9917; total 9500 at 25% -> 1900.
    assert_eq!(
        line_amounts(59500, 1, 0, 2000).unwrap().total_tax_amount,
        9917
    );
    assert_eq!(
        line_amounts(9500, 1, 0, 2500).unwrap().total_tax_amount,
        1900
    );
    let lines = [
        line(Physical, 1, 59500, 0, 2000, 59500, 9917),
        line(Physical, 1, 9500, 0, 2500, 9500, 1900),
    ];
    assert_eq!(check("SE", 69000, 11817, &lines), vec![]);
    // ±1 on the line tax is accepted.
    let lines = [line(Physical, 1, 59500, 0, 2000, 59500, 9916)];
    assert_eq!(check("SE", 59500, 9916, &lines), vec![]);
}

#[test]
fn discounts_zero_tax_and_shipping_pass() {
    let lines = [
        line(Physical, 2, 10000, 2000, 2500, 18000, 3600),
        line(Discount, 1, -1000, 0, 2500, -1000, -200),
        line(ShippingFee, 1, 500, 0, 2500, 500, 100),
        line(Digital, 3, 999, 0, 0, 2997, 0),
    ];
    assert_eq!(check("DE", 20497, 3500, &lines), vec![]);
}

#[test]
fn us_sales_tax_lines_pass() {
    let lines = [
        line(Physical, 1, 10000, 0, 0, 10000, 0),
        line(SalesTax, 1, 825, 0, 0, 825, 0),
    ];
    assert_eq!(check("US", 10825, 825, &lines), vec![]);
    assert_eq!(order_amounts("US", &lines).unwrap().order_tax_amount, 825);
}

#[test]
fn helpers_produce_orders_that_pass() {
    let a = line_amounts(2975, 2, 500, 2000).unwrap();
    let b = line_amounts(1299, 7, 0, 1200).unwrap();
    let lines = [
        line(
            Physical,
            2,
            2975,
            500,
            2000,
            a.total_amount,
            a.total_tax_amount,
        ),
        line(
            Physical,
            7,
            1299,
            0,
            1200,
            b.total_amount,
            b.total_tax_amount,
        ),
    ];
    let totals = order_amounts("SE", &lines).unwrap();
    assert_eq!(
        check("SE", totals.order_amount, totals.order_tax_amount, &lines),
        vec![]
    );
    assert_eq!(
        line_amounts(i64::MAX, 2, 0, 0),
        None,
        "overflow is reported, not a panic"
    );
}

fn rules(found: &[ArithmeticViolation]) -> Vec<(&str, ArithmeticRule, i64, i64)> {
    found
        .iter()
        .map(|v| (v.field.as_str(), v.rule, v.expected, v.actual))
        .collect()
}

#[test]
fn every_broken_rule_is_reported_with_path_expected_and_actual() {
    let lines = [
        line(Physical, 2, 1000, 0, 2500, 2100, 420), // total wrong (2000), tax fits 2100
        line(Physical, 1, 1000, 0, 2500, 1000, 150), // tax wrong (200)
        line(Discount, 1, 500, 0, 2500, 500, 100),   // positive discount
    ];
    let found = check("SE", 9999, 1, &lines);
    assert_eq!(
        rules(&found),
        vec![
            (
                "order_lines[0].total_amount",
                ArithmeticRule::LineTotal,
                2000,
                2100
            ),
            (
                "order_lines[1].total_tax_amount",
                ArithmeticRule::LineTax,
                200,
                150
            ),
            (
                "order_lines[2].total_amount",
                ArithmeticRule::DiscountSign,
                0,
                500
            ),
            (
                "order_lines[2].total_tax_amount",
                ArithmeticRule::DiscountSign,
                0,
                100
            ),
            ("order_amount", ArithmeticRule::OrderAmount, 3600, 9999),
            ("order_tax_amount", ArithmeticRule::OrderTaxAmount, 670, 1),
        ]
    );
    assert_eq!(
        found[1].to_string(),
        "order_lines[1].total_tax_amount is 150, expected 200 ±1 (the tax included in total_amount at tax_rate)"
    );
}

#[test]
fn us_orders_must_carry_tax_in_a_sales_tax_line() {
    let lines = [line(Physical, 1, 10000, 0, 825, 10000, 762)];
    assert_eq!(
        rules(&check("US", 10000, 762, &lines)),
        vec![
            (
                "order_lines[0].tax_rate",
                ArithmeticRule::UsSalesTax,
                0,
                825
            ),
            (
                "order_lines[0].total_tax_amount",
                ArithmeticRule::UsSalesTax,
                0,
                762
            ),
            ("order_tax_amount", ArithmeticRule::OrderTaxAmount, 0, 762),
        ]
    );
}

#[test]
fn huge_values_do_not_overflow_or_panic() {
    let lines = [line(
        Physical,
        i64::MAX,
        i64::MAX,
        i64::MIN,
        10000,
        i64::MAX,
        i64::MAX,
    )];
    let found = check("SE", i64::MAX, i64::MIN, &lines);
    assert!(!found.is_empty());
}
