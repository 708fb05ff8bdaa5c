//! Where the client sends requests and how: the builder.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::HeaderValue;

use crate::client::Client;
use crate::credentials::Credentials;
use crate::error::ConfigError;
use crate::retry::RetryPolicy;
use crate::transport::{Settings, Transport};
use crate::validation::Checks;

/// Klarna's API regions. Credentials belong to one region.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Region {
    /// Europe (`api.klarna.com`).
    Europe,
    /// North America (`api-na.klarna.com`).
    NorthAmerica,
    /// Oceania (`api-oc.klarna.com`).
    Oceania,
}

/// Klarna's environments. Credentials belong to one environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Environment {
    /// Real money.
    Production,
    /// Klarna's test environment.
    Playground,
}

impl Region {
    /// The base URL of this region in `environment`.
    ///
    /// ```
    /// use klarna_payments::{Environment, Region};
    /// assert_eq!(Region::NorthAmerica.base_url(Environment::Playground), "https://api-na.playground.klarna.com");
    /// ```
    pub fn base_url(self, environment: Environment) -> &'static str {
        match (self, environment) {
            (Region::Europe, Environment::Production) => "https://api.klarna.com",
            (Region::Europe, Environment::Playground) => "https://api.playground.klarna.com",
            (Region::NorthAmerica, Environment::Production) => "https://api-na.klarna.com",
            (Region::NorthAmerica, Environment::Playground) => {
                "https://api-na.playground.klarna.com"
            }
            (Region::Oceania, Environment::Production) => "https://api-oc.klarna.com",
            (Region::Oceania, Environment::Playground) => "https://api-oc.playground.klarna.com",
        }
    }
}

/// The default wait for connecting.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default wait for one attempt, from sending to the last byte of the answer.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The default limit on an answer's body (Klarna's sessions are far smaller).
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// Configures and builds a [`Client`].
///
/// ```
/// use std::time::Duration;
/// use klarna_payments::{Client, Credentials, Environment, Region, RetryPolicy};
///
/// let client = Client::builder()
///     .region(Region::Europe)
///     .environment(Environment::Playground)
///     .credentials(Credentials::new("PK12345_abc", "secret"))
///     .application("my-shop", "2.1.0")
///     .timeout(Duration::from_secs(20))
///     .retry_policy(RetryPolicy::default().max_attempts(4))
///     .build()
///     .unwrap();
/// assert_eq!(client.base_url(), "https://api.playground.klarna.com");
/// ```
pub struct ClientBuilder {
    region: Region,
    environment: Environment,
    base_url: Option<String>,
    credentials: Option<Credentials>,
    application: Option<(String, String)>,
    connect_timeout: Duration,
    timeout: Duration,
    retry: RetryPolicy,
    checks: Checks,
    max_response_bytes: usize,
    http_client: Option<reqwest::ClientBuilder>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            region: Region::Europe,
            environment: Environment::Playground,
            base_url: None,
            credentials: None,
            application: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            checks: Checks::default(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            http_client: None,
        }
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("region", &self.region)
            .field("environment", &self.environment)
            .field("base_url", &self.base_url.as_deref().map(shown_url))
            .field("credentials", &self.credentials)
            .field("application", &self.application)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("checks", &self.checks)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("http_client", &self.http_client.is_some())
            .finish()
    }
}

