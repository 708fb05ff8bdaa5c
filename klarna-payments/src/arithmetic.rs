//! Klarna's order arithmetic: the rules behind most `BAD_VALUE` rejections, checked
//! before a request leaves the process, and helpers that compute the amounts for you.
//!
//! All amounts are integers in minor units; tax rates are basis points (2500 = 25%).
//! Every sum and product is computed in 128 bits with checked operations, so no input
//! panics: a value the rules need that no `i64` can hold is `None` from the helpers and
//! an [`ArithmeticRule::Overflow`] violation from the checks.

use crate::types::{OrderLine, OrderLineType};

/// The amounts of one order line, as [`line_amounts`] computes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineAmounts {
    /// `quantity * unit_price - total_discount_amount`.
    pub total_amount: i64,
    /// The tax included in `total_amount` at the line's tax rate, rounded half away from zero.
    pub total_tax_amount: i64,
}

/// The order totals of a list of lines, as [`order_amounts`] computes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderAmounts {
    /// The sum of the lines' `total_amount`.
    pub order_amount: i64,
    /// The sum of the lines' `total_tax_amount`; in the US, the sum of the `sales_tax` lines.
    pub order_tax_amount: i64,
}

/// Computes a line's `total_amount` and `total_tax_amount` from its unit price,
/// quantity, discount and tax rate. `None` if the result does not fit an `i64`.
///
/// ```
/// use klarna_payments::arithmetic::line_amounts;
///
/// // 2 × 29.75 with a 5.00 discount at 20% tax.
/// let amounts = line_amounts(2975, 2, 500, 2000).unwrap();
/// assert_eq!(amounts.total_amount, 5450);
/// assert_eq!(amounts.total_tax_amount, 908);
/// ```
pub fn line_amounts(
    unit_price: i64,
    quantity: i64,
    total_discount_amount: i64,
    tax_rate: i64,
) -> Option<LineAmounts> {
    let total = line_total(quantity, unit_price, total_discount_amount)?;
    let total = i64::try_from(total).ok()?;
    let tax = rounded_tax(total, tax_rate)?;
    Some(LineAmounts {
        total_amount: total,
        total_tax_amount: i64::try_from(tax).ok()?,
    })
}

/// `quantity * unit_price - total_discount_amount`, exact (`None` only past 128 bits,
/// which two `i64` factors cannot reach).
fn line_total(quantity: i64, unit_price: i64, total_discount_amount: i64) -> Option<i128> {
    i128::from(quantity)
        .checked_mul(i128::from(unit_price))?
        .checked_sub(i128::from(total_discount_amount))
}

/// What a line adds to the order's tax: its `total_tax_amount`, or in the US the total
/// of a `sales_tax` line (and nothing for the other lines).
fn tax_share(us: bool, line: &OrderLine) -> i64 {
    match (us, is_sales_tax(line)) {
        (true, true) => line.total_amount,
        (true, false) => 0,
        (false, _) => line.total_tax_amount.unwrap_or(0),
    }
}

/// `sum + value`, `None` once a sum has overflowed.
fn add(sum: Option<i128>, value: i64) -> Option<i128> {
    sum?.checked_add(i128::from(value))
}

/// The sums of the lines' `total_amount` and of their [`tax_share`], each `None` if it
/// overflowed 128 bits (more than 2^64 lines would be needed).
fn order_sums(us: bool, lines: &[OrderLine]) -> (Option<i128>, Option<i128>) {
    let mut amount = Some(0);
    let mut tax = Some(0);
    for line in lines {
        amount = add(amount, line.total_amount);
        tax = add(tax, tax_share(us, line));
    }
    (amount, tax)
}

