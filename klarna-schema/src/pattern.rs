//! `pattern`s: the simple ones specs use (`^[A-Za-z]{2}$`, `^(person|organization)$`,
//! `^[0-9]{2,20}$`, …) matched by a small backtracking matcher over ASCII that
//! allocates nothing; anything else by regress, the ECMA 262 engine the generated
//! code uses.
//!
//! The simple subset: `^` first and `$` last (optional), literal ASCII characters, `\d`,
//! `\w` and escaped punctuation, classes `[...]` of those and ASCII ranges (not
//! negated), groups `(...)` / `(?:...)` with alternatives `|`, and the quantifiers `?`,
//! `*`, `+`, `{n}`, `{n,}`, `{n,m}` (lazy or not: only whether there is a match
//! counts). Every atom matches one ASCII character, so matching the UTF-8 bytes gives
//! the answer regress gives on the text (a non-ASCII character matches no atom in
//! either). `tests/patterns.rs` compares the two.

/// A compiled `pattern`.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    simple: Option<Simple>,
    regex: regress::Regex,
}

impl Pattern {
    pub(crate) fn new(source: &str, regex: regress::Regex) -> Self {
        Pattern {
            simple: Simple::parse(source),
            regex,
        }
    }

    /// Whether `text` contains a match (what `regress::Regex::find` finds).
    pub(crate) fn is_match(&self, text: &str) -> bool {
        match &self.simple {
            // Long texts go to regress: the matcher recurses once per group repetition.
            Some(simple) if text.len() <= Simple::MAX_TEXT => simple.is_match(text.as_bytes()),
            _ => self.regex.find(text).is_some(),
        }
    }
}

#[derive(Debug, Clone)]
enum Atom {
    Byte(u8),
    /// ASCII characters, one bit each.
    Class(u128),
    /// Alternatives.
    Group(Vec<Vec<Item>>),
}

#[derive(Debug, Clone)]
struct Item {
    atom: Atom,
    min: u32,
    max: u32,
}

#[derive(Debug, Clone)]
struct Simple {
    start: bool,
    end: bool,
    items: Vec<Item>,
    /// No groups: every item is one character, matched without continuations.
    flat: bool,
}

const UNBOUNDED: u32 = u32::MAX;

fn class_of(bytes: impl IntoIterator<Item = u8>) -> u128 {
    bytes.into_iter().fold(0, |set, b| set | 1u128 << b)
}

fn digits() -> u128 {
    class_of(b'0'..=b'9')
}

fn word() -> u128 {
    digits() | class_of(b'a'..=b'z') | class_of(b'A'..=b'Z') | class_of([b'_'])
}

/// Characters that stand for themselves outside a class.
fn plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b" !\"#%&',-/:;<=>@_`~".contains(&b)
}

/// Characters that may follow a `\` and then stand for themselves.
fn escapable(b: u8) -> bool {
    b"^$\\.*+?()[]{}|/-".contains(&b)
}

