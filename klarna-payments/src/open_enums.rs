//! Conveniences for the spec's open enums (`open_*` schemas): a value Klarna may extend,
//! generated as `Known(..)` or `Unknown(text)`. Both read back as their text.

use std::fmt;

use crate::types::*;

macro_rules! open_enum {
    ($($open:ident => $known:ident),* $(,)?) => {$(
        impl $open {
            /// The value, if this version of the crate knows it.
            pub fn known(&self) -> Option<&$known> {
                match self {
                    Self::$known(known) => Some(known),
                    Self::Unknown(_) => None,
                }
            }
        }

        impl fmt::Display for $open {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    Self::$known(known) => known.fmt(f),
                    Self::Unknown(text) => f.write_str(text),
                }
            }
        }
    )*};
}

open_enum! {
    OpenAcquiringChannel => AcquiringChannel,
    OpenAuthorizedPaymentMethodType => AuthorizedPaymentMethodType,
    OpenIntent => Intent,
    OpenOrderLineType => OrderLineType,
    OpenOrganizationEntityType => OrganizationEntityType,
    OpenPaymentMethodCategoryIdentifier => PaymentMethodCategoryIdentifier,
    OpenSessionStatus => SessionStatus,
    OpenSubscriptionInterval => SubscriptionInterval,
}

/// Text for an optional builder field whose schema constrains it (a pattern or a
/// length): the builder checks it and names the field if it does not fit.
///
/// ```
/// use klarna_payments::Text;
/// use klarna_payments::types::SessionCreate;
///
/// let refused = SessionCreate::try_from(
///     SessionCreate::builder()
///         .purchase_country("SE")
///         .purchase_currency("SEK")
///         .order_amount(0)
///         .order_lines(vec![])
///         .locale(Text("swedish")),
/// );
/// assert!(refused.unwrap_err().to_string().contains("locale"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Text<'a>(pub &'a str);

impl<'a, T> TryFrom<Text<'a>> for Option<T>
where
    T: TryFrom<&'a str>,
{
    type Error = T::Error;

    fn try_from(text: Text<'a>) -> Result<Self, Self::Error> {
        T::try_from(text.0).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_enums_read_back_as_text() {
        let known: OpenSessionStatus = serde_json::from_str("\"complete\"").unwrap();
        assert_eq!(known.known(), Some(&SessionStatus::Complete));
        assert_eq!(known.to_string(), "complete");
        let unknown: OpenSessionStatus = serde_json::from_str("\"archived\"").unwrap();
        assert_eq!(unknown.known(), None);
        assert_eq!(unknown.to_string(), "archived");
    }
}
