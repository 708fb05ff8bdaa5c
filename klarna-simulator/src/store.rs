//! Sessions in memory: safe under concurrency, bounded in count, expired ones evicted.
//! The lock is a std `Mutex`, held only for map operations and never across an `.await`.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde_json::Value;

/// One stored session.
#[derive(Clone, Debug)]
pub struct StoredSession {
    /// The merchant's data: the create body with every update merged in.
    pub data: Value,
    /// Token handed to the browser widget; in-store sessions have none.
    pub client_token: Option<String>,
    /// The categories offered at creation.
    pub categories: Value,
    /// When the session stops being usable.
    pub expires_at: DateTime<Utc>,
    /// Whether an order was placed from it.
    pub completed: bool,
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

#[derive(Default)]
struct Inner {
    sessions: HashMap<String, StoredSession>,
    /// Ids in creation order, for evicting the oldest when full (may hold removed ids).
    order: VecDeque<String>,
}

/// The session store.
pub struct Store {
    inner: Mutex<Inner>,
    max_sessions: usize,
}

impl Store {
    /// An empty store holding at most `max_sessions` sessions (at least 1).
    pub fn new(max_sessions: usize) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            max_sessions: max_sessions.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic elsewhere cannot leave a map half-updated; keep serving.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Stores a new session, evicting expired sessions and then the oldest ones if the
    /// store is full.
    pub fn insert(&self, id: String, session: StoredSession, now: DateTime<Utc>) {
        let mut inner = self.lock();
        if inner.sessions.len() >= self.max_sessions || inner.order.len() > 2 * self.max_sessions {
            inner.sessions.retain(|_, s| s.expires_at > now);
            let Inner { sessions, order } = &mut *inner;
            order.retain(|id| sessions.contains_key(id));
        }
        while inner.sessions.len() >= self.max_sessions {
            match inner.order.pop_front() {
                Some(oldest) => {
                    inner.sessions.remove(&oldest);
                }
                None => break,
            }
        }
        inner.order.push_back(id.clone());
        inner.sessions.insert(id, session);
    }

    /// The live session `id`; an expired one is removed and reported missing.
    pub fn get(&self, id: &str, now: DateTime<Utc>) -> Lookup {
        let mut inner = self.lock();
        match inner.sessions.get(id) {
            Some(session) if session.expires_at > now => Lookup::Found(session.clone()),
            Some(_) => {
                inner.sessions.remove(id);
                Lookup::Missing
            }
            None => Lookup::Missing,
        }
    }

    /// Applies `change` to the live session `id`; `false` if there is none.
    pub fn update(
        &self,
        id: &str,
        now: DateTime<Utc>,
        change: impl FnOnce(&mut StoredSession),
    ) -> bool {
        let mut inner = self.lock();
        match inner.sessions.get_mut(id) {
            Some(session) if session.expires_at > now => {
                change(session);
                true
            }
            _ => false,
        }
    }

    /// Removes the live session `id` if `allowed` says so; what it found.
    pub fn remove_if(
        &self,
        id: &str,
        now: DateTime<Utc>,
        allowed: impl FnOnce(&StoredSession) -> bool,
    ) -> Removal {
        let mut inner = self.lock();
        match inner.sessions.get(id) {
            Some(session) if session.expires_at > now => {
                if !allowed(session) {
                    return Removal::Refused;
                }
                inner.sessions.remove(id);
                Removal::Removed
            }
            _ => Removal::Missing,
        }
    }

    /// Removes every expired session; returns how many.
    pub fn evict_expired(&self, now: DateTime<Utc>) -> usize {
        let mut inner = self.lock();
        let before = inner.sessions.len();
        inner.sessions.retain(|_, s| s.expires_at > now);
        let Inner { sessions, order } = &mut *inner;
        order.retain(|id| sessions.contains_key(id));
        before - inner.sessions.len()
    }

    /// Sessions held now (expired ones not yet evicted included).
    pub fn len(&self) -> usize {
        self.lock().sessions.len()
    }
}
