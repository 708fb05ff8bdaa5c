//! [`Sensitive`]: a string that is never printed.

use std::fmt;

/// A token that grants access (`client_token`, `authorization_token`) or a piece of a
/// shopper's personal data (name, address, e-mail, phone, date of birth, identity
/// numbers). The spec marks such strings with `format: secret` or
/// `format: personal-data`, and every model field of those formats has this type.
///
/// `Debug` shows `<redacted>`, and there is no `Display`: the value cannot reach a log,
/// a panic message or an error text by accident. Read it deliberately with
/// [`expose`](Self::expose) (or as `&str` through `Deref`). On the wire it is a plain
/// JSON string.
///
/// ```
/// use klarna_payments::Sensitive;
///
/// let token = Sensitive::from("eyJhbGciOi...");
/// assert_eq!(format!("{token:?}"), "<redacted>");
/// assert_eq!(token.expose(), "eyJhbGciOi...");
/// assert_eq!(serde_json::to_string(&token).unwrap(), "\"eyJhbGciOi...\"");
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Sensitive(String);

impl Sensitive {
    /// The value itself. Keep it out of logs.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The value itself, owned.
    pub fn into_exposed(self) -> String {
        self.0
    }
}

impl fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Reads as `&str` where a string is expected (`.len()`, `.as_deref()` on an
/// `Option<Sensitive>`, comparisons). Through it, `value.to_string()` and
/// `format!("{}", &*value)` read the value as [`expose`](Sensitive::expose) does: as
/// deliberate as `expose()`, and as much to keep out of logs. A `{:?}` of a model never
/// shows it.
impl std::ops::Deref for Sensitive {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<String> for Sensitive {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Sensitive {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl PartialEq<str> for Sensitive {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Sensitive {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}
