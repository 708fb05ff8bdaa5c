//! Checks a request body before it is sent: every constraint of the spec (including
//! those the generated types cannot enforce, such as item counts and integer ranges)
//! and Klarna's order arithmetic. Each violation names the field as Klarna would.

use std::fmt;

use serde::Serialize;

use crate::arithmetic::{self, ArithmeticRule, ArithmeticViolation, OrderView};
use crate::spec;
use crate::types::{CustomerTokenCreate, OrderCreate, SessionCreate, SessionUpdate};

// `walk_fields` of every request model, derived from the spec by `build.rs` (see
// `codegen_checks.rs`).
include!(concat!(env!("OUT_DIR"), "/field_walks.rs"));

/// A request body the client can check before sending (one per operation that takes a
/// body).
pub trait RequestBody: Serialize {
    /// The spec schema the body must satisfy.
    const SCHEMA: &'static str;

    /// Checks the body against [`SCHEMA`](Self::SCHEMA), field by field (code derived
    /// from the spec), reporting into `checker`; an error when a field has no JSON form.
    fn check_fields(&self, checker: &mut klarna_schema::FieldChecker<'_>)
    -> serde_json::Result<()>;

    /// The order fields the arithmetic rules look at.
    fn order(&self) -> OrderView<'_>;

    /// Whether Klarna merges this body into a stored session (an update) rather than
    /// taking it whole (a create).
    const MERGED: bool = false;
}

/// Implements [`RequestBody`] for a generated request model: its schema, whether it is
/// merged into a stored session, the field walk `build.rs` derived, and the order fields
/// the arithmetic looks at (`|body| OrderView { .. }`).
macro_rules! request_body {
    ($model:ty, $schema:literal, merged: $merged:literal, |$body:ident| $order:expr) => {
        impl RequestBody for $model {
            const SCHEMA: &'static str = $schema;
            const MERGED: bool = $merged;

            fn check_fields(
                &self,
                checker: &mut klarna_schema::FieldChecker<'_>,
            ) -> serde_json::Result<()> {
                self.walk_fields(checker, &klarna_schema::At::Root)
            }

            fn order(&self) -> OrderView<'_> {
                let $body = self;
                $order
            }
        }
    };
}

request_body!(SessionCreate, "session_create", merged: false, |body| OrderView {
    purchase_country: Some(body.purchase_country.as_str()),
    order_amount: Some(body.order_amount),
    order_tax_amount: body.order_tax_amount,
    order_lines: Some(&body.order_lines),
});

request_body!(SessionUpdate, "session_update", merged: true, |body| OrderView {
    purchase_country: body.purchase_country.as_deref().map(String::as_str),
    order_amount: body.order_amount,
    order_tax_amount: body.order_tax_amount,
    order_lines: (!body.order_lines.is_empty()).then_some(body.order_lines.as_slice()),
});

request_body!(OrderCreate, "order_create", merged: false, |body| OrderView {
    purchase_country: Some(body.purchase_country.as_str()),
    order_amount: Some(body.order_amount),
    order_tax_amount: body.order_tax_amount,
    order_lines: Some(&body.order_lines),
});

// A customer token has no order lines: no arithmetic applies.
request_body!(CustomerTokenCreate, "customer_token_create", merged: false, |body| OrderView {
    purchase_country: Some(body.purchase_country.as_str()),
    order_amount: None,
    order_tax_amount: None,
    order_lines: None,
});

/// What kind of rule a [`Violation`] breaks.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ViolationKind {
    /// A constraint of the spec (type, pattern, length, range, item count, …).
    Schema(klarna_schema::Rule),
    /// One of Klarna's order arithmetic rules.
    Arithmetic {
        /// The rule.
        rule: ArithmeticRule,
        /// The value Klarna expects.
        expected: i64,
        /// The value sent.
        actual: i64,
    },
}

/// One reason a request would be refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Klarna's path of the field, e.g. `order_lines[2].total_tax_amount`
    /// (empty for the body as a whole).
    pub field: String,
    /// The rule broken.
    pub kind: ViolationKind,
    /// What is wrong, in a sentence that includes the field.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<klarna_schema::Violation> for Violation {
    fn from(v: klarna_schema::Violation) -> Self {
        Self {
            field: v.path.to_string(),
            kind: ViolationKind::Schema(v.rule),
            message: v.to_string(),
        }
    }
}

impl From<ArithmeticViolation> for Violation {
    fn from(v: ArithmeticViolation) -> Self {
        Self {
            message: v.to_string(),
            field: v.field,
            kind: ViolationKind::Arithmetic {
                rule: v.rule,
                expected: v.expected,
                actual: v.actual,
            },
        }
    }
}

