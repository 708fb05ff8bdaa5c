//! Extreme amounts (issue 21): the arithmetic helpers and checks never panic, on any
//! `i64`; a value no `i64` can hold is `None` from a helper and a violation from a check,
//! and whatever does fit is computed exactly.

use klarna_payments::arithmetic::{
    ArithmeticRule, ArithmeticViolation, OrderView, check_order, check_update_totals, line_amounts,
    order_amounts,
};
use klarna_payments::types::OrderLine;

const EXTREMES: [i64; 9] = [
    i64::MIN,
    i64::MIN + 1,
    -10_001,
    -10_000,
    -1,
    0,
    1,
    10_000,
    i64::MAX,
];

fn line(kind: &str, quantity: i64, unit_price: i64, rate: i64, total: i64, tax: i64) -> OrderLine {
    // Decoded rather than built: the request builder refuses such values.
    serde_json::from_value(serde_json::json!({
        "type": kind,
        "name": "item",
        "quantity": quantity,
        "unit_price": unit_price,
        "tax_rate": rate,
        "total_amount": total,
        "total_tax_amount": tax,
    }))
    .unwrap()
}

fn rules(found: &[ArithmeticViolation]) -> Vec<(&str, ArithmeticRule)> {
    found.iter().map(|v| (v.field.as_str(), v.rule)).collect()
}

#[test]
fn line_amounts_never_panic_and_are_exact_where_they_fit() {
    for price in EXTREMES {
        for quantity in EXTREMES {
            for discount in EXTREMES {
                for rate in EXTREMES {
                    let _ = line_amounts(price, quantity, discount, rate);
                }
            }
        }
    }
    // The largest total at the largest rate: the tax fits, and is exact
    // (MAX * MAX / (MAX + 10000) = MAX - 10000 + a tiny fraction).
    assert_eq!(
        line_amounts(i64::MAX, 1, 0, i64::MAX),
        Some(klarna_payments::arithmetic::LineAmounts {
            total_amount: i64::MAX,
            total_tax_amount: i64::MAX - 10_000,
        })
    );
    assert_eq!(
        line_amounts(i64::MIN, 1, 0, i64::MAX).map(|a| a.total_tax_amount),
        Some(i64::MIN + 10_000)
    );
    // Totals past i64, and a rate with no tax share (10000 + rate <= 0).
    assert_eq!(line_amounts(i64::MAX, i64::MAX, 0, 10_000), None);
    assert_eq!(line_amounts(i64::MIN, -1, 0, 0), None);
    assert_eq!(line_amounts(1, 1, i64::MIN, 0), None);
    assert_eq!(line_amounts(100, 1, 0, -10_000), None);
    assert_eq!(line_amounts(100, 1, 0, i64::MIN), None);
    // A negative rate whose tax would not fit.
    assert_eq!(line_amounts(i64::MAX, 1, 0, -9_999), None);
}

#[test]
fn order_sums_past_i64_are_none_not_a_panic() {
    let big = line("physical", 1, i64::MAX, 0, i64::MAX, i64::MAX);
    let small = line("physical", 1, i64::MIN, 0, i64::MIN, i64::MIN);
    assert_eq!(order_amounts("SE", &[big.clone(), big.clone()]), None);
    assert_eq!(order_amounts("SE", &[small.clone(), small.clone()]), None);
    let even = order_amounts("SE", &[big.clone(), small.clone()]).unwrap();
    assert_eq!((even.order_amount, even.order_tax_amount), (-1, -1));
    let tax_line = line("sales_tax", 1, i64::MAX, 0, i64::MAX, 0);
    assert_eq!(order_amounts("US", &[tax_line.clone(), tax_line]), None);
}

