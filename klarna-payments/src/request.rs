//! Request bodies built from plain values: a builder for every object a request can
//! hold, derived from the spec at build time, whose setters take `&str`, `String`,
//! numbers, enum values and other builders, and whose amounts Klarna checks are
//! derived for you.
//!
//! - An order line gets `total_amount` and `total_tax_amount` from its unit price,
//!   quantity, discount and tax rate.
//! - A session (create or update) gets `order_amount` and `order_tax_amount` from its
//!   lines; with a `sales_tax` line (the US convention) the order's tax is that line.
//! - Amounts you set yourself are kept, and checked like everything else.
//!
//! [`build`](SessionCreateBuilder::build) (or `try_into`, or handing the builder to the
//! client) checks the whole body against the spec and names any offending field by its
//! Klarna path (`order_lines[1].reference`).
//!
//! ```
//! use klarna_payments::request::{OrderLineBuilder, SessionCreateBuilder};
//!
//! let body = SessionCreateBuilder::new()
//!     .purchase_country("SE")
//!     .purchase_currency("SEK")
//!     .locale("sv-SE")
//!     .merchant_reference1("ORDER-42")
//!     .order_lines([
//!         OrderLineBuilder::new().name("Trail shoe").reference("SKU-1").quantity(2).unit_price(12_900).tax_rate(2500),
//!         OrderLineBuilder::new().type_("shipping_fee").name("Express").quantity(1).unit_price(4_900).tax_rate(2500),
//!     ])
//!     .build()
//!     .unwrap();
//! assert_eq!(body.order_amount, 30_700);
//! assert_eq!(body.order_tax_amount, Some(6_140));
//! assert_eq!(body.order_lines[0].total_tax_amount, Some(5_160));
//!
//! let refused = SessionCreateBuilder::new()
//!     .purchase_country("SE")
//!     .purchase_currency("SEK")
//!     .locale("swedish")
//!     .order_lines([OrderLineBuilder::new().name("Shoe").quantity(1).unit_price(100)])
//!     .build()
//!     .unwrap_err();
//! assert_eq!(refused.violations[0].field, "locale");
//! ```

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::arithmetic;
use crate::error::InvalidRequest;
use crate::spec;
use crate::validation::{Violation, ViolationKind};

