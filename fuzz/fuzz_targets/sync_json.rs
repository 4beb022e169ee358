#![no_main]
//! Run: `cargo +nightly fuzz run sync_json` (see fuzz/README.md).

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| salonbox::fuzzing::sync_json(data));
