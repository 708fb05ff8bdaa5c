//! The optional state file: every session, made durable before a change is
//! acknowledged, so that a simulator killed at any moment (even `kill -9`) restarts with
//! every session it ever answered for, and a change costs the same however many sessions
//! are held.
//!
//! Two files: the state file itself, a complete snapshot (`{"klarna_simulator_state": 1,
//! "sessions": [...]}`, oldest first), and beside it a journal, `<state file>.journal`:
//! one JSON line per session changed since the snapshot (the session as it is now, or
//! `{"removed": id}`). A change appends its sessions' lines and flushes the journal to
//! disk (`fdatasync`); concurrent changes share one append and one flush (group commit).
//! When the journal outgrows the snapshot, a new snapshot is written (to a temporary
//! file, flushed, renamed over the state file, the directory flushed) and the journal
//! emptied; a reader (or a restart) therefore sees a complete snapshot and a journal
//! whose complete lines, replayed in order, give every acknowledged change. A last line
//! cut short by a crash was never acknowledged and is ignored. Start-up loads both and
//! writes a fresh snapshot.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::store::{Entry, Store, StoredSession};

/// The value of the file's `klarna_simulator_state` member: the format's version.
const FORMAT: u32 = 1;

/// A journal is compacted into a new snapshot once it is this many times as large as
/// the snapshot (and at least [`MIN_JOURNAL_BYTES`]).
const JOURNAL_GROWTH: u64 = 2;
const MIN_JOURNAL_BYTES: u64 = 16 * 1024 * 1024;

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

/// A journal line: a session as it now is, or its removal.
#[derive(Deserialize)]
#[serde(untagged)]
enum JournalLine {
    Removed { removed: String },
    Session(Box<SessionIn>),
}

/// The journal beside state file `path`.
pub(crate) fn journal_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".journal");
    PathBuf::from(name)
}

/// Reads the sessions of a state file and its journal, oldest first. A missing or empty
/// file holds none.
pub(crate) fn load(path: &Path) -> io::Result<Vec<(String, StoredSession)>> {
    let invalid = |what: &Path, reason: String| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("state file {} is not valid: {reason}", what.display()),
        )
    };
    let mut sessions: Vec<(String, Option<StoredSession>)> = Vec::new();
    match fs::read(path) {
        Ok(bytes) if !bytes.iter().all(u8::is_ascii_whitespace) => {
            let state: StateIn =
                serde_json::from_slice(&bytes).map_err(|e| invalid(path, e.to_string()))?;
            if state.klarna_simulator_state != FORMAT {
                return Err(invalid(
                    path,
                    format!(
                        "format {} is not the supported format {FORMAT}",
                        state.klarna_simulator_state
                    ),
                ));
            }
            sessions.extend(
                state
                    .sessions
                    .into_iter()
                    .map(|s| (s.session_id, Some(s.session))),
            );
        }
        Ok(_) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    let journal = journal_path(path);
    let bytes = match fs::read(&journal) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(error) => return Err(error),
    };
    let mut index: HashMap<String, usize> = sessions
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (id.clone(), i))
        .collect();
    // Only complete lines: a crash can cut the last one short, and that change was never
    // acknowledged.
    let complete = bytes.rsplit_once_newline();
    for (n, line) in complete.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let parsed: JournalLine = serde_json::from_slice(line)
            .map_err(|e| invalid(&journal, format!("line {}: {e}", n + 1)))?;
        match parsed {
            JournalLine::Removed { removed } => {
                if let Some(&i) = index.get(&removed) {
                    sessions[i].1 = None;
                }
            }
            JournalLine::Session(session) => {
                let SessionIn {
                    session_id,
                    session,
                } = *session;
                match index.get(&session_id) {
                    Some(&i) => sessions[i].1 = Some(session),
                    None => {
                        index.insert(session_id.clone(), sessions.len());
                        sessions.push((session_id, Some(session)));
                    }
                }
            }
        }
    }
    Ok(sessions
        .into_iter()
        .filter_map(|(id, session)| session.map(|s| (id, s)))
        .collect())
}

