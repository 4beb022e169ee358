//! Campaigns, their members (campaign group and hold-out), and the figures of their effect.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params, params_from_iter};
use serde::Serialize;

use super::{Result, StoreError, Tx, from_ms, ms, new_id};
use crate::domain::campaign::GroupFigures;
use crate::domain::money::from_fen;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CampaignRow {
    pub id: String,
    pub name: String,
    /// campaign, or job (birthday, win-back)
    pub kind: String,
    /// The definition as JSON.
    pub definition: String,
    pub status: String,
    pub ends_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
}

/// The audience filters, resolved to the store's terms.
#[derive(Debug, Clone, Default)]
pub struct AudienceQuery<'a> {
    pub tiers: &'a [String],
    pub tags: &'a [String],
    pub last_visit_before: Option<DateTime<Utc>>,
    pub last_visit_after: Option<DateTime<Utc>>,
    pub min_spend_fen: Option<i64>,
    pub birthday_month: Option<u32>,
    pub services: &'a [String],
}

/// A customer a campaign may reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reachable {
    pub id: String,
    pub name: String,
    pub gender: String,
    pub phone: Option<String>,
}

const SELECT: &str = "SELECT id, name, kind, definition, status, ends_at, created_at, started_at FROM campaigns";

fn row_to_campaign(r: &rusqlite::Row<'_>) -> rusqlite::Result<CampaignRow> {
    Ok(CampaignRow {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: r.get(2)?,
        definition: r.get(3)?,
        status: r.get(4)?,
        ends_at: r.get::<_, Option<i64>>(5)?.map(from_ms),
        created_at: from_ms(r.get(6)?),
        started_at: r.get::<_, Option<i64>>(7)?.map(from_ms),
    })
}

/// Visits that count for a campaign's effect: checkouts, not voided, not reversals.
const COUNTED_VISIT: &str = "v.kind = 'checkout' AND v.status = 'completed' AND v.voids_visit_id IS NULL";

