//! Cloud sync as use cases (spec/cloud-sync-v1.md): what to push next, what a push's answer
//! means for the queue, and what a page of changes from the cloud does to the shop. The
//! HTTP side is `crate::sync`; this module decides and the store writes.
//!
//! Architecture Invariant: a page of changes and its `next_cursor` are written in one
//! transaction (`apply_page`): a page is applied entirely or not at all, so a crash
//! neither applies a change twice nor skips one. Every applied change writes one
//! `sync.apply` audit row naming the change and its version.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::{App, AppError, Result};
use crate::domain::model::AppointmentStatus;
use crate::domain::phone::Phone;
use crate::domain::sync::{Change, ChangePayload, ChangesPage, customer_keeps_local, is_newer};
use crate::store::{
    CloudAppointment, CloudService, CustomerPatch, NewCustomer, OutgoingEvent, SetAsideEvent, SkippedChange,
    StoreError, SyncKey, SyncState, Tx,
};

/// What a page of changes did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Applied {
    pub applied: usize,
    /// Not newer than what the shop holds (a resend, or an older version).
    pub old: usize,
    /// Kept aside: a reference the shop cannot resolve, a bad payload.
    pub skipped: usize,
    /// A type this version does not know (logged).
    pub unknown: usize,
    /// Customer changes where the shop's later edit was kept and sent up.
    pub kept_local: usize,
}

impl std::ops::AddAssign for Applied {
    fn add_assign(&mut self, o: Applied) {
        self.applied += o.applied;
        self.old += o.old;
        self.skipped += o.skipped;
        self.unknown += o.unknown;
        self.kept_local += o.kept_local;
    }
}

/// One change's fate.
enum Outcome {
    Applied {
        entity: &'static str,
        local_id: String,
    },
    Old,
    KeptLocal,
    Skip(String),
    /// A change type this version does not know: logged, not kept.
    Unknown,
}

/// Refused and skipped, for `salonbox sync rejected`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SyncProblems {
    pub rejected_events: Vec<SetAsideEvent>,
    pub skipped_changes: Vec<SkippedChange>,
}

impl App {
    /// The next events to push, oldest first.
    pub fn events_to_push(&mut self, limit: usize) -> Result<Vec<OutgoingEvent>> {
        Ok(self.store.read(|tx| tx.pending_events(limit))?)
    }

    /// Records a push's answer: `delivered` leave the queue, `rejected` are set aside with
    /// the cloud's reason, and every event of `sent` counts an attempt.
    pub fn settle_push(&mut self, sent: &[i64], delivered: &[i64], rejected: &[(i64, String)]) -> Result<()> {
        let now = self.now();
        Ok(self.store.write(|tx| {
            tx.settle_push(sent, delivered, rejected, now)?;
            if !delivered.is_empty() || !rejected.is_empty() {
                tx.set_sync_time(SyncKey::LastPush, now)?;
                tx.set_sync_time(SyncKey::LastSuccess, now)?;
            }
            Ok::<_, StoreError>(())
        })?)
    }

    pub fn pull_cursor(&mut self) -> Result<Option<String>> {
        Ok(self.store.read(|tx| tx.pull_cursor())?)
    }

    /// `410`: the cloud no longer knows the cursor; start again from the beginning (safe:
    /// applying a change is idempotent).
    pub fn reset_pull_cursor(&mut self) -> Result<()> {
        Ok(self.store.write(|tx| tx.set_sync_value(SyncKey::Cursor, None))?)
    }

