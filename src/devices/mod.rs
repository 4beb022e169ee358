//! The kiosk's devices. Today: the identity-card reader's protocol (`sam`), a pure codec
//! the serial driver will feed.
//!
//! Architecture Invariant: an identity-card number leaves this module only as
//! `domain::idcard::IdNumber` (to be hashed), never as text, and is never logged.

pub mod sam;
