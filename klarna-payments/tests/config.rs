//! Configuration: region and environment URLs, base URL safety, `from_env`.

use klarna_payments::{ClientBuilder, ConfigError, Credentials, Environment, Region};

#[test]
fn each_region_and_environment_has_its_url() {
    let cases = [
        (
            Region::Europe,
            Environment::Production,
            "https://api.klarna.com",
        ),
        (
            Region::Europe,
            Environment::Playground,
            "https://api.playground.klarna.com",
        ),
        (
            Region::NorthAmerica,
            Environment::Production,
            "https://api-na.klarna.com",
        ),
        (
            Region::NorthAmerica,
            Environment::Playground,
            "https://api-na.playground.klarna.com",
        ),
        (
            Region::Oceania,
            Environment::Production,
            "https://api-oc.klarna.com",
        ),
        (
            Region::Oceania,
            Environment::Playground,
            "https://api-oc.playground.klarna.com",
        ),
    ];
    for (region, environment, url) in cases {
        let client = ClientBuilder::new()
            .region(region)
            .environment(environment)
            .credentials(Credentials::new("u", "p"))
            .build()
            .unwrap();
        assert_eq!(client.base_url(), url);
    }
}

#[test]
fn plain_http_is_refused_unless_loopback() {
    let build = |url: &str| {
        ClientBuilder::new()
            .base_url(url)
            .credentials(Credentials::new("u", "p"))
            .build()
    };
    assert!(matches!(
        build("http://api.klarna.com"),
        Err(ConfigError::InsecureBaseUrl(_))
    ));
    assert!(matches!(
        build("http://10.0.0.5:8080"),
        Err(ConfigError::InsecureBaseUrl(_))
    ));
    assert!(build("http://127.0.0.1:8080").is_ok());
    assert!(build("http://localhost:8080/").is_ok());
    assert!(build("http://[::1]:8080").is_ok());
    assert!(matches!(
        build("ftp://api.klarna.com"),
        Err(ConfigError::InvalidBaseUrl { .. })
    ));
    assert!(matches!(
        build("not a url"),
        Err(ConfigError::InvalidBaseUrl { .. })
    ));
    let with_userinfo = build("https://user:hunter2@api.klarna.com").unwrap_err();
    assert!(
        !with_userinfo.to_string().contains("hunter2"),
        "{with_userinfo}"
    );
    assert_eq!(
        ClientBuilder::new().build().unwrap_err(),
        ConfigError::MissingCredentials
    );
}

fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| {
        vars.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string())
    }
}

#[test]
fn from_env_reads_klarna_variables_and_names_what_is_wrong() {
    let base = [("KLARNA_USERNAME", "PK1"), ("KLARNA_PASSWORD", "topsecret")];
    let client = ClientBuilder::from_lookup(env(&base))
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(client.base_url(), "https://api.playground.klarna.com");

    let na = [
        base[0],
        base[1],
        ("KLARNA_REGION", "na"),
        ("KLARNA_ENVIRONMENT", "production"),
    ];
    assert_eq!(
        ClientBuilder::from_lookup(env(&na))
            .unwrap()
            .build()
            .unwrap()
            .base_url(),
        "https://api-na.klarna.com"
    );

    let local = [
        base[0],
        base[1],
        ("KLARNA_BASE_URL", "http://127.0.0.1:9999"),
        ("KLARNA_REGION", "mars"),
    ];
    assert_eq!(
        ClientBuilder::from_lookup(env(&local))
            .unwrap()
            .build()
            .unwrap()
            .base_url(),
        "http://127.0.0.1:9999"
    );

    let missing = ClientBuilder::from_lookup(env(&[("KLARNA_USERNAME", "PK1")])).unwrap_err();
    assert_eq!(missing, ConfigError::MissingVariable("KLARNA_PASSWORD"));
    assert_eq!(
        missing.to_string(),
        "environment variable KLARNA_PASSWORD is not set"
    );

    let bad_region = [base[0], base[1], ("KLARNA_REGION", "mars")];
    let error = ClientBuilder::from_lookup(env(&bad_region)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "environment variable KLARNA_REGION is \"mars\"; expected eu, na or oc"
    );
    let bad_env = [base[0], base[1], ("KLARNA_ENVIRONMENT", "staging")];
    let error = ClientBuilder::from_lookup(env(&bad_env)).unwrap_err();
    assert!(error.to_string().contains("KLARNA_ENVIRONMENT"));
    assert!(!format!("{error:?}{error}").contains("topsecret"));
}
