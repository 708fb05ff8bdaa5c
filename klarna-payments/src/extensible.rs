//! Values Klarna extends over time (`x-extensible-enum` in the spec): session status,
//! intent, acquiring channel, order line type and the rest. Each is a Rust enum with one
//! variant per value the spec knows and `Unknown(text)` for any other, so a value Klarna
//! adds tomorrow decodes today, and can be sent before this crate learns it.
//!
//! The types are derived from the spec by `build.rs`; nothing here lists a value.
//!
//! ```
//! use klarna_payments::types::{Intent, SessionStatus};
//!
//! let status: SessionStatus = serde_json::from_str("\"complete\"").unwrap();
//! assert_eq!(status, SessionStatus::Complete);
//! let newer: SessionStatus = serde_json::from_str("\"archived\"").unwrap();
//! assert_eq!(newer, SessionStatus::Unknown("archived".into()));
//! assert_eq!(newer.as_str(), "archived");
//! assert!(!newer.is_known());
//!
//! // Send a value this version does not know yet:
//! let intent = Intent::from("buy_and_subscribe");
//! assert_eq!(serde_json::to_string(&intent).unwrap(), "\"buy_and_subscribe\"");
//! ```

/// Defines one extensible enum: known unit variants, `Unknown(String)`, and the
/// conversions to and from its text.
macro_rules! extensible_enum {
    (
        $(#[doc = $doc:expr])*
        $name:ident {
            $( #[doc = $vdoc:expr] $variant:ident = $text:literal, )*
        }
    ) => {
        $(#[doc = $doc])*
        ///
        /// Decoding never fails: a value the spec does not list becomes `Unknown(text)`.
        /// A known value is recognised whatever its case (`in_store` is `InStore`) and is
        /// sent in the spec's spelling.
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( #[doc = $vdoc] $variant, )*
            /// A value this version of the crate does not know, exactly as received.
            Unknown(String),
        }

        impl $name {
            /// Every value this version knows, in the spec's order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),*];

            /// The value as Klarna writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $text, )*
                    Self::Unknown(text) => text,
                }
            }

            /// Whether this version of the crate knows the value.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Unknown(_))
            }

            fn parse(text: &str) -> Option<Self> {
                // Klarna's own spelling first: one `match` on the text, which compiles to
                // a few comparisons; any other case after.
                match text {
                    $( $text => return Some(Self::$variant), )*
                    _ => {}
                }
                $( if text.eq_ignore_ascii_case($text) { return Some(Self::$variant); } )*
                None
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                Self::parse(text).unwrap_or_else(|| Self::Unknown(text.to_owned()))
            }
        }

        impl From<String> for $name {
            fn from(text: String) -> Self {
                Self::parse(&text).unwrap_or(Self::Unknown(text))
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(text))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_str(ExtensibleVisitor(std::marker::PhantomData))
            }
        }
    };
}

/// Reads any JSON string into an extensible enum, without copying known values.
struct ExtensibleVisitor<T>(std::marker::PhantomData<T>);

impl<T: for<'a> From<&'a str> + From<String>> serde::de::Visitor<'_> for ExtensibleVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<T, E> {
        Ok(T::from(text))
    }

    fn visit_string<E: serde::de::Error>(self, text: String) -> Result<T, E> {
        Ok(T::from(text))
    }
}

include!(concat!(env!("OUT_DIR"), "/extensible.rs"));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_round_trip_and_unknown_ones_are_kept() {
        for known in OrderLineType::KNOWN {
            let json = serde_json::to_string(known).unwrap();
            let back: OrderLineType = serde_json::from_str(&json).unwrap();
            assert_eq!(&back, known);
            assert!(back.is_known());
        }
        let unknown: OrderLineType = serde_json::from_str("\"bundle\"").unwrap();
        assert_eq!(unknown, OrderLineType::Unknown("bundle".into()));
        assert_eq!(serde_json::to_string(&unknown).unwrap(), "\"bundle\"");
    }

    #[test]
    fn known_values_are_recognised_in_any_case() {
        assert_eq!(
            AcquiringChannel::from("in_store"),
            AcquiringChannel::InStore
        );
        assert_eq!(AcquiringChannel::InStore.as_str(), "IN_STORE");
        let decoded: AcquiringChannel = serde_json::from_str("\"in_store\"").unwrap();
        assert_eq!(decoded, AcquiringChannel::InStore);
    }

    #[test]
    fn a_non_string_is_a_decode_error() {
        assert!(serde_json::from_str::<SessionStatus>("42").is_err());
    }
}
