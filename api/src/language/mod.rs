//! The language of an answer: Chinese first, English for `Accept-Language: en`. Messages are
//! written once, in English, where the rule that refuses lives (as gettext keeps its msgids);
//! `zh.rs` holds their Chinese. A message with parts (`no case has the id 0190…`) is matched
//! against the catalogue's patterns, its parts translated in turn where they are words of the
//! domain (`case` → 案件, `grid_worker` → 网格员) and kept as they are where they are data.
//!
//! A message with no Chinese is answered in English rather than not at all, logged, and kept in
//! `untranslated()`, which the end-to-end suite checks after every test.

mod zh;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap};
use actix_web::middleware::Next;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    /// The language a request asks for: English when its `Accept-Language` prefers an `en`
    /// tag to any `zh` one; Chinese otherwise (and with no header).
    pub fn of(headers: &HeaderMap) -> Self {
        let Some(text) = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()) else {
            return Lang::Zh;
        };
        let mut best: Option<(f32, Lang)> = None;
        for part in text.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces.find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok())).unwrap_or(1.0);
            let lang = if tag == "en" || tag.starts_with("en-") {
                Lang::En
            } else if tag == "zh" || tag.starts_with("zh-") {
                Lang::Zh
            } else {
                continue;
            };
            if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::Zh, |(_, l)| l)
    }

    /// The `Content-Language` of an answer in this language.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// One of two texts: the Chinese or the English.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

tokio::task_local! {
    static LANG: Lang;
}

/// The language of the request being answered (Chinese outside one).
pub fn current() -> Lang {
    LANG.try_with(|l| *l).unwrap_or(Lang::Zh)
}

/// Middleware: answers the request in the language it asks for.
pub async fn scope(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let lang = Lang::of(req.headers());
    LANG.scope(lang, next.call(req)).await
}

/// A message in `lang`: the text itself in English, its Chinese from the catalogue otherwise.
pub fn say(text: &str, lang: Lang) -> Cow<'_, str> {
    if lang == Lang::En {
        // a debug build checks the Chinese of every English answer too, so the suite finds a
        // message left out of the catalogue whichever language its tests ask for
        if cfg!(debug_assertions) {
            let _ = chinese(text);
        }
        return Cow::Borrowed(text);
    }
    match chinese(text) {
        Some(zh) => Cow::Owned(zh),
        None => Cow::Borrowed(text),
    }
}

/// The Chinese of a message, or `None` (recorded) when the catalogue has none or leaves
/// English in it.
fn chinese(text: &str) -> Option<String> {
    let found = translate(text, 0);
    if !matches!(found, Some((_, true))) {
        tracing::warn!(message = text, "a message has no Chinese in the catalogue (api/src/language/zh.rs)");
        let mut missing = UNTRANSLATED.lock().unwrap_or_else(|e| e.into_inner());
        if missing.len() < 100 && !missing.iter().any(|m| m == text) {
            missing.push(text.to_owned());
        }
    }
    found.map(|(zh, _)| zh)
}

static UNTRANSLATED: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// The messages this process answered without Chinese, each once.
pub fn untranslated() -> Vec<String> {
    UNTRANSLATED.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Whether a translation still holds English: two words of letters in a row, outside
/// backquotes (`verify_pass` and field names are not words).
fn looks_english(text: &str) -> bool {
    let mut quoted = false;
    let outside: String = text
        .chars()
        .map(|c| {
            if c == '`' {
                quoted = !quoted;
            }
            if quoted || c == '`' { ' ' } else { c }
        })
        .collect();
    let word = |t: &str| {
        let t = t.trim_end_matches([',', '.', ';', ':']);
        t.len() >= 2 && t.chars().all(|c| c.is_ascii_alphabetic())
    };
    let tokens: Vec<&str> = outside.split(' ').collect();
    tokens.windows(2).any(|w| word(w[0]) && word(w[1]))
}

/// A pattern of the catalogue: its English cut at each `{}`, and its Chinese.
struct Pattern {
    literals: Vec<&'static str>,
    zh: &'static str,
}

struct Catalogue {
    exact: HashMap<&'static str, &'static str>,
    /// Patterns with parts, the most specific (the most literal text) first.
    patterns: Vec<Pattern>,
}

static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(|| {
    let mut exact = HashMap::new();
    let mut patterns = Vec::new();
    let words = zh::words();
    for (en, zh) in zh::MESSAGES.iter().copied().chain(words.iter().copied()) {
        if en.contains("{}") {
            patterns.push(Pattern { literals: en.split("{}").collect(), zh });
        } else {
            exact.insert(en, zh);
        }
    }
    patterns.sort_by_key(|p| std::cmp::Reverse(p.literals.iter().map(|l| l.len()).sum::<usize>()));
    Catalogue { exact, patterns }
});

/// The Chinese of `text` — an exact entry, a pattern whose parts are filled in (each part
/// translated where it can be), or a list of such (`accept, return`) — and whether it is all
/// Chinese: no part left in English but those the pattern keeps as written (`{=}`: values an
/// API takes, such as `district, street`).
fn translate(text: &str, depth: usize) -> Option<(String, bool)> {
    let cat = &*CATALOGUE;
    if let Some(zh) = cat.exact.get(text) {
        return Some(((*zh).to_owned(), true));
    }
    if depth > 3 {
        return None;
    }
    for p in &cat.patterns {
        if let Some(parts) = captures(&p.literals, text) {
            let mut clean = true;
            let parts: Vec<(String, bool)> = parts
                .iter()
                .map(|part| match translate(part, depth + 1) {
                    Some((zh, c)) => (zh, c),
                    None => ((*part).to_owned(), !looks_english(part)),
                })
                .collect();
            let filled = fill(p.zh, &parts, &mut clean);
            return Some((filled, clean));
        }
    }
    // a list of words of the domain, as `Status::names()` writes them
    for sep in [", ", " or ", "; "] {
        if text.contains(sep) {
            let pieces: Option<Vec<(String, bool)>> = text.split(sep).map(|p| translate(p, depth + 1)).collect();
            if let Some(pieces) = pieces {
                let clean = pieces.iter().all(|(_, c)| *c);
                let joined = pieces.into_iter().map(|(p, _)| p).collect::<Vec<_>>().join(match sep {
                    " or " => "或",
                    "; " => "；",
                    _ => "、",
                });
                return Some((joined, clean));
            }
        }
    }
    None
}

/// The parts of `text` at the `{}` between `literals`, if it has that shape (each part
/// non-empty; a literal is matched at its first place after the part before it).
fn captures<'t>(literals: &[&str], text: &'t str) -> Option<Vec<&'t str>> {
    let (first, rest) = literals.split_first()?;
    let (last, middle) = rest.split_last()?;
    let mut at = text.strip_prefix(first)?;
    let mut parts = Vec::new();
    for lit in middle {
        let first = at.chars().next()?.len_utf8();
        let i = at[first..].find(lit)? + first;
        parts.push(&at[..i]);
        at = &at[i + lit.len()..];
    }
    let part = at.strip_suffix(last)?;
    if part.is_empty() {
        return None;
    }
    parts.push(part);
    Some(parts)
}

