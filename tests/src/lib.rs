//! Support for the workspace-level tests in `tests/tests/`: a loopback HTTP server that
//! answers from a script and misbehaves on cue, shared request fixtures, and a
//! capture of what `tracing` logs.

pub mod capture;
pub mod fixtures;
pub mod scripted;
