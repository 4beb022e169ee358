#![no_main]
//! Run: `cargo +nightly fuzz run import` (see fuzz/README.md).

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| salonbox::fuzzing::import(data));
