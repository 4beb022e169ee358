//! The back office's logins and sessions, and the audit rows of what a browser did: what
//! `web` needs of the shop, so that the web face never touches the store.
//!
//! A session is a random token in an HttpOnly cookie; only its SHA-256 is stored, with the
//! person, a CSRF token, the address it logged in from, and when it began and was last
//! seen. It ends after the idle time or the absolute time (`[web]` in the config), at
//! logout, or when the person's password changes.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, SaltString};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::staff::PinCheck;
use super::{App, AppError, Result};
use crate::domain::model::{Customer, Staff, StaffRole};
use crate::domain::search::CustomerQuery;

/// A session's seen-time is written at most this often (not on every request).
const TOUCH_EVERY_SECONDS: i64 = 30;

/// Who a request comes from, once its session checked out.
#[derive(Debug, Clone)]
pub struct WebUser {
    pub staff: Staff,
    /// The token every state-changing request must carry.
    pub csrf: String,
    /// The owner has no password yet: set one before anything else.
    pub must_set_password: bool,
}

/// How a login went.
#[derive(Debug, Clone)]
pub enum WebLogin {
    /// Logged in: the cookie's value.
    Ok {
        token: String,
        user: WebUser,
    },
    Wrong {
        left: i64,
    },
    Locked {
        until: DateTime<Utc>,
    },
    /// No such person, or one with neither PIN nor password.
    Unknown,
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

fn random_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// Hashes a back-office password (8 characters or more) with Argon2id.
pub fn hash_password(password: &str) -> Result<String> {
    if password.chars().count() < 8 {
        return Err(AppError::input("密码 password", "至少 8 个字符 / at least 8 characters"));
    }
    if password.chars().count() > 128 {
        return Err(AppError::input("密码 password", "最多 128 个字符 / at most 128 characters"));
    }
    let salt_bytes: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| AppError::input("密码 password", e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::input("密码 password", e.to_string()))
}

fn web_detail(address: &str) -> serde_json::Value {
    serde_json::json!({ "via": "web", "address": address })
}

impl App {
    /// Logs a person in by name with her password (when she has one) or her PIN; wrong
    /// tries count with the kiosk's (five lock both for fifteen minutes). Every attempt is
    /// in the audit log with the client's address.
    pub fn web_login(&mut self, name: &str, secret: &str, address: &str) -> Result<WebLogin> {
        let found = self.store.read(|tx| Ok::<_, AppError>(tx.find_staff(name).ok()));
        let Some(s) = found?.filter(|s| s.active) else {
            let now = self.now();
            self.store
                .write(|tx| tx.audit(now, "web", "staff.login_unknown", "staff", name.trim(), &web_detail(address)))?;
            return Ok(WebLogin::Unknown);
        };
        let (pin, password) =
            self.store.read(|tx| Ok::<_, AppError>((tx.staff_pin_state(&s.id)?.0, tx.staff_password_hash(&s.id)?)))?;
        let has_password = password.is_some();
        let hash = password.or(pin);
        match self.check_secret(s, hash, secret, &web_detail(address))? {
            PinCheck::Ok(staff) => {
                let (token, csrf, now) = (random_token(), random_token(), self.now());
                self.store.write(|tx| {
                    tx.purge_web_sessions(now - self.config.web.session_max)?;
                    tx.insert_web_session(&sha256_hex(&token), &staff.id, &csrf, address, now)
                })?;
                let must_set_password = staff.role == StaffRole::Owner && !has_password;
                Ok(WebLogin::Ok { token, user: WebUser { staff, csrf, must_set_password } })
            }
            PinCheck::Wrong { left } => Ok(WebLogin::Wrong { left }),
            PinCheck::Locked { until } => Ok(WebLogin::Locked { until }),
            PinCheck::NoPin => Ok(WebLogin::Unknown),
        }
    }

    /// The person behind a session token, if the session is live: not ended, not idle
    /// longer than allowed, not older than the absolute limit, her account still active.
    /// `touch`: the request is the person's doing (a page's own live updates are not).
    pub fn web_session(&mut self, token: &str, touch: bool) -> Result<Option<WebUser>> {
        let now = self.now();
        let hash = sha256_hex(token);
        let (idle, max) = (self.config.web.session_idle, self.config.web.session_max);
        let found = self.store.read(|tx| {
            let Some(row) = tx.web_session(&hash)? else { return Ok::<_, AppError>(None) };
            let live = row.ended_at.is_none() && now - row.seen_at <= idle && now - row.created_at <= max;
            if !live {
                return Ok(None);
            }
            let staff = tx.find_staff(&row.staff_id)?;
            let must_set_password = staff.role == StaffRole::Owner && tx.staff_password_hash(&staff.id)?.is_none();
            Ok(staff.active.then_some((row, staff, must_set_password)))
        })?;
        let Some((row, staff, must_set_password)) = found else { return Ok(None) };
        if touch && (now - row.seen_at).num_seconds() >= TOUCH_EVERY_SECONDS {
            self.store.write(|tx| tx.touch_web_session(&hash, now))?;
        }
        Ok(Some(WebUser { staff, csrf: row.csrf, must_set_password }))
    }

