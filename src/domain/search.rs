//! Finding a customer the way a Chinese front desk asks: a whole phone number, its last
//! four digits (手机尾号), a member code, the pinyin initials of a name (`wxm` → 王小美), or
//! a piece of the name.

use pinyin::ToPinyin;

use super::phone::Phone;

/// The pinyin initials of a name, lower case: 王小美 → `wxm`. Latin letters keep their
/// own first letters (Anna Li → `al`); digits and other signs are left out. A character
/// with several readings counts by its most common one.
pub fn initials(name: &str) -> String {
    let mut out = String::new();
    let mut in_word = false;
    for c in name.chars() {
        if let Some(p) = c.to_pinyin() {
            out.push_str(p.first_letter());
            in_word = false;
        } else if c.is_ascii_alphabetic() {
            if !in_word {
                out.push(c.to_ascii_lowercase());
            }
            in_word = true;
        } else {
            in_word = false;
        }
    }
    out
}

/// What a search box's text asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerQuery {
    /// Nothing to look for.
    Empty,
    /// A whole mobile number.
    Phone(Phone),
    /// The last four digits of a phone number.
    PhoneTail(String),
    /// A member code (M100001) or its digits.
    MemberCode(String),
    /// Latin letters: pinyin initials (`wxm`), also tried as a name fragment.
    Initials(String),
    /// Anything else: a piece of the name, phone or member code.
    Text(String),
}

impl CustomerQuery {
    pub fn parse(input: &str) -> CustomerQuery {
        let q = input.trim();
        if q.is_empty() {
            return CustomerQuery::Empty;
        }
        if let Ok(p) = Phone::parse(q) {
            return CustomerQuery::Phone(p);
        }
        if q.len() == 4 && q.bytes().all(|b| b.is_ascii_digit()) {
            return CustomerQuery::PhoneTail(q.to_string());
        }
        let upper = q.to_ascii_uppercase();
        if let Some(rest) = upper.strip_prefix('M')
            && !rest.is_empty()
            && rest.bytes().all(|b| b.is_ascii_digit())
        {
            return CustomerQuery::MemberCode(upper);
        }
        if q.bytes().all(|b| b.is_ascii_alphabetic()) {
            return CustomerQuery::Initials(q.to_ascii_lowercase());
        }
        CustomerQuery::Text(q.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_of_chinese_and_latin_names() {
        assert_eq!(initials("王小美"), "wxm");
        assert_eq!(initials("欧阳娜娜"), "oynn");
        assert_eq!(initials("Anna Li"), "al");
        assert_eq!(initials("李娜2"), "ln");
        assert_eq!(initials(""), "");
    }

    #[test]
    fn queries_are_told_apart() {
        assert!(matches!(CustomerQuery::parse("+86 138 1234 5678"), CustomerQuery::Phone(_)));
        assert_eq!(CustomerQuery::parse(" 5678 "), CustomerQuery::PhoneTail("5678".into()));
        assert_eq!(CustomerQuery::parse("m100001"), CustomerQuery::MemberCode("M100001".into()));
        assert_eq!(CustomerQuery::parse("WXM"), CustomerQuery::Initials("wxm".into()));
        assert_eq!(CustomerQuery::parse("小美"), CustomerQuery::Text("小美".into()));
        assert_eq!(CustomerQuery::parse("138123"), CustomerQuery::Text("138123".into()));
        assert_eq!(CustomerQuery::parse("  "), CustomerQuery::Empty);
    }
}
