//! Integration tests: the real `salonbox` binary in temporary data directories.

mod appointments;
mod checkin;
mod common;
mod config;
mod customers;
mod import;
mod ops;