    pub fn web_logout(&mut self, token: &str, staff_id: &str, address: &str) -> Result<()> {
        let now = self.now();
        self.store.write(|tx| {
            tx.end_web_session(&sha256_hex(token), now)?;
            tx.audit(now, staff_id, "staff.logout", "staff", staff_id, &web_detail(address))
        })?;
        Ok(())
    }

    /// Sets a person's back-office password (ends her other sessions). The caller has
    /// checked who may.
    pub fn set_password(&mut self, staff_id: &str, password: &str, actor: &str, address: &str) -> Result<()> {
        let hash = hash_password(password)?;
        let now = self.now();
        self.store.write(|tx| {
            tx.set_staff_password(staff_id, &hash, now)?;
            tx.audit(now, actor, "staff.password", "staff", staff_id, &web_detail(address))
        })?;
        Ok(())
    }

    /// The shop's first visit: no owner can log in yet (none with a PIN or a password).
    pub fn needs_owner(&mut self) -> Result<bool> {
        self.store.read(|tx| {
            for s in tx.list_staff()?.into_iter().filter(|s| s.role == StaffRole::Owner && s.active) {
                if tx.staff_pin_state(&s.id)?.0.is_some() || tx.staff_password_hash(&s.id)?.is_some() {
                    return Ok(false);
                }
            }
            Ok(true)
        })
    }

    /// The first visit's owner: her name and password, while no owner can log in.
    pub fn create_owner(&mut self, name: &str, password: &str, address: &str) -> Result<Staff> {
        if !self.needs_owner()? {
            return Err(AppError::input("店主 owner", "店主已设置，请登录 / the owner is set up: log in"));
        }
        let hash = hash_password(password)?;
        let existing = self.store.read(|tx| {
            Ok::<_, AppError>(
                tx.list_staff()?.into_iter().find(|s| s.role == StaffRole::Owner && s.name == name.trim()),
            )
        })?;
        let staff = match existing {
            Some(s) => s,
            None => self.add_staff(
                &super::staff::StaffInput { name: name.to_string(), role: "owner".into(), ..Default::default() },
                "web",
            )?,
        };
        let now = self.now();
        self.store.write(|tx| {
            tx.set_staff_password(&staff.id, &hash, now)?;
            tx.audit(now, &staff.id, "staff.owner_created", "staff", &staff.id, &web_detail(address))
        })?;
        Ok(staff)
    }

    /// An audit row for something a browser did or was refused (`web.refused`,
    /// `customer.export`), with the client's address.
    pub fn audit_web(
        &mut self,
        actor: &str,
        action: &str,
        entity: &str,
        entity_id: &str,
        address: &str,
        detail: serde_json::Value,
    ) -> Result<()> {
        let now = self.now();
        let mut d = web_detail(address);
        if let (Some(m), serde_json::Value::Object(extra)) = (d.as_object_mut(), detail) {
            m.extend(extra);
        }
        self.store.write(|tx| tx.audit(now, actor, action, entity, entity_id, &d))?;
        Ok(())
    }

    /// The search box: phone, phone tail, member code, pinyin initials or name.
    pub fn search_customers(&mut self, query: &str, limit: u32) -> Result<Vec<Customer>> {
        let q = CustomerQuery::parse(query);
        self.store.read(|tx| Ok(tx.search_customers(&q, limit)?))
    }

    /// Whether a beautician may see this customer's page: she has served or is booked
    /// for her.
    pub fn is_customer_of(&mut self, customer_id: &str, staff_id: &str) -> Result<bool> {
        self.store.read(|tx| Ok(tx.is_customer_of(customer_id, staff_id)?))
    }

    /// A customer's consent record, oldest first: `(kind, granted, notice version, channel, at)`.
    pub fn consents(&mut self, customer_id: &str) -> Result<Vec<crate::store::ConsentRow>> {
        self.store.read(|tx| Ok(tx.consents(customer_id)?))
    }
}