/// The bytes up to and including the last newline.
trait CompleteLines {
    fn rsplit_once_newline(&self) -> &[u8];
}

impl CompleteLines for Vec<u8> {
    fn rsplit_once_newline(&self) -> &[u8] {
        match self.iter().rposition(|b| *b == b'\n') {
            Some(end) => &self[..=end],
            None => &[],
        }
    }
}

/// What the writer holds while it writes.
struct Writer {
    /// The version of the last change made durable.
    written: u64,
    /// The journal, open for appending (after the first snapshot).
    journal: Option<File>,
    journal_bytes: u64,
    snapshot_bytes: u64,
}

/// Keeps the store's changes on disk: a snapshot and a journal.
pub(crate) struct Persister {
    path: PathBuf,
    journal: PathBuf,
    temporary: PathBuf,
    directory: PathBuf,
    writer: Mutex<Writer>,
    /// The version of the last change made durable, readable without waiting for a
    /// write in progress.
    durable: AtomicU64,
    /// Queues async writers without holding a thread each; the guard travels into the
    /// blocking write, so a request that gives up cannot let two writes overlap.
    pub(crate) queue: Arc<tokio::sync::Mutex<()>>,
}

impl Persister {
    /// A persister for `path`, whose contents reflect store version `version`. Call
    /// [`compact`](Self::compact) before the first change.
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
            journal: journal_path(path),
            temporary: directory.join(format!(".{name}.tmp")),
            directory,
            writer: Mutex::new(Writer {
                written: version,
                journal: None,
                journal_bytes: 0,
                snapshot_bytes: 0,
            }),
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

    fn lock(&self) -> std::sync::MutexGuard<'_, Writer> {
        self.writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Makes the changes up to `version` durable: returns at once if they were written
    /// already; otherwise appends every change not yet written (whatever its version)
    /// to the journal and flushes it, or, when the journal has outgrown the snapshot,
    /// writes a new snapshot instead. Blocking.
    pub(crate) fn write_covering(
        &self,
        version: u64,
        store: &Store,
        now: DateTime<Utc>,
    ) -> io::Result<()> {
        let mut writer = self.lock();
        if writer.written >= version {
            return Ok(());
        }
        let outgrown = writer.journal_bytes
            > MIN_JOURNAL_BYTES.max(JOURNAL_GROWTH.saturating_mul(writer.snapshot_bytes));
        if writer.journal.is_none() || outgrown {
            return self.compact_locked(&mut writer, store, now);
        }
        let changes = store.take_changes();
        let mut lines: Vec<u8> = Vec::with_capacity(changes.sessions.len() * 1024);
        for (id, entry) in &changes.sessions {
            match entry {
                Some(entry) => lines.extend_from_slice(line(id, entry)?.as_bytes()),
                None => serde_json::to_writer(&mut lines, &serde_json::json!({"removed": id}))?,
            }
            lines.push(b'\n');
        }
        if let Some(journal) = writer.journal.as_mut() {
            journal.write_all(&lines)?;
            journal.sync_data()?;
        }
        writer.journal_bytes += lines.len() as u64;
        writer.written = changes.version;
        self.durable.store(changes.version, Ordering::Release);
        Ok(())
    }

    /// Writes a complete snapshot of the store and empties the journal. Blocking.
    pub(crate) fn compact(&self, store: &Store, now: DateTime<Utc>) -> io::Result<()> {
        let mut writer = self.lock();
        self.compact_locked(&mut writer, store, now)
    }