impl Tx<'_> {
    pub fn insert_campaign(
        &self,
        name: &str,
        kind: &str,
        definition: &str,
        ends_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<CampaignRow> {
        if self.campaign(name).is_ok() {
            return Err(StoreError::Duplicate { what: "营销活动", what_en: "campaign", key: name.to_string() });
        }
        let id = new_id();
        self.exec(
            "INSERT INTO campaigns (id, name, kind, definition, status, ends_at, created_at) VALUES (?1, ?2, ?3, ?4, 'draft', ?5, ?6)",
            params![id, name.trim(), kind, definition, ends_at.map(ms), ms(now)],
        )?;
        self.campaign(&id)
    }

    /// A campaign by name or id.
    pub fn campaign(&self, key: &str) -> Result<CampaignRow> {
        self.row(&format!("{SELECT} WHERE name = ?1 OR id = ?1"), [key.trim()], row_to_campaign)
            .optional()?
            .ok_or_else(|| StoreError::NotFound { what: "营销活动", what_en: "campaign", key: key.to_string() })
    }

    pub fn campaigns(&self) -> Result<Vec<CampaignRow>> {
        let mut st = self.conn().prepare_cached(&format!("{SELECT} ORDER BY created_at DESC"))?;
        let rows = st.query_map([], row_to_campaign)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    pub fn set_campaign_started(&self, id: &str, now: DateTime<Utc>) -> Result<()> {
        self.exec(
            "UPDATE campaigns SET status = 'running', started_at = COALESCE(started_at, ?2) WHERE id = ?1",
            params![id, ms(now)],
        )?;
        Ok(())
    }

    /// Customers matching every filter given, with marketing consent, not opted out, not
    /// deleted, and with a phone or WeChat to reach them by.
    pub fn campaign_audience(&self, q: &AudienceQuery<'_>) -> Result<Vec<Reachable>> {
        let mut sql = String::from(
            "SELECT c.id, c.name, c.gender, c.phone FROM customers c LEFT JOIN membership_tiers t ON t.id = c.tier_id
             WHERE c.deleted_at IS NULL AND c.marketing_consent = 1 AND c.marketing_opt_out_at IS NULL
               AND (c.phone IS NOT NULL OR c.wechat_openid IS NOT NULL)",
        );
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        let list = |sql: &mut String, args: &mut Vec<rusqlite::types::Value>, values: &[String]| {
            sql.push_str(&vec!["?"; values.len()].join(", "));
            args.extend(values.iter().map(|v| rusqlite::types::Value::Text(v.clone())));
        };
        if !q.tiers.is_empty() {
            sql.push_str(" AND COALESCE(t.name, '') IN (");
            list(&mut sql, &mut args, q.tiers);
            sql.push(')');
        }
        if !q.tags.is_empty() {
            sql.push_str(" AND EXISTS (SELECT 1 FROM json_each(c.tags) j WHERE j.value IN (");
            list(&mut sql, &mut args, q.tags);
            sql.push_str("))");
        }
        let last_visit = format!("(SELECT MAX(v.at) FROM visits v WHERE v.customer_id = c.id AND {COUNTED_VISIT})");
        if let Some(t) = q.last_visit_before {
            sql.push_str(&format!(" AND COALESCE({last_visit}, 0) < ?"));
            args.push(ms(t).into());
        }
        if let Some(t) = q.last_visit_after {
            sql.push_str(&format!(" AND {last_visit} >= ?"));
            args.push(ms(t).into());
        }
        if let Some(f) = q.min_spend_fen {
            sql.push_str(&format!(
                " AND COALESCE((SELECT SUM(v.total_fen) FROM visits v WHERE v.customer_id = c.id AND {COUNTED_VISIT}), 0) >= ?"
            ));
            args.push(f.into());
        }
        if let Some(m) = q.birthday_month {
            sql.push_str(" AND substr(c.birthday, 6, 2) = ?");
            args.push(rusqlite::types::Value::Text(format!("{m:02}")));
        }
        if !q.services.is_empty() {
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM visits v JOIN visit_items i ON i.visit_id = v.id JOIN services s ON s.id = i.service_id
                   WHERE v.customer_id = c.id AND {COUNTED_VISIT} AND s.name IN ("
            ));
            list(&mut sql, &mut args, q.services);
            sql.push_str("))");
        }
        sql.push_str(" ORDER BY c.id");
        let mut st = self.conn().prepare(&sql)?;
        let rows = st
            .query_map(params_from_iter(args), |r| {
                Ok(Reachable { id: r.get(0)?, name: r.get(1)?, gender: r.get(2)?, phone: r.get(3)? })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Records a member (once per campaign). Returns whether it was new.
    pub fn add_campaign_member(
        &self,
        campaign_id: &str,
        customer_id: &str,
        holdout: bool,
        coupon_id: Option<&str>,
        message_key: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        Ok(self.exec(
            "INSERT OR IGNORE INTO campaign_members (campaign_id, customer_id, grp, coupon_id, message_key, added_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                campaign_id,
                customer_id,
                if holdout { "holdout" } else { "target" },
                coupon_id,
                message_key,
                ms(now)
            ],
        )? == 1)
    }

    /// A group's figures over `[from, to)`, each member's visits and redemptions counted
    /// from when they joined and, with `effect_ms`, for that long after.
    pub fn campaign_figures(
        &self,
        campaign_id: &str,
        holdout: bool,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        effect_ms: Option<i64>,
    ) -> Result<GroupFigures> {
        let grp = if holdout { "holdout" } else { "target" };
        let span = effect_ms.unwrap_or(i64::MAX / 4);
        let (members, reached, redeemed): (i64, i64, i64) = self.row(
            "SELECT COUNT(*),
                    COALESCE(SUM(EXISTS (SELECT 1 FROM notification_outbox n WHERE n.dedupe_key = m.message_key AND n.status = 'sent')), 0),
                    COALESCE(SUM(EXISTS (SELECT 1 FROM coupon_redemptions r JOIN visits rv ON rv.id = r.visit_id AND rv.status = 'completed'
                                         WHERE r.coupon_id = m.coupon_id AND r.at >= ?3 AND r.at < ?4
                                         AND r.at < m.added_at + ?5)), 0)
             FROM campaign_members m WHERE m.campaign_id = ?1 AND m.grp = ?2",
            params![campaign_id, grp, ms(from), ms(to), span],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let (visited, revenue, revenue_redeemers): (i64, i64, i64) = self.row(
            &format!(
                "SELECT COUNT(DISTINCT m.customer_id), COALESCE(SUM(v.total_fen), 0),
                        COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM coupon_redemptions r JOIN visits rv ON rv.id = r.visit_id
                                                          AND rv.status = 'completed' WHERE r.coupon_id = m.coupon_id
                                                        AND r.at >= ?3 AND r.at < ?4 AND r.at < m.added_at + ?5)
                                     THEN v.total_fen ELSE 0 END), 0)
                 FROM campaign_members m JOIN visits v ON v.customer_id = m.customer_id
                 WHERE m.campaign_id = ?1 AND m.grp = ?2 AND {COUNTED_VISIT} AND v.at >= ?3 AND v.at >= m.added_at
                   AND v.at < ?4 AND v.at < m.added_at + ?5"
            ),
            params![campaign_id, grp, ms(from), ms(to), span],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        Ok(GroupFigures {
            members,
            reached,
            redeemed,
            visited,
            revenue: from_fen(revenue),
            revenue_redeemers: from_fen(revenue_redeemers),
        })
    }
}
