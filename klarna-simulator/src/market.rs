//! Which purchase countries the simulator accepts, their currencies, and the payment
//! method categories it offers for each.

use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::store::JsonText;

/// The currency Klarna expects for a purchase country, for the markets simulated.
pub fn currency_of(country: &str) -> Option<&'static str> {
    let currency = match country.to_ascii_uppercase().as_str() {
        "SE" => "SEK",
        "NO" => "NOK",
        "DK" => "DKK",
        "FI" | "DE" | "AT" | "NL" | "BE" | "FR" | "ES" | "IT" | "IE" | "PT" | "GR" => "EUR",
        "CH" => "CHF",
        "GB" => "GBP",
        "PL" => "PLN",
        "CZ" => "CZK",
        "US" => "USD",
        "CA" => "CAD",
        "AU" => "AUD",
        "NZ" => "NZD",
        _ => return None,
    };
    Some(currency)
}

/// The payment method categories offered in a market.
pub struct Categories {
    /// (identifier, name) of each category.
    list: &'static [(&'static str, &'static str)],
    /// Their JSON form and its text, built at first use.
    json: OnceLock<(Value, JsonText)>,
}

impl Categories {
    const fn new(list: &'static [(&'static str, &'static str)]) -> Self {
        Self {
            list,
            json: OnceLock::new(),
        }
    }

    /// The categories' identifiers, in the order offered.
    pub fn identifiers(&self) -> Vec<&'static str> {
        self.list
            .iter()
            .map(|(identifier, _)| *identifier)
            .collect()
    }

    /// The categories as Klarna lists them in `payment_method_categories`.
    pub fn json(&self) -> &Value {
        &self.built().0
    }

    /// [`json`](Self::json) as text, shared by every session of the market.
    pub fn text(&self) -> JsonText {
        self.built().1.clone()
    }

    fn built(&self) -> &(Value, JsonText) {
        self.json.get_or_init(|| {
            let value = Value::Array(
                self.list
                    .iter()
                    .map(|(identifier, name)| {
                        json!({
                            "identifier": identifier,
                            "name": name,
                            "asset_urls": {
                                "descriptive": format!("https://x.klarnacdn.net/payment-method/assets/badges/generic/{identifier}/descriptive.svg"),
                                "standard": format!("https://x.klarnacdn.net/payment-method/assets/badges/generic/{identifier}/standard.svg"),
                            }
                        })
                    })
                    .collect(),
            );
            let text = JsonText::new(&value);
            (value, text)
        })
    }
}

static NORDICS_AND_DACH: Categories = Categories::new(&[
    ("pay_now", "Pay now."),
    ("pay_later", "Pay later."),
    ("pay_over_time", "Financing."),
]);
static NORTH_AMERICA: Categories = Categories::new(&[
    ("pay_later", "Pay in 4 interest-free payments."),
    ("pay_over_time", "Monthly financing."),
]);
static OCEANIA: Categories = Categories::new(&[("pay_later", "Pay in 4.")]);
static OTHER: Categories =
    Categories::new(&[("pay_later", "Pay later."), ("pay_over_time", "Slice it.")]);

/// The categories offered in `country`.
pub fn categories(country: &str) -> &'static Categories {
    match country.to_ascii_uppercase().as_str() {
        "SE" | "NO" | "DK" | "FI" | "DE" | "AT" | "NL" => &NORDICS_AND_DACH,
        "US" | "CA" => &NORTH_AMERICA,
        "AU" | "NZ" => &OCEANIA,
        _ => &OTHER,
    }
}
