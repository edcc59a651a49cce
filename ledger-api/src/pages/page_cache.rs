//! The fund page's rendered HTML kept in memory and served again while the fund is as it
//! was rendered: keyed by the page's path and language, valid for one [`PageVersion`]
//! (the fund's head size and hash, and with a witness policy its witnessed checkpoint).
//!
//! Everything the fund page shows is derived from the fund's log (its entries, the
//! per-month index written with them) and, with a witness policy, from the witnessed
//! checkpoint; so a page rendered at a version is the page for every request that finds
//! the same version. A request reads the version (two indexed rows) before it looks
//! here: a page is never older than the head the request found, and an append or a new
//! cosignature makes the next request render afresh. A damaged fund is answered before
//! the cache is looked at. Only the newest page of a fund (`/funds/{fund}` without
//! `?from=`) is kept; the map is bounded ([`PAGES_MAX`]) and emptied when full.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;
use ledger_core::hash::Hash;

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

/// Rendered fund pages by (path, language), each with the version it was rendered at.
#[derive(Default)]
pub struct PageCache {
    pages: Mutex<HashMap<PageKey, (PageVersion, Bytes)>>,
}

impl PageCache {
    /// The page at `path` in `lang` if it was rendered at `version`.
    pub fn get(&self, path: &str, lang: Lang, version: &PageVersion) -> Option<Bytes> {
        let pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        pages
            .get(&(path.to_owned(), lang.code()))
            .filter(|(v, _)| v == version)
            .map(|(_, html)| html.clone())
    }

    /// Keeps `html`, the page at `path` in `lang` rendered at `version` (replacing an
    /// older one).
    pub fn put(&self, path: &str, lang: Lang, version: PageVersion, html: Bytes) {
        let mut pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        let key = (path.to_owned(), lang.code());
        if pages.len() >= PAGES_MAX && !pages.contains_key(&key) {
            pages.clear();
        }
        pages.insert(key, (version, html));
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
    fn a_page_is_served_only_at_the_version_it_was_rendered_at() {
        let cache = PageCache::default();
        cache.put(
            "/funds/a",
            Lang::En,
            version(5),
            Bytes::from_static(b"five"),
        );
        assert_eq!(
            cache.get("/funds/a", Lang::En, &version(5)).as_deref(),
            Some(&b"five"[..])
        );
        assert!(cache.get("/funds/a", Lang::En, &version(6)).is_none());
        assert!(cache.get("/funds/a", Lang::Zh, &version(5)).is_none());
        let witnessed = PageVersion {
            witnessed: Some("note".into()),
            ..version(5)
        };
        assert!(cache.get("/funds/a", Lang::En, &witnessed).is_none());
    }

    #[test]
    fn the_cache_is_bounded() {
        let cache = PageCache::default();
        for i in 0..=PAGES_MAX {
            cache.put(&format!("/funds/{i}"), Lang::En, version(1), Bytes::new());
        }
        assert!(cache.pages.lock().unwrap().len() <= PAGES_MAX);
    }
}