/// Computes `order_amount` and `order_tax_amount` for `lines`. In the US
/// (`purchase_country` `US`), tax travels in `sales_tax` lines, so the order's tax is
/// the sum of those lines' totals. `None` on overflow.
pub fn order_amounts(purchase_country: &str, lines: &[OrderLine]) -> Option<OrderAmounts> {
    let us = purchase_country.eq_ignore_ascii_case("US");
    let (amount, tax) = order_sums(us, lines);
    Some(OrderAmounts {
        order_amount: i64::try_from(amount?).ok()?,
        order_tax_amount: i64::try_from(tax?).ok()?,
    })
}

/// `total * rate / (10000 + rate)`, rounded half away from zero, exact; `None` when
/// `10000 + rate` is not positive. (The product of two `i64` fits 128 bits, and the
/// rounding works on the remainder, never on a doubled product.)
fn rounded_tax(total: i64, rate: i64) -> Option<i128> {
    let denominator = 10_000i128.checked_add(i128::from(rate))?;
    if denominator <= 0 {
        return None;
    }
    let product = i128::from(total).checked_mul(i128::from(rate))?;
    let magnitude = product.checked_abs()?;
    let quotient = magnitude.checked_div(denominator)?;
    let remainder = magnitude.checked_rem(denominator)?;
    // Half away from zero: up when the remainder is at least half the denominator.
    let rounded = if remainder >= denominator.checked_sub(remainder)? {
        quotient.checked_add(1)?
    } else {
        quotient
    };
    if product < 0 {
        rounded.checked_neg()
    } else {
        Some(rounded)
    }
}

/// Which of Klarna's rules a value breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ArithmeticRule {
    /// `total_amount = quantity * unit_price - total_discount_amount`.
    LineTotal,
    /// `total_tax_amount` within ±1 of `total_amount - total_amount * 10000 / (10000 + tax_rate)`.
    LineTax,
    /// A discount line's `total_amount` and `total_tax_amount` are zero or negative.
    DiscountSign,
    /// `order_amount = sum(total_amount)`.
    OrderAmount,
    /// `order_tax_amount = sum(total_tax_amount)` (in the US, the sum of the `sales_tax` lines).
    OrderTaxAmount,
    /// In the US, lines other than `sales_tax` carry `tax_rate` 0 and no tax.
    UsSalesTax,
    /// An update that sends `order_lines` also sends `order_amount` and
    /// `order_tax_amount`: Klarna merges an update into the stored session and checks the
    /// stored totals against the new lines.
    UpdateTotals,
    /// The value a rule needs for this field (a line's `quantity * unit_price -
    /// total_discount_amount` or its tax, or a sum of the lines) is beyond what an
    /// amount (`i64`) can hold, so no value of the field can be right. `expected` is the
    /// bound it passed (`i64::MAX` or `i64::MIN`).
    Overflow,
}

/// One broken arithmetic rule, with the value Klarna expects and the one sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArithmeticViolation {
    /// Klarna's path of the offending field, e.g. `order_lines[2].total_tax_amount`.
    pub field: String,
    /// The rule broken.
    pub rule: ArithmeticRule,
    /// What the field should hold (for [`ArithmeticRule::DiscountSign`], the bound: 0).
    pub expected: i64,
    /// What it holds.
    pub actual: i64,
}

impl std::fmt::Display for ArithmeticViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (field, expected, actual) = (&self.field, self.expected, self.actual);
        match self.rule {
            ArithmeticRule::LineTotal => write!(
                f,
                "{field} is {actual}, expected {expected} (quantity × unit_price − total_discount_amount)"
            ),
            ArithmeticRule::LineTax => write!(
                f,
                "{field} is {actual}, expected {expected} ±1 (the tax included in total_amount at tax_rate)"
            ),
            ArithmeticRule::DiscountSign => write!(
                f,
                "{field} is {actual}, but a discount line must not be positive"
            ),
            ArithmeticRule::OrderAmount => write!(
                f,
                "{field} is {actual}, expected {expected} (the sum of the lines' total_amount)"
            ),
            ArithmeticRule::OrderTaxAmount => write!(
                f,
                "{field} is {actual}, expected {expected} (the sum of the lines' tax)"
            ),
            ArithmeticRule::UsSalesTax => write!(
                f,
                "{field} is {actual}, expected {expected}: US orders carry tax in a separate sales_tax line"
            ),
            ArithmeticRule::Overflow => write!(
                f,
                "{field} cannot be right: what it must equal is beyond {expected}, the limit of \
                 an amount (check the lines' quantities, prices and amounts)"
            ),
            ArithmeticRule::UpdateTotals => write!(
                f,
                "{field} is missing, expected {expected}: an update that changes order_lines must send \
                 the totals that fit them, because Klarna checks the stored totals against the new lines"
            ),
        }
    }
}