#[test]
fn check_order_on_extreme_lines_reports_instead_of_panicking() {
    for kind in ["physical", "discount", "sales_tax"] {
        for country in ["SE", "US"] {
            for quantity in EXTREMES {
                for rate in EXTREMES {
                    for total in EXTREMES {
                        for tax in [i64::MIN, 0, i64::MAX] {
                            let lines = [line(kind, quantity, i64::MAX, rate, total, tax)];
                            for sent in [i64::MIN, 0, i64::MAX] {
                                let order = OrderView {
                                    purchase_country: Some(country),
                                    order_amount: Some(sent),
                                    order_tax_amount: Some(sent),
                                    order_lines: Some(&lines),
                                };
                                let _ = check_order(&order);
                                let _ = check_update_totals(&order);
                            }
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn a_line_tax_off_by_more_than_128_bits_hold_is_a_line_tax_violation() {
    // tax * (10000 + rate) - total * rate is below i128::MIN here.
    let lines = [line("physical", 1, i64::MAX, i64::MAX, i64::MAX, i64::MIN)];
    let found = check_order(&OrderView {
        purchase_country: Some("SE"),
        order_amount: Some(i64::MAX),
        order_tax_amount: Some(i64::MIN),
        order_lines: Some(&lines),
    });
    assert_eq!(
        rules(&found),
        vec![("order_lines[0].total_tax_amount", ArithmeticRule::LineTax)]
    );
    assert_eq!(found[0].expected, i64::MAX - 10_000);
}

#[test]
fn sums_that_no_amount_can_hold_are_overflow_violations() {
    let big = line("physical", 1, i64::MAX, 0, i64::MAX, 0);
    let lines = [big.clone(), big];
    let found = check_order(&OrderView {
        purchase_country: Some("SE"),
        order_amount: Some(i64::MAX),
        order_tax_amount: Some(0),
        order_lines: Some(&lines),
    });
    assert_eq!(
        rules(&found),
        vec![("order_amount", ArithmeticRule::Overflow)]
    );
    assert_eq!(found[0].actual, i64::MAX);
    assert!(
        found[0].to_string().contains("order_amount"),
        "{}",
        found[0]
    );

    // A line whose quantity × unit_price no amount can hold.
    let lines = [line("physical", i64::MAX, i64::MAX, 0, i64::MAX, 0)];
    let found = check_order(&OrderView {
        purchase_country: Some("SE"),
        order_amount: Some(i64::MAX),
        order_tax_amount: Some(0),
        order_lines: Some(&lines),
    });
    assert_eq!(
        rules(&found),
        vec![("order_lines[0].total_amount", ArithmeticRule::Overflow)]
    );

    // An update without totals whose lines add up past i64: not "expected 0".
    let lines = [
        line("physical", 1, i64::MIN, 0, i64::MIN, 0),
        line("physical", 1, -1, 0, -1, 0),
    ];
    let found = check_update_totals(&OrderView {
        purchase_country: Some("SE"),
        order_amount: None,
        order_tax_amount: None,
        order_lines: Some(&lines),
    });
    assert_eq!(
        rules(&found),
        vec![
            ("order_amount", ArithmeticRule::Overflow),
            ("order_tax_amount", ArithmeticRule::UpdateTotals),
        ]
    );
    assert_eq!(found[0].expected, i64::MIN);
    assert_eq!(found[1].expected, 0);
}

#[test]
fn ordinary_orders_still_pass() {
    let a = line_amounts(2975, 2, 500, 2000).unwrap();
    assert_eq!((a.total_amount, a.total_tax_amount), (5450, 908));
    let b = line_amounts(-1000, 1, 0, 2500).unwrap();
    assert_eq!((b.total_amount, b.total_tax_amount), (-1000, -200));
    let lines = [
        line("physical", 1, 5450, 2000, 5450, 908),
        line("discount", 1, -1000, 2500, -1000, -200),
    ];
    let totals = order_amounts("SE", &lines).unwrap();
    let order = OrderView {
        purchase_country: Some("SE"),
        order_amount: Some(totals.order_amount),
        order_tax_amount: Some(totals.order_tax_amount),
        order_lines: Some(&lines),
    };
    assert_eq!(check_order(&order), vec![]);
    assert_eq!(check_update_totals(&order), vec![]);
}
