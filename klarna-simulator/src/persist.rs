//! The optional state file: every session, rewritten after each change and made durable
//! before the change is acknowledged, so that a simulator killed at any moment (even
//! `kill -9`) restarts with every session it ever answered for.
//!
//! Each write is a complete snapshot written to a temporary file in the same directory,
//! flushed to disk (`fsync`), renamed over the state file, and the directory flushed
//! too; a reader (or a restart) therefore sees either the previous or the new complete
//! file, never a torn one. Writes are serialised; a request whose change is already in
//! a snapshot written meanwhile does not write again, so concurrent changes share one
//! write (group commit).

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::store::{Snapshot, StoredSession};

/// The value of the file's `klarna_simulator_state` member: the format's version.
const FORMAT: u32 = 1;

#[derive(Serialize)]
struct SessionOut<'a> {
    session_id: &'a str,
    #[serde(flatten)]
    session: &'a StoredSession,
}

#[derive(Deserialize)]
struct StateIn {
    klarna_simulator_state: u32,
    sessions: Vec<SessionIn>,
}

#[derive(Deserialize)]
struct SessionIn {
    session_id: String,
    #[serde(flatten)]
    session: StoredSession,
}

/// Reads the sessions of a state file, oldest first. A missing or empty file holds none.
pub(crate) fn load(path: &Path) -> io::Result<Vec<(String, StoredSession)>> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    let invalid = |reason: String| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("state file {} is not valid: {reason}", path.display()),
        )
    };
    let state: StateIn = serde_json::from_slice(&bytes).map_err(|e| invalid(e.to_string()))?;
    if state.klarna_simulator_state != FORMAT {
        return Err(invalid(format!(
            "format {} is not the supported format {FORMAT}",
            state.klarna_simulator_state
        )));
    }
    Ok(state
        .sessions
        .into_iter()
        .map(|s| (s.session_id, s.session))
        .collect())
}

/// Writes snapshots of the store to one file.
pub(crate) struct Persister {
    path: PathBuf,
    temporary: PathBuf,
    directory: PathBuf,
    /// The version of the last snapshot made durable; held while writing.
    written: Mutex<u64>,
    /// The same number, readable without waiting for a write in progress.
    durable: AtomicU64,
    /// Queues async writers without holding a thread each; the guard travels into the
    /// blocking write, so a request that gives up cannot let two writes overlap.
    pub(crate) queue: Arc<tokio::sync::Mutex<()>>,
}

impl Persister {
    /// A persister for `path`, whose contents reflect store version `version`.
    pub(crate) fn new(path: &Path, version: u64) -> Self {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "state".into());
        let directory = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Self {
            path: path.to_path_buf(),
            temporary: directory.join(format!(".{name}.tmp")),
            directory,
            written: Mutex::new(version),
            durable: AtomicU64::new(version),
            queue: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// The state file.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the changes up to `version` are on disk already.
    pub(crate) fn covers(&self, version: u64) -> bool {
        self.durable.load(Ordering::Acquire) >= version
    }

    /// Makes the changes up to `version` durable: returns at once if a snapshot holding
    /// them was written already, otherwise writes one (taken by `snapshot` while the
    /// write lock is held, so snapshots reach the disk in version order). Blocking.
    pub(crate) fn write_covering(
        &self,
        version: u64,
        snapshot: impl FnOnce() -> Snapshot,
    ) -> io::Result<()> {
        let mut written = self
            .written
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if *written >= version {
            return Ok(());
        }
        let snapshot = snapshot();
        self.write(&snapshot)?;
        *written = snapshot.version;
        self.durable.store(snapshot.version, Ordering::Release);
        Ok(())
    }

    /// Writes a snapshot atomically: temporary file, fsync, rename, fsync the directory.
    /// Sessions unchanged since the previous snapshot reuse their saved form.
    fn write(&self, snapshot: &Snapshot) -> io::Result<()> {
        let mut out = BufWriter::with_capacity(256 * 1024, File::create(&self.temporary)?);
        write!(out, "{{\"klarna_simulator_state\":{FORMAT},\"sessions\":[")?;
        for (n, (id, entry)) in snapshot.sessions.iter().enumerate() {
            if n > 0 {
                out.write_all(b",")?;
            }
            let saved = match entry.saved_form.get() {
                Some(saved) => saved,
                None => {
                    let form = serde_json::to_string(&SessionOut {
                        session_id: id,
                        session: &entry.session,
                    })?;
                    entry.saved_form.get_or_init(|| form.into_boxed_str())
                }
            };
            out.write_all(saved.as_bytes())?;
        }
        out.write_all(b"]}\n")?;
        let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&self.temporary, &self.path)?;
        File::open(&self.directory)?.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Entry, JsonText};
    use chrono::DateTime;
    use serde_json::json;

