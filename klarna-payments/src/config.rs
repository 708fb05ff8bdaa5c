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
            .field("base_url", &self.base_url)
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
    /// It must be `https://`, or `http://` to a loopback host.
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
    /// [`Error::ResponseTooLarge`](crate::Error::ResponseTooLarge).
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
    let parsed = Url::parse(url).map_err(|e| ConfigError::InvalidBaseUrl {
        url: url.into(),
        reason: e.to_string(),
    })?;
    match parsed.scheme() {
        "https" if !crate::tls::AVAILABLE => return Err(ConfigError::NoTlsBackend(url.into())),
        "https" => {}
        "http" if is_loopback(&parsed) => {}
        "http" => return Err(ConfigError::InsecureBaseUrl(url.into())),
        other => {
            return Err(ConfigError::InvalidBaseUrl {
                url: url.into(),
                reason: format!("scheme {other:?} is not https"),
            });
        }
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(ConfigError::InvalidBaseUrl {
            url: "<hidden: it holds credentials>".into(),
            reason: "credentials belong in `.credentials(..)`, not in the URL".into(),
        });
    }
    Ok(url.trim_end_matches('/').to_string())
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
