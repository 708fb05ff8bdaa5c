//! The request builders, fed from fuzz input: built from decoded models, from a decoded
//! read session, and setter by setter from a JSON object.

use std::io::Write as _;

use klarna_payments::InvalidRequest;
use klarna_payments::arithmetic::{self, ArithmeticRule, OrderView};
use klarna_payments::request::{
    CustomerTokenCreateBuilder, OrderCreateBuilder, OrderLineBuilder, SessionCreateBuilder,
    SessionUpdateBuilder,
};
use klarna_payments::types::{self, OrderLine, SessionRead};
use klarna_payments::validation::{Checks, RequestBody, ViolationKind, validate};
use serde_json::{Map, Value};

/// The order arithmetic's helpers on arbitrary lines: the sums, and each line's amounts
/// from its own figures.
pub fn arithmetic(purchase_country: &str, lines: &[OrderLine]) {
    let _ = arithmetic::order_amounts(purchase_country, lines);
    for line in lines {
        let _ = arithmetic::line_amounts(
            line.unit_price,
            line.quantity,
            line.total_discount_amount.unwrap_or(0),
            line.tax_rate.unwrap_or(0),
        );
        let _ = arithmetic::line_amounts(line.total_amount, 1, 0, line.tax_rate.unwrap_or(0));
    }
    let view = OrderView {
        purchase_country: Some(purchase_country),
        order_amount: None,
        order_tax_amount: None,
        order_lines: Some(lines),
    };
    let _ = arithmetic::check_order(&view);
    let _ = arithmetic::check_update_totals(&view);
}

/// Builds `builder`; a body it builds passes the spec's checks of `validate`.
pub fn rebuild<B, M>(builder: B) -> Option<M>
where
    B: std::fmt::Debug,
    M: TryFrom<B, Error = InvalidRequest> + RequestBody + std::fmt::Debug,
{
    let _ = write!(std::io::sink(), "{builder:?}");
    match M::try_from(builder) {
        Ok(model) => {
            let refused = validate(
                &model,
                Checks {
                    schema: true,
                    arithmetic: false,
                },
            );
            assert!(
                refused.is_empty(),
                "{}: build() accepted what validate() refuses: {refused:?} in {model:?}",
                M::SCHEMA
            );
            Some(model)
        }
        Err(error) => {
            let _ = write!(std::io::sink(), "{error} {error:?}");
            None
        }
    }
}

/// The update and the order a read session turns into.
pub fn from_read(read: &SessionRead) {
    rebuild::<_, types::SessionUpdate>(SessionUpdateBuilder::from(read));
    rebuild::<_, types::OrderCreate>(OrderCreateBuilder::from(read));
}

/// The fields of `value` (an object), each through its builder's setter; nested objects
/// through the nested model. When the input sets none of the amounts the builders
/// derive, a body they build breaks no arithmetic rule but those only the caller can
/// break (a positive discount, tax on a US line).
pub fn from_json(value: &Value) {
    let Some(fields) = value.as_object() else {
        return;
    };
    let derived = !sets_amounts(fields);
    if let Some(body) = rebuild::<_, types::SessionCreate>(session_create(fields)) {
        derived_amounts_hold(derived, &body);
    }
    if let Some(body) = rebuild::<_, types::SessionUpdate>(session_update(fields)) {
        derived_amounts_hold(derived, &body);
    }
    if let Some(body) = rebuild::<_, types::OrderCreate>(order_create(fields)) {
        derived_amounts_hold(derived, &body);
    }
    rebuild::<_, types::CustomerTokenCreate>(customer_token_create(fields));
}

/// Whether the input sets an amount the builders would otherwise derive.
fn sets_amounts(fields: &Map<String, Value>) -> bool {
    const DERIVED: [&str; 2] = ["order_amount", "order_tax_amount"];
    const LINE: [&str; 2] = ["total_amount", "total_tax_amount"];
    DERIVED.iter().any(|k| fields.contains_key(*k))
        || fields
            .get("order_lines")
            .and_then(Value::as_array)
            .is_some_and(|lines| {
                lines.iter().any(|line| {
                    line.as_object()
                        .is_some_and(|l| LINE.iter().any(|k| l.contains_key(*k)))
                })
            })
}

fn derived_amounts_hold<T: RequestBody + std::fmt::Debug>(derived: bool, body: &T) {
    if !derived {
        return;
    }
    let broken: Vec<_> = validate(
        body,
        Checks {
            schema: false,
            arithmetic: true,
        },
    )
    .into_iter()
    .filter(|v| {
        !matches!(
            v.kind,
            ViolationKind::Arithmetic {
                rule: ArithmeticRule::DiscountSign | ArithmeticRule::UsSalesTax,
                ..
            }
        )
    })
    .collect();
    assert!(
        broken.is_empty(),
        "{}: amounts the builder derived break the arithmetic: {broken:?} in {body:?}",
        T::SCHEMA
    );
}