    fn session(n: i64) -> StoredSession {
        StoredSession {
            data: JsonText::new(&json!({"order_amount": n, "locale": "sv-SE"})),
            client_token: Some(format!("token-{n}")),
            categories: JsonText::new(&json!([{"identifier": "pay_later"}])),
            expires_at: DateTime::from_timestamp(1_900_000_000 + n, 0).unwrap(),
            completed: n % 2 == 0,
            // Every third session holds an authorization, used or not, and an order.
            authorization: (n % 3 == 0).then(|| {
                Box::new(crate::store::Authorization {
                    token: format!("auth-{n}"),
                    payment_method_category: "pay_later".into(),
                    fraud_status: "PENDING".into(),
                    expires_at: DateTime::from_timestamp(1_800_000_000 + n, 0).unwrap(),
                    state: if n % 2 == 0 {
                        crate::store::AuthorizationState::Used
                    } else {
                        crate::store::AuthorizationState::Open
                    },
                })
            }),
            order: (n % 6 == 0).then(|| {
                Box::new(crate::store::PlacedOrder {
                    order_id: format!("order-{n}"),
                    answer: JsonText::new(&json!({"order_id": format!("order-{n}")})),
                })
            }),
            customer_token: (n % 5 == 0).then(|| format!("customer-{n}")),
            finalize_pending: (n % 7 == 0).then(|| "pay_later".to_owned()),
        }
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "klarna-simulator-persist-{name}-{}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir.join("state.json")
    }

    #[test]
    fn a_snapshot_round_trips_and_older_versions_are_not_rewritten() {
        let path = scratch("round-trip");
        assert!(
            load(&path).unwrap().is_empty(),
            "a missing file holds nothing"
        );
        let persister = Persister::new(&path, 0);
        let entry = |n| {
            Arc::new(Entry {
                session: session(n),
                saved_form: Default::default(),
            })
        };
        let sessions = vec![("a".to_string(), entry(1)), ("b".to_string(), entry(2))];
        persister
            .write_covering(2, || Snapshot {
                version: 2,
                sessions: sessions.clone(),
            })
            .unwrap();
        assert!(persister.covers(2) && !persister.covers(3));
        let loaded = load(&path).unwrap();
        assert_eq!(loaded.len(), 2);
        assert_eq!((loaded[1].0.as_str(), &loaded[1].1), ("b", &session(2)));
        // A second snapshot reuses the saved forms and reads back the same.
        persister
            .write_covering(3, || Snapshot {
                version: 3,
                sessions: sessions.clone(),
            })
            .unwrap();
        assert!(sessions[0].1.saved_form.get().is_some());
        assert_eq!(load(&path).unwrap(), loaded);
        persister
            .write_covering(1, || panic!("version 1 is on disk already"))
            .unwrap();
        assert!(!path.with_file_name(".state.json.tmp").exists());
        let _ = fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn a_damaged_or_foreign_file_is_refused_and_an_empty_one_is_empty() {
        let path = scratch("damaged");
        fs::write(&path, "{\"klarna_simulator_state\": 1, \"sessions\": [").unwrap();
        let error = load(&path).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        assert!(error.to_string().contains("state.json"), "{error}");
        fs::write(&path, "{\"klarna_simulator_state\": 9, \"sessions\": []}").unwrap();
        assert!(load(&path).unwrap_err().to_string().contains("format 9"));
        fs::write(&path, "\n").unwrap();
        assert!(load(&path).unwrap().is_empty());
        let _ = fs::remove_dir_all(path.parent().unwrap());
    }
}