    /// Applies a page of changes and stores its cursor, in one transaction.
    pub fn apply_page(&mut self, page: &ChangesPage) -> Result<Applied> {
        let now = self.now();
        let key = &self.device_key;
        self.store.write(|tx| {
            let mut sum = Applied::default();
            for c in &page.changes {
                let outcome = match apply_one(tx, c, now, key) {
                    Ok(o) => o,
                    Err(e) if is_data_problem(&e) => Outcome::Skip(e.to_string()),
                    Err(e) => return Err(e),
                };
                match outcome {
                    Outcome::Applied { entity, local_id } => {
                        tx.audit(
                            now,
                            "cloud",
                            "sync.apply",
                            entity,
                            &local_id,
                            &serde_json::json!({ "change": c.id, "type": c.kind, "version": c.version }),
                        )?;
                        sum.applied += 1;
                    }
                    Outcome::Old => sum.old += 1,
                    Outcome::KeptLocal => sum.kept_local += 1,
                    Outcome::Unknown => {
                        tracing::warn!(change = %c.id, r#type = %c.kind, "unknown change type: skipped (a newer cloud?)");
                        // kept with the changes not applied, so `sync status` and the staff
                        // screen count it, not only a log line
                        let reason = format!(
                            "未知的变更类型 {0}（云端版本更新？请升级 salonbox）/ unknown change type {0} (a newer cloud? upgrade salonbox)",
                            c.kind
                        );
                        tx.skip_change(&c.id, &c.kind, c.version, &reason, &c.payload, now)?;
                        sum.unknown += 1;
                    }
                    Outcome::Skip(reason) => {
                        tracing::warn!(change = %c.id, r#type = %c.kind, %reason, "a change from the cloud was not applied");
                        tx.skip_change(&c.id, &c.kind, c.version, &reason, &c.payload, now)?;
                        sum.skipped += 1;
                    }
                }
            }
            tx.set_sync_value(SyncKey::Cursor, Some(&page.next_cursor))?;
            tx.set_sync_time(SyncKey::LastPull, now)?;
            tx.set_sync_time(SyncKey::LastSuccess, now)?;
            Ok::<_, AppError>(sum)
        })
    }

    /// What waits in the two outboxes (sync events, messages).
    pub fn outbox_stats(&mut self) -> Result<crate::store::OutboxStats> {
        Ok(self.store.read(|tx| tx.outbox_stats())?)
    }

    pub fn sync_state(&mut self) -> Result<SyncState> {
        Ok(self.store.read(|tx| tx.sync_state())?)
    }

    /// Records a failure (for `sync status` and the kiosk).
    pub fn record_sync_error(&mut self, message: &str) -> Result<()> {
        let now = self.now();
        Ok(self.store.write(|tx| {
            tx.set_sync_value(SyncKey::LastError, Some(message))?;
            tx.set_sync_time(SyncKey::LastErrorAt, now)
        })?)
    }

    /// The cloud refused the token (401/403) for the configuration with this fingerprint;
    /// `None` clears it.
    pub fn record_auth_refused(&mut self, fingerprint: Option<&str>) -> Result<()> {
        let now = self.now();
        Ok(self.store.write(|tx| {
            tx.set_sync_value(SyncKey::AuthRefusedFor, fingerprint)?;
            match fingerprint {
                Some(_) => tx.set_sync_time(SyncKey::AuthRefusedAt, now),
                None => tx.set_sync_value(SyncKey::AuthRefusedAt, None),
            }
        })?)
    }

    pub fn sync_problems(&mut self, limit: u32) -> Result<SyncProblems> {
        Ok(self.store.read(|tx| {
            Ok::<_, StoreError>(SyncProblems {
                rejected_events: tx.set_aside_events(limit)?,
                skipped_changes: tx.skipped_changes(limit)?,
            })
        })?)
    }

    /// Since when the shop has been out of touch with the cloud, when that is longer than
    /// `[cloud] offline_alert_minutes`: the last success (or, never synced, the oldest
    /// queued event). `None` with sync off or in touch.
    pub fn offline_since(&self, s: &SyncState) -> Option<DateTime<Utc>> {
        if !self.config.cloud.enabled {
            return None;
        }
        let since = s.last_success_at.or(s.oldest_queued_at)?;
        let after = Duration::minutes(self.config.cloud.offline_alert_minutes.into());
        (self.now() - since >= after).then_some(since)
    }
}

/// Store errors that mean "this change cannot be applied" rather than "the database
/// failed": the change is set aside and the page goes on.
fn is_data_problem(e: &AppError) -> bool {
    match e {
        AppError::Store(s) => {
            matches!(s, StoreError::NotFound { .. } | StoreError::Duplicate { .. } | StoreError::Money(_))
        }
        AppError::Phone(_) | AppError::Input { .. } | AppError::Money(_) => true,
        _ => false,
    }
}

/// The shop's id for an entity the cloud names: the link, or the shop's own id when the
/// cloud uses it (entities the shop created and pushed).
fn resolve(tx: &Tx<'_>, entity: &str, cloud_id: &str) -> Result<Option<String>> {
    resolve_or(tx, entity, cloud_id, None)
}

/// [`resolve`], then the payload's `local_id` when the shop has that row.
fn resolve_or(tx: &Tx<'_>, entity: &str, cloud_id: &str, local_id: Option<&str>) -> Result<Option<String>> {
    if let Some((local, _)) = tx.cloud_link(entity, cloud_id)? {
        return Ok(Some(local));
    }
    for id in std::iter::once(cloud_id).chain(local_id) {
        if tx.local_exists(entity, id)? {
            return Ok(Some(id.to_string()));
        }
    }
    Ok(None)
}

fn unknown(entity: &str, id: &str) -> Outcome {
    Outcome::Skip(format!("未知的{entity}：{id} / unknown {entity}: {id}"))
}

/// The version check of a versioned change: `None` when the change is to be applied.
fn stale(tx: &Tx<'_>, entity: &str, c: &Change, cloud_id: &str) -> Result<Option<Outcome>> {
    if c.version.is_none() {
        return Ok(Some(Outcome::Skip(format!("{} 缺少 version / {} has no version", c.kind, c.kind))));
    }
    let held = tx.cloud_link(entity, cloud_id)?.map(|(_, v)| v);
    Ok((!is_newer(c.version, held)).then_some(Outcome::Old))
}

fn apply_one(tx: &Tx<'_>, c: &Change, now: DateTime<Utc>, device_key: &[u8]) -> Result<Outcome> {
    let payload = match ChangePayload::read(c) {
        None => return Ok(Outcome::Unknown),
        Some(Err(reason)) => return Ok(Outcome::Skip(reason)),
        Some(Ok(p)) => p,
    };
    let version = c.version.unwrap_or(0);
    match payload {
        ChangePayload::AppointmentUpserted(p) => {
            if let Some(o) = stale(tx, "appointment", c, &p.id)? {
                return Ok(o);
            }
            let Some(customer) = resolve(tx, "customer", &p.customer_id)? else {
                return Ok(unknown("customer", &p.customer_id));
            };
            let Some(service) = resolve(tx, "service", &p.service_id)? else {
                return Ok(unknown("service", &p.service_id));
            };
            let staff = match &p.staff_id {
                Some(s) => match resolve(tx, "staff", s)? {
                    Some(l) => Some(l),
                    None => return Ok(unknown("staff", s)),
                },
                None => None,
            };
            let starts_at = p.starts_at.with_timezone(&Utc);
            let ends_at = match p.ends_at {
                Some(e) => e.with_timezone(&Utc),
                None => starts_at + Duration::minutes(tx.service(&service)?.duration_min.into()),
            };
            if ends_at <= starts_at {
                return Ok(Outcome::Skip("结束时间早于开始 / ends_at is not after starts_at".into()));
            }
            let local = resolve(tx, "appointment", &p.id)?;
            let mut status = p.status.clone().unwrap_or_else(|| "booked".into());
            if !matches!(status.as_str(), "booked" | "checked_in" | "completed" | "cancelled" | "no_show") {
                return Ok(Outcome::Skip(format!("未知的预约状态 {status} / unknown appointment status {status}")));
            }
            // The cloud's booking wins, but an arrival the shop has recorded is a fact the
            // cloud may not have heard of yet: "booked" does not undo a check-in.
            if let Some(id) = &local {
                let held = tx.appointment(id)?.status;
                if status == "booked" && matches!(held, AppointmentStatus::CheckedIn | AppointmentStatus::Completed) {
                    status = held.as_str().to_string();
                }
            }
            let id = tx.put_cloud_appointment(
                &CloudAppointment {
                    local_id: local.as_deref(),
                    customer_id: &customer,
                    service_id: &service,
                    staff_id: staff.as_deref(),
                    starts_at,
                    ends_at,
                    status: &status,
                    note: p.note.as_deref().unwrap_or(""),
                },
                now,
            )?;
            tx.set_cloud_link("appointment", &p.id, &id, version)?;
            Ok(Outcome::Applied { entity: "appointment", local_id: id })
        }
        ChangePayload::AppointmentCancelled(p) => {
            if let Some(o) = stale(tx, "appointment", c, &p.id)? {
                return Ok(o);
            }
            let Some(id) = resolve(tx, "appointment", &p.id)? else {
                return Ok(unknown("appointment", &p.id));
            };
            let a = tx.appointment(&id)?;
            tx.put_cloud_appointment(
                &CloudAppointment {
                    local_id: Some(&id),
                    customer_id: &a.customer_id,
                    service_id: &a.service_id,
                    staff_id: a.staff_id.as_deref(),
                    starts_at: a.starts_at,
                    ends_at: a.ends_at,
                    status: "cancelled",
                    note: p.reason.as_deref().unwrap_or(&a.note),
                },
                now,
            )?;
            tx.set_cloud_link("appointment", &p.id, &id, version)?;
            Ok(Outcome::Applied { entity: "appointment", local_id: id })
        }
        ChangePayload::CustomerUpserted(p) => {
            if let Some(o) = stale(tx, "customer", c, &p.id)? {
                return Ok(o);
            }
            let phone = p.phone.as_deref().map(Phone::parse).transpose()?;
            let mut local = resolve_or(tx, "customer", &p.id, p.local_id.as_deref())?;
            if local.is_none()
                && let Some(ph) = &phone
            {
                local = tx.customer_by_phone(ph)?.map(|c| c.id);
            }
            let cloud_updated = p.updated_at.with_timezone(&Utc);
            let patch = CustomerPatch {
                name: p.name.clone(),
                phone: phone.clone(),
                birthday: p.birthday,
                tier: p.tier.clone(),
                tags: p.tags.clone(),
                notes: p.notes.clone(),
                allergies: p.allergies.clone(),
                contraindications: p.contraindications.clone(),
                marketing_consent: p.marketing_consent,
                ..CustomerPatch::default()
            };
            let id = match local {
                Some(id) => {
                    let held = tx.customer(&id)?;
                    if customer_keeps_local(held.updated_at, cloud_updated) {
                        // The shop's edit is later: it stays, and goes up again as the
                        // newest snapshot.
                        tx.emit_customer_by_id(&id, now)?;
                        tx.set_cloud_link("customer", &p.id, &id, version)?;
                        return Ok(Outcome::KeptLocal);
                    }
                    tx.apply_cloud_customer(&id, &patch, cloud_updated, now)?;
                    id
                }
                None => {
                    let Some(name) = p.name.clone().filter(|n| !n.trim().is_empty()) else {
                        return Ok(Outcome::Skip("新顾客缺少姓名 / a new customer needs a name".into()));
                    };
                    let new = NewCustomer {
                        name,
                        phone,
                        birthday: p.birthday,
                        tier: p.tier.clone(),
                        tags: p.tags.clone().unwrap_or_default(),
                        notes: p.notes.clone().unwrap_or_default(),
                        allergies: p.allergies.clone().unwrap_or_default(),
                        contraindications: p.contraindications.clone().unwrap_or_default(),
                        source: "cloud".into(),
                        marketing_consent: p.marketing_consent.unwrap_or(false),
                        ..NewCustomer::default()
                    };
                    let created = tx.insert_customer(&new, now)?;
                    // Dated as the cloud dated it, so the conflict rule compares like with like.
                    tx.apply_cloud_customer(&created.id, &CustomerPatch::default(), cloud_updated, now)?;
                    created.id
                }
            };
            tx.set_cloud_link("customer", &p.id, &id, version)?;
            Ok(Outcome::Applied { entity: "customer", local_id: id })
        }
        ChangePayload::CustomerUnsubscribed(p) => {
            let phone = Phone::parse(&p.phone)?;
            let n = tx.unsubscribe_phone(phone.as_str(), p.at.with_timezone(&Utc))?;
            tracing::info!(phone = %phone.masked(), customers = n, "unsubscribed from marketing (回T退订)");
            Ok(Outcome::Applied { entity: "phone", local_id: phone.masked() })
        }
        ChangePayload::ServiceUpserted(p) => {
            if let Some(o) = stale(tx, "service", c, &p.id)? {
                return Ok(o);
            }
            if p.duration_min == 0 || p.duration_min > 600 {
                return Ok(Outcome::Skip(format!(
                    "时长 {} 分钟不在 1–600 之内 / duration {} min is outside 1-600",
                    p.duration_min, p.duration_min
                )));
            }
            let local = resolve_or(tx, "service", &p.id, p.local_id.as_deref())?;
            let id = tx.put_cloud_service(
                &CloudService {
                    local_id: local.as_deref(),
                    name: &p.name,
                    category: p.category.as_deref().unwrap_or("其他"),
                    duration_min: p.duration_min,
                    price: p.price,
                    active: p.active.unwrap_or(true),
                },
                now,
            )?;
            tx.set_cloud_link("service", &p.id, &id, version)?;
            Ok(Outcome::Applied { entity: "service", local_id: id })
        }
        ChangePayload::StaffUpserted(p) => {
            if let Some(o) = stale(tx, "staff", c, &p.id)? {
                return Ok(o);
            }
            let local = resolve_or(tx, "staff", &p.id, p.local_id.as_deref())?;
            let id = tx.put_cloud_staff(local.as_deref(), &p.name, p.role, p.active.unwrap_or(true), now)?;
            tx.set_cloud_link("staff", &p.id, &id, version)?;
            Ok(Outcome::Applied { entity: "staff", local_id: id })
        }
        ChangePayload::CouponIssued(p) => {
            if let Some(o) = stale(tx, "coupon", c, &p.id)? {
                return Ok(o);
            }
            let Some(customer) = resolve(tx, "customer", &p.customer_id)? else {
                return Ok(unknown("customer", &p.customer_id));
            };
            let issued = tx.issue_coupon(&p.template, &customer, "cloud", Some(&format!("cloud:{}", p.id)), now)?;
            let local = match issued {
                Some(coupon) => coupon.code,
                // Issued before under this cloud id: the link keeps the code.
                None => tx.cloud_link("coupon", &p.id)?.map(|(l, _)| l).unwrap_or_default(),
            };
            tx.set_cloud_link("coupon", &p.id, &local, version)?;
            Ok(Outcome::Applied { entity: "coupon", local_id: local })
        }
        ChangePayload::MessageStatus(p) => {
            let delivered = match p.status.as_str() {
                "delivered" => true,
                "failed" => false,
                other => return Ok(Outcome::Skip(format!("未知的消息状态 {other} / unknown message status {other}"))),
            };
            if !tx.relayed_message_status(&p.dedupe_key, delivered, p.reason.as_deref(), p.at.with_timezone(&Utc))? {
                tracing::info!(key = %p.dedupe_key, "a delivery report for a message this shop does not hold");
            }
            Ok(Outcome::Applied { entity: "message", local_id: p.dedupe_key })
        }
        ChangePayload::FeedbackSubmitted(p) => {
            if p.token != super::feedback::link_token(device_key, &p.visit_id) {
                return Ok(Outcome::Skip(format!(
                    "评价链接校验不符：{} / the rating link's check does not match: {}",
                    p.visit_id, p.visit_id
                )));
            }
            match super::feedback::rate_in(
                tx,
                &p.visit_id,
                p.rating,
                p.comment.as_deref().unwrap_or(""),
                "link",
                "cloud",
                now,
            ) {
                Ok(_) => Ok(Outcome::Applied { entity: "visit", local_id: p.visit_id }),
                // Rated already (at the kiosk, or this change again): nothing to do.
                Err(AppError::Store(StoreError::Duplicate { .. })) => Ok(Outcome::Old),
                Err(e) => Err(e),
            }
        }
        ChangePayload::ConfigChanged => {
            // Kept and shown by `sync status`; the shop's configuration file stays the
            // authority on the appliance (it may be read-only).
            tx.set_sync_value(SyncKey::CloudConfig, Some(&c.payload.to_string()))?;
            tracing::info!(change = %c.id, "the cloud sent a configuration change: recorded, not applied");
            Ok(Outcome::Applied { entity: "config", local_id: c.id.clone() })
        }
    }
}
