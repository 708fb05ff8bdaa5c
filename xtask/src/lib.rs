//! The maintainer tasks behind `cargo xtask`, as a library so that tests can drive them.

pub mod bench;
pub mod fuzz;
pub mod generate;
pub mod load;
pub mod persistence;
pub mod regen;
pub mod rules;
pub mod soak;
pub mod spec;
