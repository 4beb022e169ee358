//! Customer-facing facts that need no storage: gender, titles and greetings.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Gender {
    Female,
    Male,
    #[default]
    Unknown,
}

impl Gender {
    /// Reads 女/男/F/M/female/male (any case); anything else is `None`.
    pub fn parse(s: &str) -> Option<Gender> {
        match s.trim().to_lowercase().as_str() {
            "女" | "f" | "female" | "w" | "woman" | "女士" => Some(Gender::Female),
            "男" | "m" | "male" | "man" | "先生" => Some(Gender::Male),
            "" | "未知" | "unknown" | "-" | "u" => Some(Gender::Unknown),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Female => "female",
            Gender::Male => "male",
            Gender::Unknown => "unknown",
        }
    }

    /// 女 / 男 / 未知
    pub fn label_zh(self) -> &'static str {
        match self {
            Gender::Female => "女",
            Gender::Male => "男",
            Gender::Unknown => "未知",
        }
    }

    pub fn from_db(s: &str) -> Gender {
        match s {
            "female" => Gender::Female,
            "male" => Gender::Male,
            _ => Gender::Unknown,
        }
    }
}

const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "令狐", "夏侯",
    "轩辕", "端木", "独孤", "南宫", "西门", "百里", "呼延", "澹台", "公冶", "太史",
];

/// The surname of a Chinese name (compound surnames included); for a Latin-script name the
/// last word.
pub fn surname(name: &str) -> &str {
    let name = name.trim();
    if name.is_ascii() {
        return name.split_whitespace().last().unwrap_or(name);
    }
    for c in COMPOUND_SURNAMES {
        if name.starts_with(c) && name.chars().count() > 2 {
            return &name[..c.len()];
        }
    }
    match name.char_indices().nth(1) {
        Some((i, _)) => &name[..i],
        None => name,
    }
}

/// How the kiosk greets a customer: 王女士 / 李先生; the full name when the gender is unknown
/// (a salon never guesses).
///
/// ```
/// use salonbox::domain::customer::{Gender, greeting_name};
/// assert_eq!(greeting_name("欧阳娜娜", Gender::Female), "欧阳女士");
/// assert_eq!(greeting_name("李明", Gender::Unknown), "李明");
/// ```
pub fn greeting_name(name: &str, gender: Gender) -> String {
    match gender {
        Gender::Female => format!("{}女士", surname(name)),
        Gender::Male => format!("{}先生", surname(name)),
        Gender::Unknown => name.trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surnames() {
        assert_eq!(surname("王小丽"), "王");
        assert_eq!(surname("欧阳娜娜"), "欧阳");
        assert_eq!(surname("欧阳"), "欧");
        assert_eq!(surname("Anna Lee"), "Lee");
        assert_eq!(greeting_name("王小丽", Gender::Female), "王女士");
        assert_eq!(greeting_name("诸葛明", Gender::Male), "诸葛先生");
        assert_eq!(greeting_name("张三", Gender::Unknown), "张三");
    }

    #[test]
    fn genders() {
        assert_eq!(Gender::parse("女"), Some(Gender::Female));
        assert_eq!(Gender::parse("M"), Some(Gender::Male));
        assert_eq!(Gender::parse(""), Some(Gender::Unknown));
        assert_eq!(Gender::parse("x?"), None);
    }
}

/// The longest text a customer's fields take, in characters: enough for any real entry,
/// short enough that a pasted file or a runaway cell is refused, not stored and synced.
pub mod limits {
    pub const NAME: usize = 40;
    pub const SKIN_TYPE: usize = 30;
    pub const ALLERGIES: usize = 300;
    pub const CONTRAINDICATIONS: usize = 300;
    pub const NOTES: usize = 1000;
    /// A tag, a skin concern.
    pub const TAG: usize = 30;
    /// A note, complaint or comment recorded against a customer or a visit.
    pub const INTERACTION: usize = 1000;
}

/// `Err` with a message naming the field when `text` is longer than `max` characters.
pub fn check_length(field: &str, text: &str, max: usize) -> Result<(), String> {
    let n = text.trim().chars().count();
    if n > max {
        return Err(format!("{field}过长：{n} 字，最多 {max} 字 / {field} is too long: {n} characters, {max} at most"));
    }
    Ok(())
}

/// A birthday must be a day that has come: not after `today` (the shop's date), not before 1900.
pub fn check_birthday(d: chrono::NaiveDate, today: chrono::NaiveDate) -> Result<(), String> {
    use chrono::Datelike;
    if d > today {
        return Err(format!("生日 {d} 在今天（{today}）之后 / the birthday {d} is after today ({today})"));
    }
    if d.year() < 1900 {
        return Err(format!("生日 {d} 早于 1900 年 / the birthday {d} is before 1900"));
    }
    Ok(())
}