/// Calls the setters of `$builder` for the fields of `$fields` it knows: texts, integers,
/// booleans, enums (from their text), lists of texts, and objects (through the model the
/// field's JSON decodes to).
macro_rules! set {
    ($builder:ident, $fields:expr, {
        $(text: [$($text:ident),*],)?
        $(integer: [$($integer:ident),*],)?
        $(boolean: [$($boolean:ident),*],)?
        $(enumeration: [$($enumeration:ident),*],)?
        $(texts: [$($texts:ident),*],)?
        $(object: [$($object:ident: $model:ident),*],)?
    }) => {{
        let fields: &Map<String, Value> = $fields;
        let mut builder = $builder::new();
        for (key, value) in fields {
            builder = match key.as_str() {
                $($(stringify!($text) => match value.as_str() {
                    Some(text) => builder.$text(text),
                    None => builder,
                },)*)?
                $($(stringify!($integer) => match value.as_i64() {
                    Some(number) => builder.$integer(number),
                    None => builder,
                },)*)?
                $($(stringify!($boolean) => match value.as_bool() {
                    Some(flag) => builder.$boolean(flag),
                    None => builder,
                },)*)?
                $($(stringify!($enumeration) => match value.as_str() {
                    Some(text) => builder.$enumeration(text),
                    None => builder,
                },)*)?
                $($(stringify!($texts) => match value.as_array() {
                    Some(items) => builder.$texts(items.iter().filter_map(Value::as_str)),
                    None => builder,
                },)*)?
                $($(stringify!($object) => {
                    match serde_json::from_value::<types::$model>(value.clone()) {
                        Ok(model) => builder.$object(model),
                        Err(_) => builder,
                    }
                },)*)?
                _ => builder,
            };
        }
        builder
    }};
}

/// An order line from its JSON, setter by setter (`type` through `type_`).
fn order_line(value: &Value) -> OrderLineBuilder {
    let Some(fields) = value.as_object() else {
        return OrderLineBuilder::new();
    };
    let mut line = set!(OrderLineBuilder, fields, {
        text: [image_url, merchant_data, name, product_url, quantity_unit, reference],
        integer: [quantity, tax_rate, total_amount, total_discount_amount, total_tax_amount, unit_price],
        object: [product_identifiers: ProductIdentifiers, subscription: Subscription],
    });
    if let Some(kind) = fields.get("type").and_then(Value::as_str) {
        line = line.type_(kind);
    }
    line
}

fn lines(fields: &Map<String, Value>) -> Option<Vec<OrderLineBuilder>> {
    let items = fields.get("order_lines")?.as_array()?;
    Some(items.iter().map(order_line).collect())
}

fn session_create(fields: &Map<String, Value>) -> SessionCreateBuilder {
    let builder = set!(SessionCreateBuilder, fields, {
        text: [design, locale, merchant_data, merchant_reference1, merchant_reference2, purchase_country, purchase_currency],
        integer: [order_amount, order_tax_amount],
        enumeration: [acquiring_channel, intent],
        texts: [custom_payment_method_ids],
        object: [attachment: Attachment, billing_address: Address, customer: Customer, distribution: Distribution, merchant_urls: MerchantUrls, options: Options, shipping_address: Address],
    });
    match lines(fields) {
        Some(lines) => builder.order_lines(lines),
        None => builder,
    }
}

fn session_update(fields: &Map<String, Value>) -> SessionUpdateBuilder {
    let builder = set!(SessionUpdateBuilder, fields, {
        text: [design, locale, merchant_data, merchant_reference1, merchant_reference2, purchase_country, purchase_currency],
        integer: [order_amount, order_tax_amount],
        enumeration: [acquiring_channel, intent],
        texts: [custom_payment_method_ids],
        object: [attachment: Attachment, billing_address: Address, customer: Customer, merchant_urls: MerchantUrls, options: Options, shipping_address: Address],
    });
    match lines(fields) {
        Some(lines) => builder.order_lines(lines),
        None => builder,
    }
}

fn order_create(fields: &Map<String, Value>) -> OrderCreateBuilder {
    let builder = set!(OrderCreateBuilder, fields, {
        text: [locale, merchant_data, merchant_reference1, merchant_reference2, purchase_country, purchase_currency],
        integer: [order_amount, order_tax_amount],
        boolean: [auto_capture],
        texts: [custom_payment_method_ids],
        object: [billing_address: Address, customer: Customer, merchant_urls: MerchantUrls, shipping_address: Address],
    });
    match lines(fields) {
        Some(lines) => builder.order_lines(lines),
        None => builder,
    }
}

fn customer_token_create(fields: &Map<String, Value>) -> CustomerTokenCreateBuilder {
    set!(CustomerTokenCreateBuilder, fields, {
        text: [description, locale, purchase_country, purchase_currency],
        enumeration: [intended_use],
        object: [billing_address: Address, customer: Customer],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_values_build_a_body_whose_derived_amounts_hold() {
        let value: Value = serde_json::from_str(
            r#"{"purchase_country": "SE", "purchase_currency": "SEK", "locale": "sv-SE",
                "intent": "buy", "billing_address": {"country": "SE", "given_name": "A"},
                "order_lines": [{"name": "Shoe", "quantity": 3, "unit_price": 999,
                                 "tax_rate": 2500, "total_discount_amount": 100},
                                {"type": "discount", "name": "Off", "quantity": 1,
                                 "unit_price": -500, "tax_rate": 2500}]}"#,
        )
        .unwrap();
        let fields = value.as_object().unwrap();
        assert!(!sets_amounts(fields));
        let body = rebuild::<_, types::SessionCreate>(session_create(fields)).expect("builds");
        assert_eq!(body.order_amount, 3 * 999 - 100 - 500);
        assert!(body.billing_address.is_some());
        derived_amounts_hold(true, &body);
        from_json(&value);
    }
}
