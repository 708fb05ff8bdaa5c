//! Klarna's authorization callback: after the shopper is approved, a session with
//! `merchant_urls.authorization` gets `POST {"authorization_token", "session_id"}`
//! there, so the merchant can place the order even when the page never reports back.
//! Sent in the background, at most [`ATTEMPTS`] times, each attempt in the request log;
//! only to loopback hosts unless the operator allowed others.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::requests::{Arrival, Ending, Outcome};
use crate::server::AppState;

/// Attempts per callback: the first and two retries.
pub const ATTEMPTS: u32 = 3;
/// How long one attempt may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
/// The wait before the first retry; it doubles.
const FIRST_BACKOFF: Duration = Duration::from_millis(200);

/// Which hosts callbacks may go to besides loopback ones.
#[derive(Clone, Debug, Default)]
pub(crate) struct CallbackHosts(pub(crate) Vec<String>);

impl CallbackHosts {
    /// Whether `url` may be called: `http` to a loopback address or `localhost`, or to
    /// a host the operator allowed. (No `https`: the simulator carries no TLS.)
    fn allows(&self, url: &url_lite::Url) -> bool {
        if url.scheme != "http" {
            return false;
        }
        let host = url.host.trim_start_matches('[').trim_end_matches(']');
        let loopback = host.eq_ignore_ascii_case("localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        loopback
            || self
                .0
                .iter()
                .any(|allowed| allowed.eq_ignore_ascii_case(host))
    }
}

/// Sends the callback for an approval of `session_id`, if the session asks for one, in
/// the background (outside a runtime it is skipped, with a warning).
pub(crate) fn send(state: &Arc<AppState>, target: &str, session_id: &str, token: &str) {
    let Some(url) = url_lite::Url::parse(target) else {
        tracing::warn!("authorization callback not sent: the URL does not parse");
        return;
    };
    if !state.callback_hosts.allows(&url) {
        tracing::warn!(
            host = %url.host,
            "authorization callback not sent: not a loopback host (see --allow-callback-host)"
        );
        return;
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        tracing::warn!("authorization callback not sent: no async runtime");
        return;
    };
    let body = json!({"authorization_token": token, "session_id": session_id}).to_string();
    let (state, target, session_id) = (Arc::clone(state), target.to_owned(), session_id.to_owned());
    runtime.spawn(async move {
        deliver(&state, &target, &url.path, &session_id, body).await;
    });
}

async fn deliver(state: &AppState, target: &str, path: &str, session_id: &str, body: String) {
    let client = match reqwest::Client::builder()
        .timeout(ATTEMPT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "authorization callback not sent");
            return;
        }
    };
    let mut backoff = FIRST_BACKOFF;
    for attempt in 1..=ATTEMPTS {
        let started = Instant::now();
        let correlation_id = crate::checks::random_uuid().to_string();
        let seq = state.requests.begin(Arrival {
            received_at: state.clock.now(),
            operation: None,
            method: "POST",
            path,
            session_id: Some(session_id),
            correlation_id: &correlation_id,
            outbound: true,
        });
        let sent = client
            .post(target)
            .header("content-type", "application/json")
            .header("klarna-correlation-id", &correlation_id)
            .body(body.clone())
            .send()
            .await;
        let status = sent.as_ref().ok().map(|r| r.status().as_u16());
        if let Some(seq) = seq {
            state.requests.finish(
                seq,
                Ending {
                    status,
                    outcome: if status.is_some() {
                        Outcome::Answered
                    } else {
                        Outcome::NoAnswer
                    },
                    fault: None,
                    duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                },
            );
        }
        if status.is_some_and(|s| (200..300).contains(&s)) {
            return;
        }
        if attempt < ATTEMPTS {
            tokio::time::sleep(backoff).await;
            backoff *= 2;
        }
    }
    tracing::warn!(
        attempts = ATTEMPTS,
        "authorization callback not acknowledged"
    );
}

/// Just enough URL parsing for the host check and the logged path.
mod url_lite {
    pub(super) struct Url {
        pub(super) scheme: String,
        pub(super) host: String,
        pub(super) path: String,
    }

    impl Url {
        /// `scheme://[userinfo@]host[:port][/path][?query][#fragment]`; the path without
        /// query or fragment (`/` when empty).
        pub(super) fn parse(text: &str) -> Option<Url> {
            let (scheme, rest) = text.split_once("://")?;
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            let (authority, tail) = rest.split_at(end);
            let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            let host = if host_port.starts_with('[') {
                &host_port[..host_port.find(']')? + 1]
            } else {
                host_port.split(':').next()?
            };
            if host.is_empty() {
                return None;
            }
            let path = tail.split(['?', '#']).next().unwrap_or("");
            Some(Url {
                scheme: scheme.to_ascii_lowercase(),
                host: host.to_owned(),
                path: if path.is_empty() {
                    "/".into()
                } else {
                    path.into()
                },
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_http_unless_allowed() {
        let none = CallbackHosts::default();
        let allowed = CallbackHosts(vec!["shop.test".into()]);
        let url = |text: &str| url_lite::Url::parse(text).unwrap();
        for ok in [
            "http://127.0.0.1:8080/cb",
            "http://localhost/cb?x=1",
            "http://[::1]:9/cb",
            "http://user:pw@127.0.0.2/cb",
        ] {
            assert!(none.allows(&url(ok)), "{ok}");
        }
        for refused in [
            "http://10.0.0.1/cb",
            "http://example.com/cb",
            "https://127.0.0.1/cb",
            "http://127.0.0.1.example.com/cb",
            "http://shop.test/cb",
        ] {
            assert!(!none.allows(&url(refused)), "{refused}");
        }
        assert!(allowed.allows(&url("http://shop.test:8000/klarna")));
        assert_eq!(url("http://h:1/a/b?c#d").path, "/a/b");
        assert_eq!(url("http://h").path, "/");
        assert!(url_lite::Url::parse("not a url").is_none());
        assert!(url_lite::Url::parse("http:///x").is_none());
    }
}
