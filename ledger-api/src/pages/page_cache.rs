//! The fund page's rendered HTML kept in memory and served again while the fund is as it
//! was rendered: keyed by the page's path and language, valid for one [`PageVersion`]
//! (the fund's head size and hash, and with a witness policy its witnessed checkpoint).
//!
//! Everything the fund page shows is derived from the fund's log (its entries, the
//! per-month index written with them) and, with a witness policy, from the witnessed
//! checkpoint; so a page rendered at a version is the page for every request that finds
//! the same version; the page's disclosure calendar also depends on the day, so a kept
//! page is served only on the fund's local date it was rendered on. A request reads the version (two indexed rows) before it looks
//! here: a page is never older than the head the request found, and an append or a new
//! cosignature makes the next request render afresh. A damaged fund is answered before
//! the cache is looked at. Only the newest page of a fund (`/funds/{fund}` without
//! `?from=`) is kept; the map is bounded ([`PAGES_MAX`]) and emptied when full.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;
use ledger_core::hash::Hash;
use ledger_core::time::{Date, Instant, UtcOffset};

use super::Lang;

/// Most pages kept (a page per fund and language; more only for odd spellings of a path).
pub const PAGES_MAX: usize = 1_024;

/// What a fund page was rendered from, beside the fund's log as of `size`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageVersion {
    /// Entries in the fund's log.
    pub size: u64,
    /// Hash of its last entry.
    pub head: Hash,
    /// The witnessed checkpoint's note, with a witness policy.
    pub witnessed: Option<String>,
}

/// A page's path and language code.
type PageKey = (String, &'static str);

/// A kept page: the version it was rendered at, the fund's calendar and local date then
/// (when the page shows the disclosure calendar, which depends on the day), its HTML.
struct Kept {
    version: PageVersion,
    day: Option<(UtcOffset, Date)>,
    html: Bytes,
}

/// Rendered fund pages by (path, language).
#[derive(Default)]
pub struct PageCache {
    pages: Mutex<HashMap<PageKey, Kept>>,
}

impl PageCache {
    /// The page at `path` in `lang` if it was rendered at `version` and, when it shows
    /// the calendar, on the fund's local date of `now`.
    pub fn get(
        &self,
        path: &str,
        lang: Lang,
        version: &PageVersion,
        now: Instant,
    ) -> Option<Bytes> {
        let pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        pages
            .get(&(path.to_owned(), lang.code()))
            .filter(|k| &k.version == version)
            .filter(|k| k.day.is_none_or(|(off, day)| now.local_date(off) == day))
            .map(|k| k.html.clone())
    }

    /// Keeps `html`, the page at `path` in `lang` rendered at `version` (replacing an
    /// older one).
    pub fn put(
        &self,
        path: &str,
        lang: Lang,
        version: PageVersion,
        day: Option<(UtcOffset, Date)>,
        html: Bytes,
    ) {
        let mut pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        let key = (path.to_owned(), lang.code());
        if pages.len() >= PAGES_MAX && !pages.contains_key(&key) {
            pages.clear();
        }
        pages.insert(key, Kept { version, day, html });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(size: u64) -> PageVersion {
        PageVersion {
            size,
            head: Hash::default(),
            witnessed: None,
        }
    }

    #[test]
    fn a_page_is_served_only_at_the_version_and_day_it_was_rendered_at() {
        let cache = PageCache::default();
        let now = Instant::from_unix_seconds(1_780_000_000).unwrap();
        let off = UtcOffset::CHINA;
        let day = Some((off, now.local_date(off)));
        let five = Bytes::from_static(b"five");
        cache.put("/funds/a", Lang::En, version(5), day, five);
        let got = cache.get("/funds/a", Lang::En, &version(5), now);
        assert_eq!(got.as_deref(), Some(&b"five"[..]));
        assert!(cache.get("/funds/a", Lang::En, &version(6), now).is_none());
        assert!(cache.get("/funds/a", Lang::Zh, &version(5), now).is_none());
        let tomorrow = now.checked_add_seconds(86_400).unwrap();
        assert!(
            cache
                .get("/funds/a", Lang::En, &version(5), tomorrow)
                .is_none(),
            "the calendar is of another day"
        );
        let witnessed = PageVersion {
            witnessed: Some("note".into()),
            ..version(5)
        };
        assert!(cache.get("/funds/a", Lang::En, &witnessed, now).is_none());
    }

    #[test]
    fn the_cache_is_bounded() {
        let cache = PageCache::default();
        for i in 0..=PAGES_MAX {
            let path = format!("/funds/{i}");
            cache.put(&path, Lang::En, version(1), None, Bytes::new());
        }
        assert!(cache.pages.lock().unwrap().len() <= PAGES_MAX);
    }
}
