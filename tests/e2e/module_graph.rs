//! No import cycles between the modules of the library crates (`ledger-core`,
//! `ledger-api`, `audit-tools`).
//!
//! Each `.rs` file under a crate's `src/` is a module (`a/b.rs` and `a/b/mod.rs` are
//! `a::b`; `lib.rs` is the crate root; `main.rs` and `src/bin/` are binaries and are
//! left out). Every path that starts with `crate::`, `super::` or `self::` — in `use`
//! declarations (brace groups expanded) and anywhere else in the code, comments and
//! string literals excepted — is resolved to the deepest module it names, relative to
//! the module it is written in (inline `mod name { … }` blocks included). An edge A → B
//! counts only when neither module is an ancestor of the other: a child may use its
//! parent's items (`super::…`) and a parent its children's. The test fails listing every
//! cycle (strongly connected set of modules) with the edges and the files behind them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The crates whose modules are checked.
const CRATES: [&str; 3] = ["ledger-core", "ledger-api", "audit-tools"];

/// A module: crate name and path segments below the crate root.
type Module = Vec<String>;

fn name(m: &Module) -> String {
    m.join("::")
}

fn is_ancestor_or_self(a: &Module, b: &Module) -> bool {
    a.len() <= b.len() && b[..a.len()] == a[..]
}

/// Every `.rs` file of `dir`, recursively, sorted.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module of a file below `src`, or `None` for a binary's file.
fn module_of(krate: &str, src: &Path, file: &Path) -> Option<Module> {
    let rel = file.strip_prefix(src).expect("a file below src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_str().expect("a UTF-8 path").to_owned())
        .collect();
    if parts.first().is_some_and(|p| p == "bin") || parts == ["main.rs"] {
        return None;
    }
    let last = parts.pop().expect("a file name");
    let stem = last.trim_end_matches(".rs");
    if !(stem == "mod" || (parts.is_empty() && stem == "lib")) {
        parts.push(stem.to_owned());
    }
    let mut m = vec![krate.to_owned()];
    m.extend(parts);
    Some(m)
}

/// The code of a file with comments blanked and string and char literals emptied, so
/// that only code remains (line structure kept).
fn code_only(src: &str) -> String {
    let b: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if b[i] == '\n' {
                        out.push('\n');
                    }
                    i += 1;
                }
            }
            out.push(' ');
        } else if (c == 'r' || c == 'b')
            && !b
                .get(i.wrapping_sub(1))
                .is_some_and(|p| p.is_alphanumeric() || *p == '_')
            && raw_string_start(&b, i).is_some()
        {
            let (hashes, body) = raw_string_start(&b, i).expect("checked");
            i = body;
            loop {
                if i >= b.len() {
                    break;
                }
                if b[i] == '"' && (0..hashes).all(|k| b.get(i + 1 + k) == Some(&'#')) {
                    i += 1 + hashes;
                    break;
                }
                if b[i] == '\n' {
                    out.push('\n');
                }
                i += 1;
            }
            out.push_str("\"\"");
        } else if c == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    i += 1;
                }
                if b.get(i) == Some(&'\n') {
                    out.push('\n');
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{..}') or a lifetime ('a).
            if next == Some('\\') {
                i += 2;
                while i < b.len() && b[i] != '\'' {
                    i += 1;
                }
                i += 1;
                out.push_str("' '");
            } else if b.get(i + 2) == Some(&'\'') {
                i += 3;
                out.push_str("' '");
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// If a raw string (`r"`, `r#"`, `br"`…) starts at `i`: its number of `#` and where its
/// body starts.
fn raw_string_start(b: &[char], i: usize) -> Option<(usize, usize)> {
    let mut j = i;
    if b.get(j) == Some(&'b') {
        j += 1;
    }
    if b.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let mut hashes = 0;
    while b.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    (b.get(j) == Some(&'"')).then_some((hashes, j + 1))
}

/// Expands a `use` tree (`a::{b, c::{d, e}}`) into its paths.
fn expand_use(tree: &str) -> Vec<String> {
    let words: Vec<&str> = tree.split_whitespace().collect();
    let tree: String = words.join(" ").replace(" as ", "@").replace(' ', "");
    let mut out = Vec::new();
    expand_into("", &tree, &mut out);
    out
}

fn expand_into(prefix: &str, tree: &str, out: &mut Vec<String>) {
    if let Some(open) = tree.find('{') {
        let head = &tree[..open];
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let mut depth = 0;
        let mut start = 0;
        let mut items = Vec::new();
        for (k, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    items.push(&inner[start..k]);
                    start = k + 1;
                }
                _ => {}
            }
        }
        items.push(&inner[start..]);
        for item in items.into_iter().filter(|s| !s.is_empty()) {
            expand_into(&format!("{prefix}{head}"), item, out);
        }
    } else {
        let path = tree.split('@').next().unwrap_or(tree);
        out.push(format!("{prefix}{path}"));
    }
}

