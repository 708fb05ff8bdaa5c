//! Sessions in memory: safe under concurrency, bounded in count, expired ones evicted.
//! The lock is a std `Mutex`, held only for map operations and never across an `.await`.
//! Every change bumps a version number, so that a persisted snapshot can say which
//! changes it holds; sessions sit behind `Arc`s so that taking a snapshot (or the
//! journal's list of changes) copies pointers, not bodies.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One stored session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredSession {
    /// The merchant's data: the create body with every update merged in.
    pub data: JsonText,
    /// Token handed to the browser widget; in-store sessions have none.
    pub client_token: Option<String>,
    /// The categories offered at creation.
    pub categories: JsonText,
    /// When the session stops being usable.
    pub expires_at: DateTime<Utc>,
    /// Whether an order was placed from it.
    pub completed: bool,
    /// The shopper's latest approval, once given (a new approval replaces it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<Box<Authorization>>,
    /// The order placed with the authorization, once placed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<Box<PlacedOrder>>,
    /// The customer token saved with the authorization, once saved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_token: Option<String>,
    /// The category the shopper approved in the browser with `auto_finalize: false`,
    /// until the page calls `finalize` (or the shopper decides again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finalize_pending: Option<String>,
}

/// An approval of the shopper's, as the widget (or the control endpoint) gave it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Authorization {
    /// The token the merchant places the order with.
    pub token: String,
    /// The category the shopper was approved for.
    pub payment_method_category: String,
    /// The fraud decision the order will carry.
    pub fraud_status: String,
    /// Until when an order can be placed with it.
    pub expires_at: DateTime<Utc>,
    /// Whether it can still be used.
    pub state: AuthorizationState,
}

/// What became of an authorization.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorizationState {
    /// It can be used for an order (or a customer token).
    Open,
    /// An order was placed with it (or, for a `tokenize` session, a customer token
    /// saved).
    Used,
    /// The merchant released it.
    Cancelled,
}

impl Authorization {
    /// Whether an order or customer token can be made with it at `now`.
    pub fn usable(&self, now: DateTime<Utc>) -> bool {
        self.state == AuthorizationState::Open && self.expires_at > now
    }
}

/// An order placed from a session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlacedOrder {
    /// Klarna's id of the order.
    pub order_id: String,
    /// The answer the order call gave, as sent.
    pub answer: JsonText,
}

/// A JSON value held as its text: one allocation instead of one per member (a
/// `Value` of a create body takes about four times the memory, and a store filling up
/// spent a fifth of its time growing the heap), shared by copies, and turned back into
/// a `Value` when a request needs it. Its serde form is the value itself.
#[derive(Clone, PartialEq, Eq)]
pub struct JsonText(Arc<str>);

impl JsonText {
    /// The text of `value`.
    pub fn new(value: &Value) -> Self {
        Self(value.to_string().into())
    }

    /// The value again.
    pub fn to_value(&self) -> Value {
        // The text was written from a `Value`, so it reads back.
        serde_json::from_str(&self.0).unwrap_or(Value::Null)
    }
}

/// Its length only: a session's data holds a shopper's personal data.
impl std::fmt::Debug for JsonText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "JsonText({} bytes)", self.0.len())
    }
}

impl Serialize for JsonText {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for JsonText {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(|value| Self::new(&value))
    }
}

/// What looking a session up found.
pub enum Lookup {
    /// A live session.
    Found(StoredSession),
    /// No session with that id, or it expired.
    Missing,
}

/// What [`Store::remove_if`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Removal {
    /// The session is gone.
    Removed,
    /// The session exists but may not be removed.
    Refused,
    /// No live session with that id.
    Missing,
}

/// A session as held. (Its state-file form is not kept: with 100,000 sessions it
/// doubled the simulator's memory; writing the form again costs a compaction a few
/// hundred milliseconds.)
#[derive(Clone, Debug)]
pub struct Entry {
    /// The session.
    pub session: StoredSession,
}

#[derive(Default)]
struct Inner {
    sessions: HashMap<String, Arc<Entry>>,
    /// Authorization token → session id, for every session whose latest approval
    /// gave one (may hold tokens of sessions since removed or approved again; a lookup
    /// checks the session's own token).
    tokens: HashMap<String, String>,
    /// Ids in creation order, for evicting the oldest when full (may hold removed ids).
    order: VecDeque<String>,
    /// With a state file: the ids changed (or removed) since the journal last took them.
    changed: Option<Vec<String>>,
    /// Bumped by every change a snapshot must reflect.
    version: u64,
}

