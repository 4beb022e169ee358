//! The kiosk's devices. Today the pure codecs the serial drivers will feed: the
//! identity-card reader's SAM protocol (`sam`) and line / RDM6300 member-card readers
//! (`cardline`).
//!
//! Architecture Invariant: an identity-card number leaves this module only as
//! `domain::idcard::IdNumber` (to be hashed), never as text, and is never logged.

pub mod cardline;
pub mod sam;
