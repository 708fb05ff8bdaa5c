//! Which purchase countries the simulator accepts, their currencies, and the payment
//! method categories it offers for each.

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

/// The categories offered in `country`: (identifier, name).
pub fn categories(country: &str) -> &'static [(&'static str, &'static str)] {
    match country.to_ascii_uppercase().as_str() {
        "SE" | "NO" | "DK" | "FI" | "DE" | "AT" | "NL" => &[
            ("pay_now", "Pay now."),
            ("pay_later", "Pay later."),
            ("pay_over_time", "Financing."),
        ],
        "US" | "CA" => &[
            ("pay_later", "Pay in 4 interest-free payments."),
            ("pay_over_time", "Monthly financing."),
        ],
        "AU" | "NZ" => &[("pay_later", "Pay in 4.")],
        _ => &[("pay_later", "Pay later."), ("pay_over_time", "Slice it.")],
    }
}