/// Which checks run before a request is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checks {
    /// The spec's constraints (default on).
    pub schema: bool,
    /// Klarna's order arithmetic (default on).
    pub arithmetic: bool,
}

impl Default for Checks {
    fn default() -> Self {
        Self {
            schema: true,
            arithmetic: true,
        }
    }
}

impl Checks {
    /// No checks: the body goes to Klarna as it is.
    pub const NONE: Checks = Checks {
        schema: false,
        arithmetic: false,
    };
}

/// Every violation of `body`, schema constraints first, then arithmetic (empty when
/// the body is fine). An update is checked as Klarna applies it: merged into the stored
/// session, so one that changes `order_lines` must carry the totals that fit them
/// ([`ArithmeticRule::UpdateTotals`]).
///
/// ```
/// use klarna_payments::request::{OrderLineBuilder, SessionCreateBuilder};
/// use klarna_payments::validation::{validate, Checks};
///
/// let mut body = SessionCreateBuilder::new()
///     .purchase_country("SE")
///     .purchase_currency("SEK")
///     .order_lines([OrderLineBuilder::new().name("Shoe").quantity(1).unit_price(1000)])
///     .build()
///     .unwrap();
/// assert!(validate(&body, Checks::default()).is_empty());
///
/// // A model changed after it was built is checked again (the client does so before sending).
/// body.order_lines.clear();
/// let violations = validate(&body, Checks::default());
/// assert_eq!(violations[0].field, "order_lines");
/// assert_eq!(violations[0].message, "order_lines: must have at least 1 item(s), has 0");
/// assert_eq!(violations[1].field, "order_amount");
/// ```
pub fn validate<T: RequestBody>(body: &T, checks: Checks) -> Vec<Violation> {
    let mut found: Vec<Violation> = Vec::new();
    if checks.schema {
        check_schema(body, &mut found);
    }
    check_arithmetic(body, checks, &mut found);
    found
}

/// The spec's constraints on `body`, field by field: no intermediate JSON value, and no
/// allocation unless something is wrong. The answer is the one `validate` of
/// `serde_json::to_value(body)` gives (`tests/validation_agrees.rs`).
fn check_schema<T: RequestBody>(body: &T, found: &mut Vec<Violation>) {
    let mut checker = spec::document().field_checker();
    match body.check_fields(&mut checker) {
        Ok(()) => add_violations(found, checker.into_violations()),
        Err(error) => found.push(unserializable(&error)),
    }
}

/// [`validate`] and the JSON of `body` (what `serde_json::to_vec` writes, after the
/// bytes of `out`). The JSON is an error only when the body has no JSON form, which the
/// violations then report too when the schema checks are on.
pub(crate) fn validate_and_encode<T: RequestBody>(
    body: &T,
    checks: Checks,
    mut out: Vec<u8>,
) -> (serde_json::Result<Vec<u8>>, Vec<Violation>) {
    let mut found: Vec<Violation> = Vec::new();
    if checks.schema {
        check_schema(body, &mut found);
    }
    let json = serde_json::to_writer(&mut out, body).map(|()| out);
    check_arithmetic(body, checks, &mut found);
    (json, found)
}

/// The violation of a body that has no JSON form.
fn unserializable(error: &serde_json::Error) -> Violation {
    Violation {
        field: String::new(),
        kind: ViolationKind::Schema(klarna_schema::Rule::Type),
        message: format!("request body cannot be serialised: {error}"),
    }
}

/// Klarna's order arithmetic on `body`, after the schema's violations.
fn check_arithmetic<T: RequestBody>(body: &T, checks: Checks, found: &mut Vec<Violation>) {
    if checks.arithmetic {
        let order = body.order();
        if T::MERGED {
            add_violations(found, arithmetic::check_update_totals(&order));
        }
        add_violations(found, arithmetic::check_order(&order));
    }
}

/// Adds `violations` to `found`. Usually there are none, and then none of the
/// conversion's code runs (it is out of line).
fn add_violations<V>(found: &mut Vec<Violation>, violations: Vec<V>)
where
    Violation: From<V>,
{
    #[cold]
    #[inline(never)]
    fn add<V>(found: &mut Vec<Violation>, violations: Vec<V>)
    where
        Violation: From<V>,
    {
        found.extend(violations.into_iter().map(Violation::from));
    }
    if !violations.is_empty() {
        add(found, violations);
    }
}