struct Parser<'s> {
    source: &'s [u8],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.source.get(self.at).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let matched = self.peek() == Some(b);
        self.at += usize::from(matched);
        matched
    }

    fn number(&mut self) -> Option<u32> {
        let start = self.at;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
        std::str::from_utf8(&self.source[start..self.at])
            .ok()?
            .parse()
            .ok()
    }

    /// Alternatives up to `)` or the end.
    fn alternatives(&mut self) -> Option<Vec<Vec<Item>>> {
        let mut alternatives = vec![self.sequence()?];
        while self.eat(b'|') {
            alternatives.push(self.sequence()?);
        }
        Some(alternatives)
    }

    fn sequence(&mut self) -> Option<Vec<Item>> {
        let mut items = Vec::new();
        while let Some(b) = self.peek() {
            if b == b'|' || b == b')' || (b == b'$' && self.at + 1 == self.source.len()) {
                break;
            }
            let atom = self.atom()?;
            let (min, max) = self.quantifier()?;
            if let Atom::Group(alternatives) = &atom
                && max > 1
                && alternatives.iter().any(|alt| can_be_empty(alt))
            {
                return None; // (a*)* and the like: left to regress
            }
            items.push(Item { atom, min, max });
        }
        Some(items)
    }

    fn atom(&mut self) -> Option<Atom> {
        let b = self.peek()?;
        self.at += 1;
        match b {
            b'(' => {
                if self.eat(b'?') && !self.eat(b':') {
                    return None; // lookaround, named group
                }
                let alternatives = self.alternatives()?;
                self.eat(b')').then_some(Atom::Group(alternatives))
            }
            b'[' => self.class().map(Atom::Class),
            b'\\' => match self.peek()? {
                b'd' => {
                    self.at += 1;
                    Some(Atom::Class(digits()))
                }
                b'w' => {
                    self.at += 1;
                    Some(Atom::Class(word()))
                }
                e if escapable(e) => {
                    self.at += 1;
                    Some(Atom::Byte(e))
                }
                _ => None,
            },
            b if plain(b) => Some(Atom::Byte(b)),
            _ => None,
        }
    }

    /// A class after its `[`.
    fn class(&mut self) -> Option<u128> {
        if matches!(self.peek(), Some(b'^' | b']')) {
            return None; // negated, or empty
        }
        let mut set = 0u128;
        loop {
            let b = self.peek()?;
            self.at += 1;
            let low = match b {
                b']' => return Some(set),
                b'\\' => {
                    let e = self.peek()?;
                    self.at += 1;
                    match e {
                        b'd' => {
                            set |= digits();
                            continue;
                        }
                        b'w' => {
                            set |= word();
                            continue;
                        }
                        e if escapable(e) => e,
                        _ => return None,
                    }
                }
                b'[' => return None,
                b if b.is_ascii() && !b.is_ascii_control() => b,
                _ => return None,
            };
            // A range `low-high`, unless the `-` ends the class.
            if self.peek() == Some(b'-') && self.source.get(self.at + 1).is_some_and(|&n| n != b']')
            {
                self.at += 1;
                let high = self.peek()?;
                self.at += 1;
                if high == b'\\' || high == b'[' || !high.is_ascii() || high.is_ascii_control() {
                    return None;
                }
                if high < low {
                    return None;
                }
                set |= class_of(low..=high);
            } else {
                set |= 1u128 << low;
            }
        }
    }

    fn quantifier(&mut self) -> Option<(u32, u32)> {
        let (min, max) = match self.peek() {
            Some(b'*') => (0, UNBOUNDED),
            Some(b'+') => (1, UNBOUNDED),
            Some(b'?') => (0, 1),
            Some(b'{') => {
                self.at += 1;
                let min = self.number()?;
                let max = if self.eat(b',') {
                    if self.peek() == Some(b'}') {
                        UNBOUNDED
                    } else {
                        self.number()?
                    }
                } else {
                    min
                };
                if self.peek() != Some(b'}') || max < min || max == UNBOUNDED && min == UNBOUNDED {
                    return None;
                }
                (min, max)
            }
            _ => return Some((1, 1)),
        };
        self.at += 1;
        self.eat(b'?'); // lazy: the same matches exist
        Some((min, max))
    }
}

fn can_be_empty(items: &[Item]) -> bool {
    items.iter().all(|item| {
        item.min == 0
            || match &item.atom {
                Atom::Group(alternatives) => alternatives.iter().any(|alt| can_be_empty(alt)),
                _ => false,
            }
    })
}

impl Simple {
    /// Texts longer than this (in bytes) are left to regress.
    const MAX_TEXT: usize = 256;

    fn parse(source: &str) -> Option<Simple> {
        let mut parser = Parser {
            source: source.as_bytes(),
            at: 0,
        };
        let start = parser.eat(b'^');
        let items = parser.sequence()?;
        let end = parser.eat(b'$');
        let flat = !items.iter().any(|item| matches!(item.atom, Atom::Group(_)));
        (parser.at == parser.source.len()).then_some(Simple {
            start,
            end,
            items,
            flat,
        })
    }

    fn is_match(&self, text: &[u8]) -> bool {
        let end = self.end;
        let starts = if self.start { 0..=0 } else { 0..=text.len() };
        starts.into_iter().any(|from| {
            if self.flat {
                flat(&self.items, text, from, end)
            } else {
                sequence(&self.items, text, from, &mut |at| !end || at == text.len())
            }
        })
    }
}