    fn compact_locked(
        &self,
        writer: &mut Writer,
        store: &Store,
        now: DateTime<Utc>,
    ) -> io::Result<()> {
        // Whatever changed is in the snapshot; taken first, so that nothing changed after
        // the snapshot is lost from the next journal.
        drop(store.take_changes());
        let snapshot = store.snapshot(now);
        let mut out = BufWriter::with_capacity(256 * 1024, File::create(&self.temporary)?);
        write!(out, "{{\"klarna_simulator_state\":{FORMAT},\"sessions\":[")?;
        let mut bytes = 0u64;
        for (n, (id, entry)) in snapshot.sessions.iter().enumerate() {
            if n > 0 {
                out.write_all(b",")?;
            }
            let saved = line(id, entry)?;
            bytes += saved.len() as u64 + 1;
            out.write_all(saved.as_bytes())?;
        }
        out.write_all(b"]}\n")?;
        let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&self.temporary, &self.path)?;
        // The snapshot holds everything the journal held: empty it. A crash between the
        // rename and here replays the old journal onto the new snapshot, which changes
        // nothing (each line is a session's whole state, in order).
        let journal = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(&self.journal)?;
        journal.sync_all()?;
        File::open(&self.directory)?.sync_all()?;
        let journal = OpenOptions::new().append(true).open(&self.journal)?;
        writer.journal = Some(journal);
        writer.journal_bytes = 0;
        writer.snapshot_bytes = bytes;
        writer.written = snapshot.version;
        self.durable.store(snapshot.version, Ordering::Release);
        Ok(())
    }
}

/// A session's line in the files (in the snapshot's list, or the journal).
fn line(id: &str, entry: &Entry) -> io::Result<String> {
    Ok(serde_json::to_string(&SessionOut {
        session_id: id,
        session: &entry.session,
    })?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::JsonText;
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

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).unwrap()
    }

    #[test]
    fn changes_are_journalled_then_compacted_and_read_back_in_order() {
        let path = scratch("journal");
        assert!(
            load(&path).unwrap().is_empty(),
            "a missing file holds nothing"
        );
        let now = at(1_700_000_000);
        let store = Store::new(100);
        store.track_changes();
        store.insert("a".into(), session(1), now);
        let persister = Persister::new(&path, 0);
        persister.compact(&store, now).unwrap();
        assert_eq!(fs::metadata(journal_path(&path)).unwrap().len(), 0);

        // Each change appends only its session's line.
        let v = store.insert("b".into(), session(2), now);
        persister.write_covering(v, &store, now).unwrap();
        let one_line = fs::metadata(journal_path(&path)).unwrap().len();
        assert!(one_line > 0 && persister.covers(v) && !persister.covers(v + 1));
        store
            .update("a", now, |s| s.customer_token = Some("changed".into()))
            .unwrap();
        let (_, v) = store.remove_if("b", now, |_| true);
        persister.write_covering(v, &store, now).unwrap();
        let c = store.insert("c".into(), session(3), now);
        persister.write_covering(c, &store, now).unwrap();
        // Written already: nothing to do.
        persister.write_covering(v, &store, now).unwrap();

        let loaded = load(&path).unwrap();
        let ids: Vec<&str> = loaded.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["a", "c"], "b was removed");
        assert_eq!(loaded[0].1.customer_token.as_deref(), Some("changed"));
        assert_eq!(loaded[1].1, session(3));

        // A line cut short by a crash was never acknowledged: ignored.
        let mut journal = OpenOptions::new()
            .append(true)
            .open(journal_path(&path))
            .unwrap();
        journal.write_all(b"{\"session_id\":\"d\",\"da").unwrap();
        assert_eq!(load(&path).unwrap(), loaded);

        // Compaction: one snapshot with everything, an empty journal.
        persister.compact(&store, now).unwrap();
        assert_eq!(fs::metadata(journal_path(&path)).unwrap().len(), 0);
        assert_eq!(load(&path).unwrap(), loaded);
        assert!(!path.with_file_name(".state.json.tmp").exists());
        let _ = fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn a_damaged_journal_line_is_refused() {
        let path = scratch("damaged-journal");
        fs::write(&path, "").unwrap();
        fs::write(journal_path(&path), "{\"neither\": 1}\n").unwrap();
        let error = load(&path).unwrap_err();
        assert!(error.to_string().contains("line 1"), "{error}");
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
