//! The TLS backend of the HTTP client, chosen by cargo feature, and the settings every
//! client of this crate gets: certificates always verified, redirects never followed.
//!
//! | feature | backend |
//! |---|---|
//! | `rustls-ring` (default) | rustls on the `ring` provider, platform certificate verifier |
//! | `rustls-aws-lc` | rustls on `aws-lc-rs` (reqwest's own default) |
//! | `native-tls` | the platform's TLS library |
//!
//! When several are enabled the explicit choice wins: `native-tls`, then
//! `rustls-aws-lc`, then `rustls-ring`. With none, only plain-HTTP loopback URLs (such
//! as the simulator's) can be used.

/// Whether this build can speak TLS at all. Without any of the features the client
/// still reaches plain-HTTP loopback servers (the simulator), and refuses `https://`
/// base URLs when it is built.
pub(crate) const AVAILABLE: bool = cfg!(any(
    feature = "rustls-ring",
    feature = "rustls-aws-lc",
    feature = "native-tls"
));

/// With `rustls-ring` alone, reqwest has rustls but no crypto provider of its own, and
/// every `reqwest::Client` in the program (the application's too) would panic when
/// built. Installing ring as the process-wide default when the program starts keeps
/// them all working. A provider installed earlier is left alone; a program that wants
/// its own provider enables `rustls-aws-lc` or `native-tls` instead.
#[cfg(all(
    feature = "rustls-ring",
    not(any(feature = "rustls-aws-lc", feature = "native-tls"))
))]
mod ring_default {
    ctor::declarative::ctor! {
        #[ctor(unsafe)]
        fn install_ring_provider() {
            super::install_ring_provider();
        }
    }
}

/// Makes ring the process-wide rustls provider unless one is installed already.
#[cfg(all(
    feature = "rustls-ring",
    not(any(feature = "rustls-aws-lc", feature = "native-tls"))
))]
// rustls 0.23.48 deprecates `ring::default_provider` because ring has no post-quantum
// key exchange, and offers no other way to get the ring provider: rustls itself still
// builds it so, under the same `allow`. Post-quantum key exchange comes with the
// `rustls-aws-lc` feature.
#[allow(deprecated)]
fn install_ring_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race to another installer is fine: a provider is then installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// Applies the crate's fixed settings to `builder`: the TLS backend of the enabled
/// feature and no redirects (Klarna's API never redirects; a payments client treats a
/// redirect as an error, never as an answer).
pub(crate) fn harden(builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
    let builder = builder.redirect(reqwest::redirect::Policy::none());
    #[cfg(feature = "native-tls")]
    let builder = builder.tls_backend_native();
    #[cfg(all(feature = "rustls-aws-lc", not(feature = "native-tls")))]
    let builder = builder.tls_backend_rustls();
    #[cfg(all(
        feature = "rustls-ring",
        not(any(feature = "rustls-aws-lc", feature = "native-tls"))
    ))]
    let builder = {
        install_ring_provider();
        builder.tls_backend_rustls()
    };
    builder
}
