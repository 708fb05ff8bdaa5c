//! Field paths in Klarna's notation.

use std::fmt;

/// One step into a JSON value: an object key or an array index.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PathSegment {
    /// A property of an object.
    Key(String),
    /// An element of an array.
    Index(usize),
}

/// Where in a request body a value sits, shown as Klarna shows it in
/// `Bad value: …` messages: `order_lines[2].total_tax_amount`. The empty path is the
/// whole body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct FieldPath(Vec<PathSegment>);

impl FieldPath {
    /// The path of the whole body.
    pub fn root() -> Self {
        Self::default()
    }

    /// This path extended by an object key.
    pub fn key(&self, key: &str) -> Self {
        let mut next = self.clone();
        next.0.push(PathSegment::Key(key.to_owned()));
        next
    }

    /// This path extended by an array index.
    pub fn index(&self, index: usize) -> Self {
        let mut next = self.clone();
        next.0.push(PathSegment::Index(index));
        next
    }

    /// The segments, outermost first.
    pub fn segments(&self) -> &[PathSegment] {
        &self.0
    }

    /// Whether this is the path of the whole body.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                PathSegment::Key(key) if i == 0 => f.write_str(key)?,
                PathSegment::Key(key) => write!(f, ".{key}")?,
                PathSegment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_in_klarna_notation() {
        let path = FieldPath::root()
            .key("order_lines")
            .index(2)
            .key("total_tax_amount");
        assert_eq!(path.to_string(), "order_lines[2].total_tax_amount");
        assert_eq!(FieldPath::root().to_string(), "");
        assert!(FieldPath::root().is_root());
    }
}