/// A Chinese pattern with its parts: `{}` in order, `{0}`, `{1}` … by number; `{=}` or `{0=}`
/// takes the part as the message wrote it. `clean` turns false when a translated part still
/// holds English.
fn fill(zh: &str, parts: &[(String, bool)], clean: &mut bool) -> String {
    let mut out = String::new();
    let mut next = 0;
    let mut rest = zh;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else { break };
        let inner = &rest[open + 1..open + close];
        let (number, as_written) = match inner.strip_suffix('=') {
            Some(n) => (n, true),
            None => (inner, false),
        };
        let index = if number.is_empty() {
            next += 1;
            Some(next - 1)
        } else {
            number.parse::<usize>().ok()
        };
        match index.and_then(|i| parts.get(i)) {
            Some((part, part_clean)) => {
                *clean &= as_written || *part_clean;
                out.push_str(part)
            }
            None => out.push_str(&rest[open..=open + close]),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_LANGUAGE, value.parse().unwrap());
        h
    }

    #[test]
    fn chinese_unless_english_is_preferred() {
        assert_eq!(Lang::of(&HeaderMap::new()), Lang::Zh);
        assert_eq!(Lang::of(&headers("en")), Lang::En);
        assert_eq!(Lang::of(&headers("en-US,en;q=0.9")), Lang::En);
        assert_eq!(Lang::of(&headers("zh-CN,zh;q=0.9,en;q=0.8")), Lang::Zh);
        assert_eq!(Lang::of(&headers("fr,en;q=0.5,zh;q=0.4")), Lang::En);
        assert_eq!(Lang::of(&headers("fr")), Lang::Zh);
        assert_eq!(Lang::of(&headers("en;q=0")), Lang::Zh);
    }

    #[test]
    fn a_message_with_parts_reads_as_chinese() {
        assert_eq!(say("no case has the id 0190abc", Lang::Zh), "案件 0190abc 不存在");
        assert_eq!(say("is required", Lang::Zh), "必填");
        assert_eq!(say("is required", Lang::En), "is required");
        assert_eq!(say("must be at most 200 characters", Lang::Zh), "最多 200 个字符");
        assert_eq!(say("a grid_worker may not void a case", Lang::Zh), "网格员不能作废案件");
    }

    #[test]
    fn parts_fill_in_by_order_or_number() {
        let parts = [("a".to_owned(), true), ("b c".to_owned(), false)];
        let mut clean = true;
        assert_eq!(fill("{1=} 的 {0}", &parts, &mut clean), "b c 的 a");
        assert!(clean, "a part taken as written is not a translation");
        assert_eq!(fill("{}、{}", &parts, &mut clean), "a、b c");
        assert!(!clean, "a part left in English is found");
        assert_eq!(captures(&["", " lies in ", ""], "孺子亭社区 lies in 东湖区"), Some(vec!["孺子亭社区", "东湖区"]));
        assert_eq!(captures(&["cell ", " already has ", ""], "cell 1 already has x"), Some(vec!["1", "x"]));
        assert_eq!(captures(&["no ", " has the id ", ""], "no case has the id "), None);
    }

    #[test]
    fn english_left_in_a_translation_is_found() {
        assert!(looks_english("案件 is not here"));
        assert!(!looks_english("动作 `verify_pass` 不可用"));
        assert!(!looks_english("网格 36010200100201 (孺子亭社区 A1)"));
        assert!(!looks_english("GB/T 30428.2 的大类"));
    }
}
