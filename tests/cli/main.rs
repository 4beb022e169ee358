//! Integration tests: the real `salonbox` binary in temporary data directories.

mod appointments;
#[path = "../support/artefacts.rs"]
mod artefacts;
mod checkin;
mod checkout;
mod common;
mod config;
mod customers;
mod devices;
mod import;
mod month;
mod ops;
mod restore;
mod stock;
#[cfg(feature = "web")]
mod web;
