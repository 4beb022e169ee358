//! Who may do what: the one table that decides, for every face (the back office asks it on
//! every request; the permission table in `docs/backoffice.md` is rendered from it and a
//! test keeps the two equal).

use super::model::StaffRole;

/// Something a person may or may not do in the back office.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// See the day (queue, appointments, takings), book, move and cancel: a beautician
    /// only her own.
    SeeDay,
    /// See every beautician's calendar and book for any of them.
    BookForOthers,
    /// See a customer's whole phone number (otherwise masked, 138****5678).
    SeeFullPhone,
    /// Register and edit customers, add notes and care records.
    EditCustomers,
    /// Check out, top up stored value, sell a course.
    Checkout,
    /// Void a visit, refund.
    Void,
    /// Import the old spreadsheet.
    Import,
    /// Export lists, read reports.
    ExportAndReports,
    /// Rules, prices, tiers, campaigns, staff.
    Setup,
    /// Delete a customer, export one customer's data, download a backup (everyone's data).
    DeleteCustomer,
    /// The shop's machinery: messages (resend, test), devices and doctor, backups, cloud
    /// sync, the audit log.
    RunShop,
}

impl Permission {
    pub const ALL: [Permission; 11] = [
        Permission::SeeDay,
        Permission::BookForOthers,
        Permission::SeeFullPhone,
        Permission::EditCustomers,
        Permission::Checkout,
        Permission::Void,
        Permission::Import,
        Permission::ExportAndReports,
        Permission::RunShop,
        Permission::Setup,
        Permission::DeleteCustomer,
    ];

    /// `中文 / English`, as the table in the docs and the refusal page say it.
    pub fn label(self) -> &'static str {
        match self {
            Permission::SeeDay => "查看当天、预约、改约、取消 / see the day, book, move, cancel",
            Permission::BookForOthers => "查看和安排所有美容师的预约 / every beautician's calendar",
            Permission::SeeFullPhone => "查看完整手机号 / see a full phone number",
            Permission::EditCustomers => "登记、修改顾客，写备注和护理记录 / register and edit customers",
            Permission::Checkout => "结账、充值、售卡、售套餐 / check out, top up, sell a course or a package",
            Permission::Void => "作废消费、退款 / void a visit, refund",
            Permission::Import => "导入 / import",
            Permission::ExportAndReports => "导出、报表 / export, reports",
            Permission::Setup => "规则、价格、等级、营销、员工 / rules, prices, tiers, campaigns, staff",
            Permission::DeleteCustomer => {
                "删除顾客、导出其资料、下载备份 / delete a customer, export her data, download a backup"
            }
            Permission::RunShop => "消息、设备、备份、同步、审计日志 / messages, devices, backups, sync, audit log",
        }
    }
}

/// The one place that decides: may a person of this role do this?
pub fn may(role: StaffRole, p: Permission) -> bool {
    use Permission::*;
    use StaffRole::*;
    match p {
        SeeDay => true,
        BookForOthers | SeeFullPhone | EditCustomers | Checkout => role != Beautician,
        Void | Import | ExportAndReports | RunShop => matches!(role, Owner | Manager),
        Setup | DeleteCustomer => role == Owner,
    }
}

/// The permission table as Markdown (the docs carry this text).
pub fn markdown_table() -> String {
    let roles = [StaffRole::Owner, StaffRole::Manager, StaffRole::FrontDesk, StaffRole::Beautician];
    let mut s = String::from("| 操作 action | 店主 owner | 店长 manager | 前台 reception | 美容师 beautician |\n");
    s.push_str("| --- | :-: | :-: | :-: | :-: |\n");
    for p in Permission::ALL {
        s.push_str(&format!("| {} |", p.label()));
        for r in roles {
            let mark = match (may(r, p), r, p) {
                (true, StaffRole::Beautician, Permission::SeeDay) => "本人 own",
                (true, ..) => "✓",
                (false, ..) => "—",
            };
            s.push_str(&format!(" {mark} |"));
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_beautician_sees_her_day_and_nothing_more() {
        let b = StaffRole::Beautician;
        assert!(may(b, Permission::SeeDay));
        for p in Permission::ALL.into_iter().filter(|p| *p != Permission::SeeDay) {
            assert!(!may(b, p), "{p:?}");
        }
        assert!(may(StaffRole::FrontDesk, Permission::Checkout));
        assert!(!may(StaffRole::FrontDesk, Permission::Void));
        assert!(may(StaffRole::Manager, Permission::Void));
        assert!(!may(StaffRole::Manager, Permission::DeleteCustomer));
        assert!(Permission::ALL.iter().all(|p| may(StaffRole::Owner, *p)));
    }

    #[test]
    fn the_docs_carry_the_table_the_code_decides_by() {
        let doc = include_str!("../../docs/backoffice.md");
        assert!(doc.contains(&markdown_table()), "docs/backoffice.md must contain:\n{}", markdown_table());
    }
}
