//! Klarna API credentials, never printed.

use std::fmt;

use base64::Engine as _;
use reqwest::header::HeaderValue;

/// The credentials a merchant authenticates with. Valid for exactly one region and one
/// environment (playground or production).
///
/// `Debug` shows at most the user name; the secret never appears in any output.
///
/// ```
/// use klarna_payments::Credentials;
///
/// let credentials = Credentials::new("PK12345_abc", "s3cr3t");
/// assert!(!format!("{credentials:?}").contains("s3cr3t"));
/// let key = Credentials::api_key("klarna_test_api_abc123");
/// assert!(!format!("{key:?}").contains("abc123"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    secret: Secret,
}

#[derive(Clone, PartialEq, Eq)]
enum Secret {
    /// A user name (legacy `PK…` user, or the UUID shown beside an API key) and password.
    UserPassword { username: String, password: String },
    /// A `klarna_<live|test>_api_…` key, sent as `Authorization: Basic <key>`.
    ApiKey(String),
}

impl Credentials {
    /// A user name and password (a legacy `PK…` user and its shared secret, or the
    /// UUID Klarna shows beside an API key with the key as the password).
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            secret: Secret::UserPassword {
                username: username.into(),
                password: password.into(),
            },
        }
    }

    /// An API key (`klarna_live_api_…` or `klarna_test_api_…`), which Klarna expects
    /// as `Authorization: Basic <key>`.
    pub fn api_key(key: impl Into<String>) -> Self {
        Self {
            secret: Secret::ApiKey(key.into()),
        }
    }

    /// The user name, if these are user name and password credentials.
    pub fn username(&self) -> Option<&str> {
        match &self.secret {
            Secret::UserPassword { username, .. } => Some(username),
            Secret::ApiKey(_) => None,
        }
    }

    /// The `Authorization` header value, marked sensitive so `http` never prints it.
    /// `None` if the credentials contain characters a header cannot carry.
    pub(crate) fn authorization(&self) -> Option<HeaderValue> {
        let text = match &self.secret {
            Secret::UserPassword { username, password } => {
                let encoded = base64::engine::general_purpose::STANDARD
                    .encode(format!("{username}:{password}"));
                format!("Basic {encoded}")
            }
            Secret::ApiKey(key) => format!("Basic {key}"),
        };
        let mut value = HeaderValue::from_str(&text).ok()?;
        value.set_sensitive(true);
        Some(value)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.secret {
            Secret::UserPassword { username, .. } => f
                .debug_struct("Credentials")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
            Secret::ApiKey(_) => f
                .debug_struct("Credentials")
                .field("api_key", &"<redacted>")
                .finish(),
        }
    }
}
