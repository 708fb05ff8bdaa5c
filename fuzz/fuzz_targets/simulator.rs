//! Fuzz target `simulator`: see `klarna_fuzz::simulator`.
#![no_main]

#[global_allocator]
static ALLOCATOR: klarna_fuzz::Capped = klarna_fuzz::Capped;

libfuzzer_sys::fuzz_target!(|data: &[u8]| klarna_fuzz::simulator::run(data));
