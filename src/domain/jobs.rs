//! The daemon's scheduled jobs as a closed list: each with its name (in the configuration's
//! `[jobs.schedules]`, `job_runs` and the command line), its default schedule (cron with
//! seconds, shop time) and what it does. The configuration and `app::jobs` both read it
//! here, and `app::jobs` dispatches on it with an exhaustive match.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Job {
    ReminderDayBefore,
    Reminder2h,
    Birthday,
    QueueNear,
    Waitlist,
    Winback,
    Balances,
    Expiries,
    LowStock,
    DailySummary,
    Backup,
    Retention,
}

impl Job {
    /// Every job, in the order they are run when several fall due at once.
    pub const ALL: [Job; 12] = [
        Job::ReminderDayBefore,
        Job::Reminder2h,
        Job::Birthday,
        Job::QueueNear,
        Job::Waitlist,
        Job::Winback,
        Job::Balances,
        Job::Expiries,
        Job::LowStock,
        Job::DailySummary,
        Job::Backup,
        Job::Retention,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Job::ReminderDayBefore => "reminder_day_before",
            Job::Reminder2h => "reminder_2h",
            Job::Birthday => "birthday",
            Job::QueueNear => "queue_near",
            Job::Waitlist => "waitlist",
            Job::Winback => "winback",
            Job::Balances => "balances",
            Job::Expiries => "expiries",
            Job::LowStock => "low_stock",
            Job::DailySummary => "daily_summary",
            Job::Backup => "backup",
            Job::Retention => "retention",
        }
    }

    pub fn default_schedule(self) -> &'static str {
        match self {
            Job::ReminderDayBefore => "0 0 18 * * *",
            Job::Reminder2h => "0 */5 * * * *",
            Job::Birthday => "0 30 9 * * *",
            Job::QueueNear => "0 * * * * *",
            Job::Waitlist => "30 * * * * *",
            Job::Winback => "0 0 11 * * Tue",
            Job::Balances | Job::LowStock => "0 0 10 * * *",
            Job::Expiries => "0 5 0 * * *",
            Job::DailySummary => "0 30 21 * * *",
            Job::Backup => "0 15 3 * * *",
            Job::Retention => "0 45 3 * * *",
        }
    }

    pub fn about(self) -> &'static str {
        match self {
            Job::ReminderDayBefore => "明天的预约提醒 / reminders for tomorrow's appointments",
            Job::Reminder2h => "两小时前的预约提醒 / reminders two hours ahead",
            Job::Birthday => "生日券和祝福 / birthday coupons and wishes",
            Job::QueueNear => "快轮到您了 / \"your turn is near\" for walk-ins",
            Job::Waitlist => "把取消的空位给候补顾客 / offer freed slots to the wait list",
            Job::Winback => "老客回访：按各自的到店节奏 / win-back, by each customer's own rhythm",
            Job::Balances => "次卡和赠送金额到期提醒 / courses and stored-value bonuses about to end",
            Job::Expiries => {
                "积分和赠送金额到期时记入账本（按到期时间）/ record expired points and stored-value bonuses in the ledgers, at their time"
            }
            Job::LowStock => {
                "库存低于提醒线、批次临期或过期时告诉员工群 / tell the staff group about products running low or expiring"
            }
            Job::DailySummary => "给店长的营业小结 / the day's summary to the owner",
            Job::Backup => "数据库备份（校验、轮换）/ verified database backup with rotation",
            Job::Retention => {
                "清除过了保留期的小票、消息和已同步事件 / purge print jobs, messages and synced events past retention"
            }
        }
    }

    /// The job of this name, if there is one.
    pub fn parse(name: &str) -> Option<Job> {
        Job::ALL.into_iter().find(|j| j.name() == name)
    }

    /// The names, for messages: "reminder_day_before, reminder_2h, …".
    pub fn names() -> String {
        Job::ALL.map(Job::name).join(", ")
    }
}

impl std::fmt::Display for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for j in Job::ALL {
            assert_eq!(Job::parse(j.name()), Some(j));
        }
        let mut names: Vec<&str> = Job::ALL.map(Job::name).to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Job::ALL.len());
        assert_eq!(Job::parse("laundry"), None);
    }
}
