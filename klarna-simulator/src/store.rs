//! Sessions in memory: safe under concurrency, bounded in count, expired ones evicted.
//! The lock is a std `Mutex`, held only for map operations and never across an `.await`.
//! Every change bumps a version number, so that a persisted snapshot can say which
//! changes it holds; sessions sit behind `Arc`s so that taking a snapshot copies
//! pointers, not bodies, and each keeps its JSON form once a snapshot has needed it, so
//! that a snapshot serialises only the sessions changed since the last one.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One stored session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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

/// A session as held, with its JSON form for the state file once computed.
#[derive(Debug)]
pub struct Entry {
    /// The session.
    pub session: StoredSession,
    /// The session's state-file form, computed by the first snapshot that needs it and
    /// dropped on every change (never computed without a state file).
    pub saved_form: OnceLock<Box<str>>,
}

impl Clone for Entry {
    /// A copy to change: without the saved form, which the change makes stale.
    fn clone(&self) -> Self {
        Self {
            session: self.session.clone(),
            saved_form: OnceLock::new(),
        }
    }
}

#[derive(Default)]
struct Inner {
    sessions: HashMap<String, Arc<Entry>>,
    /// Ids in creation order, for evicting the oldest when full (may hold removed ids).
    order: VecDeque<String>,
    /// Bumped by every change a snapshot must reflect.
    version: u64,
}

/// The live sessions in creation order, and the version they reflect.
pub struct Snapshot {
    /// Every change up to this version is in `sessions`.
    pub version: u64,
    /// `(id, session)` pairs, oldest first.
    pub sessions: Vec<(String, Arc<Entry>)>,
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
    /// store is full; the version of the change.
    pub fn insert(&self, id: String, session: StoredSession, now: DateTime<Utc>) -> u64 {
        let mut inner = self.lock();
        if inner.sessions.len() >= self.max_sessions || inner.order.len() > 2 * self.max_sessions {
            inner.sessions.retain(|_, e| e.session.expires_at > now);
            let Inner {
                sessions, order, ..
            } = &mut *inner;
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
        inner.sessions.insert(
            id,
            Arc::new(Entry {
                session,
                saved_form: OnceLock::new(),
            }),
        );
        inner.version += 1;
        inner.version
    }

    /// The live session `id`; an expired one is removed and reported missing.
    pub fn get(&self, id: &str, now: DateTime<Utc>) -> Lookup {
        let mut inner = self.lock();
        match inner.sessions.get(id) {
            Some(entry) if entry.session.expires_at > now => Lookup::Found(entry.session.clone()),
            Some(_) => {
                inner.sessions.remove(id);
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
        let mut inner = self.lock();
        match inner.sessions.get_mut(id) {
            Some(held) if held.session.expires_at > now => {
                // Copies the session only if a snapshot being written still holds it.
                let entry = Arc::make_mut(held);
                change(&mut entry.session);
                entry.saved_form = OnceLock::new();
                inner.version += 1;
                Some(inner.version)
            }
            _ => None,
        }
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
                inner.sessions.remove(id);
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
            sessions, order, ..
        } = &mut *inner;
        order.retain(|id| sessions.contains_key(id));
        before - inner.sessions.len()
    }

    /// Sessions held now (expired ones not yet evicted included).
    pub fn len(&self) -> usize {
        self.lock().sessions.len()
    }
}