/// Defines one request builder: the struct, a setter per property, `build`, and the
/// conversions to and from the generated model.
macro_rules! request_builder {
    (
        $(#[doc = $doc:expr])*
        $name:ident for $model:ident, $schema:literal {
            $( $(#[doc = $pdoc:expr])* $kind:ident $setter:ident $property:literal { $($target:ident)? }, )*
        }
    ) => {
        $(#[doc = $doc])*
        ///
        /// Setters take plain values; [`build`](Self::build) checks the result against
        /// the spec. Amounts Klarna checks are derived where they can be (see the
        /// [module docs](crate::request)).
        #[derive(Clone, Default, PartialEq)]
        pub struct $name {
            fields: Map<String, Value>,
        }

        /// The fields set so far as JSON, with tokens and personal data `<redacted>`.
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                debug_redacted(f, stringify!($name), $schema, &self.fields)
            }
        }

        impl $name {
            /// An empty body.
            pub fn new() -> Self {
                Self::default()
            }

            $( setter!($kind, $setter, $property, [$($target)?], $(#[doc = $pdoc])*); )*

            /// Derives the missing amounts, checks the body against the spec and returns
            /// the model, or every violation with its field path.
            pub fn build(self) -> Result<crate::types::$model, InvalidRequest> {
                finish($schema, self.into_value())
            }

            /// The body as JSON, with the derived amounts filled in.
            fn into_value(self) -> Value {
                let mut value = Value::Object(self.fields);
                complete($schema, &mut value);
                value
            }
        }

        impl From<crate::types::$model> for $name {
            fn from(model: crate::types::$model) -> Self {
                Self { fields: fields_of(&model) }
            }
        }

        impl crate::types::$model {
            #[doc = concat!("A [`", stringify!($name), "`](crate::request::", stringify!($name), ") for this body: setters that take plain values, derived amounts, checked on `build()`.")]
            pub fn builder() -> $name {
                $name::new()
            }
        }

        impl TryFrom<$name> for crate::types::$model {
            type Error = InvalidRequest;

            fn try_from(builder: $name) -> Result<Self, InvalidRequest> {
                builder.build()
            }
        }
    };
}

/// One setter, by the kind of its property.
macro_rules! setter {
    (text, $setter:ident, $property:literal, [], $(#[doc = $doc:expr])*) => {
        $(#[doc = $doc])*
        pub fn $setter(mut self, value: impl Into<String>) -> Self {
            self.fields.insert($property.into(), Value::String(value.into()));
            self
        }
    };
    (integer, $setter:ident, $property:literal, [], $(#[doc = $doc:expr])*) => {
        $(#[doc = $doc])*
        pub fn $setter(mut self, value: i64) -> Self {
            self.fields.insert($property.into(), Value::from(value));
            self
        }
    };
    (boolean, $setter:ident, $property:literal, [], $(#[doc = $doc:expr])*) => {
        $(#[doc = $doc])*
        pub fn $setter(mut self, value: bool) -> Self {
            self.fields.insert($property.into(), Value::Bool(value));
            self
        }
    };
    (enum, $setter:ident, $property:literal, [$target:ident], $(#[doc = $doc:expr])*) => {
        $(#[doc = $doc])*
        ///
        /// Takes the enum or its text; a value this crate does not know is sent as it is.
        pub fn $setter(mut self, value: impl Into<crate::types::$target>) -> Self {
            self.fields.insert($property.into(), Value::String(value.into().as_str().to_owned()));
            self
        }
    };
    (object, $setter:ident, $property:literal, [$target:ident], $(#[doc = $doc:expr])*) => {
        $(#[doc = $doc])*
        ///
        /// Takes a builder or a built model.
        pub fn $setter(mut self, value: impl Into<$target>) -> Self {
            self.fields.insert($property.into(), value.into().into_value());
            self
        }
    };
    (objects, $setter:ident, $property:literal, [$target:ident], $(#[doc = $doc:expr])*) => {
        $(#[doc = $doc])*
        ///
        /// Takes builders or built models.
        pub fn $setter<I>(mut self, values: I) -> Self
        where
            I: IntoIterator,
            I::Item: Into<$target>,
        {
            let items = values.into_iter().map(|v| v.into().into_value()).collect();
            self.fields.insert($property.into(), Value::Array(items));
            self
        }
    };
    (texts, $setter:ident, $property:literal, [], $(#[doc = $doc:expr])*) => {
        $(#[doc = $doc])*
        pub fn $setter<I>(mut self, values: I) -> Self
        where
            I: IntoIterator,
            I::Item: Into<String>,
        {
            let items = values.into_iter().map(|v| Value::String(v.into())).collect();
            self.fields.insert($property.into(), Value::Array(items));
            self
        }
    };
    (value, $setter:ident, $property:literal, [], $(#[doc = $doc:expr])*) => {
        $(#[doc = $doc])*
        pub fn $setter(mut self, value: impl serde::Serialize) -> Self {
            let value = serde_json::to_value(value).unwrap_or(Value::Null);
            self.fields.insert($property.into(), value);
            self
        }
    };
}

include!(concat!(env!("OUT_DIR"), "/request_builders.rs"));

impl OrderLineBuilder {
    /// A US `sales_tax` line carrying `amount` of tax (in minor units). In the US, tax
    /// travels in such a line and the other lines have `tax_rate` 0.
    pub fn sales_tax(amount: i64) -> Self {
        Self::new()
            .type_(crate::types::OrderLineType::SalesTax)
            .name("Sales tax")
            .quantity(1)
            .unit_price(amount)
            .tax_rate(0)
    }
}

/// What a read session can be sent back as: everything `session_update` accepts,
/// except the totals, which follow from the lines again (so changing the lines keeps
/// them consistent). Reading, changing and updating needs no remapping:
///
/// ```
/// use klarna_payments::request::{OrderLineBuilder, SessionUpdateBuilder};
/// use klarna_payments::types::SessionRead;
///
/// let read: SessionRead = serde_json::from_str(r#"{
///     "status": "incomplete", "client_token": "tok", "purchase_country": "SE",
///     "merchant_reference1": "ORDER-42", "order_amount": 1000, "order_tax_amount": 200,
///     "order_lines": [{"name": "Shoe", "quantity": 1, "unit_price": 1000,
///                      "tax_rate": 2500, "total_amount": 1000, "total_tax_amount": 200}]
/// }"#).unwrap();
/// let update = SessionUpdateBuilder::from(&read)
///     .order_lines([OrderLineBuilder::new().name("Boot").quantity(1).unit_price(2000).tax_rate(2500)])
///     .build()
///     .unwrap();
/// assert_eq!(update.order_amount, Some(2000));
/// assert_eq!(update.order_tax_amount, Some(400));
/// assert_eq!(update.merchant_reference1.as_deref().map(|r| r.as_str()), Some("ORDER-42"));
/// ```
impl From<&crate::types::SessionRead> for SessionUpdateBuilder {
    fn from(read: &crate::types::SessionRead) -> Self {
        Self {
            fields: read_fields_for(
                "session_update",
                read,
                &["order_amount", "order_tax_amount"],
            ),
        }
    }
}

/// The order of an approved session: everything `order_create` accepts, as the
/// session holds it (the order must match what the shopper approved), except the
/// totals, which follow from the lines again. Change what the order adds, such as the
/// merchant references or the confirmation URL:
///
/// ```
/// use klarna_payments::request::OrderCreateBuilder;
/// use klarna_payments::types::SessionRead;
///
/// let read: SessionRead = serde_json::from_str(r#"{
///     "status": "incomplete", "authorization_token": "tok", "purchase_country": "SE",
///     "purchase_currency": "SEK", "locale": "sv-SE", "order_amount": 1000,
///     "order_tax_amount": 200, "intent": "buy",
///     "order_lines": [{"name": "Shoe", "quantity": 1, "unit_price": 1000,
///                      "tax_rate": 2500, "total_amount": 1000, "total_tax_amount": 200}]
/// }"#).unwrap();
/// let order = OrderCreateBuilder::from(&read).merchant_reference1("ORDER-42").build().unwrap();
/// assert_eq!(order.order_amount, 1000);
/// assert_eq!(order.order_lines[0].name.as_str(), "Shoe");
/// ```
impl From<&crate::types::SessionRead> for OrderCreateBuilder {
    fn from(read: &crate::types::SessionRead) -> Self {
        Self {
            fields: read_fields_for("order_create", read, &["order_amount", "order_tax_amount"]),
        }
    }
}

/// The fields of a read session that request schema `schema` accepts, without `null`s
/// and without `skip`.
fn read_fields_for(
    schema: &str,
    read: &crate::types::SessionRead,
    skip: &[&str],
) -> Map<String, Value> {
    let accepted = spec::document()
        .schema(schema)
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object);
    let mut fields = fields_of(read);
    fields.retain(|key, value| {
        !value.is_null()
            && !skip.contains(&key.as_str())
            && accepted.is_some_and(|a| a.contains_key(key))
    });
    fields
}

/// A model's fields as JSON (`null`s dropped: the request schemas do not allow them).
fn fields_of<T: serde::Serialize>(model: &T) -> Map<String, Value> {
    match serde_json::to_value(model) {
        Ok(Value::Object(mut map)) => {
            map.retain(|_, v| !v.is_null());
            map
        }
        _ => Map::new(),
    }
}

/// What a redacted string shows instead of its value.
const REDACTED: &str = "<redacted>";

/// A builder as `Name {json}`, where every string the spec marks as a token or personal
/// data (`format: secret` / `personal-data`), and every string under a field the spec
/// does not describe, shows as `<redacted>`, as the models' [`Sensitive`](crate::Sensitive)
/// fields do.
fn debug_redacted(
    f: &mut std::fmt::Formatter<'_>,
    name: &str,
    schema: &str,
    fields: &Map<String, Value>,
) -> std::fmt::Result {
    let mut value = Value::Object(fields.clone());
    redact(spec::document().schema(schema), &mut value);
    write!(f, "{name} {value}")
}

/// Redacts the strings of `value` that `schema` marks, or does not describe.
fn redact(schema: Option<&'static Value>, value: &mut Value) {
    let schema = resolve(schema);
    match value {
        Value::String(text) => {
            let format = schema.and_then(|s| s.get("format")).and_then(Value::as_str);
            if schema.is_none() || matches!(format, Some("secret" | "personal-data")) {
                *text = REDACTED.to_owned();
            }
        }
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                let property = schema
                    .and_then(|s| s.get("properties"))
                    .and_then(|p| p.get(key));
                redact(property, child);
            }
        }
        Value::Array(items) => {
            let item = schema.and_then(|s| s.get("items"));
            for child in items {
                redact(item, child);
            }
        }
        _ => {}
    }
}

/// `schema`, with its `$ref`s into the spec's components followed.
fn resolve(mut schema: Option<&'static Value>) -> Option<&'static Value> {
    for _ in 0..8 {
        match schema?.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                schema = spec::document().schema(reference.strip_prefix("#/components/schemas/")?);
            }
            None => return schema,
        }
    }
    None
}

/// Checks `value` against spec schema `schema`, then decodes it into the model.
fn finish<T: DeserializeOwned>(schema: &str, value: Value) -> Result<T, InvalidRequest> {
    let violations: Vec<Violation> = spec::document()
        .validate(schema, &value)
        .into_iter()
        .map(Violation::from)
        .collect();
    if !violations.is_empty() {
        return Err(InvalidRequest { violations });
    }
    serde_json::from_value(value).map_err(|error| InvalidRequest {
        violations: vec![Violation {
            field: String::new(),
            kind: ViolationKind::Schema(klarna_schema::Rule::Type),
            message: format!("{schema}: {error}"),
        }],
    })
}

/// Fills in the amounts Klarna checks that the caller left out.
fn complete(schema: &str, value: &mut Value) {
    let Some(fields) = value.as_object_mut() else {
        return;
    };
    match schema {
        "order_line" => complete_line(fields),
        "session_create" | "session_update" | "order_create" => complete_order(fields),
        _ => {}
    }
}

fn integer(fields: &Map<String, Value>, key: &str) -> Option<i64> {
    fields.get(key).and_then(Value::as_i64)
}

/// `total_amount` from price, quantity and discount; `total_tax_amount` from the total
/// and the tax rate.
fn complete_line(fields: &mut Map<String, Value>) {
    let rate = integer(fields, "tax_rate").unwrap_or(0);
    if !fields.contains_key("total_amount")
        && let (Some(price), Some(quantity)) =
            (integer(fields, "unit_price"), integer(fields, "quantity"))
    {
        let discount = integer(fields, "total_discount_amount").unwrap_or(0);
        if let Some(amounts) = arithmetic::line_amounts(price, quantity, discount, rate) {
            fields.insert("total_amount".into(), amounts.total_amount.into());
        }
    }
    if !fields.contains_key("total_tax_amount")
        && let Some(total) = integer(fields, "total_amount")
        && let Some(amounts) = arithmetic::line_amounts(total, 1, 0, rate)
    {
        fields.insert("total_tax_amount".into(), amounts.total_tax_amount.into());
    }
}

/// `order_amount` and `order_tax_amount` from the lines. The order's tax is the sum of
/// the lines' tax, or, when the order is a US one (by country, or because it has a
/// `sales_tax` line), the sum of the `sales_tax` lines.
fn complete_order(fields: &mut Map<String, Value>) {
    let Some(lines) = fields.get("order_lines").and_then(Value::as_array) else {
        return;
    };
    let is_sales_tax = |line: &Value| {
        line.get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.eq_ignore_ascii_case("sales_tax"))
    };
    let us = fields
        .get("purchase_country")
        .and_then(Value::as_str)
        .is_some_and(|c| c.eq_ignore_ascii_case("US"))
        || lines.iter().any(is_sales_tax);
    let mut amount: i128 = 0;
    let mut tax: i128 = 0;
    for line in lines {
        let total = line
            .get("total_amount")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        amount += i128::from(total);
        tax += i128::from(match (us, is_sales_tax(line)) {
            (true, true) => total,
            (true, false) => 0,
            (false, _) => line
                .get("total_tax_amount")
                .and_then(Value::as_i64)
                .unwrap_or(0),
        });
    }
    if let Ok(amount) = i64::try_from(amount) {
        fields.entry("order_amount").or_insert(amount.into());
    }
    if let Ok(tax) = i64::try_from(tax) {
        fields.entry("order_tax_amount").or_insert(tax.into());
    }
}