impl ClientBuilder {
    /// A builder for Europe's playground, with no credentials yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the configuration from the environment: `KLARNA_USERNAME` and
    /// `KLARNA_PASSWORD`, then either `KLARNA_BASE_URL` or `KLARNA_REGION`
    /// (`eu`, `na`, `oc`; default `eu`) and `KLARNA_ENVIRONMENT` (`playground` or
    /// `production`; default `playground`).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// As [`from_env`](Self::from_env), reading variables through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let required = |name: &'static str| {
            lookup(name)
                .filter(|v| !v.is_empty())
                .ok_or(ConfigError::MissingVariable(name))
        };
        let username = required("KLARNA_USERNAME")?;
        let password = required("KLARNA_PASSWORD")?;
        let mut builder = Self::new().credentials(Credentials::new(username, password));
        if let Some(url) = lookup("KLARNA_BASE_URL").filter(|v| !v.is_empty()) {
            return Ok(builder.base_url(url));
        }
        if let Some(region) = lookup("KLARNA_REGION").filter(|v| !v.is_empty()) {
            builder = builder.region(
                match region
                    .to_ascii_lowercase()
                    .replace(['-', ' '], "_")
                    .as_str()
                {
                    "eu" | "europe" => Region::Europe,
                    "na" | "north_america" | "us" => Region::NorthAmerica,
                    "oc" | "oceania" | "au" => Region::Oceania,
                    _ => {
                        return Err(ConfigError::InvalidVariable {
                            name: "KLARNA_REGION",
                            value: region,
                            expected: "eu, na or oc",
                        });
                    }
                },
            );
        }
        if let Some(environment) = lookup("KLARNA_ENVIRONMENT").filter(|v| !v.is_empty()) {
            builder = builder.environment(match environment.to_ascii_lowercase().as_str() {
                "playground" | "test" => Environment::Playground,
                "production" | "live" => Environment::Production,
                _ => {
                    return Err(ConfigError::InvalidVariable {
                        name: "KLARNA_ENVIRONMENT",
                        value: environment,
                        expected: "playground or production",
                    });
                }
            });
        }
        Ok(builder)
    }

    /// The region (default Europe). Ignored when a base URL is set.
    pub fn region(mut self, region: Region) -> Self {
        self.region = region;
        self
    }

    /// The environment (default playground). Ignored when a base URL is set.
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = environment;
        self
    }

    /// Sends requests to `url` instead of a Klarna region, e.g. a local simulator.
    /// It must be `https://`, or `http://` to a loopback host, without a user name or
    /// password (give those to [`credentials`](Self::credentials)), a query or a
    /// fragment; it may have a path. Errors and `Debug` never show a URL's user name and
    /// password.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The credentials (required).
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Adds `name/version` of your application to the `User-Agent`.
    pub fn application(mut self, name: impl Into<String>, version: impl Into<String>) -> Self {
        self.application = Some((name.into(), version.into()));
        self
    }

    /// How long to wait for a connection (default 10 s). Not applied to a builder given
    /// with [`http_client`](Self::http_client): set it there.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long one attempt may take, from sending to the last byte of the answer
    /// (default 30 s). Applied to every request, whichever `reqwest::Client` sends it.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How failed calls are retried (default [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Which checks run before a request is sent (default: all).
    pub fn checks(mut self, checks: Checks) -> Self {
        self.checks = checks;
        self
    }

    /// The largest answer body read (default 4 MiB); a larger one fails with
    /// [`Error::ResponseTooLarge`](crate::Error::ResponseTooLarge), unless its status is
    /// 408, 429 or 5xx: such an answer is that status ([`Error::Api`](crate::Error::Api),
    /// retried as such).
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Sends through a `reqwest` client built from your builder (connection pool, proxy,
    /// TLS roots). The crate still sets what a payments client must have: its TLS
    /// backend and **no redirects** (a builder, not a built `reqwest::Client`, is taken so
    /// that this can be enforced), and the per-attempt [`timeout`](Self::timeout) of this
    /// builder in place of any `timeout` set on yours. Your connect timeout is kept.
    pub fn http_client(mut self, builder: reqwest::ClientBuilder) -> Self {
        self.http_client = Some(builder);
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<Client, ConfigError> {
        let base_url = checked_base_url(
            self.base_url
                .as_deref()
                .unwrap_or(self.region.base_url(self.environment)),
        )?;
        let credentials = self.credentials.ok_or(ConfigError::MissingCredentials)?;
        let authorization = credentials
            .authorization()
            .ok_or(ConfigError::UnusableCredentials)?;
        let mut agent = format!("klarna-payments-rust/{}", env!("CARGO_PKG_VERSION"));
        if let Some((name, version)) = &self.application {
            agent.push_str(&format!(" {name}/{version}"));
        }
        let user_agent = HeaderValue::from_str(&agent)
            .map_err(|_| ConfigError::InvalidUserAgent(agent.clone()))?;
        // The attempt timeout is the reqwest client's own: set per request, it would cost
        // every request a map of extensions.
        let http = match self.http_client {
            Some(builder) => crate::tls::harden(builder)
                .timeout(self.timeout)
                .build()
                .map_err(|e| ConfigError::HttpClient(e.to_string()))?,
            None => default_http_client(self.connect_timeout, self.timeout)?,
        };
        let transport = Transport::new(Settings {
            authorization,
            user_agent,
            retry: self.retry,
            timeout: self.timeout,
            max_response_bytes: self.max_response_bytes,
        });
        let api = crate::generated::Client::new_with_client(&base_url, http, transport);
        Ok(Client::from_parts(api, self.checks))
    }
}

fn checked_base_url(url: &str) -> Result<String, ConfigError> {
    let invalid = |reason: String| ConfigError::InvalidBaseUrl {
        url: shown_url(url),
        reason,
    };
    let parsed = Url::parse(url).map_err(|e| invalid(e.to_string()))?;
    // First: every other error below quotes the URL (without these, but still).
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid(
            "credentials belong in `.credentials(..)`, not in the URL (its user name and \
             password are not shown here)"
                .into(),
        ));
    }
    match parsed.scheme() {
        "https" if !crate::tls::AVAILABLE => return Err(ConfigError::NoTlsBackend(shown_url(url))),
        "https" => {}
        "http" if is_loopback(&parsed) => {}
        "http" => return Err(ConfigError::InsecureBaseUrl(shown_url(url))),
        // `host:8080`, `user:password@host`: what reads as a scheme may be neither.
        _ if parsed.cannot_be_a_base() => {
            return Err(invalid(
                "it has no host; write it as https://host or http://127.0.0.1:port".into(),
            ));
        }
        other => return Err(invalid(format!("scheme {other:?} is not https"))),
    }
    // Each request's path is appended to the base URL's text: after a `?` or `#` it
    // would become part of the query or fragment, and every request would go to the
    // base path instead.
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(invalid(
            "a base URL cannot have a query (`?…`) or a fragment (`#…`): request paths are \
             appended to it, and would end up inside them"
                .into(),
        ));
    }
    Ok(url.trim_end_matches('/').to_string())
}

