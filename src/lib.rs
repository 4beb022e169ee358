//! salonbox: an in-store appliance for beauty salons. The library holds everything; the
//! `salonbox` binary is thin glue over it. See ARCHITECTURE.md for the code map.

pub mod app;
#[cfg(feature = "net")]
pub mod channels;
pub mod cli;
pub mod clock;
pub mod config;
#[cfg(feature = "net")]
pub mod daemon;
pub mod devices;
pub mod domain;
pub mod fuzzing;
#[cfg(feature = "kiosk")]
pub mod kiosk;
pub mod station;
pub mod store;
#[cfg(feature = "net")]
pub mod sync;
#[cfg(feature = "web")]
pub mod web;