/// The order fields the rules look at; shared by create and update requests.
#[derive(Clone, Copy, Debug)]
pub struct OrderView<'a> {
    /// `purchase_country`, when known.
    pub purchase_country: Option<&'a str>,
    /// `order_amount`, when sent.
    pub order_amount: Option<i64>,
    /// `order_tax_amount`, when sent.
    pub order_tax_amount: Option<i64>,
    /// `order_lines`, when sent.
    pub order_lines: Option<&'a [OrderLine]>,
}

fn is_sales_tax(line: &OrderLine) -> bool {
    matches!(line.type_, Some(OrderLineType::SalesTax))
}

fn is_discount(line: &OrderLine) -> bool {
    matches!(line.type_, Some(OrderLineType::Discount))
}

/// The violation of `rule` by field `name` of order line `line`, or of the order itself
/// (`None`). Out of line and marked cold: a consistent order never comes here, and its
/// check stays small.
#[cold]
#[inline(never)]
fn violation(
    line: Option<usize>,
    name: &str,
    rule: ArithmeticRule,
    expected: i128,
    actual: i64,
) -> ArithmeticViolation {
    ArithmeticViolation {
        field: match line {
            Some(i) => format!("order_lines[{i}].{name}"),
            None => name.into(),
        },
        rule,
        expected: clamp(expected),
        actual,
    }
}