/// The longest base URL an error or `Debug` quotes, in characters.
const SHOWN_URL_CHARS: usize = 200;

/// The base URL `text` as errors and `Debug` show it: never with the user name and
/// password of its userinfo (hidden as `…@`), whether or not it parses, nor with its
/// query's or fragment's value (`?…`, `#…`), which may hold a key; cut to
/// [`SHOWN_URL_CHARS`].
fn shown_url(text: &str) -> String {
    // Userinfo needs an `@`: a text without one (nor a look-alike, which a parser may map
    // to it), and without query or fragment, is shown as given.
    let hidden = |c: char| matches!(c, '@' | '\u{FF20}' | '\u{FE6B}' | '?' | '#');
    let shown = if !text.contains(hidden) {
        text.to_owned()
    } else {
        match Url::parse(text) {
            Ok(url) if url.has_host() && !url.cannot_be_a_base() => {
                without_secrets(url).unwrap_or_else(|| redacted_text(text))
            }
            _ => redacted_text(text),
        }
    };
    let mut out: String = shown.chars().take(SHOWN_URL_CHARS).collect();
    if shown.chars().nth(SHOWN_URL_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// A parsed URL's text without user name, password, query value and fragment value.
fn without_secrets(mut url: Url) -> Option<String> {
    let userinfo = !url.username().is_empty() || url.password().is_some();
    let query = url.query().is_some();
    let fragment = url.fragment().is_some();
    url.set_password(None).ok()?;
    url.set_username("").ok()?;
    url.set_query(None);
    url.set_fragment(None);
    let text = String::from(url);
    let mut out = String::with_capacity(text.len() + 8);
    match text.split_once("://") {
        Some((scheme, rest)) if userinfo => {
            out.push_str(scheme);
            out.push_str("://…@");
            out.push_str(rest);
        }
        _ => out.push_str(&text),
    }
    if query {
        out.push_str("?…");
    }
    if fragment {
        out.push_str("#…");
    }
    Some(out)
}

/// A URL that does not parse (or parses without a host), redacted as text: everything
/// from its start (or after `//`) to the last `@` or look-alike becomes `…@`, and
/// anything from a `?` or `#` on is cut.
fn redacted_text(text: &str) -> String {
    let start = text.find("//").map_or(0, |i| i + 2);
    let (head, mut rest) = text.split_at(start);
    let mut out = String::from(head);
    if let Some((at, c)) = rest
        .char_indices()
        .rfind(|&(_, c)| matches!(c, '@' | '\u{FF20}' | '\u{FE6B}'))
    {
        out.push_str("…@");
        rest = &rest[at + c.len_utf8()..];
    }
    match rest.find(['?', '#']) {
        Some(cut) => {
            out.push_str(&rest[..cut]);
            out.push(if rest[cut..].starts_with('?') {
                '?'
            } else {
                '#'
            });
            out.push('…');
        }
        None => out.push_str(rest),
    }
    out
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// A `reqwest::ClientBuilder` with this crate's TLS backend (see the crate docs'
/// feature table) and redirects turned off. Customize it (proxy, pool, extra roots)
/// and hand it to [`ClientBuilder::http_client`], which turns redirects off again.
/// Certificate verification cannot be turned off through this crate.
///
/// ```
/// let http = klarna_payments::http_client_builder().pool_max_idle_per_host(16);
/// let client = klarna_payments::Client::builder()
///     .base_url("http://127.0.0.1:8080")
///     .credentials(klarna_payments::Credentials::new("user", "secret"))
///     .http_client(http)
///     .build();
/// assert!(client.is_ok());
/// ```
pub fn http_client_builder() -> reqwest::ClientBuilder {
    crate::tls::harden(reqwest::Client::builder())
}

fn default_http_client(
    connect_timeout: Duration,
    timeout: Duration,
) -> Result<reqwest::Client, ConfigError> {
    http_client_builder()
        .connect_timeout(connect_timeout)
        .timeout(timeout)
        .build()
        .map_err(|e| ConfigError::HttpClient(e.to_string()))
}