impl Inner {
    /// Drops the token index's entry for a session that is gone (or whose token was
    /// replaced), so that the index never outgrows the sessions.
    fn forget_token(&mut self, entry: &Entry) {
        if let Some(authorization) = &entry.session.authorization {
            self.tokens.remove(&authorization.token);
        }
    }
}

/// The sessions changed since the last [`Store::take_changes`], as they are now
/// (`None`: removed), and the version they bring the journal to.
pub struct Changes {
    /// Every change up to this version is in `sessions`.
    pub version: u64,
    /// `(id, session or None)`, each id once, in the order of their latest change.
    pub sessions: Vec<(String, Option<Arc<Entry>>)>,
}

/// The live sessions in creation order, and the version they reflect.
pub struct Snapshot {
    /// Every change up to this version is in `sessions`.
    pub version: u64,
    /// `(id, session)` pairs, oldest first.
    pub sessions: Vec<(String, Arc<Entry>)>,
}

/// The most sessions a new store makes room for before any arrives.
const ROOM_AT_START: usize = 100_000;

/// The session store.
pub struct Store {
    inner: Mutex<Inner>,
    max_sessions: usize,
}

impl Store {
    /// An empty store holding at most `max_sessions` sessions (at least 1).
    pub fn new(max_sessions: usize) -> Self {
        let max_sessions = max_sessions.max(1);
        // Room for the sessions up front, up to ROOM_AT_START, so that a store filling
        // up to that many does not stop every request for a rehash or a copy under its
        // lock. Memory the sessions do not use is never touched.
        let room = max_sessions.min(ROOM_AT_START);
        Self {
            inner: Mutex::new(Inner {
                sessions: HashMap::with_capacity(room),
                tokens: HashMap::new(),
                order: VecDeque::with_capacity(room),
                changed: None,
                version: 0,
            }),
            max_sessions,
        }
    }

    /// From now on, remembers which sessions change, for [`take_changes`](Self::take_changes)
    /// (a state file's journal).
    pub fn track_changes(&self) {
        self.lock().changed.get_or_insert_with(Vec::new);
    }