/// The paths starting with `crate`, `super` or `self` in `code`, with the inline module
/// (segments below the file's module) each is written in. Test modules
/// (`#[cfg(test)] mod … { … }`) are left out: what tests import is not the library's
/// structure.
fn paths_in(code: &str) -> Vec<(Vec<String>, String)> {
    let mut found = Vec::new();
    // Inline modules: (name, brace depth at which their block closes, test module?).
    let mut inline: Vec<(String, usize, bool)> = Vec::new();
    let mut depth = 0usize;
    let chars: Vec<char> = code.chars().collect();
    let mut i = 0;
    let word_at = |i: usize| -> Option<String> {
        let starts = i == 0
            || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_' || chars[i - 1] == ':');
        if !starts || !(chars[i].is_alphabetic() || chars[i] == '_') {
            return None;
        }
        let mut j = i;
        while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
            j += 1;
        }
        Some(chars[i..j].iter().collect())
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '{' {
            depth += 1;
            i += 1;
            continue;
        }
        if c == '}' {
            depth = depth.saturating_sub(1);
            if inline.last().is_some_and(|(_, d, _)| *d == depth) {
                inline.pop();
            }
            i += 1;
            continue;
        }
        let Some(word) = word_at(i) else {
            i += 1;
            continue;
        };
        let after = i + word.len();
        let inside: Vec<String> = inline.iter().map(|(n, _, _)| n.clone()).collect();
        let in_test = inline.iter().any(|(_, _, t)| *t);
        if word == "mod" {
            // `mod name {` opens an inline module; `mod name;` is a file module.
            let rest: String = chars[after..].iter().take(200).collect();
            let rest = rest.trim_start();
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let tail = rest[name.len()..].trim_start();
            if !name.is_empty() && tail.starts_with('{') {
                let before: String = chars[i.saturating_sub(80)..i]
                    .iter()
                    .filter(|c| !c.is_whitespace())
                    .collect();
                let test = before.ends_with("#[cfg(test)]") || before.ends_with("#[cfg(test)]pub");
                inline.push((name, depth, test));
            }
            i = after;
        } else if word == "use" {
            let end = chars[after..]
                .iter()
                .position(|c| *c == ';')
                .map_or(chars.len(), |p| after + p);
            let tree: String = chars[after..end].iter().collect();
            for p in expand_use(&tree) {
                let p = p.trim_start_matches("::").to_owned();
                if !in_test
                    && ["crate", "super", "self"]
                        .iter()
                        .any(|r| p == *r || p.starts_with(&format!("{r}::")))
                {
                    found.push((inside.clone(), p));
                }
            }
            i = end;
        } else if matches!(word.as_str(), "crate" | "super" | "self")
            && chars.get(after) == Some(&':')
            && chars.get(after + 1) == Some(&':')
        {
            let mut j = after;
            while j + 1 < chars.len() && chars[j] == ':' && chars[j + 1] == ':' {
                j += 2;
                while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
                    j += 1;
                }
            }
            if !in_test {
                found.push((inside, chars[i..j].iter().collect()));
            }
            i = j;
        } else {
            i = after;
        }
    }
    found
}

/// The deepest known module that `path`, written in `here`, names.
fn resolve(here: &Module, path: &str, known: &BTreeSet<Module>) -> Option<Module> {
    let mut segs = path.split("::").filter(|s| !s.is_empty()).peekable();
    let mut base: Module = match segs.peek().copied() {
        Some("crate") => {
            segs.next();
            vec![here[0].clone()]
        }
        Some("self") | Some("super") => here.clone(),
        _ => return None,
    };
    while let Some(s) = segs.peek().copied() {
        match s {
            "self" => {}
            "super" => {
                if base.len() <= 1 {
                    return None;
                }
                base.pop();
            }
            _ => break,
        }
        segs.next();
    }
    // `here` may be an inline module: walk up to a file module.
    while !known.contains(&base) && base.len() > 1 {
        base.pop();
    }
    for s in segs {
        let mut next = base.clone();
        next.push(s.to_owned());
        if known.contains(&next) {
            base = next;
        } else {
            break;
        }
    }
    Some(base)
}

/// Strongly connected sets of more than one module (Tarjan).
fn cycles(graph: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    struct Walk<'g> {
        graph: &'g BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<&'g Module, usize>,
        low: BTreeMap<&'g Module, usize>,
        stack: Vec<&'g Module>,
        on_stack: BTreeSet<&'g Module>,
        found: Vec<Vec<Module>>,
    }
    fn visit<'g>(w: &mut Walk<'g>, v: &'g Module) {
        let n = w.index.len();
        w.index.insert(v, n);
        w.low.insert(v, n);
        w.stack.push(v);
        w.on_stack.insert(v);
        let graph = w.graph;
        for u in graph.get(v).into_iter().flatten() {
            if !w.index.contains_key(u) {
                visit(w, u);
                let l = w.low[u].min(w.low[v]);
                w.low.insert(v, l);
            } else if w.on_stack.contains(u) {
                let l = w.index[u].min(w.low[v]);
                w.low.insert(v, l);
            }
        }
        if w.low[v] == w.index[v] {
            let mut set = Vec::new();
            while let Some(u) = w.stack.pop() {
                w.on_stack.remove(u);
                set.push(u.clone());
                if u == v {
                    break;
                }
            }
            if set.len() > 1 {
                set.sort();
                w.found.push(set);
            }
        }
    }
    let mut w = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !w.index.contains_key(v) {
            visit(&mut w, v);
        }
    }
    w.found.sort();
    w.found
}