/// How many characters from `at` (at most `max`) one-character `atom` matches.
#[inline]
fn run(atom: &Atom, max: u32, text: &[u8], at: usize) -> usize {
    let fits = |b: u8| match atom {
        Atom::Byte(expected) => b == *expected,
        Atom::Class(set) => b < 128 && set & (1u128 << b) != 0,
        Atom::Group(_) => false,
    };
    let max = (max as usize).min(text.len() - at);
    text[at..at + max].iter().take_while(|&&b| fits(b)).count()
}

/// [`sequence`] for items of one character each, ending at the end of `text` if `end`.
fn flat(items: &[Item], text: &[u8], at: usize, end: bool) -> bool {
    let Some((item, rest)) = items.split_first() else {
        return !end || at == text.len();
    };
    let taken = run(&item.atom, item.max, text, at);
    let min = item.min as usize;
    if taken < min {
        return false;
    }
    if rest.is_empty() {
        // Nothing after: any count from `min` to `taken` ends somewhere; with `end`
        // only the longest can reach the end.
        return !end || at + taken == text.len();
    }
    (min..=taken)
        .rev()
        .any(|count| flat(rest, text, at + count, end))
}

type Then<'k> = &'k mut dyn FnMut(usize) -> bool;

/// Whether `items` match at `at` with `then` accepting where they end.
fn sequence(items: &[Item], text: &[u8], at: usize, then: Then<'_>) -> bool {
    let Some((item, rest)) = items.split_first() else {
        return then(at);
    };
    match &item.atom {
        Atom::Group(alternatives) => repeat(item, alternatives, 0, rest, text, at, then),
        single => {
            // One character per repetition: take as many as allowed, then give back.
            let taken = run(single, item.max, text, at);
            let min = item.min as usize;
            (min..=taken)
                .rev()
                .any(|count| sequence(rest, text, at + count, then))
        }
    }
}

/// Repetitions of a group, `done` of them so far, then `rest`.
fn repeat(
    item: &Item,
    alternatives: &[Vec<Item>],
    done: u32,
    rest: &[Item],
    text: &[u8],
    at: usize,
    then: Then<'_>,
) -> bool {
    if done < item.max {
        let more = alternatives.iter().any(|alternative| {
            sequence(alternative, text, at, &mut |next| {
                // An empty repetition beyond the required ones changes nothing (and
                // would never end).
                (next != at || done < item.min)
                    && repeat(item, alternatives, done + 1, rest, text, next, then)
            })
        });
        if more {
            return true;
        }
    }
    done >= item.min && sequence(rest, text, at, then)
}

#[cfg(test)]
mod tests {
    use super::Simple;

    /// Every `pattern` of the spec (its derived JSON): each must take the small matcher,
    /// so that the pre-send checks never fall back to regress for them.
    #[test]
    fn the_spec_patterns_are_simple() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../openapi/klarna-payments.json"
        );
        let text = std::fs::read_to_string(path).expect("the derived JSON spec is checked in");
        let spec = crate::SchemaDocument::from_json(serde_json::from_str(&text).unwrap()).unwrap();
        let found: Vec<&str> = spec.patterns().collect();
        assert!(found.len() >= 5, "the spec's patterns: {found:?}");
        for pattern in found {
            assert!(Simple::parse(pattern).is_some(), "{pattern}");
        }
    }

    #[test]
    fn the_simple_subset_is_taken_and_others_are_left_to_regress() {
        for simple in [
            "ab?c+d*\\.e{2,}f{1,3}?",
            "^\\d+(\\.\\d{1,2})?$",
            "[\\w-]+@[a-z-]+",
            "^$",
        ] {
            assert!(Simple::parse(simple).is_some(), "{simple}");
        }
        for other in [
            ".", "[^a]", "a|b", "(?=a)", "(?<n>a)", "\\s", "\\bx", "a{2,1}", "(a*)*", "é", "[]",
            "a{", "x$y", "a^", "\\1", "(a",
        ] {
            assert!(Simple::parse(other).is_none(), "{other}");
        }
    }
}