    /// The sessions changed since the last call, as they are now, and the store's
    /// version. Copies only pointers, under the lock.
    pub fn take_changes(&self) -> Changes {
        let mut inner = self.lock();
        let changed = inner
            .changed
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default();
        let mut seen = std::collections::HashSet::with_capacity(changed.len());
        let mut sessions = Vec::with_capacity(changed.len());
        // The latest change of each id decides its place.
        for id in changed.into_iter().rev() {
            if seen.insert(id.clone()) {
                let entry = inner.sessions.get(&id).cloned();
                sessions.push((id, entry));
            }
        }
        sessions.reverse();
        Changes {
            version: inner.version,
            sessions,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic elsewhere cannot leave a map half-updated; keep serving.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Stores a new session, evicting the oldest ones if the store is full (expired ones
    /// are swept every 30 seconds); the version of the change.
    pub fn insert(&self, id: String, session: StoredSession, _now: DateTime<Utc>) -> u64 {
        let mut inner = self.lock();
        // The creation order also holds ids removed since: tidied once it is twice the
        // bound, so that the cost is spread over the inserts (no pass over every session
        // per insert: a full store took 100 times longer per create that way).
        if inner.order.len() > 2 * self.max_sessions {
            let Inner {
                sessions, order, ..
            } = &mut *inner;
            order.retain(|id| sessions.contains_key(id));
        }
        // Full: the oldest go (expired ones are swept every 30 seconds anyway).
        while inner.sessions.len() >= self.max_sessions {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            if let Some(entry) = inner.sessions.remove(&oldest) {
                inner.forget_token(&entry);
                if let Some(changed) = inner.changed.as_mut() {
                    changed.push(oldest);
                }
            }
        }
        inner.order.push_back(id.clone());
        if let Some(changed) = inner.changed.as_mut() {
            changed.push(id.clone());
        }
        if let Some(authorization) = &session.authorization {
            inner.tokens.insert(authorization.token.clone(), id.clone());
        }
        inner.sessions.insert(id, Arc::new(Entry { session }));
        inner.version += 1;
        inner.version
    }

    /// The live session `id`; an expired one is removed and reported missing.
    pub fn get(&self, id: &str, now: DateTime<Utc>) -> Lookup {
        let mut inner = self.lock();
        match inner.sessions.get(id) {
            Some(entry) if entry.session.expires_at > now => Lookup::Found(entry.session.clone()),
            Some(_) => {
                if let Some(entry) = inner.sessions.remove(id) {
                    inner.forget_token(&entry);
                }
                Lookup::Missing
            }
            None => Lookup::Missing,
        }
    }

    /// Applies `change` to the live session `id`; the version of the change, or `None`
    /// if there is no such session.
    pub fn update(
        &self,
        id: &str,
        now: DateTime<Utc>,
        change: impl FnOnce(&mut StoredSession),
    ) -> Option<u64> {
        let changed = self.modify(id, now, |session| {
            change(session);
            Ok::<(), std::convert::Infallible>(())
        })?;
        changed.ok().map(|((), version)| version)
    }

    /// Changes the live session `id` atomically: `change` gets a copy of the session
    /// as held, under the store's lock, and the copy replaces the session only when
    /// `change` returns `Ok`; no other change can come in between. `None` when there is
    /// no such live session; otherwise `change`'s answer, with the version of the
    /// change when it was made. Keep `change` short: every request waits for the lock.
    pub fn modify<T, E>(
        &self,
        id: &str,
        now: DateTime<Utc>,
        change: impl FnOnce(&mut StoredSession) -> Result<T, E>,
    ) -> Option<Result<(T, u64), E>> {
        let mut inner = self.lock();
        let held = inner.sessions.get_mut(id)?;
        if held.session.expires_at <= now {
            return None;
        }
        let mut copy = held.session.clone();
        let answer = match change(&mut copy) {
            Ok(answer) => answer,
            Err(error) => return Some(Err(error)),
        };
        let token = copy.authorization.as_ref().map(|a| a.token.clone());
        let replaced = std::mem::replace(held, Arc::new(Entry { session: copy }));
        let old_token = replaced.session.authorization.as_ref().map(|a| &a.token);
        if old_token != token.as_ref() {
            inner.forget_token(&replaced);
        }
        if let Some(token) = token {
            inner.tokens.insert(token, id.to_owned());
        }
        if let Some(changed) = inner.changed.as_mut() {
            changed.push(id.to_owned());
        }
        inner.version += 1;
        Some(Ok((answer, inner.version)))
    }

    /// The id of the live session whose latest authorization has `token` (whatever
    /// became of the authorization since).
    pub fn session_of_token(&self, token: &str, now: DateTime<Utc>) -> Option<String> {
        let inner = self.lock();
        let id = inner.tokens.get(token)?;
        let entry = inner.sessions.get(id)?;
        let own = entry.session.authorization.as_ref()?;
        (own.token == token && entry.session.expires_at > now).then(|| id.clone())
    }

    /// Removes the live session `id` if `allowed` says so; what it found, and the
    /// version of the change.
    pub fn remove_if(
        &self,
        id: &str,
        now: DateTime<Utc>,
        allowed: impl FnOnce(&StoredSession) -> bool,
    ) -> (Removal, u64) {
        let mut inner = self.lock();
        let removal = match inner.sessions.get(id) {
            Some(entry) if entry.session.expires_at > now => {
                if !allowed(&entry.session) {
                    return (Removal::Refused, inner.version);
                }
                if let Some(entry) = inner.sessions.remove(id) {
                    inner.forget_token(&entry);
                }
                if let Some(changed) = inner.changed.as_mut() {
                    changed.push(id.to_owned());
                }
                inner.version += 1;
                Removal::Removed
            }
            _ => Removal::Missing,
        };
        (removal, inner.version)
    }

    /// The live sessions and the version they reflect. Copies only pointers; the lock
    /// is held for one pass over the creation order.
    pub fn snapshot(&self, now: DateTime<Utc>) -> Snapshot {
        let inner = self.lock();
        let mut sessions = Vec::with_capacity(inner.sessions.len());
        for id in &inner.order {
            if let Some(entry) = inner.sessions.get(id)
                && entry.session.expires_at > now
            {
                sessions.push((id.clone(), Arc::clone(entry)));
            }
        }
        Snapshot {
            version: inner.version,
            sessions,
        }
    }

    /// Removes every expired session; returns how many.
    pub fn evict_expired(&self, now: DateTime<Utc>) -> usize {
        let mut inner = self.lock();
        let before = inner.sessions.len();
        inner.sessions.retain(|_, e| e.session.expires_at > now);
        let Inner {
            sessions,
            order,
            tokens,
            ..
        } = &mut *inner;
        order.retain(|id| sessions.contains_key(id));
        tokens.retain(|_, id| sessions.contains_key(id));
        before - inner.sessions.len()
    }

    /// Authorization tokens indexed now (one at most per session held).
    #[cfg(test)]
    pub fn tokens_indexed(&self) -> usize {
        self.lock().tokens.len()
    }

    /// Sessions held now (expired ones not yet evicted included).
    pub fn len(&self) -> usize {
        self.lock().sessions.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_text_keeps_the_value_and_shows_only_its_length() {
        let value = json!({
            "billing_address": {"email": "shopper@example.com", "given_name": "Ada"},
            "order_lines": [{"name": "Tea", "quantity": 2, "unit_price": 1250}],
            "order_amount": 2500,
            "ratio": 0.25,
            "escaped": "quote \" and \u{e9}",
        });
        let text = JsonText::new(&value);
        assert_eq!(text.to_value(), value);
        // The serde form is the value itself, so state files read the same as before.
        assert_eq!(serde_json::to_value(&text).unwrap(), value);
        let back: JsonText = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(back, text);
        // Floats read back exactly, however many digits they need.
        let mut rng = fastrand::Rng::with_seed(7);
        let floats: Vec<f64> = std::iter::repeat_with(|| f64::from_bits(rng.u64(..)))
            .filter(|x| x.is_finite())
            .take(2_000)
            .chain([0.1 + 0.2, 5e-324, f64::MAX, 2.2250738585072014e-308])
            .collect();
        let floats = json!(floats);
        assert_eq!(JsonText::new(&floats).to_value(), floats);
        let shown = format!("{text:?}");
        assert!(
            shown.starts_with("JsonText(") && !shown.contains("shopper"),
            "{shown}"
        );
    }

    #[test]
    fn a_full_store_evicts_the_oldest() {
        let store = Store::new(2);
        let now = DateTime::from_timestamp(1_900_000_000, 0).unwrap();
        let session = |n: i64| StoredSession {
            data: JsonText::new(&json!({"order_amount": n})),
            client_token: None,
            categories: JsonText::new(&json!([])),
            expires_at: now + chrono::Duration::hours(1),
            completed: false,
            authorization: None,
            order: None,
            customer_token: None,
            finalize_pending: None,
        };
        for (id, n) in [("a", 1), ("b", 2), ("c", 3)] {
            store.insert(id.into(), session(n), now);
        }
        assert_eq!(store.len(), 2);
        assert!(matches!(store.get("a", now), Lookup::Missing));
        let Lookup::Found(c) = store.get("c", now) else {
            panic!("the newest session stays");
        };
        assert_eq!(c.data.to_value(), json!({"order_amount": 3}));
    }

    #[test]
    fn the_token_index_never_outgrows_the_sessions() {
        let store = Store::new(3);
        let now = DateTime::from_timestamp(1_900_000_000, 0).unwrap();
        let authorized = |token: &str| StoredSession {
            data: JsonText::new(&json!({})),
            client_token: None,
            categories: JsonText::new(&json!([])),
            expires_at: now + chrono::Duration::hours(1),
            completed: false,
            authorization: Some(Box::new(Authorization {
                token: token.into(),
                payment_method_category: "pay_later".into(),
                fraud_status: "ACCEPTED".into(),
                expires_at: now + chrono::Duration::hours(1),
                state: AuthorizationState::Open,
            })),
            order: None,
            customer_token: None,
            finalize_pending: None,
        };
        // Evictions of a full store take their tokens along.
        for n in 0..50 {
            store.insert(format!("s-{n}"), authorized(&format!("t-{n}")), now);
        }
        assert_eq!((store.len(), store.tokens_indexed()), (3, 3));
        assert_eq!(store.session_of_token("t-49", now).as_deref(), Some("s-49"));
        assert_eq!(store.session_of_token("t-0", now), None);
        // A new approval replaces the old token in the index.
        for n in 0..10 {
            store.update("s-49", now, |s| {
                s.authorization.as_mut().unwrap().token = format!("again-{n}");
            });
        }
        assert_eq!(store.tokens_indexed(), 3);
        assert_eq!(
            store.session_of_token("again-9", now).as_deref(),
            Some("s-49")
        );
        // A removed session's token goes too.
        store.remove_if("s-48", now, |_| true);
        assert_eq!(store.tokens_indexed(), 2);
    }
}