/// Every arithmetic rule `order` breaks, in field order (empty when it is consistent).
/// Without `order_lines` nothing can be checked.
pub fn check_order(order: &OrderView<'_>) -> Vec<ArithmeticViolation> {
    let mut found = Vec::new();
    let Some(lines) = order.order_lines else {
        return found;
    };
    let us = order
        .purchase_country
        .is_some_and(|c| c.eq_ignore_ascii_case("US"));
    let mut sum_amount = Some(0);
    let mut sum_tax = Some(0);
    for (i, line) in lines.iter().enumerate() {
        let mut push = |name: &str, rule, expected: i128, actual: i64| {
            found.push(violation(Some(i), name, rule, expected, actual));
        };
        let discount = line.total_discount_amount.unwrap_or(0);
        let rate = line.tax_rate.unwrap_or(0);
        let tax = line.total_tax_amount.unwrap_or(0);
        let expected_total = line_total(line.quantity, line.unit_price, discount);
        if expected_total != Some(i128::from(line.total_amount)) {
            let (rule, expected) = rule_or_overflow(ArithmeticRule::LineTotal, expected_total);
            push("total_amount", rule, expected, line.total_amount);
        }
        let sales_tax_line = is_sales_tax(line);
        if us && !sales_tax_line {
            if rate != 0 {
                push("tax_rate", ArithmeticRule::UsSalesTax, 0, rate);
            }
            if tax != 0 {
                push("total_tax_amount", ArithmeticRule::UsSalesTax, 0, tax);
            }
        } else if !(us && sales_tax_line)
            && let Some(denominator) = 10_000i128.checked_add(i128::from(rate)).filter(|d| *d > 0)
        {
            // |tax - total*rate/(10000+rate)| <= 1, in exact integer arithmetic. A
            // difference past 128 bits is far beyond that.
            let off_by = i128::from(tax)
                .checked_mul(denominator)
                .zip(i128::from(line.total_amount).checked_mul(i128::from(rate)))
                .and_then(|(sent, owed)| sent.checked_sub(owed))
                .and_then(i128::checked_abs);
            if off_by.is_none_or(|off_by| off_by > denominator) {
                let expected = rounded_tax(line.total_amount, rate);
                let (rule, expected) = rule_or_overflow(ArithmeticRule::LineTax, expected);
                push("total_tax_amount", rule, expected, tax);
            }
        }
        if is_discount(line) {
            if line.total_amount > 0 {
                push(
                    "total_amount",
                    ArithmeticRule::DiscountSign,
                    0,
                    line.total_amount,
                );
            }
            if tax > 0 {
                push("total_tax_amount", ArithmeticRule::DiscountSign, 0, tax);
            }
        }
        sum_amount = add(sum_amount, line.total_amount);
        sum_tax = add(sum_tax, tax_share(us, line));
    }
    if let Some(amount) = order.order_amount
        && sum_amount != Some(i128::from(amount))
    {
        let (rule, expected) = rule_or_overflow(ArithmeticRule::OrderAmount, sum_amount);
        found.push(violation(None, "order_amount", rule, expected, amount));
    }
    // Klarna tolerates rounding of about one unit per line in the order's tax.
    let tolerance = i128::try_from(lines.len()).unwrap_or(i128::MAX);
    if let Some(tax_sent) = order.order_tax_amount {
        let off_by = sum_tax
            .and_then(|sum| i128::from(tax_sent).checked_sub(sum))
            .and_then(i128::checked_abs);
        if off_by.is_none_or(|off_by| off_by > tolerance) {
            let (rule, expected) = rule_or_overflow(ArithmeticRule::OrderTaxAmount, sum_tax);
            found.push(violation(
                None,
                "order_tax_amount",
                rule,
                expected,
                tax_sent,
            ));
        }
    }
    found
}

/// `rule` with the value it expects, or [`ArithmeticRule::Overflow`] with the bound
/// passed when that value is no `i64` (or could not be computed).
fn rule_or_overflow(rule: ArithmeticRule, expected: Option<i128>) -> (ArithmeticRule, i128) {
    match expected {
        Some(value) if i64::try_from(value).is_ok() => (rule, value),
        Some(value) => (ArithmeticRule::Overflow, value),
        None => (ArithmeticRule::Overflow, i128::MAX),
    }
}

/// The rule only updates have: Klarna merges an update into the stored session, so
/// new `order_lines` without `order_amount` and `order_tax_amount` would be checked
/// against the old totals. `expected` is what the lines add up to (a sum no amount can
/// hold is reported as [`ArithmeticRule::Overflow`]).
pub fn check_update_totals(order: &OrderView<'_>) -> Vec<ArithmeticViolation> {
    let Some(lines) = order.order_lines else {
        return Vec::new();
    };
    if order.order_amount.is_some() && order.order_tax_amount.is_some() {
        // Both totals sent: nothing to report, and the lines need not be added up.
        return Vec::new();
    }
    let us = order
        .purchase_country
        .is_some_and(|c| c.eq_ignore_ascii_case("US"));
    let (amount, tax) = order_sums(us, lines);
    let mut found = Vec::new();
    let fields = [
        ("order_amount", order.order_amount, amount),
        ("order_tax_amount", order.order_tax_amount, tax),
    ];
    for (field, sent, sum) in fields {
        if sent.is_none() {
            let (rule, expected) = rule_or_overflow(ArithmeticRule::UpdateTotals, sum);
            found.push(ArithmeticViolation {
                field: field.into(),
                rule,
                expected: clamp(expected),
                actual: 0,
            });
        }
    }
    found
}

fn clamp(value: i128) -> i64 {
    i64::try_from(value).unwrap_or(if value < 0 { i64::MIN } else { i64::MAX })
}
