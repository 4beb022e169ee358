//! Pure rules and types of the salon: no I/O, no async, no SQL, no Slint, no HTTP.
//!
//! Architecture Invariant: nothing in `domain` reads a clock, a file, a device or the
//! network; `now` and the shop's time zone are always parameters.

pub mod access;
pub mod booking;
pub mod campaign;
pub mod checkin;
pub mod checkout;
pub mod customer;
pub mod idcard;
pub mod jobs;
pub mod messages;
pub mod model;
pub mod money;
pub mod package;
pub mod phone;
pub mod points;
pub mod queue;
pub mod search;
pub mod stock;
pub mod sync;
pub mod time;
