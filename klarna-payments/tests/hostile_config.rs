//! Hostile configuration (issue 21): a base URL's user name and password never reach an
//! error, a `Debug` or the client's own output, whatever else is wrong with the URL; and
//! a base URL with a query or a fragment, which would misroute every request, is refused.

use klarna_payments::{ClientBuilder, ConfigError, Credentials};

/// Every spelling of a secret the tests plant in a URL's userinfo.
const SECRETS: [&str; 3] = ["hunter2", "pw-hidden", "tok3n-user"];

fn build(url: &str) -> Result<klarna_payments::Client, ConfigError> {
    ClientBuilder::new()
        .base_url(url)
        .credentials(Credentials::new("u", "p"))
        .build()
}

fn assert_hidden(shown: &str, context: &str) {
    for secret in SECRETS {
        assert!(
            !shown.contains(secret),
            "{context}: {secret:?} is shown in {shown:?}"
        );
    }
}

#[test]
fn userinfo_never_reaches_an_error_whatever_else_is_wrong() {
    let urls = [
        // Plain http to a host that is not loopback.
        "http://user:hunter2@api.klarna.com",
        "http://tok3n-user@10.0.0.5:8080",
        // Not http(s).
        "ftp://user:hunter2@api.klarna.com",
        "ftp://tok3n-user:pw-hidden@api.klarna.com/x",
        // Does not parse: a host with a space, an unclosed IPv6 host, a port out of range,
        // no host at all.
        "https://user:hunter2@exa mple.com",
        "https://user:hunter2@[::1",
        "https://user:hunter2@api.klarna.com:99999",
        "http://user:hunter2@",
        "//user:hunter2@api.klarna.com",
        // Parses, but as a scheme `user` and a path.
        "user:hunter2@api.klarna.com",
        "tok3n-user:pw-hidden@127.0.0.1:8080",
        // Credentials and a query or fragment.
        "https://user:hunter2@api.klarna.com/?a=b",
        "http://user:hunter2@127.0.0.1:8080#x",
        // Percent-encoded, and with an '@' inside the password.
        "https://user:hunt%65r2@api.klarna.com",
        "https://user:pw-hidden@x@api.klarna.com",
        // Loopback http and https with credentials (refused for the credentials alone).
        "http://user:hunter2@127.0.0.1:8080",
        "https://user:hunter2@api.klarna.com",
    ];
    for url in urls {
        let error = build(url).expect_err(url);
        let shown = format!(
            "{error} {error:?} {:?}",
            klarna_payments::Error::from(error.clone())
        );
        assert_hidden(&shown, url);
        assert!(!shown.contains("hunt%65r2"), "{url}: {shown}");
    }
}

#[test]
fn a_builder_never_prints_the_userinfo_of_its_base_url() {
    for url in [
        "http://user:hunter2@api.klarna.com",
        "https://user:hunter2@exa mple.com",
        "user:hunter2@api.klarna.com",
    ] {
        let builder = ClientBuilder::new().base_url(url);
        assert_hidden(&format!("{builder:?}"), url);
    }
}

#[test]
fn klarna_base_url_from_the_environment_hides_its_userinfo_too() {
    for url in [
        "http://user:hunter2@api.klarna.com",
        "ftp://user:hunter2@api.klarna.com",
        "https://user:hunter2@exa mple.com",
        "https://user:hunter2@api.klarna.com?x=1",
    ] {
        let vars = [
            ("KLARNA_USERNAME", "PK1"),
            ("KLARNA_PASSWORD", "secret-in-var"),
            ("KLARNA_BASE_URL", url),
        ];
        let lookup = |name: &str| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        };
        let builder = ClientBuilder::from_lookup(lookup).unwrap();
        assert_hidden(&format!("{builder:?}"), url);
        let error = builder.build().expect_err(url);
        let shown = format!("{error} {error:?}");
        assert_hidden(&shown, url);
        assert!(!shown.contains("secret-in-var"), "{url}: {shown}");
    }
}

#[test]
fn a_base_url_with_a_query_or_fragment_is_refused() {
    for url in [
        "http://127.0.0.1:8080/x?a=b",
        "http://127.0.0.1:8080?",
        "http://127.0.0.1:8080#",
        "http://127.0.0.1:8080/#frag",
        "https://api.klarna.com/?region=eu",
        "https://api.klarna.com#eu",
    ] {
        match build(url) {
            Err(ConfigError::InvalidBaseUrl { reason, .. }) => {
                assert!(
                    reason.contains("query") && reason.contains("fragment"),
                    "{url}: {reason}"
                );
            }
            other => panic!("{url}: {other:?}"),
        }
    }
    // A query's value is not quoted (it may be a key).
    let error = build("https://api.klarna.com/?api_key=k3y-value").unwrap_err();
    assert!(
        !format!("{error} {error:?}").contains("k3y-value"),
        "{error}"
    );
    // A plain path is still fine.
    assert!(build("http://127.0.0.1:8080/prefix/").is_ok());
}
