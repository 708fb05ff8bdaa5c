//! `Text`: a string for an optional builder field whose schema constrains it.

/// Text for an optional field of a *generated* builder (`types::SessionCreate::builder()`)
/// whose schema constrains it (a pattern or a length): the builder checks it and names
/// the field if it does not fit. The [`request`](crate::request) builders take `&str`
/// and `String` directly and need none of this; `Text` stays for code written against
/// the generated builders.
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