/// The module graph of the checked crates: edges with the files and paths behind them.
fn module_graph() -> BTreeMap<(Module, Module), Vec<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for krate in CRATES {
        let src = root.join(krate).join("src");
        let mut list = Vec::new();
        rust_files(&src, &mut list);
        for f in list {
            if let Some(m) = module_of(krate, &src, &f) {
                files.push((m, f));
            }
        }
    }
    let known: BTreeSet<Module> = files.iter().map(|(m, _)| m.clone()).collect();
    let mut edges: BTreeMap<(Module, Module), Vec<String>> = BTreeMap::new();
    for (m, f) in &files {
        let text = std::fs::read_to_string(f).expect("a readable file");
        for (inside, path) in paths_in(&code_only(&text)) {
            let mut here = m.clone();
            here.extend(inside);
            let Some(target) = resolve(&here, &path, &known) else {
                continue;
            };
            if is_ancestor_or_self(&target, m) || is_ancestor_or_self(m, &target) {
                continue;
            }
            let rel = f.strip_prefix(root).unwrap_or(f).display().to_string();
            let why = format!("{rel}: {path}");
            let list = edges.entry((m.clone(), target)).or_default();
            if !list.contains(&why) {
                list.push(why);
            }
        }
    }
    edges
}

/// The cycles of the module graph, one readable paragraph each.
fn cycle_report() -> Vec<String> {
    let edges = module_graph();
    let mut graph: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (a, b) in edges.keys() {
        graph.entry(a.clone()).or_default().insert(b.clone());
        graph.entry(b.clone()).or_default();
    }
    cycles(&graph)
        .into_iter()
        .map(|set| {
            let mut text = format!(
                "cycle among {}:",
                set.iter().map(name).collect::<Vec<_>>().join(", ")
            );
            for ((a, b), why) in &edges {
                if set.contains(a) && set.contains(b) {
                    text.push_str(&format!("\n  {} -> {}", name(a), name(b)));
                    for w in why {
                        text.push_str(&format!("\n      {w}"));
                    }
                }
            }
            text
        })
        .collect()
}

/// No module of ledger-core, ledger-api or audit-tools imports itself through others.
#[test]
fn no_module_imports_itself_through_others() {
    let report = cycle_report();
    assert!(report.is_empty(), "import cycles:\n{}", report.join("\n"));
}

/// The checker itself: it sees what it should, and not what it should not.
#[test]
fn the_checker_finds_paths_and_cycles() {
    assert_eq!(
        expand_use("super::{a::{B, c}, d as e, self}"),
        ["super::a::B", "super::a::c", "super::d", "super::self"]
    );
    let code = code_only(
        "// use crate::x;\nlet s = \"crate::y\"; let c = '\"'; use crate::z::{W, v::U};\n\
         mod inner { use super::*; fn f() { crate::q::r(); } }\n\
         #[cfg(test)]\nmod tests { use crate::t::T; }",
    );
    let paths = paths_in(&code);
    assert_eq!(
        paths,
        [
            (vec![], "crate::z::W".to_owned()),
            (vec![], "crate::z::v::U".to_owned()),
            (vec!["inner".to_owned()], "super::*".to_owned()),
            (vec!["inner".to_owned()], "crate::q::r".to_owned()),
        ]
    );
    let m = |s: &str| -> Module { s.split("::").map(str::to_owned).collect() };
    let known: BTreeSet<Module> = ["k", "k::a", "k::a::b", "k::c"].map(m).into();
    assert_eq!(
        resolve(&m("k::a::b"), "super::super::c::X", &known),
        Some(m("k::c"))
    );
    assert_eq!(
        resolve(&m("k::a::tests"), "super::b::Y", &known),
        Some(m("k::a::b"))
    );
    let mut g: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    g.insert(m("k::a"), [m("k::c")].into());
    g.insert(m("k::c"), [m("k::a")].into());
    g.insert(m("k::d"), [m("k::a")].into());
    assert_eq!(cycles(&g), vec![vec![m("k::a"), m("k::c")]]);
    // The real graph has edges (so the walk found the files).
    assert!(module_graph().len() > 20);
}

/// Prints the report (`cargo test --test e2e module_graph:: -- --nocapture`), without failing.
#[test]
fn print_the_cycles() {
    for c in cycle_report() {
        println!("{c}");
    }
}
