//! Support for the workspace-level tests in `tests/tests/`: a loopback HTTP server that
//! answers from a script and misbehaves on cue, and shared request fixtures.

pub mod fixtures;
pub mod scripted;
